package x509util

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
)

// CertificateRequest is a parsed CSR whose self-signature has been checked.
type CertificateRequest struct {
	*x509.CertificateRequest
	// PublicKey is the requested key of any supported type, ML-DSA
	// included; it shadows the embedded field, which is nil for ML-DSA.
	PublicKey crypto.PublicKey
}

// CreateCertificateRequest is x509.CreateCertificateRequest for any
// supported signer, ML-DSA included. signingAlgorithm is an AWS
// SigningAlgorithm name and must suit signer's key;
// template.SignatureAlgorithm is ignored.
func CreateCertificateRequest(rand io.Reader, template *x509.CertificateRequest, signer crypto.Signer, signingAlgorithm string) ([]byte, error) {
	if template == nil || signer == nil {
		return nil, errors.New("x509util: template and signer must not be nil")
	}
	alg, err := checkSigner(signer, signingAlgorithm)
	if err != nil {
		return nil, err
	}
	tmpl := *template
	if !alg.isMLDSA() {
		tmpl.SignatureAlgorithm = alg.x509
		return x509.CreateCertificateRequest(rand, &tmpl, signer)
	}
	spki, _, err := marshalPublicKey(signer.Public())
	if err != nil {
		return nil, err
	}
	standIn, err := newStandIn()
	if err != nil {
		return nil, err
	}
	tmpl.SignatureAlgorithm = x509.ECDSAWithSHA256
	der, err := x509.CreateCertificateRequest(rand, &tmpl, standIn)
	if err != nil {
		return nil, err
	}
	return resign(rand, der, func(f [][]byte) error {
		// version, subject, subjectPKInfo, [0] attributes
		if len(f) != 4 {
			return errors.New("x509util: internal error: unexpected CertificationRequestInfo from crypto/x509")
		}
		f[2] = spki
		return nil
	}, alg, signer)
}

// ParseCertificateRequest parses a DER CSR and checks its self-signature,
// ML-DSA included. Each of checkKey, when given, judges the requested public
// key first, and its error is returned as is: a key the caller refuses costs
// no signature verification, which for an RSA modulus as large as a CSR can
// hold takes about a second.
func ParseCertificateRequest(der []byte, checkKey ...func(crypto.PublicKey) error) (*CertificateRequest, error) {
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, fmt.Errorf("x509util: %w", err)
	}
	pub := csr.PublicKey
	if pub == nil {
		if pub, err = parsePublicKeyInfo(csr.RawSubjectPublicKeyInfo); err != nil {
			return nil, err
		}
	}
	for _, check := range checkKey {
		if err := check(pub); err != nil {
			return nil, err
		}
	}
	if csr.PublicKey != nil {
		if err := csr.CheckSignature(); err != nil {
			return nil, fmt.Errorf("x509util: CSR signature: %w", err)
		}
		return &CertificateRequest{CertificateRequest: csr, PublicKey: pub}, nil
	}
	alg, err := outerSignatureAlgorithm(csr.Raw)
	if err != nil {
		return nil, err
	}
	if err := checkSignature(alg, csr.RawTBSCertificateRequest, csr.Signature, pub); err != nil {
		return nil, fmt.Errorf("x509util: CSR signature: %w", err)
	}
	return &CertificateRequest{CertificateRequest: csr, PublicKey: pub}, nil
}
