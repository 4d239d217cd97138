package x509util

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"
	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/cloudflare/circl/sign/mldsa/mldsa87"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// CheckSignatureFrom verifies that parent signed cert, ML-DSA included. Like
// x509.Certificate.CheckSignatureFrom it checks that parent may sign
// certificates, and is not a path verifier.
func CheckSignatureFrom(cert, parent *x509.Certificate) error {
	if cert.SignatureAlgorithm != x509.UnknownSignatureAlgorithm {
		return cert.CheckSignatureFrom(parent)
	}
	// The same constraints as crypto/x509 (RFC 5280, 4.2.1.9 and 4.2.1.3).
	if parent.Version == 3 && !parent.BasicConstraintsValid ||
		parent.BasicConstraintsValid && !parent.IsCA ||
		parent.KeyUsage != 0 && parent.KeyUsage&x509.KeyUsageCertSign == 0 {
		return x509.ConstraintViolationError{}
	}
	alg, err := outerSignatureAlgorithm(cert.Raw)
	if err != nil {
		return err
	}
	pub, err := PublicKey(parent)
	if err != nil {
		return err
	}
	return checkSignature(alg, cert.RawTBSCertificate, cert.Signature, pub)
}

// checkSignature verifies sig over signed (undigested) with pub.
func checkSignature(alg signingAlgorithm, signed, sig []byte, pub crypto.PublicKey) error {
	if !alg.isMLDSA() {
		return (&x509.Certificate{PublicKey: pub}).CheckSignature(alg.x509, signed, sig)
	}
	if keyAlg, _ := KeyAlgorithmOf(pub); keyAlg != alg.name {
		return fmt.Errorf("x509util: %s signature cannot be checked with a %T key", alg.name, pub)
	}
	ok := false
	switch k := pub.(type) {
	case *mldsa44.PublicKey:
		ok = mldsa44.Verify(k, signed, nil, sig)
	case *mldsa65.PublicKey:
		ok = mldsa65.Verify(k, signed, nil, sig)
	case *mldsa87.PublicKey:
		ok = mldsa87.Verify(k, signed, nil, sig)
	}
	if !ok {
		return errors.New("x509util: " + alg.name + " verification failure")
	}
	return nil
}

// outerSignatureAlgorithm reads the signatureAlgorithm of a DER Certificate
// or CertificationRequest, which crypto/x509 does not expose for ML-DSA.
func outerSignatureAlgorithm(der []byte) (signingAlgorithm, error) {
	input := cryptobyte.String(der)
	var outer, ai cryptobyte.String
	if !input.ReadASN1(&outer, cbasn1.SEQUENCE) || !outer.SkipASN1(cbasn1.SEQUENCE) ||
		!outer.ReadASN1(&ai, cbasn1.SEQUENCE) {
		return signingAlgorithm{}, errors.New("x509util: malformed signed structure")
	}
	return signingAlgorithmFromAI(ai)
}
