// Package sts is AWS Security Token Service as openpca serves it: callers
// a role's trust policy allows assume the role (AssumeRole), as do holders
// of an ID token from a registered OpenID Connect provider
// (AssumeRoleWithWebIdentity), and get temporary credentials that act with
// the role's identity policies, limited by a session policy when one is
// given. Resolve turns such credentials back into the caller they stand
// for, on any node that shares the database.
//
// It knows nothing of HTTP, the AWS Query protocol or SigV4; the protocol
// layer checks the operations' input against the service model first.
package sts

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/openpca/openpca/internal/iam"
	"github.com/openpca/openpca/internal/principals"
)

// Principal is a verified caller as STS and IAM see it.
type Principal struct {
	Account string
	ARN     string
	// UserID is what GetCallerIdentity reports: the account for its root,
	// AIDA... for a user, AROA...:<session> for a role session.
	UserID string
	Root   bool
	// Username is an IAM user's name ("" for others): aws:username.
	Username string
	Policies []*iam.Policy
	// SessionPolicies limit a role session further (nil: no limit).
	SessionPolicies []*iam.Policy
	// RoleARN is a role session's role ("" for others): its aws:PrincipalArn.
	RoleARN string
}

// RootPrincipal is the root user of account.
func RootPrincipal(account string) Principal {
	return Principal{Account: account, ARN: "arn:aws:iam::" + account + ":root", UserID: account, Root: true}
}

// UserPrincipal is IAM user name of account with its identity policies.
func UserPrincipal(account, name string, policies []*iam.Policy) Principal {
	return Principal{Account: account, ARN: principals.ARN(account, name), UserID: UserID(account, name), Username: name, Policies: policies}
}

// UserID is the unique id of a user: openpca keeps none, so it is derived
// from the account and name (AIDA and 17 characters, as IAM's are).
func UserID(account, name string) string {
	sum := sha256.Sum256([]byte("user\x00" + account + "\x00" + name))
	return "AIDA" + base32.StdEncoding.EncodeToString(sum[:])[:17]
}

// ConditionKeys are the global condition keys IAM sets from the caller.
func (p *Principal) ConditionKeys() map[string][]string {
	m := map[string][]string{
		"aws:PrincipalAccount": {p.Account},
		"aws:PrincipalArn":     {p.ARN},
		"aws:userid":           {p.UserID},
	}
	if p.RoleARN != "" {
		m["aws:PrincipalArn"] = []string{p.RoleARN}
	}
	if p.Username != "" {
		m["aws:username"] = []string{p.Username}
	}
	return m
}

// Session is a stored set of temporary credentials. Its secret is sealed
// and its token kept only as a hash.
type Session struct {
	AccessKeyID  string
	TokenHash    []byte // SHA-256 of the session token
	SealedSecret []byte
	Account      string // the role's
	RoleName     string
	RoleID       string
	SessionName  string
	Policy       string // the session policy, "" for none
	SourceARN    string // the caller that assumed the role, or the OIDC provider
	ExpiresAt    time.Time
	CreatedAt    time.Time
}

// ARN is the session's assumed-role ARN.
func (s *Session) ARN() string { return SessionARN(s.Account, s.RoleName, s.SessionName) }

// SessionARN is arn:aws:sts::<account>:assumed-role/<role>/<session>.
func SessionARN(account, role, session string) string {
	return "arn:aws:sts::" + account + ":assumed-role/" + role + "/" + session
}

// Store is what the service needs of the database.
type Store interface {
	Role(ctx context.Context, account, name string) (*principals.Role, error)
	OIDCProvider(ctx context.Context, account, url string) (*principals.OIDCProvider, error)
	// CreateSession saves a session, durable when it returns.
	CreateSession(ctx context.Context, s *Session) error
	// Session returns a session by access key id; principals.ErrNotFound when none.
	Session(ctx context.Context, accessKeyID string) (*Session, error)
}

// Kind classifies the service's errors; the protocol layer maps each to
// its AWS error code.
type Kind int

const (
	KindAccessDenied Kind = iota
	KindValidation
	KindMalformedPolicy
	KindPackedPolicyTooLarge
	KindInvalidIdentityToken
	KindExpiredIdentityToken
)

// Error is a refusal of an STS operation; Message is AWS's wording.
type Error struct {
	Kind    Kind
	Message string
}

func (e *Error) Error() string { return e.Message }

// Refusals of temporary credentials by Resolve.
var (
	// ErrInvalidToken: no such session, a token that is not the session's,
	// a deleted role, or a secret this deployment cannot open.
	ErrInvalidToken = errors.New("sts: the security token is invalid")
	// ErrExpiredToken: a session whose time is up.
	ErrExpiredToken = errors.New("sts: the security token is expired")
)

// DefaultCacheTTL is how long Resolve trusts a session and its role as
// read: role changes reach running servers within this time.
const DefaultCacheTTL = principals.DefaultTTL

// maxCached bounds the cache; it starts over when full.
const maxCached = 10000

// Service issues and resolves temporary credentials.
type Service struct {
	Store  Store
	Sealer principals.Sealer
	Now    func() time.Time // nil means time.Now
	// CacheTTL: 0 means DefaultCacheTTL, negative disables the cache.
	CacheTTL time.Duration
	Log      *slog.Logger

	mu    sync.Mutex
	cache map[[sha256.Size]byte]cachedSession
}

type cachedSession struct {
	p       *Principal
	secret  string
	expires time.Time // of the session
	until   time.Time // of the cache entry
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) logger() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// parseRoleARN splits arn:aws:iam::<account>:role/<name>.
func parseRoleARN(arn string) (account, name string, ok bool) {
	f := strings.SplitN(arn, ":", 6)
	if len(f) != 6 || f[0] != "arn" || f[1] != "aws" || f[2] != "iam" || f[3] != "" || principals.CheckAccount(f[4]) != nil {
		return "", "", false
	}
	name, ok = strings.CutPrefix(f[5], "role/")
	return f[4], name, ok && name != ""
}

func denied(caller, action, resource string) error {
	return &Error{Kind: KindAccessDenied, Message: fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s", caller, action, resource)}
}

func validation(msg string) error { return &Error{Kind: KindValidation, Message: msg} }
