package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Sessions are held in this process's memory, keyed by the SHA-256 of the
// cookie's random token: signing out ends a session for good, and a stolen
// database or log holds nothing that signs anyone in. The price is that a
// session lives on one node; behind a load balancer /console/ needs
// session affinity (or the operator signs in again on another node).

const (
	sessionCookie = "openpca_console"
	// signInCookie carries the sign-in form's CSRF token, so a page on
	// another site cannot sign a browser in as someone else.
	signInCookie = "openpca_console_signin"
	cookiePath   = "/console/"
	// DefaultSessionTTL is how long a session lasts from sign-in; it is
	// not extended by use.
	DefaultSessionTTL = time.Hour
	// maxSessions bounds the memory sessions take; sign-in is refused
	// while that many are live.
	maxSessions = 10000
)

type session struct {
	accessKeyID string
	// sessionToken is the token of temporary credentials ("" for a
	// long-lived key); each request resolves it again, so the console
	// session ends when the credentials expire.
	sessionToken string
	csrf         string
	expires      time.Time
}

type sessions struct {
	mu sync.Mutex
	m  map[[32]byte]*session
}

func newToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

func tokenKey(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// create starts a session and returns its cookie token, or "" when the
// table is full of live sessions.
func (s *sessions) create(accessKeyID, sessionToken string, ttl time.Duration, now time.Time) (string, *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[[32]byte]*session{}
	}
	if len(s.m) >= maxSessions {
		for k, v := range s.m {
			if !now.Before(v.expires) {
				delete(s.m, k)
			}
		}
		if len(s.m) >= maxSessions {
			return "", nil
		}
	}
	token := newToken()
	sess := &session{accessKeyID: accessKeyID, sessionToken: sessionToken, csrf: newToken(), expires: now.Add(ttl)}
	s.m[tokenKey(token)] = sess
	return token, sess
}

func (s *sessions) get(token string, now time.Time) *session {
	if token == "" {
		return nil
	}
	k := tokenKey(token)
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.m[k]
	if sess != nil && !now.Before(sess.expires) {
		delete(s.m, k)
		return nil
	}
	return sess
}

func (s *sessions) end(token string) {
	s.mu.Lock()
	delete(s.m, tokenKey(token))
	s.mu.Unlock()
}

// sameSecret compares in constant time, whatever the lengths: both sides
// are hashed first.
func sameSecret(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// gate rate-limits sign-in attempts before they cost a key lookup: per
// client address, and in total, so that unauthenticated callers together
// cannot make the server do more than a few lookups a second.
type gate struct {
	total *rate.Limiter
	mu    sync.Mutex
	per   map[string]*rate.Limiter
}

const (
	signInPerClient      = rate.Limit(0.5) // one every 2 s ...
	signInPerClientBurst = 5               // ... after a burst of 5
	signInTotal          = rate.Limit(10)
	signInTotalBurst     = 20
	maxGateClients       = 10000
)

func newGate() *gate {
	return &gate{total: rate.NewLimiter(signInTotal, signInTotalBurst), per: map[string]*rate.Limiter{}}
}

func (g *gate) allow(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	g.mu.Lock()
	l, ok := g.per[host]
	if !ok {
		if len(g.per) >= maxGateClients {
			g.per = map[string]*rate.Limiter{} // starts over, as the total limit still holds
		}
		l = rate.NewLimiter(signInPerClient, signInPerClientBurst)
		g.per[host] = l
	}
	g.mu.Unlock()
	return l.Allow() && g.total.Allow()
}

func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: cookiePath, MaxAge: maxAge,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
}

func cookieValue(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

type ctxKey struct{}

// current is the signed-in request's state.
type current struct {
	token   string
	session *session
	who     Identity
}

func withCurrent(ctx context.Context, c *current) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

func currentOf(r *http.Request) *current {
	c, _ := r.Context().Value(ctxKey{}).(*current)
	return c
}
