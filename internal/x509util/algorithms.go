package x509util

import (
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"slices"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/openpca/openpca/internal/keys"
)

// Signing algorithms, named as AWS Private CA's SigningAlgorithm enum.
const (
	SHA256WithRSA   = "SHA256WITHRSA"
	SHA384WithRSA   = "SHA384WITHRSA"
	SHA512WithRSA   = "SHA512WITHRSA"
	SHA256WithECDSA = "SHA256WITHECDSA"
	SHA384WithECDSA = "SHA384WITHECDSA"
	SHA512WithECDSA = "SHA512WITHECDSA"
	MLDSA44         = "ML_DSA_44"
	MLDSA65         = "ML_DSA_65"
	MLDSA87         = "ML_DSA_87"
)

// ML-DSA object identifiers (FIPS 204, RFC 9881). They name both the
// public key and the signature algorithm; parameters are always absent.
var (
	oidMLDSA44 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 17}
	oidMLDSA65 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 18}
	oidMLDSA87 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 19}
)

// signingAlgorithm is what this package knows about one AWS SigningAlgorithm.
type signingAlgorithm struct {
	name   string
	keys   []string                // key algorithms that can produce it
	x509   x509.SignatureAlgorithm // x509.UnknownSignatureAlgorithm for ML-DSA
	hash   crypto.Hash             // 0 for ML-DSA, which signs the whole message
	oid    asn1.ObjectIdentifier
	params bool // AlgorithmIdentifier carries NULL parameters (RSA PKCS #1 v1.5)
}

var (
	rsaKeys = []string{keys.RSA2048, keys.RSA3072, keys.RSA4096}
	ecKeys  = []string{keys.ECPrime256v1, keys.ECSecp384r1, keys.ECSecp521r1}
)

func lookupSigningAlgorithm(name string) (signingAlgorithm, error) {
	switch name {
	case SHA256WithRSA:
		return signingAlgorithm{name, rsaKeys, x509.SHA256WithRSA, crypto.SHA256, asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}, true}, nil
	case SHA384WithRSA:
		return signingAlgorithm{name, rsaKeys, x509.SHA384WithRSA, crypto.SHA384, asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}, true}, nil
	case SHA512WithRSA:
		return signingAlgorithm{name, rsaKeys, x509.SHA512WithRSA, crypto.SHA512, asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}, true}, nil
	case SHA256WithECDSA:
		return signingAlgorithm{name, ecKeys, x509.ECDSAWithSHA256, crypto.SHA256, asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}, false}, nil
	case SHA384WithECDSA:
		return signingAlgorithm{name, ecKeys, x509.ECDSAWithSHA384, crypto.SHA384, asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}, false}, nil
	case SHA512WithECDSA:
		return signingAlgorithm{name, ecKeys, x509.ECDSAWithSHA512, crypto.SHA512, asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}, false}, nil
	case MLDSA44:
		return signingAlgorithm{name, []string{keys.MLDSA44}, x509.UnknownSignatureAlgorithm, 0, oidMLDSA44, false}, nil
	case MLDSA65:
		return signingAlgorithm{name, []string{keys.MLDSA65}, x509.UnknownSignatureAlgorithm, 0, oidMLDSA65, false}, nil
	case MLDSA87:
		return signingAlgorithm{name, []string{keys.MLDSA87}, x509.UnknownSignatureAlgorithm, 0, oidMLDSA87, false}, nil
	}
	return signingAlgorithm{}, fmt.Errorf("x509util: unsupported signing algorithm %q", name)
}

// SigningAlgorithms returns every supported signing algorithm, in AWS's order.
func SigningAlgorithms() []string {
	return []string{SHA256WithRSA, SHA384WithRSA, SHA512WithRSA, SHA256WithECDSA, SHA384WithECDSA, SHA512WithECDSA, MLDSA44, MLDSA65, MLDSA87}
}

// SigningAlgorithmFamilyMatches reports whether a key of keyAlgorithm can
// sign with signingAlgorithm: RSA keys with SHA*WITHRSA, EC keys with
// SHA*WITHECDSA, and each ML-DSA key only with its own parameter set.
func SigningAlgorithmFamilyMatches(keyAlgorithm, signingAlgorithm string) bool {
	alg, err := lookupSigningAlgorithm(signingAlgorithm)
	return err == nil && slices.Contains(alg.keys, keyAlgorithm)
}

// KeyAlgorithmOf names a public key with AWS's KeyAlgorithm value
// ("EC_prime256v1", "ML_DSA_65", ...).
func KeyAlgorithmOf(pub crypto.PublicKey) (string, error) {
	return keys.AlgorithmOf(pub)
}

func (a signingAlgorithm) isMLDSA() bool { return a.x509 == x509.UnknownSignatureAlgorithm }

// algorithmIdentifier returns the DER AlgorithmIdentifier.
func (a signingAlgorithm) algorithmIdentifier() []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(a.oid)
		if a.params {
			b.AddASN1NULL()
		}
	})
	return b.BytesOrPanic() // cannot fail: the OIDs are constants
}

// signingAlgorithmFromAI maps a DER AlgorithmIdentifier's contents to one
// of the supported signing algorithms, insisting on the exact parameters.
func signingAlgorithmFromAI(ai cryptobyte.String) (signingAlgorithm, error) {
	var oid asn1.ObjectIdentifier
	if !ai.ReadASN1ObjectIdentifier(&oid) {
		return signingAlgorithm{}, fmt.Errorf("x509util: malformed signature algorithm identifier")
	}
	for _, name := range SigningAlgorithms() {
		a, _ := lookupSigningAlgorithm(name)
		if !a.oid.Equal(oid) {
			continue
		}
		if a.params && !ai.SkipASN1(cbasn1.NULL) || !ai.Empty() {
			return signingAlgorithm{}, fmt.Errorf("x509util: %s signature algorithm has unexpected parameters", name)
		}
		return a, nil
	}
	return signingAlgorithm{}, fmt.Errorf("x509util: unsupported signature algorithm %s", oid)
}

// checkSigner returns the named algorithm if signer's key can produce it.
func checkSigner(signer crypto.Signer, name string) (signingAlgorithm, error) {
	alg, err := lookupSigningAlgorithm(name)
	if err != nil {
		return signingAlgorithm{}, err
	}
	keyAlg, err := KeyAlgorithmOf(signer.Public())
	if err != nil {
		return signingAlgorithm{}, fmt.Errorf("x509util: signer: %w", err)
	}
	if !slices.Contains(alg.keys, keyAlg) {
		return signingAlgorithm{}, fmt.Errorf("x509util: signing algorithm %s cannot be used with a %s key", name, keyAlg)
	}
	return alg, nil
}
