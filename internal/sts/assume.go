package sts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/openpca/openpca/internal/iam"
	"github.com/openpca/openpca/internal/principals"
)

// AssumeRoleInput is an AssumeRole request, already checked against the
// service model (lengths and patterns).
type AssumeRoleInput struct {
	RoleArn         string
	RoleSessionName string
	Policy          string // session policy, "" for none
	DurationSeconds int32  // 0 for the default, an hour
	ExternalID      string
}

// Credentials are temporary credentials, shown once.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

// Result is what AssumeRole and AssumeRoleWithWebIdentity return.
type Result struct {
	Credentials   Credentials
	AssumedRoleID string // AROA...:<session>
	ARN           string // the session's
	// PackedPolicySize is the session policy's share of its limit, in
	// percent; 0 without one.
	PackedPolicySize int
	// Web identity only: the token's sub, the audience it was accepted
	// for and its issuer.
	Subject, Audience, Provider string
}

// maxPolicySize is the plaintext limit of a session policy.
const maxPolicySize = 2048

// chainedMax caps a session a role session assumes (role chaining).
const chainedMax = time.Hour

// AssumeRole gives caller temporary credentials for a role its trust
// policy lets it assume.
func (s *Service) AssumeRole(ctx context.Context, caller Principal, in AssumeRoleInput) (*Result, error) {
	account, name, ok := parseRoleARN(in.RoleArn)
	if !ok {
		return nil, validation(in.RoleArn + " is invalid")
	}
	// A missing role is refused as a forbidden one, so a caller cannot
	// probe which roles exist.
	refuse := denied(caller.ARN, "sts:AssumeRole", in.RoleArn)
	role, err := s.Store.Role(ctx, account, name)
	if errors.Is(err, principals.ErrNotFound) {
		return nil, refuse
	}
	if err != nil {
		return nil, err
	}
	trust, err := iam.ParseTrust(role.TrustPolicy)
	if err != nil {
		s.logger().Warn("trust policy no longer parses; the role cannot be assumed", "role", role.ARN(), "err", err)
		return nil, refuse
	}
	conditions := caller.ConditionKeys()
	conditions["sts:RoleSessionName"] = []string{in.RoleSessionName}
	if in.ExternalID != "" {
		conditions["sts:ExternalId"] = []string{in.ExternalID}
	}
	r := &iam.Request{Action: "sts:AssumeRole", Resource: role.ARN(), Principal: caller.ARN, Account: caller.Account, Context: conditions}
	if !iam.AuthorizeTrust(r, trust, caller.Policies, caller.SessionPolicies, caller.Root, role.Account) {
		return nil, refuse
	}
	maxDuration := role.MaxSessionDuration
	if caller.RoleARN != "" {
		if time.Duration(in.DurationSeconds)*time.Second > chainedMax {
			return nil, validation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
		}
		maxDuration = chainedMax
	}
	return s.issue(ctx, role, in.RoleSessionName, in.Policy, in.DurationSeconds, maxDuration, caller.ARN)
}

// issue checks the duration and session policy and stores a new session.
func (s *Service) issue(ctx context.Context, role *principals.Role, sessionName, policy string, seconds int32, maxDuration time.Duration, source string) (*Result, error) {
	duration := principals.DefaultSessionDuration
	if seconds != 0 {
		duration = time.Duration(seconds) * time.Second
	}
	if duration > maxDuration {
		return nil, validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	res := &Result{}
	if policy != "" {
		if _, err := iam.Parse(policy); err != nil {
			return nil, &Error{Kind: KindMalformedPolicy, Message: err.Error()}
		}
		// openpca keeps the policy as written; its share of AWS's plaintext
		// limit stands in for the packed size.
		res.PackedPolicySize = (len(policy)*100 + maxPolicySize - 1) / maxPolicySize
		if len(policy) > maxPolicySize {
			return nil, &Error{Kind: KindPackedPolicyTooLarge, Message: fmt.Sprintf("Packed policy consumes %d%% of allotted space, please use smaller policy for this session.", res.PackedPolicySize)}
		}
	}
	id, err := principals.UniqueID("ASIA")
	if err != nil {
		return nil, err
	}
	secret, err := randomString(30)
	if err != nil {
		return nil, err
	}
	token, err := randomString(96)
	if err != nil {
		return nil, err
	}
	sealed, err := s.Sealer.SealSecret(id, []byte(secret))
	if err != nil {
		return nil, err
	}
	now := s.now().Truncate(time.Second)
	hash := sha256.Sum256([]byte(token))
	sess := &Session{AccessKeyID: id, TokenHash: hash[:], SealedSecret: sealed, Account: role.Account, RoleName: role.Name, RoleID: role.ID,
		SessionName: sessionName, Policy: policy, SourceARN: source, ExpiresAt: now.Add(duration), CreatedAt: now}
	if err := s.Store.CreateSession(ctx, sess); err != nil {
		return nil, err
	}
	res.Credentials = Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: token, Expiration: sess.ExpiresAt}
	res.AssumedRoleID = role.ID + ":" + sessionName
	res.ARN = sess.ARN()
	return res, nil
}

func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// Resolve returns the caller temporary credentials stand for and their
// secret, or ErrInvalidToken or ErrExpiredToken. The session's role is
// read again (through a cache of a few seconds), so changes to its
// policies apply to sessions already issued, and deleting it ends them.
func (s *Service) Resolve(ctx context.Context, accessKeyID, token string) (*Principal, string, error) {
	key := sha256.Sum256([]byte(accessKeyID + "\x00" + token))
	now := s.now()
	ttl := s.CacheTTL
	if ttl == 0 {
		ttl = DefaultCacheTTL
	}
	if ttl > 0 {
		s.mu.Lock()
		e, ok := s.cache[key]
		s.mu.Unlock()
		if ok && now.Before(e.until) {
			if !now.Before(e.expires) {
				return nil, "", ErrExpiredToken
			}
			return e.p, e.secret, nil
		}
	}
	p, secret, expires, err := s.read(ctx, accessKeyID, token)
	if err != nil {
		return nil, "", err
	}
	if ttl > 0 {
		s.mu.Lock()
		if s.cache == nil || len(s.cache) >= maxCached {
			s.cache = map[[sha256.Size]byte]cachedSession{}
		}
		s.cache[key] = cachedSession{p: p, secret: secret, expires: expires, until: now.Add(ttl)}
		s.mu.Unlock()
	}
	if !now.Before(expires) {
		return nil, "", ErrExpiredToken
	}
	return p, secret, nil
}

func (s *Service) read(ctx context.Context, accessKeyID, token string) (*Principal, string, time.Time, error) {
	fail := func(err error) (*Principal, string, time.Time, error) { return nil, "", time.Time{}, err }
	sess, err := s.Store.Session(ctx, accessKeyID)
	if errors.Is(err, principals.ErrNotFound) {
		return fail(ErrInvalidToken)
	}
	if err != nil {
		return fail(err)
	}
	hash := sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare(hash[:], sess.TokenHash) != 1 {
		return fail(ErrInvalidToken)
	}
	if !s.now().Before(sess.ExpiresAt) {
		// Expired sessions answer so without their role being read.
		return nil, "", sess.ExpiresAt, nil
	}
	role, err := s.Store.Role(ctx, sess.Account, sess.RoleName)
	if errors.Is(err, principals.ErrNotFound) || err == nil && role.ID != sess.RoleID {
		// Deleted, perhaps made again under the same name: a new role.
		return fail(ErrInvalidToken)
	}
	if err != nil {
		return fail(err)
	}
	secret, err := s.Sealer.OpenSecret(sess.AccessKeyID, sess.SealedSecret)
	if err != nil {
		// Sealed under another master key, or altered in the database.
		s.logger().Warn("session secret does not open; refusing its token", "access_key_id", sess.AccessKeyID, "err", err)
		return fail(ErrInvalidToken)
	}
	p := &Principal{Account: role.Account, ARN: sess.ARN(), UserID: role.ID + ":" + sess.SessionName, RoleARN: role.ARN()}
	p.Policies = s.parsePolicies(role.ARN(), role.Policies)
	if sess.Policy != "" {
		sp, err := iam.Parse(sess.Policy)
		if err != nil {
			// Checked when issued; one that no longer parses allows nothing.
			sp = &iam.Policy{}
		}
		p.SessionPolicies = []*iam.Policy{sp}
	}
	return p, string(secret), sess.ExpiresAt, nil
}

func (s *Service) parsePolicies(owner string, named []principals.NamedPolicy) []*iam.Policy {
	var out []*iam.Policy
	for _, np := range named {
		parsed, err := iam.Parse(np.Document)
		if err != nil {
			s.logger().Warn("identity policy no longer parses; it grants nothing", "principal", owner, "policy", np.Name, "err", err)
			continue
		}
		out = append(out, parsed)
	}
	return out
}
