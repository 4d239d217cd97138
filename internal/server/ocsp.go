package server

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"time"

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
	cas, err := b.domain.OperationalCAs(ctx)
	if err != nil {
		return nil, err
	}
	now := b.domain.Now
	if now == nil {
		now = time.Now
	}
	var out []ocsp.CA
	for _, ca := range cas {
		if !ca.AnswersOCSP(now()) {
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

// watchRevocations tells the OCSP cache of revocations other nodes made,
// every interval, until ctx ends; a node's own revocations reach it at once.
// Each CRL row counts its revocations, so a poll reads one small row per
// CRL and, for a CRL that changed, only the revocations it has not seen.
// The first poll runs before watchRevocations returns its loop, so that the
// baseline predates every answer the node caches.
func (s *Server) watchRevocations(ctx context.Context, interval time.Duration) (loop func()) {
	seen := map[[2]string]int64{}
	poll := func(first bool) {
		states, err := s.store.CRLStates(ctx, "")
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("reading revocations for the OCSP cache", "err", err)
			}
			return
		}
		for _, st := range states {
			k := [2]string{st.CAID, st.Partition}
			if st.Revision == seen[k] {
				continue
			}
			if first {
				// Nothing is cached yet: the baseline is enough.
				seen[k] = st.Revision
				continue
			}
			err := s.store.ReadCRL(ctx, st.CAID, st.Partition, seen[k], func(revision int64, entries func(func(pca.RevokedEntry) error) error) error {
				if err := entries(func(e pca.RevokedEntry) error { s.ocsp.Revoked(st.CAID, e.Serial); return nil }); err != nil {
					return err
				}
				seen[k] = revision
				return nil
			})
			if err != nil && ctx.Err() == nil {
				s.log.Warn("reading revocations for the OCSP cache", "ca", st.CAID, "err", err)
			}
		}
	}
	poll(true)
	return func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				poll(false)
			}
		}
	}
}
