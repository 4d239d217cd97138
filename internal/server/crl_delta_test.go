package server

import (
	"bytes"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"
)

var (
	oidFreshestCRL       = asn1.ObjectIdentifier{2, 5, 29, 46}
	oidDeltaCRLIndicator = asn1.ObjectIdentifier{2, 5, 29, 27}
)

// With delta CRLs on, the complete CRL names its delta (Freshest CRL) and
// is rebuilt on its own cadence; each revocation republishes only the
// delta, which lists what changed since the complete CRL, names it
// (critical Delta CRL Indicator) and is numbered above it. Certificates
// name the delta too, and openssl and Python's cryptography read the pair.
func TestDeltaCRLs(t *testing.T) {
	e := newTestEnvWith(t, nil, func(c *Config) { c.DeltaCRLs, c.DeltaCRLBase = true, time.Hour })
	c := e.rootClient(protocols[0].opt)
	caArn, root := bootstrapRootWithCRL(t, c, crlConfig("crl-bucket", ""))
	caID := caArn[strings.LastIndex(caArn, "/")+1:]
	sig := types.SigningAlgorithmSha256withecdsa
	csr := newCSR(t, newKey(t, types.KeyAlgorithmEcPrime256v1), sig, "delta.example.test")
	first := issue(t, c, caArn, &acmpca.IssueCertificateInput{Csr: csr, SigningAlgorithm: sig})
	second := issue(t, c, caArn, &acmpca.IssueCertificateInput{Csr: csr, SigningAlgorithm: sig})
	baseURL := e.srv.cfg.PublicURL + "/crl-bucket/crl/" + caID + ".crl"
	deltaURL := e.srv.cfg.PublicURL + "/crl-bucket/crl/" + caID + "-delta.crl"
	var freshest []byte
	for _, ext := range first.cert.Extensions {
		if ext.Id.Equal(oidFreshestCRL) {
			freshest = ext.Value
		}
	}
	if !bytes.Contains(freshest, []byte(deltaURL)) {
		t.Fatalf("the certificate's Freshest CRL extension %x does not name %s", freshest, deltaURL)
	}

	if err := revoke(c, caArn, serialOf(first.arn), types.RevocationReasonKeyCompromise); err != nil {
		t.Fatal(err)
	}
	base, _ := waitRevoked(t, baseURL, serialOf(first.arn), 10*time.Second)
	var baseFreshest []byte
	for _, ext := range base.Extensions {
		if ext.Id.Equal(oidFreshestCRL) {
			baseFreshest = ext.Value
		}
	}
	if !bytes.Contains(baseFreshest, []byte(deltaURL)) {
		t.Fatalf("the complete CRL's Freshest CRL extension %x does not name %s", baseFreshest, deltaURL)
	}

	if err := revoke(c, caArn, serialOf(second.arn), types.RevocationReasonSuperseded); err != nil {
		t.Fatal(err)
	}
	delta, took := waitRevoked(t, deltaURL, serialOf(second.arn), 10*time.Second)
	t.Logf("the second revocation reached the delta CRL in %v", took)
	if len(delta.RevokedCertificateEntries) != 1 {
		t.Fatalf("the delta lists %d certificates, want only the one revoked since the complete CRL", len(delta.RevokedCertificateEntries))
	}
	var indicator *big.Int
	for _, ext := range delta.Extensions {
		if ext.Id.Equal(oidDeltaCRLIndicator) {
			if !ext.Critical {
				t.Fatal("the Delta CRL Indicator is not critical")
			}
			indicator = new(big.Int)
			if _, err := asn1.Unmarshal(ext.Value, &indicator); err != nil {
				t.Fatal(err)
			}
		}
	}
	if indicator == nil || indicator.Cmp(base.Number) != 0 || delta.Number.Cmp(base.Number) <= 0 {
		t.Fatalf("delta CRL %v names base %v; the complete CRL is %v", delta.Number, indicator, base.Number)
	}
	if err := delta.CheckSignatureFrom(root.cert); err != nil {
		t.Fatal(err)
	}
	if now, _ := fetchCRL(t, baseURL); now.Number.Cmp(base.Number) != 0 {
		t.Fatalf("the complete CRL was rebuilt (%v, was %v) although the delta carries the change", now.Number, base.Number)
	}

	// openssl combines the complete CRL and the delta; Python's
	// cryptography reads the delta as one. (Without -extended_crl, openssl
	// may take the newer delta for the complete CRL.)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	crlPEM := func(der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}) }
	rootFile := write("root.pem", []byte(root.pem+"\n"))
	baseFile, deltaFile := write("base.pem", crlPEM(base.Raw)), write("delta.pem", crlPEM(delta.Raw))
	for _, leaf := range []issued{first, second} {
		leafFile := write("leaf.pem", []byte(leaf.pem+"\n"))
		out, err := exec.Command("openssl", "verify", "-crl_check", "-extended_crl", "-use_deltas", "-CAfile", rootFile,
			"-CRLfile", baseFile, "-CRLfile", deltaFile, leafFile).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "certificate revoked") {
			t.Fatalf("openssl verify -use_deltas of %s: %v\n%s", serialOf(leaf.arn), err, out)
		}
	}
	py := `
import sys
from cryptography import x509
base = x509.load_pem_x509_crl(open(sys.argv[1], "rb").read())
delta = x509.load_pem_x509_crl(open(sys.argv[2], "rb").read())
ind = delta.extensions.get_extension_for_class(x509.DeltaCRLIndicator)
assert ind.critical and ind.value.crl_number == base.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
assert base.extensions.get_extension_for_class(x509.FreshestCRL)
assert delta.get_revoked_certificate_by_serial_number(int(sys.argv[3], 16)) is not None
assert base.get_revoked_certificate_by_serial_number(int(sys.argv[3], 16)) is None
`
	if out, err := exec.Command("python3", "-c", py, baseFile, deltaFile, serialOf(second.arn)).CombinedOutput(); err != nil {
		t.Fatalf("cryptography on the complete and delta CRLs: %v\n%s", err, out)
	}
}
