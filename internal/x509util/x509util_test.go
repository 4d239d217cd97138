package x509util

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/url"
	"testing"
	"time"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"
	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/cloudflare/circl/sign/mldsa/mldsa87"

	"github.com/openpca/openpca/internal/keys"
)

// Certificates are dated, and chains verified, against this fixed instant.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// leafKeyAlgorithms are the subject keys every CA signs in tests.
var leafKeyAlgorithms = []string{keys.MLDSA65, keys.ECPrime256v1, keys.RSA2048}

func newKey(t testing.TB, alg string) crypto.Signer {
	t.Helper()
	var (
		k   crypto.Signer
		err error
	)
	switch alg {
	case keys.RSA2048:
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case keys.RSA3072:
		k, err = rsa.GenerateKey(rand.Reader, 3072)
	case keys.RSA4096:
		k, err = rsa.GenerateKey(rand.Reader, 4096)
	case keys.ECPrime256v1:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case keys.ECSecp384r1:
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case keys.ECSecp521r1:
		k, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case keys.MLDSA44:
		_, k, err = mldsa44.GenerateKey(rand.Reader)
	case keys.MLDSA65:
		_, k, err = mldsa65.GenerateKey(rand.Reader)
	case keys.MLDSA87:
		_, k, err = mldsa87.GenerateKey(rand.Reader)
	default:
		t.Fatalf("no test key for %s", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newKeys returns one key per algorithm; RSA-4096 generation is slow, so
// tests share them.
func newKeys(t testing.TB, algs []string) map[string]crypto.Signer {
	out := map[string]crypto.Signer{}
	for _, alg := range algs {
		out[alg] = newKey(t, alg)
	}
	return out
}

func rootTemplate(name string) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber:          big.NewInt(1000),
		Subject:               pkix.Name{CommonName: name + " root", Organization: []string{"openpca test"}},
		NotBefore:             testNow.Add(-time.Hour),
		NotAfter:              testNow.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
}

func leafTemplate(name string) *x509.Certificate {
	u, _ := url.Parse("spiffe://example.test/" + name)
	return &x509.Certificate{
		SerialNumber:          big.NewInt(424242),
		Subject:               pkix.Name{CommonName: name + ".example.test"},
		DNSNames:              []string{name + ".example.test"},
		URIs:                  []*url.URL{u},
		NotBefore:             testNow.Add(-time.Hour),
		NotAfter:              testNow.AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		CRLDistributionPoints: []string{"http://crl.example.test/ca.crl"},
	}
}

type chain struct {
	name          string
	root, leaf    *x509.Certificate
	caKey, subKey crypto.Signer
	sigAlg        string
}

// issueChain creates a self-signed CA with caKey and a leaf for subKey.
func issueChain(t *testing.T, name string, caKey, subKey crypto.Signer, sigAlg string) chain {
	t.Helper()
	rootTmpl := rootTemplate(name)
	rootDER, err := CreateCertificate(rand.Reader, rootTmpl, rootTmpl, caKey.Public(), caKey, sigAlg)
	if err != nil {
		t.Fatalf("root: %v", err)
	}
	root, err := x509.ParseCertificate(rootDER)
	if err != nil {
		t.Fatalf("parse root: %v", err)
	}
	leafDER, err := CreateCertificate(rand.Reader, leafTemplate(name), root, subKey.Public(), caKey, sigAlg)
	if err != nil {
		t.Fatalf("leaf: %v", err)
	}
	leaf, err := x509.ParseCertificate(leafDER)
	if err != nil {
		t.Fatalf("parse leaf: %v", err)
	}
	return chain{name: name, root: root, leaf: leaf, caKey: caKey, subKey: subKey, sigAlg: sigAlg}
}

func TestCreateCertificate(t *testing.T) {
	caKeys := newKeys(t, keys.Algorithms())
	leafKeys := newKeys(t, leafKeyAlgorithms)
	for _, caAlg := range keys.Algorithms() {
		for _, sigAlg := range SigningAlgorithms() {
			if !SigningAlgorithmFamilyMatches(caAlg, sigAlg) {
				continue
			}
			for _, leafAlg := range leafKeyAlgorithms {
				t.Run(caAlg+"/"+sigAlg+"/leaf_"+leafAlg, func(t *testing.T) {
					c := issueChain(t, "test", caKeys[caAlg], leafKeys[leafAlg], sigAlg)
					checkChain(t, c)
				})
			}
		}
	}
}

func checkChain(t *testing.T, c chain) {
	t.Helper()
	for _, tc := range []struct {
		name string
		cert *x509.Certificate
		key  crypto.Signer
		aki  []byte
	}{
		{"root", c.root, c.caKey, nil},
		{"leaf", c.leaf, c.subKey, c.root.SubjectKeyId},
	} {
		pub, err := PublicKey(tc.cert)
		if err != nil {
			t.Fatalf("%s: PublicKey: %v", tc.name, err)
		}
		if !tc.key.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(pub) {
			t.Fatalf("%s: certificate carries the wrong public key", tc.name)
		}
		_, bits, err := marshalPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		if want := sha1.Sum(bits); !bytes.Equal(tc.cert.SubjectKeyId, want[:]) {
			t.Fatalf("%s: SubjectKeyId %x, want SHA-1 of the real key %x", tc.name, tc.cert.SubjectKeyId, want)
		}
		if id, err := SubjectKeyID(pub); err != nil || !bytes.Equal(id, tc.cert.SubjectKeyId) {
			t.Fatalf("%s: SubjectKeyID = %x, %v; want %x", tc.name, id, err, tc.cert.SubjectKeyId)
		}
		if !bytes.Equal(tc.cert.AuthorityKeyId, tc.aki) {
			t.Fatalf("%s: AuthorityKeyId %x, want %x", tc.name, tc.cert.AuthorityKeyId, tc.aki)
		}
	}
	if c.leaf.Subject.CommonName != c.name+".example.test" || c.leaf.SerialNumber.Int64() != 424242 ||
		len(c.leaf.ExtKeyUsage) != 2 || len(c.leaf.URIs) != 1 || c.leaf.IsCA {
		t.Fatalf("leaf lost template fields: %+v", c.leaf)
	}
	if !bytes.Equal(c.leaf.RawIssuer, c.root.RawSubject) {
		t.Fatal("leaf issuer is not the root's subject")
	}
	if err := CheckSignatureFrom(c.root, c.root); err != nil {
		t.Fatalf("root self-signature: %v", err)
	}
	if err := CheckSignatureFrom(c.leaf, c.root); err != nil {
		t.Fatalf("leaf signature: %v", err)
	}

	alg, _ := lookupSigningAlgorithm(c.sigAlg)
	if !alg.isMLDSA() {
		// crypto/x509 must agree on its own, ML-DSA subject keys included.
		if err := c.leaf.CheckSignatureFrom(c.root); err != nil {
			t.Fatalf("stdlib leaf signature: %v", err)
		}
		roots := x509.NewCertPool()
		roots.AddCert(c.root)
		if _, err := c.leaf.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: testNow, DNSName: c.leaf.DNSNames[0]}); err != nil {
			t.Fatalf("stdlib chain: %v", err)
		}
	}

	tampered := *c.leaf
	tampered.Signature = bytes.Clone(c.leaf.Signature)
	tampered.Signature[len(tampered.Signature)/2] ^= 0x01
	if err := CheckSignatureFrom(&tampered, c.root); err == nil {
		t.Fatal("tampered leaf signature verified")
	}
	if err := CheckSignatureFrom(c.leaf, c.leaf); err == nil {
		t.Fatal("a non-CA leaf was accepted as issuer")
	}
}

func TestCreateCertificateRefuses(t *testing.T) {
	ec := newKey(t, keys.ECPrime256v1)
	ml := newKey(t, keys.MLDSA44)
	other := newKey(t, keys.MLDSA44)
	tmpl := rootTemplate("refuse")
	mlRootDER, err := CreateCertificate(rand.Reader, tmpl, tmpl, ml.Public(), ml, MLDSA44)
	if err != nil {
		t.Fatal(err)
	}
	mlRoot, err := x509.ParseCertificate(mlRootDER)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		parent *x509.Certificate
		pub    crypto.PublicKey
		signer crypto.Signer
		sigAlg string
	}{
		{"unknown signing algorithm", tmpl, ec.Public(), ec, "SHA1WITHRSA"},
		{"RSA algorithm with EC key", tmpl, ec.Public(), ec, SHA256WithRSA},
		{"ECDSA algorithm with ML-DSA key", tmpl, ml.Public(), ml, SHA256WithECDSA},
		{"ML-DSA-65 with ML-DSA-44 key", tmpl, ml.Public(), ml, MLDSA65},
		{"signer is not the ML-DSA parent", mlRoot, ec.Public(), other, MLDSA44},
		{"nil public key", tmpl, nil, ec, SHA256WithECDSA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := CreateCertificate(rand.Reader, leafTemplate("x"), tt.parent, tt.pub, tt.signer, tt.sigAlg); err == nil {
				t.Fatal("CreateCertificate succeeded")
			}
		})
	}
}

func TestSigningAlgorithmFamilyMatches(t *testing.T) {
	tests := []struct {
		key, sig string
		want     bool
	}{
		{keys.RSA3072, SHA512WithRSA, true},
		{keys.RSA3072, SHA256WithECDSA, false},
		{keys.ECSecp521r1, SHA256WithECDSA, true},
		{keys.ECSecp521r1, MLDSA87, false},
		{keys.MLDSA87, MLDSA87, true},
		{keys.MLDSA87, MLDSA65, false},
		{keys.SM2, "SM3WITHSM2", false},
		{"RSA_1024", SHA256WithRSA, false},
	}
	for _, tt := range tests {
		t.Run(tt.key+"/"+tt.sig, func(t *testing.T) {
			if got := SigningAlgorithmFamilyMatches(tt.key, tt.sig); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestKeyAlgorithmOf(t *testing.T) {
	for _, alg := range []string{keys.ECSecp384r1, keys.RSA2048, keys.MLDSA44, keys.MLDSA65, keys.MLDSA87} {
		t.Run(alg, func(t *testing.T) {
			if got, err := KeyAlgorithmOf(newKey(t, alg).Public()); err != nil || got != alg {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
	t.Run("P-224 refused", func(t *testing.T) {
		k, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := KeyAlgorithmOf(k.Public()); err == nil {
			t.Fatal("P-224 accepted")
		}
	})
}
