package x509util

import (
	"crypto/rand"
	"testing"

	"github.com/openpca/openpca/internal/keys"
)

// FuzzParseCertificateRequest: CSRs arrive from API callers. No input may
// panic, and an accepted CSR always has a public key.
func FuzzParseCertificateRequest(f *testing.F) {
	for _, seed := range []struct{ key, sig string }{
		{keys.MLDSA44, MLDSA44},
		{keys.ECPrime256v1, SHA256WithECDSA},
		{keys.RSA2048, SHA256WithRSA},
	} {
		der, err := CreateCertificateRequest(rand.Reader, csrTemplate("fuzz"), newKey(f, seed.key), seed.sig)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(der)
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		csr, err := ParseCertificateRequest(der)
		if err != nil {
			return
		}
		if csr.PublicKey == nil {
			t.Fatal("accepted CSR without a public key")
		}
	})
}
