package issuance

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"
)

// testNow is the fixed issuance time of the tests.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func keyID(t testing.TB, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		t.Fatal(err)
	}
	sum := sha1.Sum(spki.PublicKey.Bytes)
	return sum[:]
}

// newCSR returns a parsed CSR for key with the given subject, DNS names and
// extra requested extensions.
func newCSR(t testing.TB, key crypto.Signer, subject pkix.Name, dns []string, exts ...pkix.Extension) *x509.CertificateRequest {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: subject, DNSNames: dns, ExtraExtensions: exts,
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		t.Fatal(err)
	}
	return csr
}

func mustTemplate(t testing.TB, name string) *Template {
	t.Helper()
	tpl, err := LookupTemplate("arn:aws:acm-pca:::template/" + name + "/V1")
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// ca is an issuing CA for tests.
type ca struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// newRoot self-issues a root CA with the given template.
func newRoot(t testing.TB, template string) ca {
	t.Helper()
	key := newKey(t)
	csr := newCSR(t, key, pkix.Name{CommonName: "Test Root", Organization: []string{"openpca"}}, nil)
	tpl, err := Build(Request{
		Template:     mustTemplate(t, template),
		CSR:          csr,
		SubjectKeyID: keyID(t, key.Public()),
		SerialNumber: big.NewInt(1),
		NotBefore:    testNow.Add(-time.Hour),
		NotAfter:     testNow.AddDate(10, 0, 0),
		Passthrough: &Passthrough{Extensions: &Extensions{
			// Used only by Blank root templates.
			KeyUsage: &KeyUsage{DigitalSignature: true, KeyCertSign: true, CRLSign: true},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return ca{cert: cert, key: key}
}

// sign signs tpl with issuer (nil: self-signed with key) and parses the result.
func sign(t testing.TB, tpl *x509.Certificate, issuer *ca, key *ecdsa.PrivateKey) ([]byte, *x509.Certificate) {
	t.Helper()
	parent, signer := tpl, key
	if issuer != nil {
		parent, signer = issuer.cert, issuer.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, parent, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return der, cert
}

func ext(cert *x509.Certificate, oid asn1.ObjectIdentifier) *pkix.Extension {
	for i := range cert.Extensions {
		if cert.Extensions[i].Id.Equal(oid) {
			return &cert.Extensions[i]
		}
	}
	return nil
}

func mustDER(t testing.TB, v any) []byte {
	t.Helper()
	der, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
