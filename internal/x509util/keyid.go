package x509util

import (
	"crypto"
	"crypto/sha1"
)

// SubjectKeyID returns the RFC 5280 method 1 key identifier of pub: the
// SHA-1 of its subjectPublicKey bits. ML-DSA keys included.
func SubjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	_, bits, err := marshalPublicKey(pub)
	if err != nil {
		return nil, err
	}
	id := sha1.Sum(bits)
	return id[:], nil
}
