package ocsp

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// CA is one certificate authority that answers OCSP.
type CA struct {
	ID          string
	Certificate *x509.Certificate
	// Signer holds the key of Certificate. It signs the responses itself:
	// there is no delegated responder certificate.
	Signer crypto.Signer
	// SigningAlgorithm is an AWS SigningAlgorithm name (SHA256WITHRSA ...
	// ML_DSA_87) suiting Signer's key.
	SigningAlgorithm string
}

// Status is a certificate's revocation status.
type Status struct {
	Revoked bool
	// Known is false when the CA never issued the serial: the response
	// says unknown (never good).
	Known     bool
	RevokedAt time.Time
	// Reason is the RFC 5280 CRLReason code; 0 (unspecified) is left out
	// of the response.
	Reason int
}

// Backend is what the responder needs from the rest of openpca.
type Backend interface {
	// CAs returns every CA that answers OCSP now (ACTIVE or DISABLED with
	// OCSP enabled).
	CAs(ctx context.Context) ([]CA, error)
	// Status returns the status of a serial (lowercase hex, no leading
	// zeros) issued by a CA.
	Status(ctx context.Context, caID, serial string) (Status, error)
}

// Config tunes a Responder; zero values mean the defaults.
type Config struct {
	// Validity is nextUpdate - thisUpdate (default 1 hour). A cached
	// response is re-signed once half of it has passed.
	Validity time.Duration
	// Refresh is how often the CAs are read again and Run looks for
	// responses to re-sign (default 10 s).
	Refresh time.Duration
	// CacheBytes bounds the memory held by cached responses (default
	// 64 MiB: some 200,000 ECDSA or 15,000 ML-DSA-87 responses).
	CacheBytes int64
}

// Responder answers OCSP requests over HTTP. It is safe for concurrent use.
type Responder struct {
	backend Backend
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	cache   *cache
	m       metrics
	bufs    sync.Pool // request bodies: *[]byte of maxRequestBytes+1

	cas          atomic.Pointer[caSet]
	casInvalid   atomic.Bool // InvalidateCAs was called: reload before answering
	casReloading atomic.Bool // a background reload is running
	casMu        sync.Mutex  // serialises reloads
	casRetry     time.Time   // guarded by casMu: after a failed read, none before this
}

// casRetryDelay spaces out reads of a failing Backend.
const casRetryDelay = time.Second

// New returns a Responder. reg receives its metrics (nil: not exported);
// log receives errors and, at debug level, one record per signature.
func New(b Backend, cfg Config, reg prometheus.Registerer, log *slog.Logger) *Responder {
	if cfg.Validity <= 0 {
		cfg.Validity = time.Hour
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = 10 * time.Second
	}
	if cfg.CacheBytes <= 0 {
		cfg.CacheBytes = 64 << 20
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	if log == nil {
		log = slog.Default()
	}
	r := &Responder{backend: b, cfg: cfg, log: log, now: time.Now, cache: newCache(cfg.CacheBytes)}
	r.m = newMetrics(reg, r.cache)
	r.bufs.New = func() any {
		b := make([]byte, maxRequestBytes+1)
		return &b
	}
	return r
}

// Revoked drops the cached responses for a serial at once (a signature in
// flight included), so the next request reads the new status. Call it once
// the revocation is durable.
func (r *Responder) Revoked(caID, serial string) {
	serial = strings.TrimLeft(strings.ToLower(strings.ReplaceAll(serial, ":", "")), "0")
	for _, c := range certHashes {
		r.cache.drop(key{caID, serial, c.hash})
	}
}

// InvalidateCAs makes the next request read the CAs again. Call it after a
// CA changes (status, OCSP configuration, certificate).
func (r *Responder) InvalidateCAs() {
	r.casInvalid.Store(true)
}

// Run re-reads the CAs every Refresh, re-signs cached responses that are
// being asked for before they are due, and forgets expired ones. It
// returns when ctx ends.
func (r *Responder) Run(ctx context.Context) {
	t := time.NewTicker(r.cfg.Refresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		_, _ = r.reloadCAs(ctx, false)
		r.refresh(ctx)
	}
}

// refresh is one pass of Run over the cache. Entries asked for since they
// were signed are re-signed up to two Refresh periods before they are due,
// so busy responses never wait for a signature; idle ones are left to age
// out (or to be re-signed if asked for again).
func (r *Responder) refresh(ctx context.Context) {
	set := r.cas.Load()
	now := r.now()
	lead := min(2*r.cfg.Refresh, r.cfg.Validity/4)
	due := r.cache.sweep(
		func(e *entry) bool { return !now.Before(e.nextUpdate) || set == nil || set.byID[e.key.ca] != e.is },
		func(e *entry) bool { return e.asked.Load() && !now.Before(e.refreshAt.Add(-lead)) },
	)
	for _, e := range due {
		if ctx.Err() != nil {
			return
		}
		is, k, serial := e.is, e.key, e.serial
		_, err := r.cache.load(ctx, k, func(ctx context.Context) (*entry, error) {
			return r.newEntry(ctx, is, k, serial, signRefresh)
		})
		if err != nil && ctx.Err() == nil {
			r.log.Warn("re-signing an OCSP response failed; it will be signed on demand", "ca", k.ca, "serial", k.serial, "err", err)
		}
	}
}

// issuers returns the current CAs. After InvalidateCAs, or before the
// first read, it reads them; when they are merely older than Refresh, it
// answers from them and reads them again in the background.
func (r *Responder) issuers(ctx context.Context) (*caSet, error) {
	set := r.cas.Load()
	if set == nil || r.casInvalid.Load() {
		return r.reloadCAs(ctx, true)
	}
	if r.now().Sub(set.loaded) >= r.cfg.Refresh && r.casReloading.CompareAndSwap(false, true) {
		go func() {
			defer r.casReloading.Store(false)
			ctx, cancel := context.WithTimeout(context.Background(), signTimeout)
			defer cancel()
			_, _ = r.reloadCAs(ctx, false)
		}()
	}
	return set, nil
}

// reloadCAs reads the CAs if they are invalid (needed) or older than
// Refresh. On failure it keeps the previous set, if any, and waits
// casRetryDelay before reading again.
func (r *Responder) reloadCAs(ctx context.Context, needed bool) (*caSet, error) {
	r.casMu.Lock()
	defer r.casMu.Unlock()
	old := r.cas.Load()
	invalid := r.casInvalid.Load()
	now := r.now()
	switch {
	case old != nil && !invalid && (needed || now.Sub(old.loaded) < r.cfg.Refresh):
		return old, nil // someone else read them meanwhile, or they are fresh
	case now.Before(r.casRetry):
		if old != nil {
			return old, nil
		}
		return nil, errors.New("ocsp: CAs unavailable")
	}
	// Cleared before reading, so an InvalidateCAs during the read is not lost.
	r.casInvalid.Store(false)
	set, err := r.loadCAs(ctx, old)
	if err != nil {
		if invalid {
			r.casInvalid.Store(true)
		}
		r.casRetry = now.Add(casRetryDelay)
		r.log.Error("OCSP cannot read the CAs; answering from the previous list", "err", err, "have_previous", old != nil)
		if old != nil {
			return old, nil
		}
		return nil, err
	}
	r.cas.Store(set)
	return set, nil
}

// ServeHTTP answers an OCSP request: POST with the DER request as body (at
// any path; the Content-Type is not checked), or GET (and HEAD) with the
// base64 DER request, %-encoded or not, as the path (RFC 6960 appendix
// A.1). A leading "/ocsp/" in the path is skipped, so the handler works
// with or without http.StripPrefix("/ocsp", ...). Mounted on a ServeMux,
// register both "/ocsp" (clients POST there) and "/ocsp/"; the ServeMux
// redirects unencoded GET paths containing "//", which RFC 5019 clients
// avoid by %-encoding.
func (r *Responder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var der []byte
	switch req.Method {
	case http.MethodGet, http.MethodHead:
		der = decodeGET(req.URL)
	case http.MethodPost:
		// The request is answered before the buffer is reused: nothing
		// from it outlives the handler (the cache copies what it keeps).
		buf := r.bufs.Get().(*[]byte)
		defer r.bufs.Put(buf)
		der = readBody(req.Body, *buf)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "OCSP requests are sent with GET or POST", http.StatusMethodNotAllowed)
		return
	}
	a := r.answer(req.Context(), der)
	r.m.responses[a.out].Inc()
	r.write(w, req, a)
}

// answer is a response ready to be written.
type answer struct {
	out       outcome
	der       []byte
	cacheable bool // no nonce: the same request gets the same answer
	// For successful responses; formatted once for cached ones.
	nextUpdate                          time.Time
	etag, lastModified, expires, length []string
}

func errorAnswer(out outcome, status byte) answer {
	return answer{out: out, der: errorResponse(status)}
}

var (
	errTryLater = errors.New("ocsp: status unavailable")
	errInternal = errors.New("ocsp: cannot sign")
)

func (r *Responder) answer(ctx context.Context, der []byte) answer {
	if der == nil {
		return errorAnswer(outMalformedRequest, statusMalformedRequest)
	}
	req, err := parseRequest(der)
	if err != nil {
		return errorAnswer(outMalformedRequest, statusMalformedRequest)
	}
	set, err := r.issuers(ctx)
	if err != nil {
		return errorAnswer(outTryLater, statusTryLater)
	}
	is := set.match(req.certs[0])
	if is == nil {
		return errorAnswer(outUnauthorized, statusUnauthorized)
	}
	for _, id := range req.certs[1:] {
		if set.match(id) != is {
			return errorAnswer(outUnauthorized, statusUnauthorized)
		}
	}
	if req.nonce == nil && len(req.certs) == 1 {
		e, err := r.cached(ctx, is, req.certs[0])
		if err != nil {
			return r.failure(err)
		}
		return answer{
			out: e.out, der: e.der, cacheable: true, nextUpdate: e.nextUpdate,
			etag: e.etag, lastModified: e.lastModified, expires: e.expires, length: e.length,
		}
	}

	// Signed for this request alone: the status is read afresh.
	singles := make([]single, len(req.certs))
	for i, id := range req.certs {
		st, err := r.status(ctx, is, id.serial)
		if err != nil {
			return r.failure(err)
		}
		singles[i] = single{hash: id.hash, serial: id.serial, status: st}
	}
	s, err := r.sign(is, singles, req.nonce)
	if err != nil {
		return r.failure(fmt.Errorf("%w: %w", errInternal, err))
	}
	r.m.signatures[signUncached].Inc()
	out := outMultiple
	if len(singles) == 1 {
		out = outcomeOf(singles[0].status)
	}
	r.log.Debug("OCSP response signed", "ca", is.id, "certificates", len(singles), "nonce", req.nonce != nil, "status", outcomeNames[out])
	a := answer{out: out, der: s.der, cacheable: req.nonce == nil, nextUpdate: s.nextUpdate}
	a.etag, a.lastModified, a.expires, a.length = headerValues(s)
	return a
}

func (r *Responder) failure(err error) answer {
	if errors.Is(err, errInternal) {
		r.log.Error("OCSP signing failed", "err", err)
		return errorAnswer(outInternalError, statusInternalError)
	}
	if !errors.Is(err, context.Canceled) {
		r.log.Warn("OCSP status unavailable", "err", err)
	}
	return errorAnswer(outTryLater, statusTryLater)
}

// cached returns the pre-signed response for id, signing it if it is
// missing, made with another CA state, or due.
func (r *Responder) cached(ctx context.Context, is *issuer, id certID) (*entry, error) {
	serial, ok := serialHex(id.serial)
	if !ok {
		// Never issued; cached under a name no Backend serial has.
		serial = "!" + hex.EncodeToString(id.serial)
	}
	k := key{ca: is.id, serial: serial, hash: id.hash}
	if e := r.cache.get(k); e != nil && e.is == is && r.now().Before(e.refreshAt) {
		if !e.asked.Load() {
			e.asked.Store(true)
		}
		r.m.hits.Inc()
		return e, nil
	}
	r.m.misses.Inc()
	raw := bytes.Clone(id.serial)
	return r.cache.load(ctx, k, func(ctx context.Context) (*entry, error) {
		return r.newEntry(ctx, is, k, raw, signMiss)
	})
}

// newEntry reads a status and signs a response to cache.
func (r *Responder) newEntry(ctx context.Context, is *issuer, k key, serial []byte, purpose int) (*entry, error) {
	st, err := r.status(ctx, is, serial)
	if err != nil {
		return nil, err
	}
	s, err := r.sign(is, []single{{hash: k.hash, serial: serial, status: st}}, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errInternal, err)
	}
	r.m.signatures[purpose].Inc()
	out := outcomeOf(st)
	// Debug, not info: anyone can make the responder sign, and a log line
	// per signature at info level would let them flood the log.
	r.log.Debug("OCSP response signed", "ca", is.id, "serial", k.serial, "status", outcomeNames[out], "purpose", signPurposeNames[purpose])
	e := &entry{
		key: k, is: is, serial: serial, der: s.der, out: out,
		thisUpdate: s.thisUpdate, nextUpdate: s.nextUpdate, refreshAt: s.thisUpdate.Add(r.cfg.Validity / 2),
	}
	e.etag, e.lastModified, e.expires, e.length = headerValues(s)
	return e, nil
}

// status asks the Backend about a serial; serials no CA issues are unknown
// without asking.
func (r *Responder) status(ctx context.Context, is *issuer, serial []byte) (Status, error) {
	hexSerial, ok := serialHex(serial)
	if !ok {
		return Status{}, nil
	}
	st, err := r.backend.Status(ctx, is.id, hexSerial)
	if err != nil {
		return Status{}, fmt.Errorf("%w: CA %s serial %s: %w", errTryLater, is.id, hexSerial, err)
	}
	return st, nil
}

func outcomeOf(st Status) outcome {
	switch {
	case !st.Known:
		return outUnknown
	case st.Revoked:
		return outRevoked
	}
	return outGood
}

func headerValues(s signed) (etag, lastModified, expires, length []string) {
	sum := sha256.Sum256(s.der)
	return []string{`"` + hex.EncodeToString(sum[:16]) + `"`},
		[]string{s.thisUpdate.Format(http.TimeFormat)},
		[]string{s.nextUpdate.Format(http.TimeFormat)},
		[]string{strconv.Itoa(len(s.der))}
}

// Shared header values; net/http only reads them.
var (
	contentTypeResponse = []string{"application/ocsp-response"}
	noStore             = []string{"no-store"}
)

// write sends a with the RFC 5019 caching headers when it is cacheable.
func (r *Responder) write(w http.ResponseWriter, req *http.Request, a answer) {
	h := w.Header()
	h["Content-Type"] = contentTypeResponse
	if a.etag == nil || !a.cacheable {
		h["Cache-Control"] = noStore
		if a.etag != nil {
			h["Etag"] = a.etag
			h["Content-Length"] = a.length
		} else {
			h["Content-Length"] = []string{strconv.Itoa(len(a.der))}
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(a.der)
		return
	}
	maxAge := max(int64(a.nextUpdate.Sub(r.now())/time.Second), 0)
	h["Cache-Control"] = []string{"max-age=" + strconv.FormatInt(maxAge, 10) + ", public, no-transform, must-revalidate"}
	h["Etag"] = a.etag
	h["Last-Modified"] = a.lastModified
	h["Expires"] = a.expires
	if inm := req.Header.Get("If-None-Match"); inm != "" && (inm == "*" || strings.Contains(inm, a.etag[0])) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Length"] = a.length
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(a.der)
}

// readBody reads a POST body into buf (one byte larger than the largest
// request accepted) and returns nil if it is too large or unreadable.
func readBody(body io.Reader, buf []byte) []byte {
	n, err := io.ReadFull(body, buf)
	switch {
	case err == nil: // filled: larger than maxRequestBytes
		return nil
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return buf[:n]
	}
	return nil
}

// decodeGET returns the request a GET path carries: base64 (standard or
// URL-safe, padded or not), possibly %-encoded, after an optional "/ocsp/"
// the caller did not strip. It returns nil if there is none.
func decodeGET(u *url.URL) []byte {
	p := strings.TrimPrefix(u.EscapedPath(), "/")
	p = strings.TrimPrefix(p, "ocsp/")
	if p == "" || len(p) > 3*base64.StdEncoding.EncodedLen(maxRequestBytes) {
		return nil
	}
	s, err := url.PathUnescape(p)
	if err != nil {
		return nil
	}
	// A '+' that went through form decoding somewhere on the way arrives
	// as a space.
	s = strings.ReplaceAll(s, " ", "+")
	s = strings.TrimRight(s, "=")
	enc := base64.RawStdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.RawURLEncoding
	}
	der, err := enc.DecodeString(s)
	if err != nil || len(der) > maxRequestBytes {
		return nil
	}
	return der
}
