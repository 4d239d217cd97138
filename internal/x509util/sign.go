package x509util

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Exported signing primitives, for callers that build their own signed
// structures (CRLs, OCSP responses) instead of going through crypto/x509.

// Sign signs tbs, a DER to-be-signed structure, with signer using the AWS
// signingAlgorithm, and returns the signature and the DER
// AlgorithmIdentifier that names it in the structure. RSA and ECDSA sign a
// digest of tbs; ML-DSA signs tbs itself (FIPS 204 pure mode, empty
// context). As crypto/x509 does, the signature is verified before it is
// returned, to catch a faulty signer.
func Sign(rand io.Reader, signer crypto.Signer, signingAlgorithm string, tbs []byte) (sig, algorithmIdentifierDER []byte, err error) {
	if signer == nil {
		return nil, nil, errors.New("x509util: signer must not be nil")
	}
	alg, err := checkSigner(signer, signingAlgorithm)
	if err != nil {
		return nil, nil, err
	}
	sig, err = sign(rand, alg, signer, tbs)
	if err != nil {
		return nil, nil, err
	}
	return sig, alg.algorithmIdentifier(), nil
}

// SigningParameters checks that signer's key can produce signingAlgorithm
// and returns the hash the algorithm signs with and its DER
// AlgorithmIdentifier. The hash is 0 for ML-DSA, which signs whole messages
// and so cannot sign a digest computed by the caller.
func SigningParameters(signer crypto.Signer, signingAlgorithm string) (hash crypto.Hash, algorithmIdentifierDER []byte, err error) {
	if signer == nil {
		return 0, nil, errors.New("x509util: signer must not be nil")
	}
	alg, err := checkSigner(signer, signingAlgorithm)
	if err != nil {
		return 0, nil, err
	}
	return alg.hash, alg.algorithmIdentifier(), nil
}

// SignDigest signs a digest the caller computed, with the hash
// SigningParameters returns, for an RSA or ECDSA signingAlgorithm. It lets
// a caller hash a large structure as it streams it out. The signature is
// verified against the digest before it is returned.
func SignDigest(rand io.Reader, signer crypto.Signer, signingAlgorithm string, digest []byte) ([]byte, error) {
	if signer == nil {
		return nil, errors.New("x509util: signer must not be nil")
	}
	alg, err := checkSigner(signer, signingAlgorithm)
	if err != nil {
		return nil, err
	}
	if alg.isMLDSA() {
		return nil, fmt.Errorf("x509util: %s signs whole messages, not digests", alg.name)
	}
	if len(digest) != alg.hash.Size() {
		return nil, fmt.Errorf("x509util: %s needs a %d-byte digest, got %d bytes", alg.name, alg.hash.Size(), len(digest))
	}
	sig, err := signer.Sign(rand, digest, alg.hash)
	if err != nil {
		return nil, fmt.Errorf("x509util: sign: %w", err)
	}
	ok := false
	switch k := signer.Public().(type) {
	case *ecdsa.PublicKey:
		ok = ecdsa.VerifyASN1(k, digest, sig)
	case *rsa.PublicKey:
		ok = rsa.VerifyPKCS1v15(k, alg.hash, digest, sig) == nil
	}
	if !ok {
		return nil, errors.New("x509util: signer produced an invalid signature")
	}
	return sig, nil
}

// CheckSignature verifies sig over signed (the DER to-be-signed bytes) with
// pub, for the algorithm named by a DER AlgorithmIdentifier (SEQUENCE
// included), ML-DSA included. Only the supported AWS signing algorithms,
// with their exact parameters, are accepted.
func CheckSignature(algorithmIdentifierDER, signed, sig []byte, pub crypto.PublicKey) error {
	input := cryptobyte.String(algorithmIdentifierDER)
	var ai cryptobyte.String
	if !input.ReadASN1(&ai, cbasn1.SEQUENCE) || !input.Empty() {
		return errors.New("x509util: malformed signature algorithm identifier")
	}
	alg, err := signingAlgorithmFromAI(ai)
	if err != nil {
		return err
	}
	return checkSignature(alg, signed, sig, pub)
}
