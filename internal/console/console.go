// Package console is openpca's web console for operators: the CA
// hierarchy, each CA's certificates and CRLs, revocation, and audit reports,
// as server-rendered HTML under /console/ with every asset embedded.
//
// It is a protocol layer like the API's: operators sign in with an access
// key, and every page and action calls the domain (package pca) as the
// signed-in caller, so the same IAM evaluation decides what each one may
// see and do, and an action leaves the same events as its API call.
package console

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/openpca/openpca/internal/pca"
)

// Identity is the caller an access key signs in as, with its secret.
type Identity struct {
	Secret string
	Caller pca.Caller
}

// Keys finds the identity of an access key, with its session token for
// temporary credentials ("" for long-lived keys), as the API's signature
// check does; ok is false for an unknown key and for an invalid or expired
// token.
type Keys func(ctx context.Context, accessKeyID, sessionToken string) (id Identity, ok bool, err error)

// Store is what the console reads beyond the domain's operations, always
// after the domain has authorized the caller on the CA.
type Store interface {
	// CertificatePage returns a page of a CA's certificates in serial
	// order and the serial the next page starts after ("" at the end).
	CertificatePage(ctx context.Context, caID, prefix, name, status, after string, now time.Time, limit int) ([]*pca.Certificate, string, error)
	// AuditReports returns a CA's latest audit reports, newest first.
	AuditReports(ctx context.Context, caID string, limit int) ([]*pca.AuditReport, error)
	// CRLEvents returns the newest limit of a CA's CRL publications and
	// failed publications since a time, oldest first.
	CRLEvents(ctx context.Context, caID string, since time.Time, limit int) ([]pca.CRLEvent, error)
	// RevocationsPerHour counts a CA's revocations in each of hours hours
	// from since.
	RevocationsPerHour(ctx context.Context, caID string, since time.Time, hours int) ([]int64, error)
}

// Objects reads audit reports from the object store.
type Objects interface {
	Get(ctx context.Context, bucket, key string) ([]byte, error)
}

// Config is what the console needs.
type Config struct {
	Domain *pca.Service
	Store  Store
	Keys   Keys
	// Objects, when set, lets operators download audit reports.
	Objects Objects
	Log     *slog.Logger
	// Now is the domain's clock, for validity and ages; nil means
	// time.Now. Sessions always use the wall clock.
	Now func() time.Time
	// SessionTTL is a session's lifetime (0: DefaultSessionTTL).
	SessionTTL time.Duration
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Console serves the console's pages.
type Console struct {
	cfg      Config
	log      *slog.Logger
	sessions sessions
	gate     *gate
	pages    map[string]*template.Template
	mux      *http.ServeMux
}

// New returns the console; mount it at /console/.
func New(cfg Config) (*Console, error) {
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	c := &Console{cfg: cfg, log: cfg.Log, gate: newGate(), pages: map[string]*template.Template{}}
	if c.log == nil {
		c.log = slog.Default()
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
		if base == "layout" || base == "partials" {
			continue
		}
		t, err := template.New(base).Funcs(c.funcs()).ParseFS(templateFS, "templates/layout.html", "templates/partials.html", name)
		if err != nil {
			return nil, err
		}
		c.pages[base] = t
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	m := http.NewServeMux()
	m.Handle("GET /console/static/", http.StripPrefix("/console/static/", http.FileServerFS(static)))
	m.HandleFunc("GET /console/{$}", c.index)
	m.HandleFunc("GET /console/sign-in", c.signInForm)
	m.HandleFunc("POST /console/sign-in", c.signIn)
	m.Handle("POST /console/sign-out", c.signedIn(c.signOut))
	m.Handle("GET /console/cas", c.signedIn(c.hierarchy))
	m.Handle("GET /console/crls", c.signedIn(c.crls))
	m.Handle("GET /console/ca/{account}/{id}", c.signedIn(c.caPage))
	m.Handle("GET /console/ca/{account}/{id}/certificates", c.signedIn(c.certificates))
	m.Handle("GET /console/ca/{account}/{id}/certificate/{serial}", c.signedIn(c.certificate))
	m.Handle("POST /console/ca/{account}/{id}/certificate/{serial}/revoke", c.signedIn(c.revoke))
	m.Handle("GET /console/ca/{account}/{id}/audit-report/{report}", c.signedIn(c.auditReport))
	c.mux = m
	return c, nil
}

// ServeHTTP serves /console/. Cross-origin POSTs (by the browser's
// Sec-Fetch-Site or Origin) are refused before any handler runs; the
// CSRF token in every form covers browsers that send neither.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	if !strings.HasPrefix(r.URL.Path, "/console/static/") {
		h.Set("Cache-Control", "no-store")
	}
	if r.Method == http.MethodPost {
		if err := crossOrigin.Check(r); err != nil {
			c.fail(w, r, http.StatusForbidden, "Refused", "The request came from another site.")
			return
		}
		// Forms are small: an oversized body is refused, not read.
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	}
	c.mux.ServeHTTP(w, r)
}

var crossOrigin = http.NewCrossOriginProtection()

func (c *Console) now() time.Time {
	if c.cfg.Now != nil {
		return c.cfg.Now()
	}
	return time.Now()
}

func (c *Console) index(w http.ResponseWriter, r *http.Request) {
	if c.sessions.get(cookieValue(r, sessionCookie), time.Now()) != nil {
		http.Redirect(w, r, "/console/cas", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/console/sign-in", http.StatusSeeOther)
}

// signedIn runs h for a request with a live session whose key still
// exists, as its caller; POSTs must also carry the session's CSRF token.
func (c *Console) signedIn(h func(http.ResponseWriter, *http.Request, *current)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := cookieValue(r, sessionCookie)
		sess := c.sessions.get(token, time.Now())
		if sess == nil {
			if r.Method == http.MethodPost {
				c.fail(w, r, http.StatusForbidden, "Signed out", "Your session has ended. Sign in again.")
				return
			}
			http.Redirect(w, r, "/console/sign-in", http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && !sameSecret(r.PostFormValue("csrf"), sess.csrf) {
			c.log.Warn("console: form without a valid CSRF token refused", "path", r.URL.Path, "remote", r.RemoteAddr)
			c.fail(w, r, http.StatusForbidden, "Refused", "The form was not sent from this console (its CSRF token is missing or wrong). Reload the page and try again.")
			return
		}
		// The key is looked up on every request (through the principals
		// cache), so a deleted key or changed policy applies at once.
		who, ok, err := c.cfg.Keys(r.Context(), sess.accessKeyID, sess.sessionToken)
		if err != nil {
			c.internal(w, r, err)
			return
		}
		if !ok {
			c.sessions.end(token)
			http.Redirect(w, r, "/console/sign-in", http.StatusSeeOther)
			return
		}
		cur := &current{token: token, session: sess, who: who}
		h(w, r.WithContext(withCurrent(r.Context(), cur)), cur)
	})
}

type signInData struct {
	CSRF, AccessKeyID, Error string
}

func (c *Console) signInForm(w http.ResponseWriter, r *http.Request) {
	token := newToken()
	setCookie(w, r, signInCookie, token, 600)
	c.render(w, r, http.StatusOK, "signin", "Sign in", nil, signInData{CSRF: token})
}

func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	again := func(status int, id, msg string) {
		token := newToken()
		setCookie(w, r, signInCookie, token, 600)
		c.render(w, r, status, "signin", "Sign in", nil, signInData{CSRF: token, AccessKeyID: id, Error: msg})
	}
	if want := cookieValue(r, signInCookie); want == "" || !sameSecret(r.PostFormValue("csrf"), want) {
		again(http.StatusForbidden, "", "The sign-in form had expired or was not sent from this console. Try again.")
		return
	}
	// Refused before any lookup, so guessing costs the server next to nothing.
	if !c.gate.allow(r) {
		again(http.StatusTooManyRequests, "", "Too many sign-in attempts. Wait a few seconds and try again.")
		return
	}
	id := strings.TrimSpace(r.PostFormValue("access_key_id"))
	secret := r.PostFormValue("secret_access_key")
	sessionToken := strings.TrimSpace(r.PostFormValue("session_token"))
	who, ok, err := Identity{}, false, error(nil)
	if id != "" && len(id) <= 128 && len(sessionToken) <= 4096 {
		who, ok, err = c.cfg.Keys(r.Context(), id, sessionToken)
	}
	if err != nil {
		c.internal(w, r, err)
		return
	}
	// An unknown key is compared too, so both failures take as long.
	if !sameSecret(secret, who.Secret) || !ok || secret == "" {
		c.log.Warn("console: sign-in refused", "access_key_id", id, "remote", r.RemoteAddr)
		again(http.StatusUnauthorized, id, "The access key ID or secret access key is not valid.")
		return
	}
	token, _ := c.sessions.create(id, sessionToken, c.cfg.SessionTTL, time.Now())
	if token == "" {
		again(http.StatusServiceUnavailable, id, "Too many people are signed in. Try again later.")
		return
	}
	setCookie(w, r, signInCookie, "", -1)
	setCookie(w, r, sessionCookie, token, int(c.cfg.SessionTTL/time.Second))
	c.log.Info("console: signed in", "principal", who.Caller.ARN, "access_key_id", id, "remote", r.RemoteAddr)
	http.Redirect(w, r, "/console/cas", http.StatusSeeOther)
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request, cur *current) {
	c.sessions.end(cur.token)
	setCookie(w, r, sessionCookie, "", -1)
	c.log.Info("console: signed out", "principal", cur.who.Caller.ARN)
	http.Redirect(w, r, "/console/sign-in", http.StatusSeeOther)
}

// layoutData is what every page's template gets.
type layoutData struct {
	Title     string
	Principal string
	CSRF      string
	Body      any
}

func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, page, title string, cur *current, body any) {
	t, ok := c.pages[page]
	if !ok {
		c.internal(w, r, errors.New("console: no template "+page))
		return
	}
	d := layoutData{Title: title, Body: body}
	if cur != nil {
		d.Principal, d.CSRF = cur.who.Caller.ARN, cur.session.csrf
	}
	var buf strings.Builder
	if err := t.ExecuteTemplate(&buf, "layout", d); err != nil {
		c.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(buf.String()))
}

type failData struct{ Heading, Message string }

func (c *Console) fail(w http.ResponseWriter, r *http.Request, status int, heading, msg string) {
	c.render(w, r, status, "error", heading, currentOf(r), failData{heading, msg})
}

func (c *Console) internal(w http.ResponseWriter, r *http.Request, err error) {
	c.log.Error("console: internal error", "path", r.URL.Path, "err", err)
	c.fail(w, r, http.StatusInternalServerError, "Something went wrong", "The server could not complete the request; its log says why.")
}

// domainError shows a domain failure in words, with the status the API
// would answer.
func (c *Console) domainError(w http.ResponseWriter, r *http.Request, err error) {
	var e *pca.Error
	if !errors.As(err, &e) || e.Kind == pca.KindInternal {
		c.internal(w, r, err)
		return
	}
	heading, status := describeKind(e.Kind)
	c.fail(w, r, status, heading, e.Message)
}

// describeKind names a domain failure for people.
func describeKind(k pca.Kind) (string, int) {
	switch k {
	case pca.KindAccessDenied:
		return "Not allowed", http.StatusForbidden
	case pca.KindNotFound:
		return "Not found", http.StatusNotFound
	case pca.KindInvalidState:
		return "Not possible in the CA's current state", http.StatusConflict
	case pca.KindRequestAlreadyProcessed:
		return "Already done", http.StatusConflict
	case pca.KindLimitExceeded:
		return "Limit reached", http.StatusConflict
	case pca.KindConcurrentModification, pca.KindRequestInProgress:
		return "Busy: try again shortly", http.StatusConflict
	case pca.KindInvalidArn, pca.KindInvalidArgs, pca.KindInvalidRequest, pca.KindValidation, pca.KindInvalidNextToken:
		return "Invalid request", http.StatusBadRequest
	}
	return "Refused", http.StatusBadRequest
}
