package pca

import (
	"time"

	"github.com/openpca/openpca/internal/issuance"
	"github.com/openpca/openpca/internal/keys"
)

// Status is a CA's lifecycle state, as AWS Private CA names it.
type Status string

const (
	StatusCreating           Status = "CREATING"
	StatusPendingCertificate Status = "PENDING_CERTIFICATE"
	StatusActive             Status = "ACTIVE"
	StatusDeleted            Status = "DELETED"
	StatusDisabled           Status = "DISABLED"
	StatusExpired            Status = "EXPIRED"
	StatusFailed             Status = "FAILED"
)

// Type says whether a CA is a root or a subordinate.
type Type string

const (
	TypeRoot        Type = "ROOT"
	TypeSubordinate Type = "SUBORDINATE"
)

// Defaults AWS applies when the caller leaves a field out.
const (
	DefaultKeyStorage         = "FIPS_140_2_LEVEL_3_OR_HIGHER"
	DefaultUsageMode          = "GENERAL_PURPOSE"
	UsageModeShortLived       = "SHORT_LIVED_CERTIFICATE"
	DefaultS3ObjectACL        = "PUBLIC_READ"
	DefaultCRLType            = "COMPLETE"
	DefaultDeletionWindowDays = 30
)

// CA is one certificate authority as the domain sees it.
type CA struct {
	ID      string // the UUID at the end of the ARN
	Account string
	Type    Type
	// Status is the stored status; Reported applies the rules that derive
	// EXPIRED from the CA certificate's validity.
	Status Status
	// StatusBeforeDeletion is what RestoreCertificateAuthority returns to.
	StatusBeforeDeletion Status
	FailureReason        string
	CreatedAt            time.Time
	LastStateChangeAt    time.Time
	RestorableUntil      time.Time // zero unless Status is DELETED

	// Set once a CA certificate is imported; zero before.
	Serial    string
	NotBefore time.Time
	NotAfter  time.Time

	Config     Config
	Revocation RevocationConfig
	KeyStorage string
	UsageMode  string
	Tags       []Tag

	// Key is the key manager's handle of the CA key; zero while CREATING.
	Key keys.Handle
	// CSR is the CA's own certificate signing request, PEM.
	CSR string
	// Certificate and CertificateChain are the imported CA certificate and
	// its chain, PEM, byte for byte as imported.
	Certificate      string
	CertificateChain string
	// Policy is the CA's resource-based policy document (PutPolicy), "" when none.
	Policy string
}

// Reported is the status Describe and List show at now: a CA whose
// certificate has expired reports EXPIRED unless it is DELETED.
func (ca *CA) Reported(now time.Time) Status {
	if (ca.Status == StatusActive || ca.Status == StatusDisabled) && !ca.NotAfter.IsZero() && now.After(ca.NotAfter) {
		return StatusExpired
	}
	return ca.Status
}

// operational says a CA in status st revokes, publishes CRLs, answers OCSP
// and writes audit reports: as in AWS, it is ACTIVE or DISABLED (and so
// not expired).
func operational(st Status) bool { return st == StatusActive || st == StatusDisabled }

// PublishesCRLs reports whether the CA's CRLs are generated at now: AWS
// generates them only for ACTIVE and DISABLED CAs with CRLs turned on.
func (ca *CA) PublishesCRLs(now time.Time) bool {
	return ca.Revocation.CRL.Enabled && operational(ca.Reported(now))
}

// AnswersOCSP reports whether the CA's OCSP responder answers at now:
// ACTIVE and DISABLED CAs with OCSP turned on and a certificate.
func (ca *CA) AnswersOCSP(now time.Time) bool {
	return ca.Revocation.OCSP.Enabled && ca.Certificate != "" && operational(ca.Reported(now))
}

// purged reports whether a deleted CA's restoration window has passed, after
// which it no longer exists for callers.
func (ca *CA) purged(now time.Time) bool {
	return ca.Status == StatusDeleted && !ca.RestorableUntil.IsZero() && !now.Before(ca.RestorableUntil)
}

// Config is the CA's CertificateAuthorityConfiguration.
type Config struct {
	KeyAlgorithm     string
	SigningAlgorithm string
	Subject          Name
	CsrExtensions    *CsrExtensions
}

// The X.509 value types are the issuance package's, so the domain and the
// certificate builder speak one vocabulary.
type (
	Name              = issuance.Name
	Attribute         = issuance.Attribute
	KeyUsage          = issuance.KeyUsage
	AccessDescription = issuance.AccessDescription
	GeneralName       = issuance.GeneralName
	OtherName         = issuance.OtherName
	EdiPartyName      = issuance.EdiPartyName
)

// CsrExtensions are the extensions requested in the CA's own CSR.
type CsrExtensions struct {
	KeyUsage                 *KeyUsage
	SubjectInformationAccess []AccessDescription
}

// Tag is one key/value label on a CA.
type Tag struct {
	Key   string
	Value *string // AWS distinguishes an absent value from an empty one when untagging
}

// RevocationConfig is the CA's RevocationConfiguration.
type RevocationConfig struct {
	CRL  CRLConfig
	OCSP OCSPConfig
}

// CRLConfig says whether and where the CA publishes CRLs.
type CRLConfig struct {
	Enabled          bool
	ExpirationInDays int
	CustomCname      string
	S3BucketName     string
	S3ObjectACL      string
	// OmitExtension is nil when CrlDistributionPointExtensionConfiguration was not given.
	OmitExtension *bool
	CrlType       string
	CustomPath    string
}

// OCSPConfig says whether the CA answers OCSP and under which host name.
type OCSPConfig struct {
	Enabled         bool
	OcspCustomCname string
}

// Certificate is one certificate a CA issued.
type Certificate struct {
	CAID string
	// Serial is the lowercase hex of the serial number, as in the certificate ARN.
	Serial    string
	DER       []byte
	IssuedAt  time.Time
	NotBefore time.Time
	NotAfter  time.Time
	// RevokedAt is zero while the certificate is not revoked.
	RevokedAt        time.Time
	RevocationReason string
	// Partition is the CRL partition the certificate was bound to at
	// issuance; "" for a COMPLETE CRL.
	Partition   string
	TemplateArn string
	// Names are the names the certificate is for, for search: subject
	// common name and subject alternative names, lowercase, one per line.
	Names string
	// NamesCRL says a new certificate names its CRL (Partition's) in a
	// distribution point. AWS publishes a CRL only once a certificate
	// refers to it, so saving such a certificate records its CRL as due.
	// It is not stored: read back, it is false.
	NamesCRL bool
}

// AuditReport is one CreateCertificateAuthorityAuditReport request.
type AuditReport struct {
	Account   string
	CAID      string
	ID        string
	Bucket    string
	Key       string
	Format    string // JSON or CSV
	Status    string // CREATING, SUCCESS or FAILED
	CreatedAt time.Time
}

// CRLState is the publication state of one CRL: a CA's complete CRL
// (Partition "") or one partition.
type CRLState struct {
	Account   string
	CAID      string
	Partition string
	// Number is the CRL Number last published (0 before the first).
	Number int64
	// DirtySince is when the CRL became due: the oldest revocation not yet
	// published, or a new partition's creation; zero when the published
	// CRL is current.
	DirtySince time.Time
	// UnpublishedSince is the time of the oldest revocation no published
	// CRL lists; zero when there is none.
	UnpublishedSince time.Time
	RevokedCount     int64
	// Revision counts the revocations the CRL has had, published or not.
	Revision int64
	// Location is where the CRL was last published: "bucket/key URL".
	Location    string
	ThisUpdate  time.Time
	NextUpdate  time.Time
	PublishedAt time.Time
	SizeBytes   int64
	Entries     int64
	// BaseNumber, BaseRevision and BaseThisUpdate describe the complete CRL
	// the delta CRL is built against (zero without delta CRLs): its
	// number, the revision it was built from, its thisUpdate.
	BaseNumber     int64
	BaseRevision   int64
	BaseThisUpdate time.Time
}

// CRLEvent is one publication of a CRL, or one failure to publish it.
type CRLEvent struct {
	CAID      string
	Partition string
	At        time.Time
	// Number and Latency describe a CRL published: its number, and the
	// time from the oldest revocation it was first to list (0: none).
	Number  int64
	Latency time.Duration
	// Failure is the reason a publication failed (the reason label of
	// openpca_crl_generation_failures_total), "" for a publication;
	// Detail is the error.
	Failure string
	Detail  string
}

// RevokedEntry is one line of a CRL.
type RevokedEntry struct {
	Serial    string // lowercase hex
	RevokedAt time.Time
	NotAfter  time.Time
	Reason    string // AWS RevocationReason name
	// Revision is the CRL row's revision this revocation made.
	Revision int64
}

// Permission is one CreatePermission grant on a CA.
type Permission struct {
	CAID      string
	Principal string // acm.amazonaws.com
	// SourceAccount is the account the grant is for; the CA's own when the
	// caller named none.
	SourceAccount string
	Actions       []string // IssueCertificate, GetCertificate, ListPermissions
	CreatedAt     time.Time
}
