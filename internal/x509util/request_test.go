package x509util

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"testing"

	"github.com/openpca/openpca/internal/keys"
)

func csrTemplate(name string) *x509.CertificateRequest {
	return &x509.CertificateRequest{
		Subject:  pkix.Name{CommonName: name, Organization: []string{"openpca test"}},
		DNSNames: []string{"csr.example.test"},
	}
}

func TestCertificateRequestRoundTrip(t *testing.T) {
	for _, keyAlg := range keys.Algorithms() {
		key := newKey(t, keyAlg)
		for _, sigAlg := range SigningAlgorithms() {
			if !SigningAlgorithmFamilyMatches(keyAlg, sigAlg) {
				continue
			}
			t.Run(keyAlg+"/"+sigAlg, func(t *testing.T) {
				der, err := CreateCertificateRequest(rand.Reader, csrTemplate("csr "+keyAlg), key, sigAlg)
				if err != nil {
					t.Fatal(err)
				}
				csr, err := ParseCertificateRequest(der)
				if err != nil {
					t.Fatal(err)
				}
				if !key.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(csr.PublicKey) {
					t.Fatal("CSR carries the wrong public key")
				}
				if csr.Subject.CommonName != "csr "+keyAlg || len(csr.DNSNames) != 1 {
					t.Fatalf("CSR lost template fields: %v %v", csr.Subject, csr.DNSNames)
				}
				if got, err := KeyAlgorithmOf(csr.PublicKey); err != nil || got != keyAlg {
					t.Fatalf("KeyAlgorithmOf = %q, %v", got, err)
				}

				for name, tamper := range map[string]func([]byte){
					"signature": func(b []byte) { b[len(b)-3] ^= 0x01 },
					"subject":   func(b []byte) { b[bytes.Index(b, []byte("csr "))] ^= 0x01 },
				} {
					bad := bytes.Clone(der)
					tamper(bad)
					if _, err := ParseCertificateRequest(bad); err == nil {
						t.Fatalf("CSR with tampered %s accepted", name)
					}
				}
			})
		}
	}
}

func TestParseCertificateRequestRefusesSwappedKey(t *testing.T) {
	signer, other := newKey(t, keys.MLDSA65), newKey(t, keys.MLDSA65)
	der, err := CreateCertificateRequest(rand.Reader, csrTemplate("swap"), signer, MLDSA65)
	if err != nil {
		t.Fatal(err)
	}
	oldSPKI, _, err := marshalPublicKey(signer.Public())
	if err != nil {
		t.Fatal(err)
	}
	newSPKI, _, err := marshalPublicKey(other.Public())
	if err != nil {
		t.Fatal(err)
	}
	swapped := bytes.Replace(der, oldSPKI, newSPKI, 1)
	if bytes.Equal(swapped, der) {
		t.Fatal("test did not find the SPKI")
	}
	if _, err := ParseCertificateRequest(swapped); err == nil {
		t.Fatal("CSR with a swapped ML-DSA key accepted")
	}
}

func TestCreateCertificateRequestRefuses(t *testing.T) {
	tests := []struct {
		name   string
		key    string
		sigAlg string
	}{
		{"ECDSA algorithm with RSA key", keys.RSA2048, SHA256WithECDSA},
		{"ML-DSA-87 with ML-DSA-65 key", keys.MLDSA65, MLDSA87},
		{"SM2", keys.ECPrime256v1, "SM3WITHSM2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := CreateCertificateRequest(rand.Reader, csrTemplate("x"), newKey(t, tt.key), tt.sigAlg); err == nil {
				t.Fatal("CreateCertificateRequest succeeded")
			}
		})
	}
}

// TestParseCertificateRequestChecksKeyFirst: the caller's key check runs
// before the signature check, ML-DSA included, and its error comes back as
// is; a key it accepts still needs a good signature.
func TestParseCertificateRequestChecksKeyFirst(t *testing.T) {
	refused := errors.New("refused")
	for _, tc := range []struct{ key, sig string }{{keys.ECPrime256v1, SHA256WithECDSA}, {keys.MLDSA44, MLDSA44}} {
		der, err := CreateCertificateRequest(rand.Reader, csrTemplate("first"), newKey(t, tc.key), tc.sig)
		if err != nil {
			t.Fatal(err)
		}
		bad := bytes.Clone(der)
		bad[len(bad)-3] ^= 0x01
		var seen crypto.PublicKey
		if _, err := ParseCertificateRequest(bad, func(pub crypto.PublicKey) error { seen = pub; return refused }); err != refused {
			t.Fatalf("%s: error %v, want the check's", tc.key, err)
		}
		if got, err := KeyAlgorithmOf(seen); err != nil || got != tc.key {
			t.Fatalf("%s: the check saw %T", tc.key, seen)
		}
		if _, err := ParseCertificateRequest(bad, func(crypto.PublicKey) error { return nil }); err == nil {
			t.Fatalf("%s: a bad signature passed", tc.key)
		}
	}
}
