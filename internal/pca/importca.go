package pca

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"fmt"

	"github.com/openpca/openpca/internal/x509util"
)

// Extensions the model allows to be critical in an imported CA certificate;
// any other critical extension is refused.
var allowedCritical = map[string]bool{
	"2.5.29.35":          true, // authority key identifier
	"2.5.29.19":          true, // basic constraints (must be critical)
	"2.5.29.32":          true, // certificate policies
	"2.5.29.37":          true, // extended key usage
	"2.5.29.54":          true, // inhibit anyPolicy
	"2.5.29.18":          true, // issuer alternative name
	"2.5.29.15":          true, // key usage
	"2.5.29.30":          true, // name constraints
	"2.5.29.33":          true, // policy mappings
	"2.5.29.17":          true, // subject alternative name
	"2.5.29.9":           true, // subject directory attributes
	"2.5.29.14":          true, // subject key identifier
	"1.3.6.1.5.5.7.1.11": true, // subject information access
}

// ImportCACertificate installs the CA's own certificate (and, for a
// subordinate, the chain up to the root) and makes the CA ACTIVE.
func (s *Service) ImportCACertificate(ctx context.Context, caller Caller, arn string, certPEM, chainPEM []byte) error {
	// Authorized before the input is examined, as every operation is.
	if _, err := s.load(ctx, caller, "ImportCertificateAuthorityCertificate", arn); err != nil {
		return err
	}
	cert, err := parseOnePEM(certPEM)
	if err != nil {
		return Errorf(KindMalformedCertificate, "The certificate is not a valid PEM-encoded X.509 certificate: %v", err)
	}
	chain, err := parsePEMChain(chainPEM)
	if err != nil {
		return Errorf(KindMalformedCertificate, "The certificate chain is not valid PEM-encoded X.509: %v", err)
	}
	if err := checkCAExtensions(cert, "certificate"); err != nil {
		return err
	}
	_, err = s.update(ctx, caller, "ImportCertificateAuthorityCertificate", arn, func(ca *CA) error {
		switch ca.Reported(s.now()) {
		case StatusCreating:
			return Errorf(KindRequestInProgress, "The certificate authority %s is still being created.", arn)
		case StatusPendingCertificate, StatusActive, StatusExpired:
		default:
			return Errorf(KindInvalidState, "The certificate authority %s is in the %s state and cannot import a certificate.", arn, ca.Reported(s.now()))
		}
		csr, err := parseCSR([]byte(ca.CSR))
		if err != nil {
			return fmt.Errorf("stored CSR of %s: %w", ca.ID, err)
		}
		if err := checkChain(ca.Type, cert, chain); err != nil {
			return err
		}
		if !bytes.Equal(cert.RawSubjectPublicKeyInfo, csr.RawSubjectPublicKeyInfo) {
			return Errorf(KindCertificateMismatch, "The certificate's public key does not match the certificate authority's key.")
		}
		now := s.now()
		ca.Certificate, ca.CertificateChain = string(certPEM), string(chainPEM)
		ca.Serial = serialHex(cert.SerialNumber.Bytes())
		ca.NotBefore, ca.NotAfter = cert.NotBefore.UTC(), cert.NotAfter.UTC()
		if ca.Status == StatusPendingCertificate {
			ca.Status = StatusActive
		}
		ca.LastStateChangeAt = now
		return nil
	})
	return err
}

// checkChain applies AWS's import rules: a root imports only a self-signed
// certificate; a subordinate needs the chain, issuer first and root last,
// each certificate signed by the next and within every path length.
func checkChain(typ Type, cert *x509.Certificate, chain []*x509.Certificate) error {
	selfSigned := bytes.Equal(cert.RawIssuer, cert.RawSubject) && x509util.CheckSignatureFrom(cert, cert) == nil
	if typ == TypeRoot {
		if !selfSigned {
			return Errorf(KindInvalidRequest, "Only a self-signed certificate can be imported into a ROOT certificate authority.")
		}
		for _, c := range chain {
			if !bytes.Equal(c.Raw, cert.Raw) {
				return Errorf(KindInvalidRequest, "A ROOT certificate authority's certificate is imported without a certificate chain.")
			}
		}
		return nil
	}
	if selfSigned {
		return Errorf(KindInvalidRequest, "A self-signed certificate cannot be imported into a SUBORDINATE certificate authority.")
	}
	if len(chain) == 0 {
		return Errorf(KindInvalidRequest, "A SUBORDINATE certificate authority's certificate must be imported with its certificate chain.")
	}
	below := cert
	for i, c := range chain {
		if bytes.Equal(c.Raw, cert.Raw) {
			return Errorf(KindInvalidRequest, "The certificate chain must not contain the certificate being imported.")
		}
		if err := checkCAExtensions(c, fmt.Sprintf("chain certificate %d", i+1)); err != nil {
			return err
		}
		if err := x509util.CheckSignatureFrom(below, c); err != nil {
			return Errorf(KindCertificateMismatch, "The certificate chain is out of order or incomplete: certificate %d did not sign the one before it.", i+1)
		}
		// i CA certificates sit below chain[i] (the imported one counts).
		if c.MaxPathLen >= 0 && i+1 > c.MaxPathLen {
			return Errorf(KindInvalidRequest, "The certificate chain violates the path length constraint of chain certificate %d.", i+1)
		}
		below = c
	}
	if last := chain[len(chain)-1]; !bytes.Equal(last.RawIssuer, last.RawSubject) || x509util.CheckSignatureFrom(last, last) != nil {
		return Errorf(KindInvalidRequest, "The certificate chain must end with a self-signed root certificate.")
	}
	return nil
}

// checkCAExtensions requires a critical basicConstraints with CA=TRUE and
// refuses critical extensions the model does not allow to be critical.
func checkCAExtensions(c *x509.Certificate, what string) error {
	bc := false
	for _, e := range c.Extensions {
		oid := e.Id.String()
		if e.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 19}) {
			bc = e.Critical
		}
		if e.Critical && !allowedCritical[oid] {
			return Errorf(KindMalformedCertificate, "The %s has a critical extension %s that may not be critical.", what, oid)
		}
	}
	if !bc || !c.BasicConstraintsValid || !c.IsCA {
		return Errorf(KindMalformedCertificate, "The %s must have a critical basicConstraints extension with CA=TRUE.", what)
	}
	return nil
}

// GetCACertificate returns the CA's certificate and its chain (empty for a root).
func (s *Service) GetCACertificate(ctx context.Context, caller Caller, arn string) (cert, chain string, err error) {
	ca, err := s.load(ctx, caller, "GetCertificateAuthorityCertificate", arn)
	if err != nil {
		return "", "", err
	}
	switch ca.Reported(s.now()) {
	case StatusActive, StatusDisabled, StatusExpired:
		return ca.Certificate, ca.CertificateChain, nil
	}
	return "", "", Errorf(KindInvalidState, "The certificate authority %s is not in the correct state to have a certificate.", arn)
}

func parseOnePEM(in []byte) (*x509.Certificate, error) {
	certs, err := parsePEMChain(in)
	if err != nil {
		return nil, err
	}
	if len(certs) != 1 {
		return nil, fmt.Errorf("want one certificate, found %d", len(certs))
	}
	return certs[0], nil
}

func parsePEMChain(in []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := bytes.TrimSpace(in)
	for len(rest) > 0 {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil || block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("not a PEM CERTIFICATE block")
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		certs = append(certs, c)
		rest = bytes.TrimSpace(rest)
	}
	return certs, nil
}
