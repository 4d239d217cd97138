package x509util

import (
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"
	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/cloudflare/circl/sign/mldsa/mldsa87"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// PublicKey returns cert's public key, ML-DSA included (x509.ParseCertificate
// leaves those nil).
func PublicKey(cert *x509.Certificate) (crypto.PublicKey, error) {
	if cert.PublicKey != nil {
		return cert.PublicKey, nil
	}
	if len(cert.RawSubjectPublicKeyInfo) == 0 {
		return nil, errors.New("x509util: certificate has no public key")
	}
	return parsePublicKeyInfo(cert.RawSubjectPublicKeyInfo)
}

// marshalPublicKey returns pub's DER SubjectPublicKeyInfo and the contents
// of its subjectPublicKey BIT STRING, the input to key identifiers.
func marshalPublicKey(pub crypto.PublicKey) ([]byte, []byte, error) {
	var (
		oid asn1.ObjectIdentifier
		raw []byte
	)
	switch k := pub.(type) {
	case *mldsa44.PublicKey:
		oid, raw = oidMLDSA44, k.Bytes()
	case *mldsa65.PublicKey:
		oid, raw = oidMLDSA65, k.Bytes()
	case *mldsa87.PublicKey:
		oid, raw = oidMLDSA87, k.Bytes()
	default:
		spki, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return nil, nil, fmt.Errorf("x509util: %w", err)
		}
		_, bits, err := splitPublicKeyInfo(spki)
		if err != nil {
			return nil, nil, err
		}
		return spki, bits, nil
	}
	// RFC 9881: AlgorithmIdentifier without parameters; the BIT STRING
	// holds the raw FIPS 204 public key encoding.
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oid) })
		b.AddASN1BitString(raw)
	})
	spki, err := b.Bytes()
	if err != nil {
		return nil, nil, fmt.Errorf("x509util: encode public key: %w", err)
	}
	return spki, raw, nil
}

// parsePublicKeyInfo parses a DER SubjectPublicKeyInfo of any supported type.
func parsePublicKeyInfo(spki []byte) (crypto.PublicKey, error) {
	ai, raw, err := splitPublicKeyInfo(spki)
	if err != nil {
		return nil, err
	}
	var oid asn1.ObjectIdentifier
	if !ai.ReadASN1ObjectIdentifier(&oid) {
		return nil, errors.New("x509util: malformed public key algorithm identifier")
	}
	isMLDSA := oid.Equal(oidMLDSA44) || oid.Equal(oidMLDSA65) || oid.Equal(oidMLDSA87)
	if !isMLDSA {
		pub, err := x509.ParsePKIXPublicKey(spki)
		if err != nil {
			return nil, fmt.Errorf("x509util: %w", err)
		}
		return pub, nil
	}
	if !ai.Empty() {
		return nil, errors.New("x509util: ML-DSA public key algorithm identifier must not have parameters")
	}
	var pub interface{ UnmarshalBinary([]byte) error }
	switch {
	case oid.Equal(oidMLDSA44):
		pub = new(mldsa44.PublicKey)
	case oid.Equal(oidMLDSA65):
		pub = new(mldsa65.PublicKey)
	default:
		pub = new(mldsa87.PublicKey)
	}
	if err := pub.UnmarshalBinary(raw); err != nil {
		return nil, fmt.Errorf("x509util: ML-DSA public key: %w", err)
	}
	return pub, nil
}

// splitPublicKeyInfo returns the AlgorithmIdentifier contents and the
// subjectPublicKey bits of a DER SubjectPublicKeyInfo.
func splitPublicKeyInfo(spki []byte) (cryptobyte.String, []byte, error) {
	input := cryptobyte.String(spki)
	var seq, ai cryptobyte.String
	var bits asn1.BitString
	if !input.ReadASN1(&seq, cbasn1.SEQUENCE) || !input.Empty() ||
		!seq.ReadASN1(&ai, cbasn1.SEQUENCE) || !seq.ReadASN1BitString(&bits) || !seq.Empty() {
		return nil, nil, errors.New("x509util: malformed SubjectPublicKeyInfo")
	}
	if bits.BitLength%8 != 0 {
		return nil, nil, errors.New("x509util: public key is not a whole number of bytes")
	}
	return ai, bits.Bytes, nil
}

func isMLDSAKey(pub crypto.PublicKey) bool {
	switch pub.(type) {
	case *mldsa44.PublicKey, *mldsa65.PublicKey, *mldsa87.PublicKey:
		return true
	}
	return false
}
