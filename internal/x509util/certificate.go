package x509util

import (
	"crypto"
	"crypto/sha1"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
)

// CreateCertificate is x509.CreateCertificate for any supported subject key
// (pub may be an ML-DSA public key) and signer. signingAlgorithm is an AWS
// SigningAlgorithm name and must suit signer's key; template.SignatureAlgorithm
// is ignored.
//
// Unlike crypto/x509, a template without SubjectKeyId always gets one,
// computed from pub by RFC 5280 method 1 (SHA-1 of the subjectPublicKey
// bits), CA or not. The AuthorityKeyId comes from parent.SubjectKeyId
// unless the certificate is self-signed, as in crypto/x509.
func CreateCertificate(rand io.Reader, template, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer, signingAlgorithm string) ([]byte, error) {
	if template == nil || parent == nil || pub == nil || signer == nil {
		return nil, errors.New("x509util: template, parent, pub and signer must not be nil")
	}
	alg, err := checkSigner(signer, signingAlgorithm)
	if err != nil {
		return nil, err
	}
	if err := checkParentKey(parent, signer); err != nil {
		return nil, err
	}
	spki, keyBits, err := marshalPublicKey(pub)
	if err != nil {
		return nil, err
	}
	tmpl := *template
	if len(tmpl.SubjectKeyId) == 0 {
		ski := sha1.Sum(keyBits)
		tmpl.SubjectKeyId = ski[:]
	}
	if parent == template {
		parent = &tmpl
	}
	subjectIsMLDSA := isMLDSAKey(pub)
	if !subjectIsMLDSA && !alg.isMLDSA() {
		tmpl.SignatureAlgorithm = alg.x509
		return x509.CreateCertificate(rand, &tmpl, parent, pub, signer)
	}

	standIn, err := newStandIn()
	if err != nil {
		return nil, err
	}
	tmpl.SignatureAlgorithm = x509.ECDSAWithSHA256
	p := *parent
	p.PublicKey = nil // crypto/x509 would compare it with the stand-in
	x509Pub := pub
	if subjectIsMLDSA {
		x509Pub = standIn.Public()
	}
	der, err := x509.CreateCertificate(rand, &tmpl, &p, x509Pub, standIn)
	if err != nil {
		return nil, err
	}
	out, err := resign(rand, der, func(f [][]byte) error {
		// [0] version, serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, ...
		i := 0
		if len(f) > 0 && len(f[0]) > 0 && f[0][0] == 0xa0 {
			i = 1
		}
		if len(f) < i+6 {
			return errors.New("x509util: internal error: short TBSCertificate from crypto/x509")
		}
		f[i+1] = alg.algorithmIdentifier()
		f[i+5] = spki
		return nil
	}, alg, signer)
	if err != nil {
		return nil, err
	}
	if _, err := x509.ParseCertificate(out); err != nil {
		return nil, fmt.Errorf("x509util: internal error: rebuilt certificate does not parse: %w", err)
	}
	return out, nil
}

// checkParentKey refuses a signer whose key is not parent's, when parent has
// one (a template for a self-signed certificate may not).
func checkParentKey(parent *x509.Certificate, signer crypto.Signer) error {
	parentPub := parent.PublicKey
	if parentPub == nil && len(parent.RawSubjectPublicKeyInfo) > 0 {
		pub, err := PublicKey(parent)
		if err != nil {
			return fmt.Errorf("x509util: parent: %w", err)
		}
		parentPub = pub
	}
	if parentPub == nil {
		return nil
	}
	k, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !k.Equal(parentPub) {
		return errors.New("x509util: signer's key does not match parent's public key")
	}
	return nil
}
