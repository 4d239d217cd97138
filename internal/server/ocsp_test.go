package server

import (
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"
	xocsp "golang.org/x/crypto/ocsp"

	"github.com/openpca/openpca/internal/pca"
	"github.com/openpca/openpca/internal/store/postgres/pgtest"
)

// openssl ocsp against the URL in a certificate's AIA: good, then revoked
// within a second of the 200, with a nonce; GET works too; a made-up serial
// is never good.
func TestOCSPWithOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed")
	}
	e := newTestEnv(t)
	c := e.rootClient(protocols[0].opt)
	rc := crlConfig("crl-bucket", "")
	rc.OcspConfiguration = &types.OcspConfiguration{Enabled: aws.Bool(true)}
	caArn, root := bootstrapRootWithCRL(t, c, rc)
	sig := types.SigningAlgorithmSha256withecdsa
	leaf := issue(t, c, caArn, &acmpca.IssueCertificateInput{Csr: newCSR(t, newKey(t, types.KeyAlgorithmEcPrime256v1), sig, "ocsp.example.test"), SigningAlgorithm: sig})
	if len(leaf.cert.OCSPServer) != 1 || leaf.cert.OCSPServer[0] != e.srv.cfg.PublicURL+"/ocsp" {
		t.Fatalf("AIA OCSP %v", leaf.cert.OCSPServer)
	}
	responder := leaf.cert.OCSPServer[0]
	dir := t.TempDir()
	caFile, leafFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "leaf.pem")
	os.WriteFile(caFile, []byte(root.pem+"\n"), 0o600)
	os.WriteFile(leafFile, []byte(leaf.pem+"\n"), 0o600)
	ask := func(args ...string) string {
		out, err := exec.Command("openssl", append([]string{"ocsp", "-issuer", caFile, "-CAfile", caFile, "-url", responder, "-nonce"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("openssl ocsp: %v\n%s", err, out)
		}
		return string(out)
	}
	if out := ask("-cert", leafFile); !strings.Contains(out, ": good") || !strings.Contains(out, "Response verify OK") || strings.Contains(out, "WARNING") {
		t.Fatalf("before revocation:\n%s", out)
	}
	if out := ask("-serial", "0x0123456789abcdef"); strings.Contains(out, ": good") {
		t.Fatalf("a made-up serial is good:\n%s", out)
	}
	called := e.clock.Now()
	if err := revoke(c, caArn, serialOf(leaf.arn), types.RevocationReasonKeyCompromise); err != nil {
		t.Fatal(err)
	}
	revokedAt := time.Now()
	answered := e.clock.Now()
	if out := ask("-cert", leafFile); !strings.Contains(out, ": revoked") || !strings.Contains(out, "keyCompromise") {
		t.Fatalf("right after revocation:\n%s", out)
	}
	t.Logf("openssl saw the revocation %v after the 200", time.Since(revokedAt).Round(time.Millisecond))

	// RFC 5019 GET.
	req, err := xocsp.CreateRequest(leaf.cert, root.cert, &xocsp.RequestOptions{Hash: crypto.SHA1})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(responder + "/" + url.PathEscape(base64.StdEncoding.EncodeToString(req)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	parsed, err := xocsp.ParseResponseForCert(body, leaf.cert, root.cert)
	if err != nil || parsed.Status != xocsp.Revoked || parsed.RevocationReason != xocsp.KeyCompromise || !strings.Contains(resp.Header.Get("Cache-Control"), "max-age") {
		t.Fatalf("GET: %v %+v %q", err, parsed, resp.Header.Get("Cache-Control"))
	}
	// revocationTime is when RevokeCertificate ran (GeneralizedTime, whole seconds).
	if parsed.RevokedAt.Before(called.Truncate(time.Second)) || parsed.RevokedAt.After(answered) {
		t.Fatalf("revocationTime %v, want the time of the RevokeCertificate call, between %v and %v", parsed.RevokedAt, called, answered)
	}

	// A DISABLED CA keeps answering.
	if _, err := c.UpdateCertificateAuthority(t.Context(), &acmpca.UpdateCertificateAuthorityInput{CertificateAuthorityArn: &caArn, Status: types.CertificateAuthorityStatusDisabled}); err != nil {
		t.Fatal(err)
	}
	if out := ask("-cert", leafFile); !strings.Contains(out, ": revoked") {
		t.Fatalf("DISABLED CA:\n%s", out)
	}
}

// askOCSP sends an RFC 5019 GET for cert to the responder in its AIA.
func askOCSP(t *testing.T, cert, issuer *x509.Certificate) (*xocsp.Response, error) {
	t.Helper()
	req, err := xocsp.CreateRequest(cert, issuer, &xocsp.RequestOptions{Hash: crypto.SHA1})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(cert.OCSPServer[0] + "/" + url.PathEscape(base64.StdEncoding.EncodeToString(req)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return xocsp.ParseResponseForCert(body, cert, issuer)
}

// Once a CA has expired or is deleted, OCSP no longer answers for it with a
// signed status: its certificates get "unauthorized".
func TestOCSPExpiredAndDeletedCA(t *testing.T) {
	e := newTestEnv(t)
	c := e.rootClient(protocols[0].opt)
	sig := types.SigningAlgorithmSha256withecdsa
	rc := &types.RevocationConfiguration{OcspConfiguration: &types.OcspConfiguration{Enabled: aws.Bool(true)}}
	good := func() (string, *x509.Certificate, *x509.Certificate) {
		caArn, root := bootstrapRootWithCRL(t, c, rc)
		leaf := issue(t, c, caArn, &acmpca.IssueCertificateInput{Csr: newCSR(t, newKey(t, types.KeyAlgorithmEcPrime256v1), sig, "ocsp.example.test"), SigningAlgorithm: sig})
		if r, err := askOCSP(t, leaf.cert, root.cert); err != nil || r.Status != xocsp.Good {
			t.Fatalf("before: %v %v", r, err)
		}
		return caArn, leaf.cert, root.cert
	}
	unauthorized := func(leaf, root *x509.Certificate) bool {
		_, err := askOCSP(t, leaf, root)
		var re xocsp.ResponseError
		return errors.As(err, &re) && re.Status == xocsp.Unauthorized
	}

	expired, expiredLeaf, expiredRoot := good()
	setStatus(t, e, expired, pca.StatusActive, e.clock.Now().Add(time.Hour))
	e.clock.Advance(2 * time.Hour)
	start := time.Now()
	waitFor(t, 30*time.Second, func() bool { return unauthorized(expiredLeaf, expiredRoot) })
	t.Logf("an expired CA stopped answering after %v", time.Since(start).Round(time.Millisecond))

	deleted, deletedLeaf, deletedRoot := good()
	for _, step := range []func() error{
		func() error {
			_, err := c.UpdateCertificateAuthority(t.Context(), &acmpca.UpdateCertificateAuthorityInput{CertificateAuthorityArn: &deleted, Status: types.CertificateAuthorityStatusDisabled})
			return err
		},
		func() error {
			_, err := c.DeleteCertificateAuthority(t.Context(), &acmpca.DeleteCertificateAuthorityInput{CertificateAuthorityArn: &deleted})
			return err
		},
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if !unauthorized(deletedLeaf, deletedRoot) {
		t.Fatal("a DELETED CA still answers")
	}
}

// Two nodes share PostgreSQL: a revocation made on one reaches the other's
// OCSP answers, which it had cached as good, within a couple of seconds.
func TestOCSPAcrossNodes(t *testing.T) {
	dbURL := pgtest.URL(t)
	shared := func(c *Config) {
		c.DatabaseURL, c.MasterKey = dbURL, testMasterKey
		c.AccessKeyID, c.SecretAccessKey = "OPCANODESTESTKEY0001", "nodes-test-secret-0123456789"
	}
	a, b := newTestEnvWith(t, nil, shared), newTestEnvWith(t, nil, shared)
	caArn, leaf, ocspStatus := ocspLeaf(t, a.rootClient(protocols[0].opt), "nodes.example.test")
	status := func() int { return ocspStatus(a.ts.URL) }
	if got := status(); got != xocsp.Good {
		t.Fatalf("before revocation node A answers %d", got)
	}
	if err := revoke(b.rootClient(protocols[1].opt), caArn, serialOf(leaf.arn), types.RevocationReasonKeyCompromise); err != nil {
		t.Fatal(err)
	}
	revokedAt := time.Now()
	waitFor(t, 5*time.Second, func() bool { return status() == xocsp.Revoked })
	t.Logf("node A answered revoked %v after node B's 200", time.Since(revokedAt).Round(time.Millisecond))
}

// A node's own revocation changes its cached OCSP answers at once: a
// request without a nonce (which any cache may answer) says revoked
// straight after RevokeCertificate's 200.
func TestOCSPCachedAnswerRevokedAtOnce(t *testing.T) {
	e := newTestEnv(t)
	c := e.rootClient(protocols[0].opt)
	caArn, leaf, ocspStatus := ocspLeaf(t, c, "cache.example.test")
	status := func() int { return ocspStatus(e.ts.URL) }
	for range 2 { // the second answer comes from the cache
		if got := status(); got != xocsp.Good {
			t.Fatalf("before revocation: status %d", got)
		}
	}
	if err := revoke(c, caArn, serialOf(leaf.arn), types.RevocationReasonKeyCompromise); err != nil {
		t.Fatal(err)
	}
	if got := status(); got != xocsp.Revoked {
		t.Fatalf("straight after the revocation: status %d, want revoked", got)
	}
}

// ocspLeaf makes a root CA with OCSP on and a leaf for cn, and returns
// them with a function asking the server at a base URL for the leaf's
// OCSP status.
func ocspLeaf(t *testing.T, c *acmpca.Client, cn string) (string, issued, func(base string) int) {
	t.Helper()
	rc := crlConfig("crl-bucket", "")
	rc.OcspConfiguration = &types.OcspConfiguration{Enabled: aws.Bool(true)}
	caArn, root := bootstrapRootWithCRL(t, c, rc)
	sig := types.SigningAlgorithmSha256withecdsa
	leaf := issue(t, c, caArn, &acmpca.IssueCertificateInput{Csr: newCSR(t, newKey(t, types.KeyAlgorithmEcPrime256v1), sig, cn), SigningAlgorithm: sig})
	req, err := xocsp.CreateRequest(leaf.cert, root.cert, &xocsp.RequestOptions{Hash: crypto.SHA1})
	if err != nil {
		t.Fatal(err)
	}
	return caArn, leaf, func(base string) int { return ocspGETStatus(t, base, req, leaf.cert, root.cert) }
}

// ocspGETStatus sends an OCSP request by GET, as caches like it, and
// returns the certificate status of the answer.
func ocspGETStatus(t *testing.T, base string, req []byte, cert, issuer *x509.Certificate) int {
	t.Helper()
	resp, err := http.Get(base + "/ocsp/" + url.PathEscape(base64.StdEncoding.EncodeToString(req)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	parsed, err := xocsp.ParseResponseForCert(body, cert, issuer)
	if err != nil {
		t.Fatal(err)
	}
	return parsed.Status
}
