package pca

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/openpca/openpca/internal/events"
	"github.com/openpca/openpca/internal/issuance"
	"github.com/openpca/openpca/internal/keys"
	"github.com/openpca/openpca/internal/x509util"
)

// KeyManager creates CA keys and signs with them; the private key never
// leaves it unencrypted.
type KeyManager interface {
	CreateKey(ctx context.Context, algorithm string) (keys.Handle, crypto.PublicKey, error)
	Signer(ctx context.Context, h keys.Handle) (crypto.Signer, error)
	DestroyKey(ctx context.Context, h keys.Handle) error
}

// generateKey moves a CREATING CA to PENDING_CERTIFICATE: it creates the
// key and the CA's CSR, or marks the CA FAILED. It runs in the background,
// as AWS does, so CreateCertificateAuthority answers at once.
func (s *Service) generateKey(ctx context.Context, account, id string) error {
	ca, err := s.Store.GetCA(ctx, account, id)
	if err != nil || ca.Status != StatusCreating {
		return err
	}
	handle, csr, err := s.keyAndCSR(ctx, ca)
	kept := false
	_, uerr := s.Store.UpdateCA(ctx, account, id, func(ca *CA) error {
		kept = false // the store may run this again
		if ca.Status != StatusCreating {
			return nil // deleted meanwhile, or another node finished first
		}
		ca.LastStateChangeAt = s.now()
		if err != nil {
			ca.Status, ca.FailureReason = StatusFailed, "OTHER"
			if errors.Is(err, keys.ErrUnsupportedAlgorithm) {
				ca.FailureReason = "UNSUPPORTED_ALGORITHM"
			}
			return nil
		}
		ca.Status, ca.Key, ca.CSR, kept = StatusPendingCertificate, handle, csr, true
		return nil
	})
	if handle.ID != "" && !kept && (uerr == nil || errors.Is(uerr, ErrNotFound)) {
		// No CA holds this key: left in an HSM, it would be an orphan
		// nobody could ever find or sign with. (After another store error
		// the update may have committed, so the key stays.)
		if derr := s.Keys.DestroyKey(ctx, handle); derr != nil {
			uerr = errors.Join(uerr, fmt.Errorf("destroying the unused key: %w", derr))
		}
	}
	if errors.Is(uerr, ErrNotFound) {
		return err // deleted meanwhile
	}
	result := "success"
	if err != nil || uerr != nil {
		result = "failure"
	}
	s.emit(events.CAcreation, []string{s.CAArn(ca)}, map[string]any{"result": result})
	return errors.Join(err, uerr)
}

func (s *Service) keyAndCSR(ctx context.Context, ca *CA) (keys.Handle, string, error) {
	handle, _, err := s.Keys.CreateKey(ctx, ca.Config.KeyAlgorithm)
	if err != nil {
		return handle, "", fmt.Errorf("create key: %w", err)
	}
	signer, err := s.Keys.Signer(ctx, handle)
	if err != nil {
		return handle, "", fmt.Errorf("key signer: %w", err)
	}
	tmpl := &x509.CertificateRequest{Subject: ca.Config.Subject.ToPKIX()}
	if ext := ca.Config.CsrExtensions; ext != nil {
		if ext.KeyUsage != nil {
			ku, err := ext.KeyUsage.Extension()
			if err != nil {
				return handle, "", err
			}
			tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, ku)
		}
		if len(ext.SubjectInformationAccess) > 0 {
			sia, err := issuance.SubjectInfoAccessExtension(ext.SubjectInformationAccess)
			if err != nil {
				return handle, "", err
			}
			tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, sia)
		}
	}
	der, err := x509util.CreateCertificateRequest(s.rand(), tmpl, signer, ca.Config.SigningAlgorithm)
	if err != nil {
		return handle, "", fmt.Errorf("create CSR: %w", err)
	}
	return handle, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})), nil
}

// startKeyGeneration finishes a CA's creation in the background.
func (s *Service) startKeyGeneration(account, id string) {
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		if err := s.generateKey(context.Background(), account, id); err != nil && s.Log != nil {
			s.Log.Error("creating CA key", "ca", id, "err", err)
		}
	}()
}

// ResumeCreation restarts key generation for CAs left in CREATING for at
// least stale, for example because the process making the key was killed.
// Several nodes sharing a database pass a stale longer than any key takes,
// so that they leave alone the CAs another node is still creating.
func (s *Service) ResumeCreation(ctx context.Context, stale time.Duration) error {
	cas, err := s.Store.CAsInStatus(ctx, StatusCreating)
	if err != nil {
		return err
	}
	for _, ca := range cas {
		if !ca.LastStateChangeAt.After(s.now().Add(-stale)) {
			s.startKeyGeneration(ca.Account, ca.ID)
		}
	}
	return nil
}

// Wait blocks until background work (key generation) has finished.
func (s *Service) Wait() { s.background.Wait() }

// GetCSR returns the CA's own CSR in PEM.
func (s *Service) GetCSR(ctx context.Context, caller Caller, arn string) (string, error) {
	ca, err := s.load(ctx, caller, "GetCertificateAuthorityCsr", arn)
	if err != nil {
		return "", err
	}
	switch ca.Status {
	case StatusCreating:
		return "", Errorf(KindRequestInProgress, "The certificate authority %s is still being created; its CSR is not ready yet.", arn)
	case StatusFailed, StatusDeleted:
		return "", Errorf(KindInvalidState, "The certificate authority %s is not in the correct state to have a certificate signing request.", arn)
	}
	return ca.CSR, nil
}
