package server

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"

	"github.com/openpca/openpca/internal/issuance"
	"github.com/openpca/openpca/internal/keys/softkey"
	"github.com/openpca/openpca/internal/store/sqlstore"
	"github.com/openpca/openpca/internal/x509util"
)

const templatePrefix = "arn:aws:acm-pca:::template/"

// algorithms pairs every key algorithm with a signing algorithm of its family.
var algorithms = []struct {
	key types.KeyAlgorithm
	sig types.SigningAlgorithm
}{
	{types.KeyAlgorithmEcPrime256v1, types.SigningAlgorithmSha256withecdsa},
	{types.KeyAlgorithmEcSecp384r1, types.SigningAlgorithmSha384withecdsa},
	{types.KeyAlgorithmEcSecp521r1, types.SigningAlgorithmSha512withecdsa},
	{types.KeyAlgorithmRsa2048, types.SigningAlgorithmSha256withrsa},
	{types.KeyAlgorithmRsa3072, types.SigningAlgorithmSha384withrsa},
	{types.KeyAlgorithmRsa4096, types.SigningAlgorithmSha512withrsa},
	{types.KeyAlgorithmMlDsa44, types.SigningAlgorithmMlDsa44},
	{types.KeyAlgorithmMlDsa65, types.SigningAlgorithmMlDsa65},
	{types.KeyAlgorithmMlDsa87, types.SigningAlgorithmMlDsa87},
}

// newKey makes a key pair of an AWS key algorithm for a test's own CSRs.
func newKey(t testing.TB, alg types.KeyAlgorithm) crypto.Signer {
	t.Helper()
	kek := make([]byte, 32)
	rand.Read(kek)
	m, err := softkey.New(kek)
	if err != nil {
		t.Fatal(err)
	}
	h, _, err := m.CreateKey(context.Background(), string(alg))
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.Signer(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newCSR returns a PEM CSR for cn signed by key.
func newCSR(t testing.TB, key crypto.Signer, sig types.SigningAlgorithm, cn string, dnsNames ...string) []byte {
	t.Helper()
	der, err := x509util.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn}, DNSNames: dnsNames}, key, string(sig))
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

type issued struct {
	arn   string
	pem   string
	chain string
	cert  *x509.Certificate
}

func issue(t testing.TB, c *acmpca.Client, caArn string, in *acmpca.IssueCertificateInput) issued {
	t.Helper()
	in.CertificateAuthorityArn = &caArn
	if in.Validity == nil {
		in.Validity = &types.Validity{Type: types.ValidityPeriodTypeDays, Value: aws.Int64(30)}
	}
	out, err := c.IssueCertificate(context.Background(), in)
	if err != nil {
		t.Fatalf("IssueCertificate: %v", err)
	}
	got, err := c.GetCertificate(context.Background(), &acmpca.GetCertificateInput{CertificateAuthorityArn: &caArn, CertificateArn: out.CertificateArn})
	if err != nil {
		t.Fatalf("GetCertificate: %v", err)
	}
	cert := parsePEM(t, *got.Certificate)
	if err := issuance.Lint(cert.Raw); err != nil {
		t.Fatalf("issued certificate fails lint: %v", err)
	}
	wantSuffix := "/certificate/" + strings.TrimLeft(fmt.Sprintf("%x", cert.SerialNumber), "0")
	if !strings.HasSuffix(*out.CertificateArn, wantSuffix) {
		t.Fatalf("ARN %s does not end with the serial %s", *out.CertificateArn, wantSuffix)
	}
	return issued{arn: *out.CertificateArn, pem: *got.Certificate, chain: aws.ToString(got.CertificateChain), cert: cert}
}

func parsePEM(t testing.TB, s string) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		t.Fatalf("not PEM: %q", s)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func csrOf(t testing.TB, c *acmpca.Client, arn string) []byte {
	t.Helper()
	out, err := c.GetCertificateAuthorityCsr(context.Background(), &acmpca.GetCertificateAuthorityCsrInput{CertificateAuthorityArn: &arn})
	if err != nil {
		t.Fatalf("GetCertificateAuthorityCsr: %v", err)
	}
	return []byte(*out.Csr)
}

// bootstrapRoot follows AWS's documented root CA steps and returns the
// ACTIVE CA's ARN and certificate.
func bootstrapRoot(t testing.TB, c *acmpca.Client, key types.KeyAlgorithm, sig types.SigningAlgorithm) (string, issued) {
	t.Helper()
	arn := create(t, c, &acmpca.CreateCertificateAuthorityInput{CertificateAuthorityConfiguration: &types.CertificateAuthorityConfiguration{
		KeyAlgorithm: key, SigningAlgorithm: sig, Subject: &types.ASN1Subject{CommonName: aws.String("Root " + string(key)), Organization: aws.String("openpca")}}})
	root := issue(t, c, arn, &acmpca.IssueCertificateInput{
		Csr: csrOf(t, c, arn), SigningAlgorithm: sig, TemplateArn: aws.String(templatePrefix + "RootCACertificate/V1"),
		Validity: &types.Validity{Type: types.ValidityPeriodTypeYears, Value: aws.Int64(10)},
	})
	if root.chain != "" {
		t.Fatalf("a root's own certificate has a chain: %q", root.chain)
	}
	if _, err := c.ImportCertificateAuthorityCertificate(context.Background(), &acmpca.ImportCertificateAuthorityCertificateInput{
		CertificateAuthorityArn: &arn, Certificate: []byte(root.pem)}); err != nil {
		t.Fatalf("import root: %v", err)
	}
	return arn, root
}

// bootstrapSubordinate creates a subordinate CA signed by parent.
func bootstrapSubordinate(t testing.TB, c *acmpca.Client, parent string, parentSig types.SigningAlgorithm, key types.KeyAlgorithm, sig types.SigningAlgorithm, template string) (string, issued) {
	t.Helper()
	arn := create(t, c, &acmpca.CreateCertificateAuthorityInput{CertificateAuthorityType: types.CertificateAuthorityTypeSubordinate,
		CertificateAuthorityConfiguration: &types.CertificateAuthorityConfiguration{
			KeyAlgorithm: key, SigningAlgorithm: sig, Subject: &types.ASN1Subject{CommonName: aws.String("Sub " + string(key))}}})
	sub := issue(t, c, parent, &acmpca.IssueCertificateInput{
		Csr: csrOf(t, c, arn), SigningAlgorithm: parentSig, TemplateArn: aws.String(templatePrefix + template),
		Validity: &types.Validity{Type: types.ValidityPeriodTypeYears, Value: aws.Int64(5)},
	})
	if _, err := c.ImportCertificateAuthorityCertificate(context.Background(), &acmpca.ImportCertificateAuthorityCertificateInput{
		CertificateAuthorityArn: &arn, Certificate: []byte(sub.pem), CertificateChain: []byte(sub.chain)}); err != nil {
		t.Fatalf("import subordinate: %v", err)
	}
	return arn, sub
}

// opensslVerify runs `openssl verify` on leaf with the chain's root as trust
// anchor and the rest as untrusted intermediates.
func opensslVerify(t *testing.T, root, intermediates, leaf string) {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed")
	}
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body+"\n"), 0o600)
		return p
	}
	args := []string{"verify", "-CAfile", write("root.pem", root)}
	if intermediates != "" {
		args = append(args, "-untrusted", write("inter.pem", intermediates))
	}
	out, err := exec.Command("openssl", append(args, write("leaf.pem", leaf))...).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte(": OK")) {
		t.Fatalf("openssl verify: %v\n%s", err, out)
	}
}

// pyVerify checks a chain with pyca/cryptography, an independent X.509
// implementation that knows ML-DSA.
func pyVerify(t *testing.T, pems ...string) {
	t.Helper()
	if exec.Command("python3", "-c", "from cryptography.hazmat.primitives.asymmetric import mldsa").Run() != nil {
		t.Skip("python3 with a cryptography that knows ML-DSA is not installed")
	}
	dir := t.TempDir()
	args := []string{"testdata/verify_chain.py"}
	for i, p := range pems {
		name := filepath.Join(dir, fmt.Sprintf("%d.pem", i))
		os.WriteFile(name, []byte(p), 0o600)
		args = append(args, name)
	}
	out, err := exec.Command("python3", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("cryptography rejects the chain: %v\n%s", err, out)
	}
}

// TestHierarchyEveryAlgorithm builds root → subordinate → leaf for every key
// algorithm and checks the chain with Go's verifier, openssl (where it knows
// the algorithm) and the signatures one by one.
func TestHierarchyEveryAlgorithm(t *testing.T) {
	e := newTestEnv(t)
	for i, alg := range algorithms {
		p := protocols[i%len(protocols)]
		t.Run(string(alg.key)+"/"+p.name, func(t *testing.T) {
			c := e.rootClient(p.opt)
			rootArn, root := bootstrapRoot(t, c, alg.key, alg.sig)
			if ca := describe(t, c, rootArn); ca.Status != types.CertificateAuthorityStatusActive || ca.NotBefore == nil || ca.NotAfter == nil ||
				!ca.NotBefore.Truncate(time.Second).Equal(root.cert.NotBefore) || !ca.NotAfter.Truncate(time.Second).Equal(root.cert.NotAfter) {
				t.Fatalf("root after import: %s %v %v, certificate valid %v to %v", ca.Status, ca.NotBefore, ca.NotAfter, root.cert.NotBefore, root.cert.NotAfter)
			}
			subArn, sub := bootstrapSubordinate(t, c, rootArn, alg.sig, alg.key, alg.sig, "SubordinateCACertificate_PathLen0/V1")
			if strings.TrimSpace(sub.chain) != strings.TrimSpace(root.pem) {
				t.Fatal("the subordinate's chain is not the root")
			}
			leafKey := newKey(t, alg.key)
			leaf := issue(t, c, subArn, &acmpca.IssueCertificateInput{Csr: newCSR(t, leafKey, alg.sig, "leaf.example.test", "leaf.example.test"), SigningAlgorithm: alg.sig})
			if want := strings.TrimSpace(sub.pem) + "\n" + strings.TrimSpace(root.pem); leaf.chain != want {
				t.Fatalf("leaf chain is not sub then root:\n%s", leaf.chain)
			}
			for _, pair := range [][2]*x509.Certificate{{leaf.cert, sub.cert}, {sub.cert, root.cert}, {root.cert, root.cert}} {
				if err := x509util.CheckSignatureFrom(pair[0], pair[1]); err != nil {
					t.Fatalf("%s not signed by %s: %v", pair[0].Subject, pair[1].Subject, err)
				}
			}
			got, err := c.GetCertificateAuthorityCertificate(context.Background(), &acmpca.GetCertificateAuthorityCertificateInput{CertificateAuthorityArn: &subArn})
			if err != nil || *got.Certificate != sub.pem || strings.TrimSpace(aws.ToString(got.CertificateChain)) != strings.TrimSpace(root.pem) {
				t.Fatalf("GetCertificateAuthorityCertificate: %v", err)
			}
			pyVerify(t, leaf.pem, sub.pem, root.pem)
			if strings.HasPrefix(string(alg.key), "ML_DSA") {
				return // Go's x509 and this openssl cannot verify ML-DSA; cryptography did.
			}
			roots, inters := x509.NewCertPool(), x509.NewCertPool()
			roots.AddCert(root.cert)
			inters.AddCert(sub.cert)
			if _, err := leaf.cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters, DNSName: "leaf.example.test"}); err != nil {
				t.Fatalf("x509.Verify: %v", err)
			}
			opensslVerify(t, root.pem, sub.pem, leaf.pem)
		})
	}
}

func TestIssuanceErrors(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, e *testEnv, c *acmpca.Client) {
		ctx := context.Background()
		sig := types.SigningAlgorithmSha256withecdsa
		pending := create(t, c, &acmpca.CreateCertificateAuthorityInput{})
		foreign := newCSR(t, newKey(t, types.KeyAlgorithmEcPrime256v1), sig, "foreign")
		issueErr := func(arn string, in *acmpca.IssueCertificateInput) error {
			in.CertificateAuthorityArn = &arn
			if in.Validity == nil {
				in.Validity = &types.Validity{Type: types.ValidityPeriodTypeDays, Value: aws.Int64(1)}
			}
			if in.SigningAlgorithm == "" {
				in.SigningAlgorithm = sig
			}
			_, err := c.IssueCertificate(ctx, in)
			return err
		}
		err := issueErr(pending, &acmpca.IssueCertificateInput{Csr: foreign})
		wantAPIError(t, err, "InvalidStateException", "The certificate authority is not in a valid state for issuing certificates")
		err = issueErr(pending, &acmpca.IssueCertificateInput{Csr: foreign, TemplateArn: aws.String(templatePrefix + "RootCACertificate/V1")})
		wantAPIError(t, err, "InvalidArgsException", "Root CA CSR is not provided")
		_, err = c.GetCertificateAuthorityCertificate(ctx, &acmpca.GetCertificateAuthorityCertificateInput{CertificateAuthorityArn: &pending})
		wantTyped[*types.InvalidStateException](t, err)

		rootArn, root := bootstrapRoot(t, c, types.KeyAlgorithmEcPrime256v1, sig)
		tests := []struct {
			name, code, msg string
			in              *acmpca.IssueCertificateInput
		}{
			{"SigningAlgorithmFamily", "InvalidArgsException", "not compatible", &acmpca.IssueCertificateInput{Csr: foreign, SigningAlgorithm: types.SigningAlgorithmSha256withrsa}},
			{"GarbageCSR", "MalformedCSRException", "", &acmpca.IssueCertificateInput{Csr: []byte("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n")}},
			{"TamperedCSR", "MalformedCSRException", "", &acmpca.IssueCertificateInput{Csr: tamper(foreign)}},
			{"UnknownTemplate", "InvalidArgsException", "template", &acmpca.IssueCertificateInput{Csr: foreign, TemplateArn: aws.String(templatePrefix + "NoSuchTemplate/V1")}},
			{"BeyondCAValidity", "ValidationException", "The certificate validity specified exceeds the CA validity.", &acmpca.IssueCertificateInput{Csr: foreign, Validity: &types.Validity{Type: types.ValidityPeriodTypeYears, Value: aws.Int64(11)}}},
			{"ZeroValidity", "ValidationException", "Member must have value greater than or equal to 1", &acmpca.IssueCertificateInput{Csr: foreign, Validity: &types.Validity{Type: types.ValidityPeriodTypeDays, Value: aws.Int64(0)}}},
			{"LongToken", "ValidationException", "idempotencyToken", &acmpca.IssueCertificateInput{Csr: foreign, IdempotencyToken: aws.String(strings.Repeat("x", 37))}},
			{"RootTemplateForeignCSR", "InvalidArgsException", "Root CA CSR is not provided", &acmpca.IssueCertificateInput{Csr: foreign, TemplateArn: aws.String(templatePrefix + "RootCACertificate/V1")}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				wantAPIError(t, issueErr(rootArn, tc.in), tc.code, tc.msg)
			})
		}

		// Idempotency: one certificate per token within 5 minutes.
		first := issue(t, c, rootArn, &acmpca.IssueCertificateInput{Csr: foreign, SigningAlgorithm: sig, IdempotencyToken: aws.String("tok")})
		e.clock.Advance(4 * time.Minute)
		again := issue(t, c, rootArn, &acmpca.IssueCertificateInput{Csr: foreign, SigningAlgorithm: sig, IdempotencyToken: aws.String("tok")})
		if first.arn != again.arn {
			t.Fatal("the same idempotency token issued twice")
		}
		if other := issue(t, c, rootArn, &acmpca.IssueCertificateInput{Csr: foreign, SigningAlgorithm: sig, IdempotencyToken: aws.String("tok-2")}); other.arn == first.arn {
			t.Fatal("another token returned the same certificate")
		}
		e.clock.Advance(2 * time.Minute)
		if later := issue(t, c, rootArn, &acmpca.IssueCertificateInput{Csr: foreign, SigningAlgorithm: sig, IdempotencyToken: aws.String("tok")}); later.arn == first.arn {
			t.Fatal("a token older than 5 minutes returned the old certificate")
		}

		// GetCertificate errors.
		_, err = c.GetCertificate(ctx, &acmpca.GetCertificateInput{CertificateAuthorityArn: &rootArn, CertificateArn: aws.String(rootArn + "/certificate/abcdef")})
		wantTyped[*types.ResourceNotFoundException](t, err)
		_, err = c.GetCertificate(ctx, &acmpca.GetCertificateInput{CertificateAuthorityArn: &rootArn, CertificateArn: aws.String(pending + "/certificate/abcdef")})
		wantTyped[*types.InvalidArnException](t, err)

		// A subordinate with pathlen 0 may not sign another CA.
		subArn, _ := bootstrapSubordinate(t, c, rootArn, sig, types.KeyAlgorithmEcPrime256v1, sig, "SubordinateCACertificate_PathLen0/V1")
		err = issueErr(subArn, &acmpca.IssueCertificateInput{Csr: foreign, TemplateArn: aws.String(templatePrefix + "SubordinateCACertificate_PathLen0/V1")})
		wantAPIError(t, err, "ValidationException", "")

		// Disabled CAs do not issue.
		c.UpdateCertificateAuthority(ctx, &acmpca.UpdateCertificateAuthorityInput{CertificateAuthorityArn: &subArn, Status: types.CertificateAuthorityStatusDisabled})
		wantAPIError(t, issueErr(subArn, &acmpca.IssueCertificateInput{Csr: foreign}), "InvalidStateException", "not in a valid state")

		// Short-lived CAs issue for at most 7 days.
		short := create(t, c, &acmpca.CreateCertificateAuthorityInput{CertificateAuthorityType: types.CertificateAuthorityTypeSubordinate, UsageMode: types.CertificateAuthorityUsageModeShortLivedCertificate})
		sub := issue(t, c, rootArn, &acmpca.IssueCertificateInput{Csr: csrOf(t, c, short), SigningAlgorithm: sig, TemplateArn: aws.String(templatePrefix + "SubordinateCACertificate_PathLen0/V1")})
		if _, err := c.ImportCertificateAuthorityCertificate(ctx, &acmpca.ImportCertificateAuthorityCertificateInput{CertificateAuthorityArn: &short, Certificate: []byte(sub.pem), CertificateChain: []byte(root.pem)}); err != nil {
			t.Fatal(err)
		}
		wantAPIError(t, issueErr(short, &acmpca.IssueCertificateInput{Csr: foreign, Validity: &types.Validity{Type: types.ValidityPeriodTypeDays, Value: aws.Int64(8)}}), "ValidationException", "7 days")
		issue(t, c, short, &acmpca.IssueCertificateInput{Csr: foreign, SigningAlgorithm: sig, Validity: &types.Validity{Type: types.ValidityPeriodTypeDays, Value: aws.Int64(7)}})
	})
}

// tamper flips a byte inside the CSR's signed part, keeping it parseable.
func tamper(csrPEM []byte) []byte {
	block, _ := pem.Decode(csrPEM)
	der := bytes.Clone(block.Bytes)
	i := bytes.Index(der, []byte("foreign"))
	der[i] = 'F'
	return pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: der})
}

func TestImportErrors(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, e *testEnv, c *acmpca.Client) {
		ctx := context.Background()
		sig := types.SigningAlgorithmSha256withecdsa
		rootArn, root := bootstrapRoot(t, c, types.KeyAlgorithmEcPrime256v1, sig)
		subArn := create(t, c, &acmpca.CreateCertificateAuthorityInput{CertificateAuthorityType: types.CertificateAuthorityTypeSubordinate})
		sub := issue(t, c, rootArn, &acmpca.IssueCertificateInput{Csr: csrOf(t, c, subArn), SigningAlgorithm: sig, TemplateArn: aws.String(templatePrefix + "SubordinateCACertificate_PathLen0/V1")})
		// A CA certificate for another root's key, signed by the first root.
		otherRoot := create(t, c, &acmpca.CreateCertificateAuthorityInput{})
		otherSub := issue(t, c, rootArn, &acmpca.IssueCertificateInput{Csr: csrOf(t, c, otherRoot), SigningAlgorithm: sig, TemplateArn: aws.String(templatePrefix + "SubordinateCACertificate_PathLen0/V1")})

		// Certificates for the subordinate's key from a root made here, with
		// the basicConstraints extension given (none when nil).
		outsideKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		outside := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Outside Root"}, NotBefore: time.Now().Add(-time.Hour),
			NotAfter: time.Now().AddDate(1, 0, 0), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
		der, err := x509.CreateCertificate(rand.Reader, outside, outside, outsideKey.Public(), outsideKey)
		if err != nil {
			t.Fatal(err)
		}
		outside, _ = x509.ParseCertificate(der)
		outsidePEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
		caTRUE, _ := asn1.Marshal(struct{ IsCA bool }{true})
		signedOutside := func(critical *bool) string {
			tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Sub"}, NotBefore: time.Now().Add(-time.Hour),
				NotAfter: time.Now().AddDate(0, 6, 0), KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature}
			if critical != nil {
				tmpl.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 19}, Critical: *critical, Value: caTRUE}}
			}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, outside, parseCSRPEM(t, csrOf(t, c, subArn)).PublicKey, outsideKey)
			if err != nil {
				t.Fatal(err)
			}
			return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
		}

		imp := func(arn string, cert, chain string) error {
			in := &acmpca.ImportCertificateAuthorityCertificateInput{CertificateAuthorityArn: &arn, Certificate: []byte(cert)}
			if chain != "" {
				in.CertificateChain = []byte(chain)
			}
			_, err := c.ImportCertificateAuthorityCertificate(ctx, in)
			return err
		}
		tests := []struct {
			name, arn, cert, chain, code, msg string
		}{
			{"Garbage", subArn, "not a certificate", "", "MalformedCertificateException", ""},
			{"SubordinateWithoutChain", subArn, sub.pem, "", "InvalidRequestException", "must be imported with its certificate chain"},
			{"ChainHoldsTheCertificate", subArn, sub.pem, sub.pem + "\n" + root.pem, "InvalidRequestException", "must not contain the certificate"},
			{"SelfSignedIntoSubordinate", subArn, root.pem, "", "InvalidRequestException", "self-signed certificate cannot be imported"},
			{"KeyMismatch", subArn, otherSub.pem, root.pem, "CertificateMismatchException", "public key does not match"},
			{"NotSelfSignedIntoRoot", otherRoot, otherSub.pem, "", "InvalidRequestException", "Only a self-signed certificate"},
			{"OtherKeyIntoRoot", otherRoot, root.pem, "", "CertificateMismatchException", "public key does not match"},
			// AWS documents only "a validation exception" for these; the code is this server's choice.
			{"NoBasicConstraints", subArn, signedOutside(nil), outsidePEM, "MalformedCertificateException", "critical basicConstraints"},
			{"NonCriticalBasicConstraints", subArn, signedOutside(aws.Bool(false)), outsidePEM, "MalformedCertificateException", "critical basicConstraints"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				wantAPIError(t, imp(tc.arn, tc.cert, tc.chain), tc.code, tc.msg)
			})
		}
		for _, arn := range []string{subArn, otherRoot} {
			if st := describe(t, c, arn).Status; st != types.CertificateAuthorityStatusPendingCertificate {
				t.Fatalf("refused imports changed the status to %s", st)
			}
		}
		// The same outside certificate with a critical basicConstraints is accepted, and
		// so, replacing it, is the one the root issued.
		if err := imp(subArn, signedOutside(aws.Bool(true)), outsidePEM); err != nil {
			t.Fatal(err)
		}
		if err := imp(subArn, sub.pem, root.pem); err != nil {
			t.Fatal(err)
		}
	})
}

// TestTemplatesThroughAPI checks the extensions of the common templates on
// certificates issued through the API (the issuance package tests every
// template in detail).
func TestTemplatesThroughAPI(t *testing.T) {
	e := newTestEnv(t)
	c := e.rootClient(protocols[0].opt)
	sig := types.SigningAlgorithmSha256withecdsa
	rootArn, root := bootstrapRoot(t, c, types.KeyAlgorithmEcPrime256v1, sig)
	csr := newCSR(t, newKey(t, types.KeyAlgorithmEcPrime256v1), sig, "svc.example.test", "svc.example.test")
	eku := func(c *x509.Certificate) string { return fmt.Sprint(c.ExtKeyUsage) }
	tests := []struct {
		template string
		ku       x509.KeyUsage
		eku      string
		ca       bool
	}{
		{"", x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, fmt.Sprint([]x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}), false},
		{"EndEntityServerAuthCertificate/V1", x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, fmt.Sprint([]x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}), false},
		{"EndEntityClientAuthCertificate/V1", x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, fmt.Sprint([]x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}), false},
		{"CodeSigningCertificate/V1", x509.KeyUsageDigitalSignature, fmt.Sprint([]x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}), false},
		{"OCSPSigningCertificate/V1", x509.KeyUsageDigitalSignature, fmt.Sprint([]x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}), false},
		{"SubordinateCACertificate_PathLen1/V1", x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign | x509.KeyUsageCRLSign, "[]", true},
	}
	for _, tc := range tests {
		t.Run("template="+tc.template, func(t *testing.T) {
			in := &acmpca.IssueCertificateInput{Csr: csr, SigningAlgorithm: sig}
			if tc.template != "" {
				in.TemplateArn = aws.String(templatePrefix + tc.template)
			}
			got := issue(t, c, rootArn, in).cert
			if got.KeyUsage != tc.ku || eku(got) != tc.eku || got.IsCA != tc.ca || !bytes.Equal(got.AuthorityKeyId, root.cert.SubjectKeyId) || len(got.SubjectKeyId) == 0 {
				t.Fatalf("KU %v EKU %v CA %v AKI ok %v", got.KeyUsage, eku(got), got.IsCA, bytes.Equal(got.AuthorityKeyId, root.cert.SubjectKeyId))
			}
			if got.Subject.CommonName != "svc.example.test" || fmt.Sprint(got.DNSNames) != "[svc.example.test]" {
				t.Fatalf("subject/SAN not from the CSR: %v %v", got.Subject, got.DNSNames)
			}
		})
	}
	t.Run("APIPassthroughPrecedence", func(t *testing.T) {
		pt := &types.ApiPassthrough{Extensions: &types.Extensions{SubjectAlternativeNames: []types.GeneralName{{DnsName: aws.String("api.example.test")}}}}
		base := issue(t, c, rootArn, &acmpca.IssueCertificateInput{Csr: csr, SigningAlgorithm: sig, ApiPassthrough: pt}).cert
		if fmt.Sprint(base.DNSNames) != "[svc.example.test]" {
			t.Fatalf("a base template used API passthrough: %v", base.DNSNames)
		}
		api := issue(t, c, rootArn, &acmpca.IssueCertificateInput{Csr: csr, SigningAlgorithm: sig, ApiPassthrough: pt,
			TemplateArn: aws.String(templatePrefix + "EndEntityCertificate_APICSRPassthrough/V1")}).cert
		if fmt.Sprint(api.DNSNames) != "[api.example.test]" {
			t.Fatalf("API passthrough did not beat the CSR: %v", api.DNSNames)
		}
		_, err := c.IssueCertificate(context.Background(), &acmpca.IssueCertificateInput{CertificateAuthorityArn: &rootArn, Csr: csr, SigningAlgorithm: sig,
			Validity:       &types.Validity{Type: types.ValidityPeriodTypeDays, Value: aws.Int64(1)},
			TemplateArn:    aws.String(templatePrefix + "EndEntityCertificate_APIPassthrough/V1"),
			ApiPassthrough: &types.ApiPassthrough{Extensions: &types.Extensions{SubjectAlternativeNames: []types.GeneralName{{DnsName: aws.String("a.test"), IpAddress: aws.String("10.0.0.1")}}}}})
		wantTyped[*types.InvalidArgsException](t, err)
	})
	t.Run("ValidityTypes", func(t *testing.T) {
		abs := issue(t, c, rootArn, &acmpca.IssueCertificateInput{Csr: csr, SigningAlgorithm: sig, Validity: &types.Validity{Type: types.ValidityPeriodTypeEndDate, Value: aws.Int64(20301231235959)},
			ValidityNotBefore: &types.Validity{Type: types.ValidityPeriodTypeAbsolute, Value: aws.Int64(1893456000)}}).cert
		if !abs.NotAfter.Equal(time.Date(2030, 12, 31, 23, 59, 59, 0, time.UTC)) || !abs.NotBefore.Equal(time.Unix(1893456000, 0)) {
			t.Fatalf("validity %v – %v", abs.NotBefore, abs.NotAfter)
		}
		days := issue(t, c, rootArn, &acmpca.IssueCertificateInput{Csr: csr, SigningAlgorithm: sig}).cert
		if d := time.Until(days.NotBefore); d > -55*time.Minute || d < -65*time.Minute {
			t.Fatalf("default NotBefore is %v from now, want about -60 min", d)
		}
	})
}

// TestNoPrivateKeyAtRest looks for a CA's private key in the database's
// files (SQLite's file and WAL, or every file of the PostgreSQL cluster) and
// the logs: it must be in none of them.
func TestNoPrivateKeyAtRest(t *testing.T) {
	var logs bytes.Buffer
	e := newTestEnvLogging(t, &logs)
	c := e.rootClient(protocols[0].opt)
	arn, _ := bootstrapRoot(t, c, types.KeyAlgorithmEcPrime256v1, types.SigningAlgorithmSha256withecdsa)
	ca, err := e.srv.domain.DescribeCA(context.Background(), e.srv.root, arn)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := e.srv.domain.Keys.Signer(context.Background(), ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(signer)
	if err != nil {
		t.Fatalf("the soft key signer is not a plain private key: %v", err)
	}
	secret := privateScalar(t, signer)
	files := databaseFiles(t, e)
	for _, f := range files {
		data, _ := os.ReadFile(f)
		for name, needle := range map[string][]byte{"PKCS#8": pkcs8, "private scalar": secret} {
			if bytes.Contains(data, needle) {
				t.Fatalf("%s contains the CA key's %s", filepath.Base(f), name)
			}
		}
	}
	if bytes.Contains(logs.Bytes(), secret) || strings.Contains(logs.String(), "PRIVATE KEY") {
		t.Fatal("the logs contain key material")
	}
}

// databaseFiles lists the files that hold e's database.
func databaseFiles(t *testing.T, e *testEnv) []string {
	t.Helper()
	var files []string
	if e.srv.cfg.DatabaseURL == "" {
		files, _ = filepath.Glob(filepath.Join(e.srv.cfg.DataDir, "openpca.db*"))
	} else {
		dir := os.Getenv("OPENPCA_TEST_POSTGRES_DIR")
		if dir == "" {
			t.Skip("OPENPCA_TEST_POSTGRES_DIR is not set: the PostgreSQL cluster's files are not reachable")
		}
		// A checkpoint writes what the WAL holds into the table files too.
		if _, err := e.srv.store.(*sqlstore.Store).DB().Exec(`CHECKPOINT`); err != nil {
			t.Fatal(err)
		}
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				files = append(files, path)
			}
			return nil
		})
	}
	if len(files) == 0 {
		t.Fatal("no database files found")
	}
	return files
}

// Once a CA has issued its quota of certificates, the next issuance is
// refused with LimitExceededException.
func TestCertificateQuota(t *testing.T) {
	e := newTestEnvWith(t, nil, func(c *Config) { c.CertificateLimit = 3 })
	c := e.rootClient(protocols[0].opt)
	sig := types.SigningAlgorithmSha256withecdsa
	rootArn, _ := bootstrapRoot(t, c, types.KeyAlgorithmEcPrime256v1, sig) // the root's own certificate is the first
	csr := newCSR(t, newKey(t, types.KeyAlgorithmEcPrime256v1), sig, "quota")
	for range 2 {
		issue(t, c, rootArn, &acmpca.IssueCertificateInput{Csr: csr, SigningAlgorithm: sig})
	}
	_, err := c.IssueCertificate(context.Background(), &acmpca.IssueCertificateInput{CertificateAuthorityArn: &rootArn, Csr: csr,
		SigningAlgorithm: sig, Validity: &types.Validity{Type: types.ValidityPeriodTypeDays, Value: aws.Int64(1)}})
	wantTyped[*types.LimitExceededException](t, err)
}
