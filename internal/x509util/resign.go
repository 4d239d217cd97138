package x509util

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	cryptorand "crypto/rand"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// crypto/x509 cannot encode ML-DSA keys or sign with them. For those, this
// package lets crypto/x509 build the structure around a stand-in ECDSA key,
// then swaps in the real SubjectPublicKeyInfo and signature
// AlgorithmIdentifier and signs the new to-be-signed bytes with the real
// signer. Everything else (names, validity, extensions) stays crypto/x509's.

// newStandIn returns a throwaway key for crypto/x509 to sign with; its
// signature is discarded.
func newStandIn() (*ecdsa.PrivateKey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), cryptorand.Reader)
	if err != nil {
		return nil, fmt.Errorf("x509util: stand-in key: %w", err)
	}
	return k, nil
}

// resign rebuilds a DER Certificate or CertificationRequest, both
// SEQUENCE { toBeSigned, AlgorithmIdentifier, BIT STRING }, after edit has
// replaced elements of toBeSigned, and signs it with signer.
func resign(rand io.Reader, der []byte, edit func(fields [][]byte) error, alg signingAlgorithm, signer crypto.Signer) ([]byte, error) {
	input := cryptobyte.String(der)
	var outer, tbs cryptobyte.String
	if !input.ReadASN1(&outer, cbasn1.SEQUENCE) || !input.Empty() || !outer.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return nil, errors.New("x509util: internal error: malformed structure from crypto/x509")
	}
	var fields [][]byte
	for !tbs.Empty() {
		var f cryptobyte.String
		if !tbs.ReadAnyASN1Element(&f, nil) {
			return nil, errors.New("x509util: internal error: malformed structure from crypto/x509")
		}
		fields = append(fields, f)
	}
	if err := edit(fields); err != nil {
		return nil, err
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for _, f := range fields {
			b.AddBytes(f)
		}
	})
	newTBS, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("x509util: encode: %w", err)
	}
	sig, err := sign(rand, alg, signer, newTBS)
	if err != nil {
		return nil, err
	}
	b = cryptobyte.Builder{}
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(newTBS)
		b.AddBytes(alg.algorithmIdentifier())
		b.AddASN1BitString(sig)
	})
	out, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("x509util: encode: %w", err)
	}
	return out, nil
}

// sign signs tbs as alg prescribes: digested for RSA and ECDSA, whole
// (pure mode, empty context) for ML-DSA.
func sign(rand io.Reader, alg signingAlgorithm, signer crypto.Signer, tbs []byte) ([]byte, error) {
	msg := tbs
	if alg.hash != 0 {
		h := alg.hash.New()
		h.Write(tbs)
		msg = h.Sum(nil)
	}
	sig, err := signer.Sign(rand, msg, alg.hash)
	if err != nil {
		return nil, fmt.Errorf("x509util: sign: %w", err)
	}
	// As crypto/x509 does: catch a faulty signer before its output ships.
	if err := checkSignature(alg, tbs, sig, signer.Public()); err != nil {
		return nil, fmt.Errorf("x509util: signer produced an invalid signature: %w", err)
	}
	return sig, nil
}
