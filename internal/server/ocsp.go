package server

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"

	"github.com/openpca/openpca/internal/ocsp"
	"github.com/openpca/openpca/internal/pca"
)

// ocspBackend gives the OCSP responder the CAs that answer and the status
// of their certificates, straight from the store.
type ocspBackend struct {
	domain *pca.Service
}

// CAs implements ocsp.Backend: ACTIVE and DISABLED CAs with OCSP enabled,
// as AWS answers OCSP in both.
func (b ocspBackend) CAs(ctx context.Context) ([]ocsp.CA, error) {
	var out []ocsp.CA
	for _, status := range []pca.Status{pca.StatusActive, pca.StatusDisabled} {
		cas, err := b.domain.Store.CAsInStatus(ctx, status)
		if err != nil {
			return nil, err
		}
		for _, ca := range cas {
			if !ca.Revocation.OCSP.Enabled || ca.Certificate == "" || b.domain.ReportedStatus(ca) == pca.StatusExpired {
				continue
			}
			block, _ := pem.Decode([]byte(ca.Certificate))
			if block == nil {
				return nil, errors.New("CA certificate of " + ca.ID + " is not PEM")
			}
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, err
			}
			signer, err := b.domain.Keys.Signer(ctx, ca.Key)
			if err != nil {
				return nil, err
			}
			out = append(out, ocsp.CA{ID: ca.ID, Certificate: cert, Signer: signer, SigningAlgorithm: ca.Config.SigningAlgorithm})
		}
	}
	return out, nil
}

// Status implements ocsp.Backend.
func (b ocspBackend) Status(ctx context.Context, caID, serial string) (ocsp.Status, error) {
	cert, err := b.domain.Store.GetCertificate(ctx, caID, serial)
	if errors.Is(err, pca.ErrNotFound) {
		return ocsp.Status{}, nil
	}
	if err != nil {
		return ocsp.Status{}, err
	}
	st := ocsp.Status{Known: true, Revoked: !cert.RevokedAt.IsZero(), RevokedAt: cert.RevokedAt}
	if st.Revoked {
		st.Reason = pca.ReasonCodes[cert.RevocationReason]
	}
	return st, nil
}
