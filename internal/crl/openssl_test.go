package crl

import (
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openpca/openpca/internal/x509util"
)

func openssl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("openssl", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestOpenSSL has OpenSSL parse every CRL, and verify the signature where
// it knows the algorithm (OpenSSL 3.0 predates ML-DSA, which it parses as
// an unknown algorithm).
func TestOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	dir := t.TempDir()
	for _, alg := range x509util.SigningAlgorithms() {
		t.Run(alg, func(t *testing.T) {
			ca := newCA(t, alg)
			tmpl := template(ca, testNow, "http://crl.example.com/crl/partition-1.crl")
			der := create(t, ca, tmpl, sampleEntries(testNow))
			crlFile := filepath.Join(dir, alg+".crl")
			caFile := filepath.Join(dir, alg+".pem")
			if err := os.WriteFile(crlFile, der, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}), 0o600); err != nil {
				t.Fatal(err)
			}
			text := openssl(t, "crl", "-inform", "DER", "-in", crlFile, "-noout", "-text")
			for _, want := range []string{
				"Certificate Revocation List (CRL):",
				"Version 2 (0x1)",
				"X509v3 Authority Key Identifier",
				"X509v3 CRL Number",
				"X509v3 Issuing Distribution Point: critical",
				"URI:http://crl.example.com/crl/partition-1.crl",
				"Serial Number: E8CBD2BEDB122329F97706BCFEC990F8",
				"Serial Number: 0B17",
				"Key Compromise",
				"CA Compromise",
				"Certificate Hold",
				"Privilege Withdrawn",
				"AA Compromise",
			} {
				if !strings.Contains(text, want) {
					t.Errorf("openssl -text output lacks %q:\n%s", want, text)
				}
			}
			if strings.HasPrefix(alg, "ML_DSA") {
				return
			}
			if out := openssl(t, "crl", "-inform", "DER", "-in", crlFile, "-CAfile", caFile, "-noout"); !strings.Contains(out, "verify OK") {
				t.Errorf("openssl crl -CAfile: %s", out)
			}
			// A flipped signature bit fails verification.
			bad := append([]byte(nil), der...)
			bad[len(bad)-1] ^= 1
			if err := os.WriteFile(crlFile, bad, 0o600); err != nil {
				t.Fatal(err)
			}
			out, _ := exec.Command("openssl", "crl", "-inform", "DER", "-in", crlFile, "-CAfile", caFile, "-noout").CombinedOutput()
			if strings.Contains(string(out), "verify OK") {
				t.Errorf("openssl verified a corrupted CRL: %s", out)
			}
		})
	}
}
