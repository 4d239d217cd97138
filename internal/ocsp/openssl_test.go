package ocsp

import (
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// wantLines fails unless out contains every want and none of the refused.
func wantLines(t *testing.T, out string, want, refused []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("openssl output lacks %q:\n%s", w, out)
		}
	}
	for _, r := range refused {
		if strings.Contains(out, r) {
			t.Errorf("openssl output has %q:\n%s", r, out)
		}
	}
}

// TestOpenSSL has the openssl ocsp client query the responder for an ECDSA
// CA over HTTP and verify the response: signature by the CA key, status,
// and the nonce it sent.
func TestOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	ca := newCA(t, "openssl", x509util.SHA256WithECDSA)
	e := newEnv(t, Config{}, ca)
	// OpenSSL checks thisUpdate against the real clock.
	e.r.now = time.Now
	leaf := ca.leaf(t, new(big.Int).SetBytes([]byte{0xe8, 0xcb, 0xd2, 0xbe, 0xdb, 0x12, 0x23, 0x29, 0xf9, 0x77, 0x06, 0xbc, 0xfe, 0xc9, 0x90, 0xf8}))
	e.b.issue(ca, leaf.SerialNumber)

	dir := t.TempDir()
	caFile, leafFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "leaf.pem")
	if err := os.WriteFile(caFile, ca.pem, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(leafFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	// The response carries no certificate: OpenSSL finds the CA's key from
	// -issuer, by the byKey ResponderID.
	query := []string{"ocsp", "-issuer", caFile, "-cert", leafFile, "-url", e.srv.URL + "/ocsp", "-resp_text", "-nonce"}
	nonceProblems := []string{"WARNING: no nonce in response", "Nonce Verify error"}

	t.Run("good by POST with a nonce", func(t *testing.T) {
		out := openssl(t, query...)
		wantLines(t, out, []string{"Response verify OK", leafFile + ": good", "OCSP Nonce:", "Responder Id: "}, nonceProblems)
	})

	t.Run("revoked at once after Revoked", func(t *testing.T) {
		e.b.revoke(ca, leaf.SerialNumber, time.Now().Add(-time.Minute), 1)
		e.r.Revoked(ca.id, leaf.SerialNumber.Text(16))
		out := openssl(t, query...)
		wantLines(t, out, []string{"Response verify OK", leafFile + ": revoked", "Reason: keyCompromise", "Revocation Time:"}, nonceProblems)
	})

	t.Run("GET", func(t *testing.T) {
		// openssl ocsp only POSTs: it writes the request, which is sent by
		// GET here, and then checks the response against that request.
		reqFile, respFile := filepath.Join(dir, "req.der"), filepath.Join(dir, "resp.der")
		openssl(t, "ocsp", "-issuer", caFile, "-cert", leafFile, "-nonce", "-reqout", reqFile)
		der, err := os.ReadFile(reqFile)
		if err != nil {
			t.Fatal(err)
		}
		resp, body := e.getPath(t, "/ocsp/"+url.PathEscape(base64.StdEncoding.EncodeToString(der)), nil)
		if resp.StatusCode != 200 {
			t.Fatalf("HTTP %d", resp.StatusCode)
		}
		if err := os.WriteFile(respFile, body, 0o600); err != nil {
			t.Fatal(err)
		}
		// Without -issuer, OpenSSL is told where to find the signer
		// (-verify_other) and what to trust (-CAfile).
		out := openssl(t, "ocsp", "-reqin", reqFile, "-respin", respFile, "-CAfile", caFile, "-verify_other", caFile, "-resp_text")
		wantLines(t, out, []string{"Response verify OK", "Cert Status: revoked", "OCSP Nonce:"}, nonceProblems)
	})

	t.Run("GET without a nonce is cacheable", func(t *testing.T) {
		reqFile := filepath.Join(dir, "req-no-nonce.der")
		openssl(t, "ocsp", "-issuer", caFile, "-cert", leafFile, "-no_nonce", "-reqout", reqFile)
		der, err := os.ReadFile(reqFile)
		if err != nil {
			t.Fatal(err)
		}
		resp, _ := e.get(t, der)
		if cc := resp.Header.Get("Cache-Control"); !strings.HasPrefix(cc, "max-age=") {
			t.Errorf("Cache-Control %q", cc)
		}
	})
}
