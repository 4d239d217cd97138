package pca

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/openpca/openpca/internal/iam"
)

// IdempotencyWindow is how long AWS honours an idempotency token.
const IdempotencyWindow = 5 * time.Minute

// Service carries out CA operations on behalf of authenticated callers.
type Service struct {
	Store  Store
	Keys   KeyManager
	Region string
	// ObjectBaseURL is the public base URL of the object store: a CRL in
	// bucket b under key k is fetched from <ObjectBaseURL>/b/k when the CA
	// names no custom host.
	ObjectBaseURL string
	// OCSPURL is openpca's OCSP responder, named in certificates of CAs with
	// OCSP enabled and no custom name.
	OCSPURL string
	Log     *slog.Logger
	// Now is the clock; nil means time.Now. Tests inject a fake one.
	Now func() time.Time
	// NewID makes CA identifiers; nil means random UUIDs.
	NewID func() string
	// Rand is the source of serial numbers and signatures; nil means crypto/rand.
	Rand io.Reader
	// CRLs is told about revocations and first issuances; nil when no
	// publisher runs.
	CRLs CRLScheduler
	// Buckets proves CRL buckets writable on Create and Update; nil skips the check.
	Buckets BucketChecker
	// Objects stores audit reports; TempDir is where they are assembled ("" = the system's).
	Objects ObjectWriter
	TempDir string
	// Events receives AWS EventBridge-style events; nil drops them.
	Events EventSink
	// OCSP is told about revocations and CA changes; nil when no responder runs.
	OCSP OCSPCache
	// RevokedLimit caps unexpired revoked certificates per COMPLETE CRL; 0
	// means DefaultRevokedLimit.
	RevokedLimit int64
	// CertificateLimit caps the certificates one CA issues; 0 means
	// DefaultCertificateLimit.
	CertificateLimit int64
	// PartitionSize caps the certificates bound to one CRL partition; 0 means
	// DefaultPartitionSize.
	PartitionSize int64
	// DeltaCRLs publishes, beside every COMPLETE CRL, a delta CRL of the
	// revocations since it, and names it in issued certificates (Freshest
	// CRL). AWS has none; off by default.
	DeltaCRLs bool
	// KeyStandards are the KeyStorageSecurityStandard values the backend
	// that creates new CA keys is declared to meet (see KeyStandards); nil
	// for software keys, for which the requested value is echoed.
	KeyStandards []string

	background sync.WaitGroup
	policies   policyCache
}

func (s *Service) rand() io.Reader {
	if s.Rand != nil {
		return s.Rand
	}
	return rand.Reader
}

// Caller is the authenticated principal a request acts for.
type Caller struct {
	Account string
	ARN     string
	// Root says the caller is its account's root user, allowed everything
	// on its own account's CAs.
	Root bool
	// Policies are the caller's identity policies.
	Policies []*iam.Policy
	// SessionPolicies further limit a role session's permissions (nil: no limit).
	SessionPolicies []*iam.Policy
	// Context holds the caller's own condition keys (aws:PrincipalArn,
	// aws:username, ...), added to every request's.
	Context map[string][]string
}

// now is kept to the millisecond, the precision AWS reports and the store keeps.
func (s *Service) now() time.Time {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	return now().UTC().Truncate(time.Millisecond)
}

func (s *Service) newID() string {
	if s.NewID != nil {
		return s.NewID()
	}
	return uuid.NewString()
}

// load returns the CA named by arn once caller is authorized to perform
// action on it (see authorize). A CA whose deletion window has passed is gone.
func (s *Service) load(ctx context.Context, caller Caller, action, arn string) (*CA, error) {
	return s.loadWith(ctx, caller, action, arn, nil)
}

// loadWith is load with the request's condition keys.
func (s *Service) loadWith(ctx context.Context, caller Caller, action, arn string, conditions map[string][]string) (*CA, error) {
	ref, err := parseCAArn(arn)
	if err != nil {
		return nil, err
	}
	var ca *CA
	if ref.Region == s.Region && ref.Partition == s.partition() {
		got, err := s.Store.GetCA(ctx, ref.Account, ref.ID)
		switch {
		case err == nil && !got.purged(s.now()):
			ca = got
		case err != nil && !errors.Is(err, ErrNotFound):
			return nil, err
		}
	}
	// Authorization comes first, as in AWS: a caller that may not act on
	// the CA learns nothing of whether it exists.
	policy := ""
	if ca != nil {
		policy = ca.Policy
	}
	if err := s.authorize(caller, action, arn, ref.Account, policy, conditions); err != nil {
		return nil, err
	}
	if ca == nil {
		return nil, notFound(arn)
	}
	return ca, nil
}

// update runs mutate on the CA named by arn inside one store transaction,
// once caller is authorized to perform action on it.
func (s *Service) update(ctx context.Context, caller Caller, action, arn string, mutate func(*CA) error) (*CA, error) {
	seen, err := s.load(ctx, caller, action, arn)
	if err != nil {
		return nil, err
	}
	if s.OCSP != nil {
		defer s.OCSP.InvalidateCAs() // status, certificate or OCSP setting may have changed
	}
	ca, err := s.Store.UpdateCA(ctx, seen.Account, seen.ID, func(ca *CA) error {
		if ca.purged(s.now()) {
			return ErrNotFound
		}
		if ca.Policy != seen.Policy {
			// The resource policy changed since the check above.
			if err := s.authorize(caller, action, arn, ca.Account, ca.Policy, nil); err != nil {
				return err
			}
		}
		return mutate(ca)
	})
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, notFound(arn)
	case errors.Is(err, ErrConflict):
		return nil, Errorf(KindConcurrentModification, "A previous update to your private CA is still ongoing.")
	}
	return ca, err
}

func notFound(arn string) error {
	return Errorf(KindNotFound, "Could not find certificate authority %s.", arn)
}

// CreateRequest is the input of CreateCA.
type CreateRequest struct {
	Type             Type
	Config           Config
	Revocation       RevocationRequest
	KeyStorage       string
	UsageMode        string
	Tags             []Tag
	IdempotencyToken string
}

// CreateCA creates a CA and returns it. A repeated idempotency token within
// IdempotencyWindow returns the CA the first call created.
func (s *Service) CreateCA(ctx context.Context, caller Caller, req CreateRequest) (*CA, error) {
	if err := s.authorize(caller, "CreateCertificateAuthority", "*", caller.Account, "", nil); err != nil {
		return nil, err
	}
	if err := checkAlgorithms(req.Config.KeyAlgorithm, req.Config.SigningAlgorithm); err != nil {
		return nil, err
	}
	if err := checkName(req.Config.Subject, "Subject"); err != nil {
		return nil, err
	}
	if err := checkCsrExtensions(req.Config.CsrExtensions); err != nil {
		return nil, err
	}
	keyStorage, err := keyStorage(s.KeyStandards, req.KeyStorage)
	if err != nil {
		return nil, err
	}
	rev, err := applyRevocation(RevocationConfig{}, req.Revocation)
	if err != nil {
		return nil, err
	}
	if err := s.checkBucket(ctx, req.Revocation); err != nil {
		return nil, err
	}
	if err := checkTagKeys(req.Tags); err != nil {
		return nil, err
	}
	if len(dedupeTags(req.Tags)) > MaxTags {
		return nil, tooManyTags()
	}
	now := s.now()
	ca := &CA{
		ID:                s.newID(),
		Account:           caller.Account,
		Type:              req.Type,
		Status:            StatusCreating,
		CreatedAt:         now,
		LastStateChangeAt: now,
		Config:            req.Config,
		Revocation:        rev,
		KeyStorage:        keyStorage,
		UsageMode:         orDefault(req.UsageMode, DefaultUsageMode),
		Tags:              dedupeTags(req.Tags),
	}
	var idem *Idempotency
	if req.IdempotencyToken != "" {
		idem = &Idempotency{Account: caller.Account, Operation: "CreateCertificateAuthority", Token: req.IdempotencyToken, Since: now.Add(-IdempotencyWindow)}
	}
	got, err := s.Store.CreateCA(ctx, ca, idem)
	if err != nil {
		return nil, fmt.Errorf("create CA: %w", err)
	}
	if got.ID == ca.ID {
		s.startKeyGeneration(ca.Account, ca.ID)
	}
	return got, nil
}

// ReportedStatus is the status callers see for ca now (see CA.Reported).
func (s *Service) ReportedStatus(ca *CA) Status { return ca.Reported(s.now()) }

// OperationalCAs returns every CA, of any account, stored as ACTIVE or
// DISABLED: those that may publish CRLs and answer OCSP (see
// CA.PublishesCRLs and CA.AnswersOCSP for the rest of each rule).
func (s *Service) OperationalCAs(ctx context.Context) ([]*CA, error) {
	var out []*CA
	for _, st := range []Status{StatusActive, StatusDisabled} {
		cas, err := s.Store.CAsInStatus(ctx, st)
		if err != nil {
			return nil, err
		}
		out = append(out, cas...)
	}
	return out, nil
}

// DescribeCA returns the CA named by arn.
func (s *Service) DescribeCA(ctx context.Context, caller Caller, arn string) (*CA, error) {
	return s.load(ctx, caller, "DescribeCertificateAuthority", arn)
}

// UpdateRequest is the input of UpdateCA; nil fields are left unchanged.
type UpdateRequest struct {
	Status     *Status
	Revocation RevocationRequest
}

// UpdateCA enables or disables a CA and changes its revocation configuration.
func (s *Service) UpdateCA(ctx context.Context, caller Caller, arn string, req UpdateRequest) error {
	if _, err := s.load(ctx, caller, "UpdateCertificateAuthority", arn); err != nil {
		return err
	}
	if req.Status != nil && *req.Status != StatusActive && *req.Status != StatusDisabled {
		return Errorf(KindInvalidArgs, "The status %s is not valid for UpdateCertificateAuthority; use ACTIVE or DISABLED.", *req.Status)
	}
	if req.Revocation.CRL != nil && req.Revocation.CRL.Enabled {
		// Prove the bucket writable outside the transaction, after the
		// checks that need no network.
		ca, err := s.load(ctx, caller, "UpdateCertificateAuthority", arn)
		if err != nil {
			return err
		}
		if st := ca.Reported(s.now()); !operational(st) {
			return Errorf(KindInvalidState, "The certificate authority must be in the ACTIVE or DISABLED state to be updated")
		}
		if _, err := applyRevocation(ca.Revocation, req.Revocation); err != nil {
			return err
		}
		if err := s.checkBucket(ctx, req.Revocation); err != nil {
			return err
		}
	}
	ca, err := s.update(ctx, caller, "UpdateCertificateAuthority", arn, func(ca *CA) error {
		now := s.now()
		if st := ca.Reported(now); !operational(st) {
			return Errorf(KindInvalidState, "The certificate authority must be in the ACTIVE or DISABLED state to be updated")
		}
		rev, err := applyRevocation(ca.Revocation, req.Revocation)
		if err != nil {
			return err
		}
		ca.Revocation = rev
		if req.Status != nil && *req.Status != ca.Status {
			ca.Status = *req.Status
			ca.LastStateChangeAt = now
		}
		return nil
	})
	if err == nil && req.Revocation.CRL != nil {
		err = s.scheduleCRLs(ctx, ca)
	}
	return err
}

// scheduleCRLs has every CRL of ca looked at again, for a changed CRL
// configuration: one now published elsewhere is published there.
func (s *Service) scheduleCRLs(ctx context.Context, ca *CA) error {
	if s.CRLs == nil || !ca.Revocation.CRL.Enabled {
		return nil
	}
	states, err := s.Store.CRLStates(ctx, ca.ID)
	if err != nil {
		return err
	}
	// Only CRLs some certificate refers to exist, as in AWS: those with a
	// state.
	partitioned := ca.Revocation.CRL.CrlType == "PARTITIONED"
	for _, st := range states {
		if st.Partition != "" || !partitioned {
			s.CRLs.Schedule(ca.Account, ca.ID, st.Partition)
		}
	}
	return nil
}

// DeleteCA deletes a CA. CAs that never got a key or failed are removed at
// once; others enter a restoration window of windowDays (0 = 30).
func (s *Service) DeleteCA(ctx context.Context, caller Caller, arn string, windowDays int) error {
	if windowDays == 0 {
		windowDays = DefaultDeletionWindowDays
	}
	purge := false
	ca, err := s.update(ctx, caller, "DeleteCertificateAuthority", arn, func(ca *CA) error {
		now := s.now()
		switch ca.Reported(now) {
		case StatusActive:
			return Errorf(KindInvalidState, "The certificate authority %s is in the ACTIVE state and cannot be deleted. Disable it first.", arn)
		case StatusDeleted:
			return Errorf(KindInvalidState, "The certificate authority %s has already been deleted.", arn)
		case StatusCreating, StatusFailed:
			purge = true
			return nil
		}
		ca.StatusBeforeDeletion = ca.Status
		ca.Status = StatusDeleted
		ca.LastStateChangeAt = now
		ca.RestorableUntil = now.AddDate(0, 0, windowDays)
		return nil
	})
	if err != nil || !purge {
		return err
	}
	return s.Store.PurgeCA(ctx, ca.Account, ca.ID)
}

// RestoreCA brings a DELETED CA back to the status it had before deletion.
func (s *Service) RestoreCA(ctx context.Context, caller Caller, arn string) error {
	_, err := s.update(ctx, caller, "RestoreCertificateAuthority", arn, func(ca *CA) error {
		if ca.Status != StatusDeleted {
			return Errorf(KindInvalidState, "The certificate authority %s is not in the DELETED state and cannot be restored.", arn)
		}
		ca.Status = ca.StatusBeforeDeletion
		ca.StatusBeforeDeletion = ""
		ca.RestorableUntil = time.Time{}
		ca.LastStateChangeAt = s.now()
		return nil
	})
	return err
}

// PurgeExpiredDeletions removes CAs whose restoration window has ended,
// destroying each one's key first: a CA whose key cannot be destroyed yet
// (its backend is not configured on this node, say) stays, hidden from
// callers, until a later sweep succeeds.
func (s *Service) PurgeExpiredDeletions(ctx context.Context) (int, error) {
	deleted, err := s.Store.CAsInStatus(ctx, StatusDeleted)
	if err != nil {
		return 0, err
	}
	n, now := 0, s.now()
	var errs []error
	for _, ca := range deleted {
		if !ca.purged(now) {
			continue
		}
		var err error
		if ca.Key.ID != "" {
			err = s.Keys.DestroyKey(ctx, ca.Key)
		}
		if err == nil {
			err = s.Store.PurgeCA(ctx, ca.Account, ca.ID)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("CA %s: %w", ca.ID, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
