package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// requireClient skips the test for want (a missing client), or fails it
// when OPENPCA_REQUIRE_CLIENTS=1 says every client must run.
func requireClient(t *testing.T, want string) {
	t.Helper()
	if os.Getenv("OPENPCA_REQUIRE_CLIENTS") == "1" {
		t.Fatalf("%s (OPENPCA_REQUIRE_CLIENTS=1)", want)
	}
	t.Skip(want)
}

// The AWS SDK for JavaScript v3 (test/js, installed by scripts/test.sh):
// a root CA created, certified and imported, a leaf issued and revoked,
// CAs listed, and STS's GetCallerIdentity and AssumeRole, whose
// credentials then sign ACM PCA calls.
func TestJavaScriptSDK(t *testing.T) {
	jsDir, err := filepath.Abs(filepath.Join("..", "..", "test", "js"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		requireClient(t, "node is not installed")
	}
	if _, err := os.Stat(filepath.Join(jsDir, "node_modules", "@aws-sdk", "client-acm-pca")); err != nil {
		requireClient(t, "the JavaScript SDK is not installed: (cd test/js && npm ci)")
	}

	bin := buildBinary(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	start(t, bin, dir, addr, []string{"OPENPCA_ADDR=" + addr})
	rootID, rootSecret := credentialsFile(t, filepath.Join(dir, "openpca-data", "credentials"))
	trust := filepath.Join(dir, "trust.json")
	os.WriteFile(trust, []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}`), 0o600)
	openpca(t, bin, dir, "principal", "create-role", "--name", "js", "--trust-policy", "file://"+trust)
	openpca(t, bin, dir, "principal", "attach-role-policy", "--name", "js", "--policy-name", "read",
		"--policy-document", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"acm-pca:DescribeCertificateAuthority","Resource":"*"}]}`)

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "js.example.test"}, DNSNames: []string{"js.example.test"},
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	csrFile := filepath.Join(dir, "leaf.csr")
	os.WriteFile(csrFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), 0o600)

	cmd := exec.Command("node", filepath.Join(jsDir, "acmpca.mjs"))
	cmd.Dir = jsDir
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "OPENPCA_ENDPOINT=http://"+addr, "AWS_ACCESS_KEY_ID="+rootID, "AWS_SECRET_ACCESS_KEY="+rootSecret,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "LEAF_CSR="+csrFile,
		"ROLE_ARN=arn:aws:iam::000000000000:role/js")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node acmpca.mjs: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	var out struct {
		CAArn, RootPem, LeafPem, LeafChain, Serial, SessionArn string
		Listed                                                 []string
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("%v: %s", err, stdout.String())
	}

	root := parsePEMCert(t, out.RootPem)
	if root.Subject.CommonName != "JavaScript SDK root" || !root.IsCA || root.CheckSignatureFrom(root) != nil {
		t.Fatalf("root certificate: %s, CA %v", root.Subject, root.IsCA)
	}
	if chain := parsePEMCert(t, out.LeafChain); !chain.Equal(root) {
		t.Fatalf("the leaf's chain is %s, want the root", chain.Subject)
	}
	leaf := parsePEMCert(t, out.LeafPem)
	roots := x509.NewCertPool()
	roots.AddCert(root)
	if _, err := leaf.Verify(x509.VerifyOptions{DNSName: "js.example.test", Roots: roots}); err != nil {
		t.Fatalf("the leaf does not chain to the root: %v", err)
	}
	if !leaf.PublicKey.(*ecdsa.PublicKey).Equal(&key.PublicKey) {
		t.Fatal("the leaf is not for the CSR's key")
	}
	if out.SessionArn != "arn:aws:sts::000000000000:assumed-role/js/js" {
		t.Fatalf("session %s", out.SessionArn)
	}
	if want := "arn:aws:acm-pca:us-east-1:000000000000:certificate-authority/"; !strings.HasPrefix(out.CAArn, want) {
		t.Fatalf("CA ARN %s", out.CAArn)
	}
}

// credentialsFile reads the key of an AWS credentials file's only profile.
func credentialsFile(t *testing.T, path string) (id, secret string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, _ := strings.Cut(line, "=")
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			id = strings.TrimSpace(v)
		case "aws_secret_access_key":
			secret = strings.TrimSpace(v)
		}
	}
	if id == "" || secret == "" {
		t.Fatalf("no key in %s", path)
	}
	return id, secret
}

func parsePEMCert(t *testing.T, s string) *x509.Certificate {
	t.Helper()
	b, rest := pem.Decode([]byte(s))
	if b == nil || len(bytes.TrimSpace(rest)) != 0 {
		t.Fatalf("want one PEM certificate: %q", s)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
