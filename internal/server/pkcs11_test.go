//go:build cgo

package server

import (
	"context"
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"

	"github.com/openpca/openpca/internal/keys"
	"github.com/openpca/openpca/internal/keys/pkcs11key"
	"github.com/openpca/openpca/internal/keys/pkcs11key/softhsmtest"
)

// bootstrapRootWith makes a self-signed root through the API: create,
// CSR, RootCACertificate/V1, import.
func bootstrapRootWith(t testing.TB, c *acmpca.Client, keyAlg types.KeyAlgorithm, sig types.SigningAlgorithm, rc *types.RevocationConfiguration) (string, issued) {
	t.Helper()
	arn := create(t, c, &acmpca.CreateCertificateAuthorityInput{RevocationConfiguration: rc,
		CertificateAuthorityConfiguration: &types.CertificateAuthorityConfiguration{KeyAlgorithm: keyAlg, SigningAlgorithm: sig,
			Subject: &types.ASN1Subject{CommonName: aws.String("HSM Root " + string(keyAlg))}}})
	root := issue(t, c, arn, &acmpca.IssueCertificateInput{Csr: csrOf(t, c, arn), SigningAlgorithm: sig,
		TemplateArn: aws.String(templatePrefix + "RootCACertificate/V1"), Validity: &types.Validity{Type: types.ValidityPeriodTypeYears, Value: aws.Int64(10)}})
	if _, err := c.ImportCertificateAuthorityCertificate(context.Background(), &acmpca.ImportCertificateAuthorityCertificateInput{CertificateAuthorityArn: &arn, Certificate: []byte(root.pem)}); err != nil {
		t.Fatal(err)
	}
	return arn, root
}

// caKey returns the key handle the store keeps for the CA.
func caKey(t testing.TB, e *testEnv, arn string) keys.Handle {
	t.Helper()
	ca, err := e.srv.store.GetCA(context.Background(), testAccount, arn[strings.LastIndex(arn, "/")+1:])
	if err != nil {
		t.Fatal(err)
	}
	return ca.Key
}

func goVerify(t testing.TB, root, leaf *x509.Certificate) {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AddCert(root)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Fatal(err)
	}
}

// TestPKCS11Keys is the acceptance test of HSM keys: a CA made with a
// software key before the switch keeps working; a root CA whose key is in
// a real SoftHSM2 token issues and publishes a CRL that openssl accepts,
// survives a restart, and its key cannot be read out of the token.
func TestPKCS11Keys(t *testing.T) {
	tok := softhsmtest.New(t, "openpca-ca")
	dataDir := t.TempDir()
	withHSM := func(c *Config) {
		c.DataDir = dataDir
		c.PKCS11 = &pkcs11key.Config{Module: tok.Module, TokenLabel: tok.Label, PIN: softhsmtest.PIN}
	}
	sig := types.SigningAlgorithmSha256withecdsa
	leafCSR := newCSR(t, newKey(t, types.KeyAlgorithmEcPrime256v1), sig, "leaf.example.test")

	var softArn, hsmArn string
	var softRoot, hsmRoot issued
	t.Run("software CA before the switch", func(t *testing.T) {
		e := newTestEnvWith(t, nil, func(c *Config) { c.DataDir = dataDir })
		softArn, softRoot = bootstrapRootWith(t, e.rootClient(protocols[0].opt), types.KeyAlgorithmEcPrime256v1, sig, nil)
		if h := caKey(t, e, softArn); h.Backend != keys.BackendSoft {
			t.Fatalf("key backend %q", h.Backend)
		}
	})

	t.Run("CA in the token", func(t *testing.T) {
		logs := &lockedBuffer{}
		e := newTestEnvWith(t, logs, withHSM)
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("server log:\n%s", logs.String())
			}
		})
		c := e.rootClient(protocols[1].opt)
		ctx := context.Background()
		hsmArn, hsmRoot = bootstrapRootWith(t, c, types.KeyAlgorithmEcPrime256v1, sig, crlConfig("crl-bucket", types.CrlTypeComplete))
		h := caKey(t, e, hsmArn)
		if h.Backend != keys.BackendPKCS11 || len(h.Wrapped) != 0 {
			t.Fatalf("key handle %+v, want a PKCS#11 key", h)
		}
		if got := describe(t, c, hsmArn).KeyStorageSecurityStandard; got != types.KeyStorageSecurityStandardFips1402Level3OrHigher {
			t.Fatalf("key storage %s", got)
		}

		leaf := issue(t, c, hsmArn, &acmpca.IssueCertificateInput{Csr: leafCSR, SigningAlgorithm: sig})
		opensslVerify(t, hsmRoot.pem, "", leaf.pem)
		if err := revoke(c, hsmArn, colonHex(serialOf(leaf.arn)), types.RevocationReasonKeyCompromise); err != nil {
			t.Fatal(err)
		}
		url := leaf.cert.CRLDistributionPoints[0]
		list, _ := waitRevoked(t, url, serialOf(leaf.arn), 30*time.Second)
		opensslCRLVerify(t, hsmRoot.pem, list.Raw)
		opensslCRLCheck(t, hsmRoot.pem, leaf.pem)

		// The CA key cannot leave the token.
		if priv := tokenObjects(t, tok, "privkey")[h.ID]; len(priv) != 1 || !strings.Contains(priv[0], "never extractable") || !strings.Contains(priv[0], "always sensitive") {
			t.Fatalf("the CA's private key object in the token: %q", priv)
		}
		keyFile := filepath.Join(t.TempDir(), "key")
		out, _ := tok.Tool(t, "--read-object", "--type", "privkey", "--id", h.ID, "--output-file", keyFile)
		if b, _ := os.ReadFile(keyFile); len(b) > 0 {
			t.Fatalf("pkcs11-tool read the private key out of the token:\n%s", out)
		}

		// The software CA from before the switch still signs.
		old := issue(t, c, softArn, &acmpca.IssueCertificateInput{Csr: leafCSR, SigningAlgorithm: sig})
		goVerify(t, softRoot.cert, old.cert)
		if got := describe(t, c, softArn).KeyStorageSecurityStandard; got != types.KeyStorageSecurityStandardFips1402Level3OrHigher {
			t.Fatalf("software CA key storage %s", got)
		}

		// RSA in the token, through the RSA signing path.
		rsaArn, rsaRoot := bootstrapRootWith(t, c, types.KeyAlgorithmRsa2048, types.SigningAlgorithmSha256withrsa, nil)
		rsaLeaf := issue(t, c, rsaArn, &acmpca.IssueCertificateInput{Csr: leafCSR, SigningAlgorithm: types.SigningAlgorithmSha384withrsa})
		opensslVerify(t, rsaRoot.pem, "", rsaLeaf.pem)

		// Key storage: what the token is declared to meet, or refused.
		lvl2, err := c.CreateCertificateAuthority(ctx, &acmpca.CreateCertificateAuthorityInput{CertificateAuthorityType: types.CertificateAuthorityTypeRoot,
			CertificateAuthorityConfiguration: ecConfig("level 2"), KeyStorageSecurityStandard: types.KeyStorageSecurityStandardFips1402Level2OrHigher})
		if err != nil {
			t.Fatal(err)
		}
		if got := describe(t, c, *lvl2.CertificateAuthorityArn).KeyStorageSecurityStandard; got != types.KeyStorageSecurityStandardFips1402Level2OrHigher {
			t.Fatalf("key storage %s, want level 2 as requested", got)
		}
		_, err = c.CreateCertificateAuthority(ctx, &acmpca.CreateCertificateAuthorityInput{CertificateAuthorityType: types.CertificateAuthorityTypeRoot,
			CertificateAuthorityConfiguration: ecConfig("ccpc"), KeyStorageSecurityStandard: types.KeyStorageSecurityStandardCcpcLevel1OrHigher})
		wantAPIError(t, err, "InvalidArgsException", "A certificate authority cannot be created in this region with the specified security standard.")

		// ML-DSA cannot be made in the token: the CA fails, saying why.
		out2, err := c.CreateCertificateAuthority(ctx, &acmpca.CreateCertificateAuthorityInput{CertificateAuthorityType: types.CertificateAuthorityTypeRoot,
			CertificateAuthorityConfiguration: &types.CertificateAuthorityConfiguration{KeyAlgorithm: types.KeyAlgorithmMlDsa65,
				SigningAlgorithm: types.SigningAlgorithmMlDsa65, Subject: &types.ASN1Subject{CommonName: aws.String("pq")}}})
		if err != nil {
			t.Fatal(err)
		}
		waitCreated(t, c, *out2.CertificateAuthorityArn)
		if ca := describe(t, c, *out2.CertificateAuthorityArn); ca.Status != types.CertificateAuthorityStatusFailed || ca.FailureReason != types.FailureReasonUnsupportedAlgorithm {
			t.Fatalf("ML-DSA CA: %s %s", ca.Status, ca.FailureReason)
		}

		if strings.Contains(logs.String(), softhsmtest.PIN) {
			t.Fatal("the server logged the PIN")
		}
	})

	t.Run("restart", func(t *testing.T) {
		e := newTestEnvWith(t, nil, withHSM)
		c := e.rootClient(protocols[0].opt)
		leaf := issue(t, c, hsmArn, &acmpca.IssueCertificateInput{Csr: leafCSR, SigningAlgorithm: sig})
		goVerify(t, hsmRoot.cert, leaf.cert)
		old := issue(t, c, softArn, &acmpca.IssueCertificateInput{Csr: leafCSR, SigningAlgorithm: sig})
		goVerify(t, softRoot.cert, old.cert)
	})

	t.Run("deleted CAs lose their keys", func(t *testing.T) {
		e := newTestEnvWith(t, nil, withHSM)
		c := e.rootClient(protocols[1].opt)
		ctx := context.Background()
		// The key outlives the restoration window's start, not its end.
		arn := create(t, c, &acmpca.CreateCertificateAuthorityInput{CertificateAuthorityConfiguration: ecConfig("doomed")})
		h := caKey(t, e, arn)
		if _, err := c.DeleteCertificateAuthority(ctx, &acmpca.DeleteCertificateAuthorityInput{CertificateAuthorityArn: &arn, PermanentDeletionTimeInDays: aws.Int32(7)}); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(6 * 24 * time.Hour)
		if _, err := e.srv.domain.PurgeExpiredDeletions(ctx); err != nil || len(tokenObjects(t, tok, "privkey")[h.ID]) != 1 {
			t.Fatalf("the key of a CA that can still be restored is gone (purge: %v)", err)
		}
		e.clock.Advance(24*time.Hour + time.Minute)
		if n, err := e.srv.domain.PurgeExpiredDeletions(ctx); err != nil || n != 1 {
			t.Fatalf("sweeper purged %d (%v), want 1", n, err)
		}
		for _, typ := range []string{"privkey", "pubkey"} {
			if left := tokenObjects(t, tok, typ)[h.ID]; len(left) != 0 {
				t.Fatalf("the purged CA's %s is still in the token: %q", typ, left)
			}
		}

		// A CA deleted while its key is being made leaves no key behind.
		before := len(tokenObjects(t, tok, "privkey"))
		out, err := c.CreateCertificateAuthority(ctx, &acmpca.CreateCertificateAuthorityInput{CertificateAuthorityType: types.CertificateAuthorityTypeRoot,
			CertificateAuthorityConfiguration: &types.CertificateAuthorityConfiguration{KeyAlgorithm: types.KeyAlgorithmRsa4096,
				SigningAlgorithm: types.SigningAlgorithmSha256withrsa, Subject: &types.ASN1Subject{CommonName: aws.String("short-lived")}}})
		if err != nil {
			t.Fatal(err)
		}
		if describe(t, c, *out.CertificateAuthorityArn).Status != types.CertificateAuthorityStatusCreating {
			t.Skip("the RSA-4096 key was made before the CA could be deleted while CREATING")
		}
		if _, err := c.DeleteCertificateAuthority(ctx, &acmpca.DeleteCertificateAuthorityInput{CertificateAuthorityArn: out.CertificateAuthorityArn}); err != nil {
			t.Fatal(err)
		}
		e.srv.domain.Wait()
		_, err = c.DescribeCertificateAuthority(ctx, &acmpca.DescribeCertificateAuthorityInput{CertificateAuthorityArn: out.CertificateAuthorityArn})
		wantTyped[*types.ResourceNotFoundException](t, err)
		if after := len(tokenObjects(t, tok, "privkey")); after != before {
			t.Fatalf("%d private keys in the token after the deleted CA's key was made, want %d", after, before)
		}
	})
}

// tokenObjects lists the token's objects of one type ("privkey",
// "pubkey") as pkcs11-tool describes them, by key id.
func tokenObjects(t *testing.T, tok softhsmtest.Token, typ string) map[string][]string {
	t.Helper()
	out, err := tok.Tool(t, "--list-objects", "--type", typ)
	if err != nil {
		t.Fatalf("pkcs11-tool --list-objects: %v\n%s", err, out)
	}
	// Each object starts with an unindented line, e.g. "Private Key Object; EC".
	var blocks []string
	for _, line := range strings.Split(out, "\n") {
		if line != "" && line[0] != ' ' && line[0] != '\t' || len(blocks) == 0 {
			blocks = append(blocks, "")
		}
		blocks[len(blocks)-1] += line + "\n"
	}
	objects := map[string][]string{}
	id := regexp.MustCompile(`(?m)^\s*ID:\s*([0-9a-f]+)\s*$`)
	for _, b := range blocks {
		if m := id.FindStringSubmatch(b); m != nil {
			objects[m[1]] = append(objects[m[1]], b)
		}
	}
	return objects
}

// opensslCRLVerify has openssl check the CRL's signature with the root.
func opensslCRLVerify(t *testing.T, root string, der []byte) {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "root.pem"), []byte(root+"\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "crl.der"), der, 0o600)
	out, err := exec.Command("openssl", "crl", "-inform", "DER", "-in", filepath.Join(dir, "crl.der"), "-CAfile", filepath.Join(dir, "root.pem"), "-noout").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "verify OK") {
		t.Fatalf("openssl crl -CAfile: %v\n%s", err, out)
	}
}
