package certmanager

import (
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"
)

// openpcaBin is the server under test: $OPENPCA_BIN, else built from the
// repository's main module.
var openpcaBin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	openpcaBin = os.Getenv("OPENPCA_BIN")
	if openpcaBin == "" {
		dir, err := os.MkdirTemp("", "openpca-bin")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		openpcaBin = filepath.Join(dir, "openpca")
		build := exec.Command("go", "build", "-o", openpcaBin, "./cmd/openpca")
		build.Dir = filepath.Join("..", "..")
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "go build ./cmd/openpca: %v\n%s", err, out)
			return 1
		}
	}
	return m.Run()
}

// server is a running `openpca serve` on a free port with its own data dir.
type server struct {
	addr, dataDir string
	rootKeyID     string
	rootSecret    string
}

func (s *server) endpoint() string { return "http://" + s.addr }

func startServer(t *testing.T) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{addr: ln.Addr().String(), dataDir: filepath.Join(t.TempDir(), "data")}
	ln.Close()
	cmd := exec.Command(openpcaBin, "serve", "--addr", s.addr, "--data-dir", s.dataDir)
	cmd.Env = withoutAWS(os.Environ())
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("openpca did not become healthy on %s", s.addr)
		}
		resp, err := http.Get(s.endpoint() + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
	}
	s.rootKeyID, s.rootSecret = readCredentials(t, filepath.Join(s.dataDir, "credentials"))
	return s
}

// readCredentials reads the root key the server wrote in AWS
// credentials-file format.
func readCredentials(t *testing.T, path string) (id, secret string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			id = strings.TrimSpace(v)
		case "aws_secret_access_key":
			secret = strings.TrimSpace(v)
		}
	}
	if id == "" || secret == "" {
		t.Fatalf("no root key in %s", path)
	}
	return id, secret
}

// withoutAWS drops the caller's AWS_* settings from env.
func withoutAWS(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "AWS_") {
			out = append(out, kv)
		}
	}
	return out
}

// principal runs `openpca principal args...` on the server's data dir.
func (s *server) principal(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(openpcaBin, append([]string{"principal"}, args...)...)
	cmd.Env = append(withoutAWS(os.Environ()), "OPENPCA_DATA_DIR="+s.dataDir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("openpca principal %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// createUser makes a principal with one identity policy and returns its key.
func (s *server) createUser(t *testing.T, name, policy string) (id, secret string) {
	t.Helper()
	out := s.principal(t, "create", "--name", name)
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "AccessKeyId: "); ok {
			id = v
		}
		if v, ok := strings.CutPrefix(line, "SecretAccessKey: "); ok {
			secret = v
		}
	}
	if id == "" || secret == "" {
		t.Fatalf("principal create printed no key:\n%s", out)
	}
	if policy != "" {
		s.principal(t, "attach-policy", "--name", name, "--policy-name", "p", "--policy-document", policy)
	}
	return id, secret
}

// rootPCA is an aws-sdk-go-v2 ACM PCA client signing with the root key.
func (s *server) rootPCA() *acmpca.Client {
	return acmpca.New(acmpca.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.endpoint()),
		Credentials:  credentials.NewStaticCredentialsProvider(s.rootKeyID, s.rootSecret, ""),
	})
}

// hierarchy is a root CA and the issuing CA it certified.
type hierarchy struct {
	rootCert, issuingCert *x509.Certificate
	issuingARN            string
}

// createHierarchy makes a root CA and a subordinate issuing CA through the
// API, as an operator would with the AWS CLI.
func createHierarchy(t *testing.T, pca *acmpca.Client) hierarchy {
	t.Helper()
	ctx := context.Background()
	root := createCA(t, pca, types.CertificateAuthorityTypeRoot, "openpca test root")
	rootPEM := issueCA(t, pca, root, root, "arn:aws:acm-pca:::template/RootCACertificate/V1", 10)
	if _, err := pca.ImportCertificateAuthorityCertificate(ctx, &acmpca.ImportCertificateAuthorityCertificateInput{
		CertificateAuthorityArn: aws.String(root), Certificate: rootPEM,
	}); err != nil {
		t.Fatal(err)
	}
	issuing := createCA(t, pca, types.CertificateAuthorityTypeSubordinate, "openpca test issuing CA")
	issuingPEM := issueCA(t, pca, root, issuing, "arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen0/V1", 5)
	if _, err := pca.ImportCertificateAuthorityCertificate(ctx, &acmpca.ImportCertificateAuthorityCertificateInput{
		CertificateAuthorityArn: aws.String(issuing), Certificate: issuingPEM, CertificateChain: rootPEM,
	}); err != nil {
		t.Fatal(err)
	}
	return hierarchy{rootCert: parseCert(t, rootPEM), issuingCert: parseCert(t, issuingPEM), issuingARN: issuing}
}

func createCA(t *testing.T, pca *acmpca.Client, typ types.CertificateAuthorityType, cn string) string {
	t.Helper()
	out, err := pca.CreateCertificateAuthority(context.Background(), &acmpca.CreateCertificateAuthorityInput{
		CertificateAuthorityType: typ,
		CertificateAuthorityConfiguration: &types.CertificateAuthorityConfiguration{
			KeyAlgorithm:     types.KeyAlgorithmEcPrime256v1,
			SigningAlgorithm: types.SigningAlgorithmSha256withecdsa,
			Subject:          &types.ASN1Subject{CommonName: aws.String(cn)},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return *out.CertificateAuthorityArn
}

// issueCA has issuer sign subject's CSR with template and returns the
// certificate's PEM.
func issueCA(t *testing.T, pca *acmpca.Client, issuer, subject, template string, years int64) []byte {
	t.Helper()
	ctx := context.Background()
	csr, err := acmpca.NewCertificateAuthorityCSRCreatedWaiter(pca, func(o *acmpca.CertificateAuthorityCSRCreatedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second
	}).WaitForOutput(ctx, &acmpca.GetCertificateAuthorityCsrInput{CertificateAuthorityArn: aws.String(subject)}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	issued, err := pca.IssueCertificate(ctx, &acmpca.IssueCertificateInput{
		CertificateAuthorityArn: aws.String(issuer),
		Csr:                     []byte(*csr.Csr),
		SigningAlgorithm:        types.SigningAlgorithmSha256withecdsa,
		TemplateArn:             aws.String(template),
		Validity:                &types.Validity{Type: types.ValidityPeriodTypeYears, Value: aws.Int64(years)},
	})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := acmpca.NewCertificateIssuedWaiter(pca, func(o *acmpca.CertificateIssuedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second
	}).WaitForOutput(ctx, &acmpca.GetCertificateInput{CertificateAuthorityArn: aws.String(issuer), CertificateArn: issued.CertificateArn}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(*cert.Certificate)
}

func parseCert(t *testing.T, p []byte) *x509.Certificate {
	t.Helper()
	certs := parseCerts(t, p)
	if len(certs) != 1 {
		t.Fatalf("want one certificate, have %d", len(certs))
	}
	return certs[0]
}

func parseCerts(t *testing.T, p []byte) []*x509.Certificate {
	t.Helper()
	var certs []*x509.Certificate
	for {
		var b *pem.Block
		b, p = pem.Decode(p)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			t.Fatalf("PEM block %q", b.Type)
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		certs = append(certs, c)
	}
	if len(bytes.TrimSpace(p)) != 0 {
		t.Fatalf("trailing data after the certificates: %q", p)
	}
	return certs
}
