package pca

import (
	"context"
	"errors"
	"time"
)

// Store is the persistence the domain needs. Every method that returns
// without error has made its write durable.
type Store interface {
	// CreateCA saves a new CA. When idem is not nil and a CA was created for the
	// same idempotency key after idem.Since, that CA is returned instead and
	// nothing is written.
	CreateCA(ctx context.Context, ca *CA, idem *Idempotency) (*CA, error)
	// GetCA returns ErrNotFound when the account has no such CA.
	GetCA(ctx context.Context, account, id string) (*CA, error)
	// CAsInStatus returns every CA, of any account, in the given stored status.
	CAsInStatus(ctx context.Context, status Status) ([]*CA, error)
	// ListCAs returns up to limit CAs of account, ordered by creation time then
	// ID, strictly after the given position (zero values for the first page).
	ListCAs(ctx context.Context, account string, after ListPosition, limit int) ([]*CA, error)
	// ListSharedCAs is ListCAs over the CAs of every account but notAccount
	// that have a resource policy.
	ListSharedCAs(ctx context.Context, notAccount string, after ListPosition, limit int) ([]*CA, error)
	// UpdateCA reads the CA, lets mutate change it and saves the result in one
	// transaction, so concurrent updates cannot interleave. An error from
	// mutate aborts the update and is returned unchanged.
	UpdateCA(ctx context.Context, account, id string, mutate func(*CA) error) (*CA, error)
	// CreateCertificate saves an issued certificate. A serial the CA already
	// used is ErrConflict; a CA that has issued limit certificates (limit >
	// 0) gets ErrLimit. A certificate that NamesCRL creates its CRL's state
	// (unpublished) if there is none. With idem, as for CreateCA: a certificate issued for
	// the same key after idem.Since is returned instead and nothing is written.
	CreateCertificate(ctx context.Context, cert *Certificate, idem *Idempotency, limit int64) (*Certificate, error)
	// GetCertificate returns ErrNotFound when the CA issued no such serial.
	GetCertificate(ctx context.Context, caID, serial string) (*Certificate, error)
	// RevokeCertificate records a revocation and marks the certificate's CRL
	// as due, in one durable write. It returns ErrNotFound, ErrAlreadyRevoked,
	// ErrExpired (notAfter before at) or ErrLimit (limit > 0 unexpired revoked
	// certificates already counted for the CRL).
	RevokeCertificate(ctx context.Context, caID, serial string, at time.Time, reason string, limit int64) (*Certificate, error)
	// ReservePartition returns a CRL partition of the CA with room for one
	// more certificate (at most size per partition), opening a new one when
	// all are full.
	ReservePartition(ctx context.Context, caID, newID string, size int64, at time.Time) (string, error)
	// CRLStates returns the CRL rows of a CA (every partition), or of every CA when caID is "".
	CRLStates(ctx context.Context, caID string) ([]CRLState, error)
	// LeaseCRL gives holder the right to publish a CRL until until, creating
	// the CRL's row (due from now) if it has none. It reports false when
	// another holder's lease is still running at now. With renew it only
	// extends a lease holder still has, so a holder whose lease ran out and
	// was taken, even by a node that has finished since, learns so.
	LeaseCRL(ctx context.Context, caID, partition, holder string, now, until time.Time, renew bool) (bool, error)
	// ReleaseCRL ends holder's lease, if it still has it.
	ReleaseCRL(ctx context.Context, caID, partition, holder string) error
	// ReadCRL runs fn in one consistent read snapshot. fn gets the CRL row's
	// revision and an iterator over the CRL's revoked certificates whose
	// revocation came after afterRevision (-1 for all of them, expired ones
	// included); the iterator may run several times and always yields the
	// same entries, streamed, in no particular order.
	ReadCRL(ctx context.Context, caID, partition string, afterRevision int64,
		fn func(revision int64, entries func(yield func(RevokedEntry) error) error) error) error
	// SaveCRLPublished records a CRL holder published from the snapshot at
	// revision and ends holder's lease; the row stays due when revocations
	// came after the snapshot. It returns ErrLeaseLost, saving nothing, when
	// holder no longer holds the lease or a CRL with a number not below
	// st.Number was saved.
	SaveCRLPublished(ctx context.Context, st CRLState, revision int64, holder string) error
	// Certificates streams every certificate a CA issued, revoked or not.
	Certificates(ctx context.Context, caID string, yield func(*Certificate) error) error
	// CreateAuditReport saves a new report in CREATING; it returns
	// ErrConflict when the CA has a report created after notBefore.
	CreateAuditReport(ctx context.Context, r *AuditReport, notBefore time.Time) error
	// GetAuditReport returns ErrNotFound for an unknown report.
	GetAuditReport(ctx context.Context, caID, id string) (*AuditReport, error)
	// SetAuditReportStatus records a report's outcome.
	SetAuditReportStatus(ctx context.Context, caID, id, status string) error
	// AuditReportsInStatus returns every report, of any CA, in status.
	AuditReportsInStatus(ctx context.Context, status string) ([]*AuditReport, error)
	// CreatePermission saves a grant; ErrConflict when the CA already has
	// one for the same principal and source account.
	CreatePermission(ctx context.Context, p *Permission) error
	// ListPermissions returns up to limit grants of a CA, ordered by
	// principal then source account, strictly after the given pair (empty
	// strings for the first page).
	ListPermissions(ctx context.Context, caID, afterPrincipal, afterSourceAccount string, limit int) ([]*Permission, error)
	// DeletePermission removes a grant; ErrNotFound when there is none.
	DeletePermission(ctx context.Context, caID, principal, sourceAccount string) error
	// PurgeCA removes a CA and everything that belongs to it.
	PurgeCA(ctx context.Context, account, id string) error
	Close() error
}

// Errors a Store returns for revocations.
var (
	ErrAlreadyRevoked = errors.New("pca: already revoked")
	ErrExpired        = errors.New("pca: certificate expired")
	ErrLimit          = errors.New("pca: revocation limit reached")
	ErrLeaseLost      = errors.New("pca: CRL lease lost to another node")
)

// Idempotency identifies a retried request by its token.
type Idempotency struct {
	Account   string
	Operation string
	Token     string
	// Since is the start of the window in which a token is still honoured.
	Since time.Time
}

// ListPosition is a position in the (CreatedAt, ID) order of ListCAs.
type ListPosition struct {
	CreatedAt time.Time
	ID        string
}
