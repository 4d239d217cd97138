package principals

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/openpca/openpca/internal/iam"
)

// Role is an IAM-style role: callers its trust policy allows assume it
// through STS and act with its identity policies for a while.
type Role struct {
	Account string
	Name    string
	// ID is the role's unique id (AROA...), new each time a role is made.
	ID          string
	TrustPolicy string
	// MaxSessionDuration caps the sessions AssumeRole grants.
	MaxSessionDuration time.Duration
	CreatedAt          time.Time
	Policies           []NamedPolicy
}

// ARN is the role's IAM ARN.
func (r *Role) ARN() string { return RoleARN(r.Account, r.Name) }

// RoleARN returns the IAM ARN of role name in account.
func RoleARN(account, name string) string { return "arn:aws:iam::" + account + ":role/" + name }

// Session durations, as IAM bounds a role's maximum and STS defaults it.
const (
	MinSessionDuration     = time.Hour
	MaxSessionDuration     = 12 * time.Hour
	DefaultSessionDuration = time.Hour
)

// OIDCProvider is an OpenID Connect identity provider whose ID tokens
// AssumeRoleWithWebIdentity accepts.
type OIDCProvider struct {
	Account string
	// URL is the issuer, https://host[/path], as tokens' iss claim names it.
	URL       string
	Audiences []string // client ids a token's aud must name one of
	JWKS      string   // the issuer's public keys, a JSON Web Key Set
	CreatedAt time.Time
}

// ARN is the provider's IAM ARN.
func (p *OIDCProvider) ARN() string { return OIDCProviderARN(p.Account, p.URL) }

// OIDCProviderARN is arn:aws:iam::<account>:oidc-provider/<url without https://>.
func OIDCProviderARN(account, url string) string {
	return "arn:aws:iam::" + account + ":oidc-provider/" + strings.TrimPrefix(url, "https://")
}

// RoleStore persists roles and OIDC providers. Writes are durable when they return.
type RoleStore interface {
	// CreateRole saves a role; ErrExists when the account has one of that name.
	CreateRole(ctx context.Context, r *Role) error
	// Role returns a role with its policies; ErrNotFound when none.
	Role(ctx context.Context, account, name string) (*Role, error)
	// Roles lists every role with its policies, by account then name.
	Roles(ctx context.Context) ([]*Role, error)
	// DeleteRole removes a role and its policies; ErrNotFound when none.
	DeleteRole(ctx context.Context, account, name string) error
	// UpdateRole replaces a role's trust policy and maximum session duration; ErrNotFound when none.
	UpdateRole(ctx context.Context, account, name, trustPolicy string, maxSession time.Duration) error
	// PutRolePolicy attaches or replaces a named policy; ErrNotFound when there is no such role.
	PutRolePolicy(ctx context.Context, account, name string, policy NamedPolicy) error
	// DeleteRolePolicy detaches a named policy; ErrNotFound when it is not attached.
	DeleteRolePolicy(ctx context.Context, account, name, policyName string) error

	// PutOIDCProvider saves or replaces a provider.
	PutOIDCProvider(ctx context.Context, p *OIDCProvider) error
	// OIDCProvider returns the provider of account for the issuer url; ErrNotFound when none.
	OIDCProvider(ctx context.Context, account, url string) (*OIDCProvider, error)
	// OIDCProviders lists every provider, by account then URL.
	OIDCProviders(ctx context.Context) ([]*OIDCProvider, error)
	// DeleteOIDCProvider removes a provider; ErrNotFound when none.
	DeleteOIDCProvider(ctx context.Context, account, url string) error
}

// RoleAdmin carries out the operator's role and provider commands.
type RoleAdmin struct {
	Store RoleStore
	Now   func() time.Time // nil means time.Now
}

func (a *RoleAdmin) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC().Truncate(time.Millisecond)
	}
	return time.Now().UTC().Truncate(time.Millisecond)
}

// CheckTrustPolicy checks a role's trust policy (see iam.ParseTrust).
func CheckTrustPolicy(document string) error {
	if _, err := iam.ParseTrust(document); err != nil {
		return fmt.Errorf("trust policy: %w", err)
	}
	return nil
}

// checkMaxSession checks a role's maximum session duration (0: the default).
func checkMaxSession(d time.Duration) (time.Duration, error) {
	if d == 0 {
		return DefaultSessionDuration, nil
	}
	if d < MinSessionDuration || d > MaxSessionDuration || d%time.Second != 0 {
		return 0, fmt.Errorf("maximum session duration %v is not valid: use whole seconds from 3600 to 43200", d)
	}
	return d, nil
}

// CreateRole makes a role with a trust policy; maxSession 0 means an hour.
func (a *RoleAdmin) CreateRole(ctx context.Context, account, name, trustPolicy string, maxSession time.Duration) (*Role, error) {
	if err := errors.Join(CheckAccount(account), CheckName("role name", name), CheckTrustPolicy(trustPolicy)); err != nil {
		return nil, err
	}
	maxSession, err := checkMaxSession(maxSession)
	if err != nil {
		return nil, err
	}
	id, err := UniqueID("AROA")
	if err != nil {
		return nil, err
	}
	r := &Role{Account: account, Name: name, ID: id, TrustPolicy: trustPolicy, MaxSessionDuration: maxSession, CreatedAt: a.now()}
	if err := a.Store.CreateRole(ctx, r); err != nil {
		if errors.Is(err, ErrExists) {
			return nil, fmt.Errorf("account %s already has a role named %s", account, name)
		}
		return nil, err
	}
	return r, nil
}

// UpdateRole replaces a role's trust policy (when not "") and maximum
// session duration (when not 0).
func (a *RoleAdmin) UpdateRole(ctx context.Context, account, name, trustPolicy string, maxSession time.Duration) error {
	r, err := a.Store.Role(ctx, account, name)
	if err != nil {
		return roleNotFound(err, account, name)
	}
	if trustPolicy == "" {
		trustPolicy = r.TrustPolicy
	} else if err := CheckTrustPolicy(trustPolicy); err != nil {
		return err
	}
	if maxSession == 0 {
		maxSession = r.MaxSessionDuration
	} else if maxSession, err = checkMaxSession(maxSession); err != nil {
		return err
	}
	return roleNotFound(a.Store.UpdateRole(ctx, account, name, trustPolicy, maxSession), account, name)
}

// AttachRolePolicy checks document with iam.Parse and attaches it to a role under policyName.
func (a *RoleAdmin) AttachRolePolicy(ctx context.Context, account, name, policyName, document string) error {
	if err := CheckName("policy name", policyName); err != nil {
		return err
	}
	if _, err := iam.Parse(document); err != nil {
		return fmt.Errorf("policy %s: %w", policyName, err)
	}
	return roleNotFound(a.Store.PutRolePolicy(ctx, account, name, NamedPolicy{Name: policyName, Document: document}), account, name)
}

func roleNotFound(err error, account, name string) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("account %s has no role named %s", account, name)
	}
	return err
}

// PutOIDCProvider registers (or replaces) an OIDC provider: issuer is its
// https URL, jwks its key set, audiences the client ids it issues tokens to.
func (a *RoleAdmin) PutOIDCProvider(ctx context.Context, account, issuer string, audiences []string, jwks string) (*OIDCProvider, error) {
	if err := CheckAccount(account); err != nil {
		return nil, err
	}
	u, err := url.Parse(issuer)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("issuer %q is not valid: it must be an https URL without query or fragment", issuer)
	}
	if len(audiences) == 0 || slices.Contains(audiences, "") {
		return nil, errors.New("an OIDC provider needs at least one audience (client id)")
	}
	if err := CheckJWKS(jwks); err != nil {
		return nil, err
	}
	p := &OIDCProvider{Account: account, URL: issuer, Audiences: audiences, JWKS: jwks, CreatedAt: a.now()}
	return p, a.Store.PutOIDCProvider(ctx, p)
}

// CheckJWKS checks a JSON Web Key Set holds public keys only.
func CheckJWKS(jwks string) error {
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal([]byte(jwks), &set); err != nil {
		return fmt.Errorf("JWKS: %w", err)
	}
	if len(set.Keys) == 0 {
		return errors.New(`JWKS: no keys; it must be {"keys": [...]}`)
	}
	for i, k := range set.Keys {
		if _, private := k["d"]; private {
			return fmt.Errorf("JWKS: key %d is a private key; give the public keys only", i)
		}
	}
	return nil
}

// UniqueID makes an IAM-style unique id: prefix (AIDA, AROA, ASIA...) and
// 16 characters from crypto/rand.
func UniqueID(prefix string) (string, error) {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return prefix + base32.StdEncoding.EncodeToString(b)[:16], nil
}
