// Package principals keeps the callers openpca knows besides the root key:
// IAM-style users (arn:aws:iam::<account>:user/<name>) of any account, each
// with access keys and named identity policies.
//
// SigV4 verification recomputes the signature, so it needs each secret
// access key itself: secrets are stored sealed (AES-256-GCM under the
// master key, by a Sealer) and opened only in memory. The Resolver serves
// the running server's per-request lookups through a cache of a few
// seconds, so principals created, deleted or changed by the operator
// commands take effect without a restart.
package principals

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/openpca/openpca/internal/iam"
)

// Errors a Store returns.
var (
	ErrNotFound = errors.New("principals: not found")
	ErrExists   = errors.New("principals: already exists")
)

// Principal is one IAM-style user.
type Principal struct {
	Account   string
	Name      string
	CreatedAt time.Time
	// Policies are the attached identity policies, by name.
	Policies []NamedPolicy
	// AccessKeyIDs lists the principal's access keys.
	AccessKeyIDs []string
}

// ARN is the principal's IAM ARN.
func (p *Principal) ARN() string { return ARN(p.Account, p.Name) }

// ARN returns the IAM ARN of the user name in account.
func ARN(account, name string) string { return "arn:aws:iam::" + account + ":user/" + name }

// NamedPolicy is an identity policy document attached under a name.
type NamedPolicy struct {
	Name     string
	Document string
}

// AccessKey is a stored access key: the secret is sealed.
type AccessKey struct {
	ID            string
	Account, Name string // the principal's
	SealedSecret  []byte
	CreatedAt     time.Time
}

// Store persists principals. Writes are durable when they return.
type Store interface {
	// CreatePrincipal saves a principal with its first access key; ErrExists
	// when the account already has a principal of that name.
	CreatePrincipal(ctx context.Context, p *Principal, key *AccessKey) error
	// Principals lists every principal with its policies and key ids, by account then name.
	Principals(ctx context.Context) ([]*Principal, error)
	// DeletePrincipal removes a principal, its keys and policies; ErrNotFound when none.
	DeletePrincipal(ctx context.Context, account, name string) error
	// AddAccessKey gives an existing principal another key; ErrNotFound when there is no such principal.
	AddAccessKey(ctx context.Context, key *AccessKey) error
	// DeleteAccessKey removes one key of a principal; ErrNotFound when the principal has no such key.
	DeleteAccessKey(ctx context.Context, account, name, id string) error
	// PutPrincipalPolicy attaches or replaces a named policy; ErrNotFound when there is no such principal.
	PutPrincipalPolicy(ctx context.Context, account, name string, policy NamedPolicy) error
	// DeletePrincipalPolicy detaches a named policy; ErrNotFound when it is not attached.
	DeletePrincipalPolicy(ctx context.Context, account, name, policyName string) error
	// LookupAccessKey returns a key and its principal (with policies); ErrNotFound for an unknown key.
	LookupAccessKey(ctx context.Context, id string) (*AccessKey, *Principal, error)
}

// Sealer encrypts secrets at rest, binding each to its id.
type Sealer interface {
	SealSecret(id string, secret []byte) ([]byte, error)
	OpenSecret(id string, sealed []byte) ([]byte, error)
}

var (
	namePattern    = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`) // IAM's user name rule
	accountPattern = regexp.MustCompile(`^[0-9]{12}$`)
)

// CheckName checks an IAM user or policy name.
func CheckName(what, name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("%s %q is not valid: use 1 to 64 letters, digits and +=,.@_-", what, name)
	}
	return nil
}

// CheckAccount checks a 12-digit account id.
func CheckAccount(account string) error {
	if !accountPattern.MatchString(account) {
		return fmt.Errorf("account %q is not valid: it must be 12 digits", account)
	}
	return nil
}

// Credentials are a newly made access key, shown once.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
}

// Admin carries out the operator's principal commands.
type Admin struct {
	Store  Store
	Sealer Sealer
	Now    func() time.Time // nil means time.Now
}

func (a *Admin) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC().Truncate(time.Millisecond)
	}
	return time.Now().UTC().Truncate(time.Millisecond)
}

// Create makes a principal with one access key and returns the key.
func (a *Admin) Create(ctx context.Context, account, name string) (Credentials, error) {
	if err := errors.Join(CheckAccount(account), CheckName("name", name)); err != nil {
		return Credentials{}, err
	}
	creds, key, err := a.newKey(account, name)
	if err != nil {
		return Credentials{}, err
	}
	p := &Principal{Account: account, Name: name, CreatedAt: key.CreatedAt}
	if err := a.Store.CreatePrincipal(ctx, p, key); err != nil {
		if errors.Is(err, ErrExists) {
			return Credentials{}, fmt.Errorf("account %s already has a principal named %s", account, name)
		}
		return Credentials{}, err
	}
	return creds, nil
}

// CreateAccessKey gives a principal another access key and returns it.
func (a *Admin) CreateAccessKey(ctx context.Context, account, name string) (Credentials, error) {
	creds, key, err := a.newKey(account, name)
	if err != nil {
		return Credentials{}, err
	}
	if err := a.Store.AddAccessKey(ctx, key); err != nil {
		return Credentials{}, notFound(err, account, name)
	}
	return creds, nil
}

// AttachPolicy checks document with iam.Parse and attaches it under policyName.
func (a *Admin) AttachPolicy(ctx context.Context, account, name, policyName, document string) error {
	if err := CheckName("policy name", policyName); err != nil {
		return err
	}
	if _, err := iam.Parse(document); err != nil {
		return fmt.Errorf("policy %s: %w", policyName, err)
	}
	return notFound(a.Store.PutPrincipalPolicy(ctx, account, name, NamedPolicy{Name: policyName, Document: document}), account, name)
}

func notFound(err error, account, name string) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("account %s has no principal named %s", account, name)
	}
	return err
}

// newKey makes an AWS-shaped key pair from crypto/rand and seals the secret.
func (a *Admin) newKey(account, name string) (Credentials, *AccessKey, error) {
	id := make([]byte, 10)
	secret := make([]byte, 30)
	if _, err := rand.Read(id); err != nil {
		return Credentials{}, nil, err
	}
	if _, err := rand.Read(secret); err != nil {
		return Credentials{}, nil, err
	}
	creds := Credentials{
		AccessKeyID:     "OPCA" + base32.StdEncoding.EncodeToString(id)[:16],
		SecretAccessKey: base64.StdEncoding.EncodeToString(secret),
	}
	sealed, err := a.Sealer.SealSecret(creds.AccessKeyID, []byte(creds.SecretAccessKey))
	if err != nil {
		return Credentials{}, nil, err
	}
	return creds, &AccessKey{ID: creds.AccessKeyID, Account: account, Name: name, SealedSecret: sealed, CreatedAt: a.now()}, nil
}
