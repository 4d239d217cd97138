// Package sigv4 verifies AWS Signature Version 4 on incoming API requests,
// the way an AWS JSON-protocol service does. Only header-based auth (the
// Authorization header) is accepted; presigned query-string auth is refused.
// A session token (temporary credentials) is refused unless the Verifier
// has a SessionLookup that recognises it.
package sigv4

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Lookup returns the secret for an access key id; ok=false when the key is unknown.
type Lookup func(ctx context.Context, accessKeyID string) (secret string, ok bool, err error)

// SessionLookup returns the secret of temporary credentials, which a client
// presents as an access key id plus the session token issued with it;
// ok=false when the pair is unknown. An *Error it returns (such as
// ErrExpiredToken) is the refusal; any other error is an InternalFailure.
type SessionLookup func(ctx context.Context, accessKeyID, sessionToken string) (secret string, ok bool, err error)

// Verifier checks SigV4 signatures scoped to one service and region.
type Verifier struct {
	Service string // "acm-pca"
	Region  string // e.g. "us-east-1"
	Lookup  Lookup // required; long-term keys
	// SessionLookup resolves requests that carry X-Amz-Security-Token.
	// nil: nothing issues temporary credentials, so every token is refused.
	SessionLookup SessionLookup
	// FormToken also takes the session token from an
	// X-Amz-Security-Token field of a form-encoded body, as AWS Query
	// services do; the signature covers it through the payload hash.
	FormToken bool
	Now       func() time.Time // nil = time.Now
	MaxSkew   time.Duration    // 0 = 15 minutes

	// signers holds one SDK signer per secret. The SDK caches derived
	// signing keys by access key id and day; keying signers by the secret
	// keeps that cache from honouring a rotated-out secret. Every
	// temporary credential has a secret of its own, so the map is emptied
	// once it holds maxSigners: a signer costs one key derivation to make
	// again.
	signers     sync.Map
	signerCount atomic.Int64
}

const maxSigners = 10_000

func (v *Verifier) signer(secret string) *v4.Signer {
	if s, ok := v.signers.Load(secret); ok {
		return s.(*v4.Signer)
	}
	if v.signerCount.Add(1) > maxSigners {
		v.signers.Clear()
		v.signerCount.Store(1)
	}
	s, _ := v.signers.LoadOrStore(secret, v4.NewSigner())
	return s.(*v4.Signer)
}

const (
	defaultMaxSkew = 15 * time.Minute

	msgMismatch = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

// Verify checks r's Authorization header against body (the full request body,
// already read). It returns the access key id of the verified caller, or an
// *Error. A failing Lookup or SessionLookup yields an *Error with code
// InternalFailure and status 500 that unwraps to its error.
func (v *Verifier) Verify(r *http.Request, body []byte) (accessKeyID string, err error) {
	c, err := v.VerifyCredentials(r, body)
	return c.AccessKeyID, err
}

// Credentials name the verified signer: an access key id and, for
// temporary credentials, the session token.
type Credentials struct {
	AccessKeyID  string
	SessionToken string
}

// VerifyCredentials is Verify, returning the session token too.
func (v *Verifier) VerifyCredentials(r *http.Request, body []byte) (Credentials, error) {
	accessKeyID, token, err := v.verify(r, body)
	return Credentials{AccessKeyID: accessKeyID, SessionToken: token}, err
}

func (v *Verifier) verify(r *http.Request, body []byte) (accessKeyID, token string, err error) {
	authz := r.Header.Values("Authorization")
	if len(authz) == 0 || authz[0] == "" {
		msg := "Request is missing Authentication Token"
		if r.URL != nil && r.URL.Query().Has("X-Amz-Signature") {
			msg += "; presigned (query-string) authentication is not supported"
		}
		return "", "", refuse(CodeMissingAuthenticationToken, msg)
	}
	if len(authz) > 1 {
		return "", "", incomplete("Request has more than one Authorization header.")
	}
	a, err := ParseAuthorization(authz[0])
	if err != nil {
		return "", "", err
	}

	// Both must be signed, or a captured header could be replayed against
	// another host or outside the skew window.
	if !slices.Contains(a.SignedHeaders, "host") {
		return "", "", incomplete("'Host' must be a 'SignedHeader' in the AWS Authorization.")
	}
	dates := r.Header.Values("X-Amz-Date")
	if len(dates) == 0 || dates[0] == "" {
		return "", "", incomplete("Authorization header requires existence of a 'X-Amz-Date' header. Authorization=" + authz[0])
	}
	if len(dates) > 1 {
		// A repeated header reads as its values joined by commas, as SigV4
		// signs it, and such a value is no date: which one would the
		// signature and the skew check be about?
		return "", "", incomplete(fmt.Sprintf("Date must be in ISO-8601 'basic format'. Got '%s'.", canonicalValue(dates)))
	}
	amzDate := dates[0]
	if !slices.Contains(a.SignedHeaders, "x-amz-date") {
		return "", "", incomplete("'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.")
	}
	// The signer re-formats the time it is given, so only the exact basic
	// format round-trips to the value the client signed.
	signedAt, perr := time.Parse(amzDateFormat, amzDate)
	if perr != nil || signedAt.Format(amzDateFormat) != amzDate {
		return "", "", incomplete(fmt.Sprintf("Date must be in ISO-8601 'basic format'. Got '%s'.", amzDate))
	}

	if a.Region != v.Region {
		return "", "", invalid("Credential should be scoped to a valid region.")
	}
	if a.Service != v.Service {
		return "", "", invalid(fmt.Sprintf("Credential should be scoped to correct service: '%s'.", v.Service))
	}
	if day := signedAt.Format(scopeDateFormat); a.Date != day {
		return "", "", invalid(fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", a.Date, day, amzDate))
	}
	if err := v.checkSkew(signedAt); err != nil {
		return "", "", err
	}

	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if vals := r.Header.Values("X-Amz-Content-Sha256"); len(vals) > 0 && (len(vals) > 1 || vals[0] != payloadHash) {
		return "", "", invalid("The provided 'x-amz-content-sha256' header does not match what was computed.")
	}

	token, hasToken := sessionToken(r)
	fromForm := false
	if !hasToken && v.FormToken {
		token, hasToken = formToken(r, body)
		fromForm = hasToken
	}
	var secret string
	var ok bool
	switch {
	case !hasToken:
		secret, ok, err = v.Lookup(r.Context(), a.AccessKeyID)
	case v.SessionLookup == nil:
		// AWS's answer to a token it did not issue.
		return "", "", ErrUnrecognizedClient()
	default:
		secret, ok, err = v.SessionLookup(r.Context(), a.AccessKeyID, token)
	}
	var refusal *Error
	if errors.As(err, &refusal) {
		return "", "", refusal
	}
	if err != nil {
		return "", "", &Error{Code: CodeInternalFailure, Status: http.StatusInternalServerError,
			Message: "The request processing has failed because of an unknown error.", cause: err}
	}
	if !ok {
		return "", "", ErrUnrecognizedClient()
	}

	creds := aws.Credentials{AccessKeyID: a.AccessKeyID, SecretAccessKey: secret, SessionToken: token}
	if fromForm {
		// Signed as part of the body, not as a header.
		creds.SessionToken = ""
	}
	want, err := v.expected(r, a, creds, payloadHash, signedAt)
	if err != nil {
		return "", "", invalid(msgMismatch)
	}
	// A different list means the signer could not reproduce the client's
	// canonical headers (it never signs User-Agent, for one); such a
	// request cannot verify whatever the signature says.
	if !slices.Equal(want.SignedHeaders, a.SignedHeaders) ||
		subtle.ConstantTimeCompare([]byte(want.Signature), []byte(a.Signature)) != 1 {
		return "", "", invalid(msgMismatch)
	}
	return a.AccessKeyID, token, nil
}

func (v *Verifier) checkSkew(signedAt time.Time) error {
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	t := now().UTC()
	skew := v.MaxSkew
	if skew <= 0 {
		skew = defaultMaxSkew
	}
	f := func(t time.Time) string { return t.Format(amzDateFormat) }
	switch {
	case signedAt.Before(t.Add(-skew)):
		return invalid(fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %s.)", f(signedAt), f(t.Add(-skew)), f(t), skewText(skew)))
	case signedAt.After(t.Add(skew)):
		return invalid(fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + %s.)", f(signedAt), f(t.Add(skew)), f(t), skewText(skew)))
	}
	return nil
}

// skewText renders d the way AWS does in skew messages ("15 min").
func skewText(d time.Duration) string {
	if d%time.Minute == 0 {
		return strconv.FormatInt(int64(d/time.Minute), 10) + " min"
	}
	return d.String()
}

// sessionToken returns the session token r carries, if any. A repeated
// header is one token, its values joined by commas, which no issuer would
// recognise. A token in the query string belongs to presigned requests,
// which are refused, so it never names credentials and is never honoured.
func sessionToken(r *http.Request) (string, bool) {
	tokens := r.Header.Values("X-Amz-Security-Token")
	if requestURL(r).Query().Has("X-Amz-Security-Token") {
		tokens = append(tokens, "")
	}
	if len(tokens) == 0 {
		return "", false
	}
	return strings.Join(tokens, ","), true
}

// formToken returns the X-Amz-Security-Token field of a form-encoded body.
func formToken(r *http.Request, body []byte) (string, bool) {
	if ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); !strings.EqualFold(strings.TrimSpace(ct), "application/x-www-form-urlencoded") {
		return "", false
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || !form.Has("X-Amz-Security-Token") {
		return "", false
	}
	return strings.Join(form["X-Amz-Security-Token"], ","), true
}

// expected signs a copy of r with creds and returns the resulting
// Authorization. The copy carries only the headers the client listed, so the
// SDK signer builds the same canonical request the client did. A session
// token in creds is signed as X-Amz-Security-Token: a client that left its
// token unsigned gets another SignedHeaders list, and a mismatch.
func (v *Verifier) expected(r *http.Request, a Authorization, creds aws.Credentials, payloadHash string, signedAt time.Time) (Authorization, error) {
	u := requestURL(r)
	req := &http.Request{
		Method: r.Method,
		// No scheme or host: the signer then uses Host verbatim instead of
		// dropping a default port the client may have signed.
		URL:    &url.URL{Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery},
		Host:   r.Host,
		Header: http.Header{},
	}
	for _, name := range a.SignedHeaders {
		switch name {
		case "host":
			// Always signed by the signer, from req.Host.
		case "content-length":
			// The signer signs only req.ContentLength, and only when > 0;
			// it skips a Content-Length header.
			req.ContentLength = signedContentLength(r)
		default:
			if vals := r.Header.Values(name); len(vals) > 0 {
				req.Header[textproto.CanonicalMIMEHeaderKey(name)] = []string{canonicalValue(vals)}
			}
		}
	}

	// A signer per secret: the SDK's derived-key cache is keyed by access
	// key and day, not by secret, so one shared signer would keep accepting
	// a rotated-out secret until midnight.
	if err := v.signer(creds.SecretAccessKey).SignHTTP(r.Context(), creds, req, payloadHash, v.Service, v.Region, signedAt); err != nil {
		return Authorization{}, err
	}
	return ParseAuthorization(req.Header.Get("Authorization"))
}

// canonicalValue is a header's value as SigV4 signs it: every value
// trimmed, runs of spaces collapsed to one, and the values joined by commas
// in the order they arrived. The signer is handed this single value, so a
// repeated header is signed the way the specification says, not the way a
// signer happens to treat several.
func canonicalValue(vals []string) string {
	out := make([]string, len(vals))
	for i, v := range vals {
		// Trimmed as the SDK signers trim (any white space); the
		// specification only speaks of spaces.
		out[i] = collapseSpaces(strings.TrimSpace(v))
	}
	return strings.Join(out, ",")
}

func collapseSpaces(s string) string {
	if !strings.Contains(s, "  ") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' && i > 0 && s[i-1] == ' ' {
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

// requestURL returns the path and query as the client sent them. RequestURI
// is preferred because handlers such as http.StripPrefix rewrite r.URL.
func requestURL(r *http.Request) *url.URL {
	if r.RequestURI != "" {
		if u, err := url.ParseRequestURI(r.RequestURI); err == nil {
			return u
		}
	}
	if r.URL != nil {
		return r.URL
	}
	return &url.URL{}
}

func signedContentLength(r *http.Request) int64 {
	if s := r.Header.Get("Content-Length"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && strconv.FormatInt(n, 10) == s {
			return n
		}
		return 0
	}
	return max(r.ContentLength, 0)
}
