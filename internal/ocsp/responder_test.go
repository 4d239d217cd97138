package ocsp

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	xocsp "golang.org/x/crypto/ocsp"

	"github.com/openpca/openpca/internal/x509util"
)

// parseFor parses a response for leaf with golang.org/x/crypto/ocsp, which
// verifies RSA and ECDSA signatures against the CA certificate, and checks
// with x509util that every response (ML-DSA included) is signed by the CA
// key with the CA's signing algorithm.
func parseFor(t *testing.T, body []byte, leaf *x509.Certificate, ca *testCA) *xocsp.Response {
	t.Helper()
	issuer := ca.cert
	if strings.HasPrefix(ca.alg, "ML_DSA") {
		issuer = nil // x/crypto cannot verify ML-DSA; checkSignedByCA does
	}
	resp, err := xocsp.ParseResponseForCert(body, leaf, issuer)
	if err != nil {
		t.Fatalf("ParseResponseForCert: %v", err)
	}
	checkSignedByCA(t, decode(t, body), ca)
	return resp
}

// responseStatus returns the OCSPResponseStatus of an unsuccessful response.
func responseStatus(t *testing.T, body []byte) xocsp.ResponseStatus {
	t.Helper()
	_, err := xocsp.ParseResponse(body, nil)
	var re xocsp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("want an OCSP error status, got %v", err)
	}
	return re.Status
}

func TestStatuses(t *testing.T) {
	for _, alg := range testAlgs {
		t.Run(alg, func(t *testing.T) {
			ca := newCA(t, "statuses", alg)
			e := newEnv(t, Config{}, ca)
			revokedAt := testNow.Add(-90 * time.Minute)
			good := ca.leaf(t, big.NewInt(0x1001))
			keyCompromise := ca.leaf(t, big.NewInt(0x1002))
			unspecified := ca.leaf(t, big.NewInt(0x1003))
			neverIssued := ca.leaf(t, new(big.Int).Lsh(big.NewInt(0xfe), 120)) // high bit set: DER sign octet
			e.b.issue(ca, good.SerialNumber)
			e.b.revoke(ca, keyCompromise.SerialNumber, revokedAt, 1)
			e.b.revoke(ca, unspecified.SerialNumber, revokedAt, 0)

			tests := []struct {
				name       string
				leaf       *x509.Certificate
				hash       crypto.Hash
				get        bool
				wantStatus int
				wantReason int
				reasonSent bool
			}{
				{"good POST", good, crypto.SHA1, false, xocsp.Good, 0, false},
				{"good GET", good, crypto.SHA1, true, xocsp.Good, 0, false},
				{"good SHA-256 CertID", good, crypto.SHA256, false, xocsp.Good, 0, false},
				{"good SHA-512 CertID", good, crypto.SHA512, true, xocsp.Good, 0, false},
				{"revoked keyCompromise", keyCompromise, crypto.SHA1, false, xocsp.Revoked, 1, true},
				{"revoked unspecified omits the reason", unspecified, crypto.SHA1, true, xocsp.Revoked, 0, false},
				{"never issued is unknown", neverIssued, crypto.SHA1, false, xocsp.Unknown, 0, false},
			}
			for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256} {
				// CertIDs computed by another implementation match too.
				t.Run("request from x/crypto/ocsp with "+h.String(), func(t *testing.T) {
					der, err := xocsp.CreateRequest(good, ca.cert, &xocsp.RequestOptions{Hash: h})
					if err != nil {
						t.Fatal(err)
					}
					if _, body := e.post(t, der); parseFor(t, body, good, ca).Status != xocsp.Good {
						t.Fatal("not good")
					}
				})
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					der := encodeRequest(request{certs: []certID{certIDOf(t, tc.leaf, ca, tc.hash)}})
					var resp *http.Response
					var body []byte
					if tc.get {
						resp, body = e.get(t, der)
					} else {
						resp, body = e.post(t, der)
					}
					if resp.StatusCode != http.StatusOK {
						t.Fatalf("HTTP %d", resp.StatusCode)
					}
					r := parseFor(t, body, tc.leaf, ca)
					if r.Status != tc.wantStatus {
						t.Fatalf("status %d, want %d", r.Status, tc.wantStatus)
					}
					if r.IssuerHash != tc.hash {
						t.Errorf("CertID hash %v, want %v", r.IssuerHash, tc.hash)
					}
					if !r.ThisUpdate.Equal(testNow) || !r.ProducedAt.Equal(testNow) || !r.NextUpdate.Equal(testNow.Add(time.Hour)) {
						t.Errorf("thisUpdate %v producedAt %v nextUpdate %v", r.ThisUpdate, r.ProducedAt, r.NextUpdate)
					}
					if tc.wantStatus == xocsp.Revoked {
						if !r.RevokedAt.Equal(revokedAt) || r.RevocationReason != tc.wantReason {
							t.Errorf("revoked at %v reason %d, want %v reason %d", r.RevokedAt, r.RevocationReason, revokedAt, tc.wantReason)
						}
						if sent := decode(t, body).singles[0].reasonPresent; sent != tc.reasonSent {
							t.Errorf("revocationReason present: %v, want %v", sent, tc.reasonSent)
						}
					}
				})
			}
		})
	}
}

func TestSerialsNeverIssuedAreUnknownWithoutLookup(t *testing.T) {
	ca := newCA(t, "serials", x509util.SHA256WithECDSA)
	e := newEnv(t, Config{}, ca)
	base := certIDOf(t, ca.leaf(t, big.NewInt(7)), ca, crypto.SHA1)
	tests := []struct {
		name   string
		serial []byte
	}{
		{"zero", []byte{0}},
		{"negative", []byte{0xff}},
		{"longer than RFC 5280 allows", append([]byte{0x01}, make([]byte, 21)...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := base
			id.serial = tc.serial
			_, before := e.b.calls()
			_, body := e.post(t, encodeRequest(request{certs: []certID{id}}))
			d := decode(t, body)
			if d.status != 0 || len(d.singles) != 1 || d.singles[0].status != 2 {
				t.Fatalf("response %+v, want one unknown", d)
			}
			checkSignedByCA(t, d, ca)
			if _, after := e.b.calls(); after != before {
				t.Errorf("the Backend was asked about a serial no CA issues")
			}
		})
	}
}

func TestRevokedShowsAtOnce(t *testing.T) {
	for _, alg := range testAlgs {
		t.Run(alg, func(t *testing.T) {
			ca := newCA(t, "revoke", alg)
			e := newEnv(t, Config{}, ca)
			leaf := ca.leaf(t, big.NewInt(0xabcdef))
			e.b.issue(ca, leaf.SerialNumber)
			sha1Req := encodeRequest(request{certs: []certID{certIDOf(t, leaf, ca, crypto.SHA1)}})
			sha256Req := encodeRequest(request{certs: []certID{certIDOf(t, leaf, ca, crypto.SHA256)}})
			for _, der := range [][]byte{sha1Req, sha256Req} {
				if _, body := e.post(t, der); parseFor(t, body, leaf, ca).Status != xocsp.Good {
					t.Fatal("not good before revocation")
				}
			}

			revokedAt := testNow.Add(time.Minute)
			e.clock.advance(2 * time.Minute)
			e.b.revoke(ca, leaf.SerialNumber, revokedAt, 4)
			// Until Revoked is called the pre-signed response is served:
			// that is what Revoked is for.
			if _, body := e.post(t, sha1Req); parseFor(t, body, leaf, ca).Status != xocsp.Good {
				t.Fatal("cached response not served")
			}
			e.r.Revoked(ca.id, "00"+leaf.SerialNumber.Text(16)) // leading zeros are ignored

			for name, fetch := range map[string]func() []byte{
				"POST SHA-1":   func() []byte { _, b := e.post(t, sha1Req); return b },
				"GET SHA-1":    func() []byte { _, b := e.get(t, sha1Req); return b },
				"POST SHA-256": func() []byte { _, b := e.post(t, sha256Req); return b },
			} {
				r := parseFor(t, fetch(), leaf, ca)
				if r.Status != xocsp.Revoked || !r.RevokedAt.Equal(revokedAt) || r.RevocationReason != 4 {
					t.Errorf("%s: status %d at %v reason %d, want revoked at %v reason 4", name, r.Status, r.RevokedAt, r.RevocationReason, revokedAt)
				}
				if !r.ThisUpdate.Equal(testNow.Add(2 * time.Minute)) {
					t.Errorf("%s: thisUpdate %v, want the re-signing time", name, r.ThisUpdate)
				}
			}
		})
	}
}

// TestRevokedDuringSigning: a response signed from a status read before
// the revocation must not be cached after Revoked.
func TestRevokedDuringSigning(t *testing.T) {
	ca := newCA(t, "race", x509util.SHA256WithECDSA)
	e := newEnv(t, Config{}, ca)
	leaf := ca.leaf(t, big.NewInt(99))
	e.b.issue(ca, leaf.SerialNumber)
	der := encodeRequest(request{certs: []certID{certIDOf(t, leaf, ca, crypto.SHA1)}})

	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	e.b.onStatus = func(string, string) {
		once.Do(func() {
			close(entered)
			<-release
		})
	}
	first := make(chan []byte)
	go func() {
		rec := httptest.NewRecorder()
		e.r.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(der)))
		first <- rec.Body.Bytes()
	}()
	<-entered
	e.b.revoke(ca, leaf.SerialNumber, testNow, 1)
	e.r.Revoked(ca.id, leaf.SerialNumber.Text(16))
	close(release)
	if r := parseFor(t, <-first, leaf, ca); r.Status != xocsp.Good {
		t.Fatalf("in-flight request: status %d, want good (read before the revocation)", r.Status)
	}
	if _, body := e.post(t, der); parseFor(t, body, leaf, ca).Status != xocsp.Revoked {
		t.Fatal("the response signed before Revoked was cached")
	}
}

func TestUnauthorized(t *testing.T) {
	ca := newCA(t, "authz", x509util.SHA256WithECDSA)
	other := newCA(t, "authz-other", x509util.SHA256WithECDSA)
	e := newEnv(t, Config{}, ca)
	mine := ca.leaf(t, big.NewInt(1))
	theirs := other.leaf(t, big.NewInt(1))
	e.b.issue(ca, mine.SerialNumber)
	shortHash := certIDOf(t, mine, ca, crypto.SHA1)
	shortHash.keyHash = shortHash.keyHash[:10]

	tests := []struct {
		name  string
		certs []certID
	}{
		{"issuer not served", []certID{certIDOf(t, theirs, other, crypto.SHA1)}},
		{"truncated key hash", []certID{shortHash}},
		{"second CertID from another CA", []certID{certIDOf(t, mine, ca, crypto.SHA1), certIDOf(t, theirs, other, crypto.SHA1)}},
		{"first CertID from another CA", []certID{certIDOf(t, theirs, other, crypto.SHA1), certIDOf(t, mine, ca, crypto.SHA1)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.post(t, encodeRequest(request{certs: tc.certs}))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("HTTP %d", resp.StatusCode)
			}
			if st := responseStatus(t, body); st != xocsp.Unauthorized {
				t.Fatalf("status %v, want unauthorized", st)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q", cc)
			}
		})
	}
}

func TestNonce(t *testing.T) {
	nonce := make([]byte, 32)
	rand.Read(nonce)
	for _, alg := range testAlgs {
		t.Run(alg, func(t *testing.T) {
			ca := newCA(t, "nonce", alg)
			e := newEnv(t, Config{}, ca)
			leaf := ca.leaf(t, big.NewInt(0x77))
			e.b.issue(ca, leaf.SerialNumber)
			id := certIDOf(t, leaf, ca, crypto.SHA1)

			tests := []struct {
				name  string
				value []byte // extnValue
			}{
				{"RFC 8954 OCTET STRING", nonceValue(nonce)},
				{"RFC 9654 128 octets", nonceValue(bytes.Repeat([]byte{7}, 128))},
				{"legacy raw bytes", nonce[:16]},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					resp, body := e.post(t, encodeRequest(request{certs: []certID{id}, nonce: tc.value}))
					if r := parseFor(t, body, leaf, ca); r.Status != xocsp.Good {
						t.Fatalf("status %d", r.Status)
					}
					d := decode(t, body)
					if !d.hasNonce || !bytes.Equal(d.nonce, tc.value) {
						t.Fatalf("nonce %x, want %x echoed", d.nonce, tc.value)
					}
					if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
						t.Errorf("Cache-Control %q, want no-store", cc)
					}
					if resp.Header.Get("Expires") != "" || resp.Header.Get("Last-Modified") != "" {
						t.Error("caching headers on a nonce response")
					}
				})
			}

			t.Run("signed per request with a fresh status", func(t *testing.T) {
				signed := testutil.ToFloat64(e.r.m.signatures[signUncached])
				req := encodeRequest(request{certs: []certID{id}, nonce: nonceValue(nonce)})
				e.post(t, req)
				e.b.revoke(ca, leaf.SerialNumber, testNow, 1) // no Revoked call
				_, body := e.post(t, req)
				if r := parseFor(t, body, leaf, ca); r.Status != xocsp.Revoked {
					t.Errorf("status %d, want revoked read afresh", r.Status)
				}
				if got := testutil.ToFloat64(e.r.m.signatures[signUncached]) - signed; got != 2 {
					t.Errorf("%v signatures for two nonce requests", got)
				}
			})
		})
	}
}

func TestMultipleCertificates(t *testing.T) {
	for _, alg := range testAlgs {
		t.Run(alg, func(t *testing.T) {
			ca := newCA(t, "multi", alg)
			e := newEnv(t, Config{}, ca)
			good, revoked, unknown := ca.leaf(t, big.NewInt(11)), ca.leaf(t, big.NewInt(12)), ca.leaf(t, big.NewInt(13))
			e.b.issue(ca, good.SerialNumber)
			e.b.revoke(ca, revoked.SerialNumber, testNow.Add(-time.Hour), 5)
			certs := []certID{
				certIDOf(t, good, ca, crypto.SHA1),
				certIDOf(t, revoked, ca, crypto.SHA256),
				certIDOf(t, unknown, ca, crypto.SHA1),
			}
			for _, withNonce := range []bool{false, true} {
				req := request{certs: certs}
				if withNonce {
					req.nonce = nonceValue([]byte("0123456789abcdef"))
				}
				resp, body := e.post(t, encodeRequest(req))
				d := decode(t, body)
				if len(d.singles) != 3 {
					t.Fatalf("%d SingleResponses, want 3", len(d.singles))
				}
				for i, want := range []struct {
					leaf   *x509.Certificate
					status int
				}{{good, xocsp.Good}, {revoked, xocsp.Revoked}, {unknown, xocsp.Unknown}} {
					if r := parseFor(t, body, want.leaf, ca); r.Status != want.status {
						t.Errorf("certificate %d: status %d, want %d", i, r.Status, want.status)
					}
					if d.singles[i].status != want.status {
						t.Errorf("SingleResponse %d: status %d, want %d (request order)", i, d.singles[i].status, want.status)
					}
				}
				if d.hasNonce != withNonce {
					t.Errorf("nonce echoed: %v", d.hasNonce)
				}
				cacheable := strings.HasPrefix(resp.Header.Get("Cache-Control"), "max-age=")
				if cacheable == withNonce {
					t.Errorf("nonce %v: Cache-Control %q", withNonce, resp.Header.Get("Cache-Control"))
				}
			}
		})
	}
}

func TestCacheHeaders(t *testing.T) {
	ca := newCA(t, "headers", x509util.SHA256WithECDSA)
	e := newEnv(t, Config{Validity: time.Hour}, ca)
	leaf := ca.leaf(t, big.NewInt(5))
	e.b.issue(ca, leaf.SerialNumber)
	der := encodeRequest(request{certs: []certID{certIDOf(t, leaf, ca, crypto.SHA1)}})

	resp, body := e.post(t, der)
	want := map[string]string{
		"Content-Type":   "application/ocsp-response",
		"Cache-Control":  "max-age=3600, public, no-transform, must-revalidate",
		"Expires":        testNow.Add(time.Hour).Format(http.TimeFormat),
		"Last-Modified":  testNow.Format(http.TimeFormat),
		"Content-Length": strconv.Itoa(len(body)),
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	etag := resp.Header.Get("ETag")
	if len(etag) < 3 || etag[0] != '"' || etag[len(etag)-1] != '"' {
		t.Fatalf("ETag %q", etag)
	}

	e.clock.advance(10*time.Minute + 500*time.Millisecond)
	resp2, body2 := e.get(t, der)
	if !bytes.Equal(body, body2) || resp2.Header.Get("ETag") != etag {
		t.Fatal("GET did not serve the cached response")
	}
	if cc := resp2.Header.Get("Cache-Control"); cc != "max-age=2999, public, no-transform, must-revalidate" {
		t.Errorf("Cache-Control %q, want max-age counting down to nextUpdate", cc)
	}

	t.Run("If-None-Match", func(t *testing.T) {
		path := "/ocsp/" + url.PathEscape(base64.StdEncoding.EncodeToString(der))
		resp, body := e.getPath(t, path, http.Header{"If-None-Match": {etag}})
		if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
			t.Fatalf("HTTP %d with %d bytes, want 304", resp.StatusCode, len(body))
		}
		resp, _ = e.getPath(t, path, http.Header{"If-None-Match": {`"other"`}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("HTTP %d for another ETag", resp.StatusCode)
		}
	})
	t.Run("errors are not cacheable", func(t *testing.T) {
		resp, _ := e.post(t, []byte("not ocsp"))
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" || resp.Header.Get("ETag") != "" || resp.Header.Get("Expires") != "" {
			t.Errorf("Cache-Control %q ETag %q Expires %q", cc, resp.Header.Get("ETag"), resp.Header.Get("Expires"))
		}
	})
}

func TestCacheReuseAndResign(t *testing.T) {
	ca := newCA(t, "reuse", x509util.MLDSA65)
	e := newEnv(t, Config{Validity: time.Hour}, ca)
	leaf := ca.leaf(t, big.NewInt(0x42))
	e.b.issue(ca, leaf.SerialNumber)
	der := encodeRequest(request{certs: []certID{certIDOf(t, leaf, ca, crypto.SHA1)}})
	signatures := func() float64 { return testutil.ToFloat64(e.r.m.signatures[signMiss]) }

	_, first := e.post(t, der)
	steps := []struct {
		name       string
		advance    time.Duration
		signatures float64
		same       bool
	}{
		{"reused at once", 0, 1, true},
		{"reused until half the validity", 30*time.Minute - time.Second, 1, true},
		{"re-signed at half the validity", time.Second, 2, false},
		{"new response reused", time.Minute, 2, false},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			e.clock.advance(s.advance)
			_, body := e.post(t, der)
			if got := signatures(); got != s.signatures {
				t.Errorf("%v signatures, want %v", got, s.signatures)
			}
			if bytes.Equal(body, first) != s.same {
				t.Errorf("same response as the first: %v, want %v", !s.same, s.same)
			}
			if r := parseFor(t, body, leaf, ca); !s.same && !r.ThisUpdate.Equal(testNow.Add(30*time.Minute)) {
				t.Errorf("thisUpdate %v", r.ThisUpdate)
			}
		})
	}
}

func TestRefreshResignsBusyEntriesAhead(t *testing.T) {
	ca := newCA(t, "refresh", x509util.SHA256WithECDSA)
	e := newEnv(t, Config{Validity: time.Hour, Refresh: 10 * time.Second}, ca)
	busy, idle := ca.leaf(t, big.NewInt(1)), ca.leaf(t, big.NewInt(2))
	e.b.issue(ca, busy.SerialNumber)
	e.b.issue(ca, idle.SerialNumber)
	busyReq := encodeRequest(request{certs: []certID{certIDOf(t, busy, ca, crypto.SHA1)}})
	idleReq := encodeRequest(request{certs: []certID{certIDOf(t, idle, ca, crypto.SHA1)}})
	e.post(t, busyReq)
	e.post(t, idleReq)
	e.post(t, busyReq) // a hit: busy is being asked for
	refreshed := func() float64 { return testutil.ToFloat64(e.r.m.signatures[signRefresh]) }

	e.clock.advance(29 * time.Minute)
	e.r.refresh(context.Background())
	if got := refreshed(); got != 0 {
		t.Fatalf("%v re-signed long before due", got)
	}
	e.clock.advance(50 * time.Second) // 10 s before due, within the 20 s lead
	e.r.refresh(context.Background())
	if got := refreshed(); got != 1 {
		t.Fatalf("%v re-signed, want only the busy entry", got)
	}
	misses := testutil.ToFloat64(e.r.m.misses)
	e.clock.advance(20 * time.Second) // past the old entry's re-signing point
	_, body := e.post(t, busyReq)
	if testutil.ToFloat64(e.r.m.misses) != misses {
		t.Error("the busy entry was signed on the request path")
	}
	if r := parseFor(t, body, busy, ca); !r.ThisUpdate.Equal(testNow.Add(29*time.Minute + 50*time.Second)) {
		t.Errorf("thisUpdate %v, want the refresh time", r.ThisUpdate)
	}

	e.clock.advance(2 * time.Hour)
	e.r.refresh(context.Background())
	if n := e.r.cache.bytes.Load(); n != 0 {
		t.Errorf("%d bytes cached after every response expired", n)
	}
}

func TestRun(t *testing.T) {
	ca := newCA(t, "run", x509util.SHA256WithECDSA)
	e := newEnv(t, Config{Refresh: time.Millisecond}, ca)
	leaf := ca.leaf(t, big.NewInt(3))
	e.b.issue(ca, leaf.SerialNumber)
	e.post(t, encodeRequest(request{certs: []certID{certIDOf(t, leaf, ca, crypto.SHA1)}}))
	casBefore, _ := e.b.calls()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		e.r.Run(ctx)
		close(done)
	}()
	e.clock.advance(time.Second) // the CA list is now older than Refresh
	deadline := time.Now().Add(10 * time.Second)
	for {
		if n, _ := e.b.calls(); n > casBefore {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run did not read the CAs again")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return when its context ended")
	}
}

func TestInvalidateCAs(t *testing.T) {
	ca := newCA(t, "invalidate", x509util.SHA256WithECDSA)
	e := newEnv(t, Config{}, ca)
	leaf := ca.leaf(t, big.NewInt(8))
	e.b.issue(ca, leaf.SerialNumber)
	der := encodeRequest(request{certs: []certID{certIDOf(t, leaf, ca, crypto.SHA1)}})
	signatures := func() float64 { return testutil.ToFloat64(e.r.m.signatures[signMiss]) }
	setCAs := func(cas ...CA) {
		e.b.mu.Lock()
		e.b.cas = cas
		e.b.mu.Unlock()
	}

	e.post(t, der)
	e.r.InvalidateCAs() // nothing changed: the cached response stays valid
	if _, body := e.post(t, der); parseFor(t, body, leaf, ca).Status != xocsp.Good || signatures() != 1 {
		t.Fatalf("%v signatures after reading unchanged CAs, want the cached response reused", signatures())
	}
	setCAs() // the CA expired or was deleted
	if _, body := e.post(t, der); parseFor(t, body, leaf, ca).Status != xocsp.Good {
		t.Fatal("answered from the CA list read before the change")
	}
	e.r.InvalidateCAs()
	if _, body := e.post(t, der); responseStatus(t, body) != xocsp.Unauthorized {
		t.Fatal("a CA no longer listed still answers after InvalidateCAs")
	}
	setCAs(ca.CA())
	e.r.InvalidateCAs()
	if _, body := e.post(t, der); parseFor(t, body, leaf, ca).Status != xocsp.Good {
		t.Fatal("the CA is back but does not answer")
	}
	before := signatures()

	// The same key under a re-issued certificate: cached responses made
	// for the old certificate are not served.
	tmpl := *ca.cert
	tmpl.SerialNumber = big.NewInt(2)
	reissuedDER, err := x509util.CreateCertificate(rand.Reader, &tmpl, &tmpl, ca.signer.Public(), ca.signer, ca.alg)
	if err != nil {
		t.Fatal(err)
	}
	reissued, err := x509.ParseCertificate(reissuedDER)
	if err != nil {
		t.Fatal(err)
	}
	setCAs(CA{ID: ca.id, Certificate: reissued, Signer: ca.signer, SigningAlgorithm: ca.alg})
	e.r.InvalidateCAs()
	e.post(t, der)
	if signatures() != before+1 {
		t.Errorf("%v signatures, want %v: the response made for the old certificate was served", signatures(), before+1)
	}

	t.Run("refreshed in the background after Refresh", func(t *testing.T) {
		before, _ := e.b.calls()
		e.clock.advance(11 * time.Second)
		e.post(t, der)
		deadline := time.Now().Add(10 * time.Second)
		for n, _ := e.b.calls(); n == before; n, _ = e.b.calls() {
			if time.Now().After(deadline) {
				t.Fatal("CAs not read again")
			}
			time.Sleep(time.Millisecond)
		}
	})
}

func TestBackendFailures(t *testing.T) {
	ca := newCA(t, "failures", x509util.SHA256WithECDSA)
	e := newEnv(t, Config{}, ca)
	leaf := ca.leaf(t, big.NewInt(4))
	e.b.issue(ca, leaf.SerialNumber)
	der := encodeRequest(request{certs: []certID{certIDOf(t, leaf, ca, crypto.SHA1)}})
	set := func(casErr, statusErr error) {
		e.b.mu.Lock()
		e.b.casErr, e.b.statusErr = casErr, statusErr
		e.b.mu.Unlock()
	}

	set(errBackendDown, nil)
	if _, body := e.post(t, der); responseStatus(t, body) != xocsp.TryLater {
		t.Fatal("want tryLater while the CAs cannot be read")
	}
	set(nil, errBackendDown)
	if _, body := e.post(t, der); responseStatus(t, body) != xocsp.TryLater {
		t.Fatal("want tryLater during the retry delay")
	}
	e.clock.advance(casRetryDelay)
	if _, body := e.post(t, der); responseStatus(t, body) != xocsp.TryLater {
		t.Fatal("want tryLater while statuses cannot be read")
	}
	set(nil, nil)
	if _, body := e.post(t, der); parseFor(t, body, leaf, ca).Status != xocsp.Good {
		t.Fatal("a failure was cached")
	}
	set(errBackendDown, nil)
	e.clock.advance(time.Minute)
	e.r.InvalidateCAs()
	if _, body := e.post(t, der); parseFor(t, body, leaf, ca).Status != xocsp.Good {
		t.Fatal("want answers from the previous CA list while the CAs cannot be read")
	}
}

func TestMalformedRequests(t *testing.T) {
	ca := newCA(t, "malformed", x509util.SHA256WithECDSA)
	e := newEnv(t, Config{}, ca)
	leaf := ca.leaf(t, big.NewInt(6))
	id := certIDOf(t, leaf, ca, crypto.SHA1)
	valid := encodeRequest(request{certs: []certID{id}})
	tooMany := make([]certID, maxCertIDs+1)
	for i := range tooMany {
		tooMany[i] = id
	}
	// 1.3.14.3.2.29 has the length of SHA-1's OID but names no hash.
	otherHash := bytes.Replace(valid, oidSHA1, []byte{0x2b, 0x0e, 0x03, 0x02, 0x1d}, 1)

	tests := []struct {
		name string
		body []byte
	}{
		{"empty", nil},
		{"not DER", []byte("GET / HTTP/1.1")},
		{"truncated", valid[:len(valid)-3]},
		{"trailing data", append(append([]byte{}, valid...), 0)},
		{"no CertID", encodeRequest(request{})},
		{"too many CertIDs", encodeRequest(request{certs: tooMany})},
		{"unsupported CertID hash", otherHash},
		{"empty nonce", encodeRequest(request{certs: []certID{id}, nonce: nonceValue(nil)})},
		{"nonce over 128 octets", encodeRequest(request{certs: []certID{id}, nonce: nonceValue(make([]byte, 129))})},
		{"too large", append(append([]byte{}, valid...), make([]byte, maxRequestBytes)...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.post(t, tc.body)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("HTTP %d, want 200", resp.StatusCode)
			}
			if st := responseStatus(t, body); st != xocsp.Malformed {
				t.Fatalf("status %v, want malformedRequest", st)
			}
		})
	}
	for _, path := range []string{"/ocsp/", "/ocsp/not*base64", "/ocsp/" + base64.StdEncoding.EncodeToString([]byte("plain text"))} {
		t.Run("GET "+path, func(t *testing.T) {
			resp, body := e.getPath(t, path, nil)
			if resp.StatusCode != http.StatusOK || responseStatus(t, body) != xocsp.Malformed {
				t.Fatalf("HTTP %d", resp.StatusCode)
			}
		})
	}
	t.Run("PUT", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPut, e.srv.URL+"/ocsp", bytes.NewReader(valid))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") == "" {
			t.Fatalf("HTTP %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
		}
	})
}

func TestGETForms(t *testing.T) {
	ca := newCA(t, "get", x509util.SHA256WithECDSA)
	e := newEnv(t, Config{}, ca)
	// Find a serial whose request encodes to base64 with '+' and '/', so
	// every escaping question arises.
	var leaf *x509.Certificate
	var der []byte
	for i := int64(1); ; i++ {
		leaf = ca.leaf(t, big.NewInt(i))
		der = encodeRequest(request{certs: []certID{certIDOf(t, leaf, ca, crypto.SHA1)}})
		if s := base64.StdEncoding.EncodeToString(der); strings.Contains(s, "+") && strings.Contains(s, "/") {
			break
		}
	}
	e.b.issue(ca, leaf.SerialNumber)
	std := base64.StdEncoding.EncodeToString(der)
	forms := map[string]string{
		"standard, %-encoded":            "/" + url.PathEscape(std),
		"standard, fully %-encoded":      "/" + url.QueryEscape(std),
		"standard, raw":                  "/" + std,
		"standard, no padding":           "/" + base64.RawStdEncoding.EncodeToString(der),
		"URL-safe":                       "/" + base64.URLEncoding.EncodeToString(der),
		"URL-safe, no padding":           "/" + base64.RawURLEncoding.EncodeToString(der),
		"prefix not stripped":            "/ocsp/" + url.PathEscape(std),
		"plus decoded as space upstream": "/" + strings.ReplaceAll(std, "+", "%20"),
	}
	for name, path := range forms {
		t.Run(name, func(t *testing.T) {
			// Straight to the handler: a ServeMux would redirect paths
			// containing "//" before the responder saw them.
			req := httptest.NewRequest(http.MethodGet, "http://ocsp.example"+path, nil)
			rec := httptest.NewRecorder()
			e.r.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("HTTP %d", rec.Code)
			}
			if r := parseFor(t, rec.Body.Bytes(), leaf, ca); r.Status != xocsp.Good {
				t.Fatalf("status %d", r.Status)
			}
		})
	}
}

func TestCacheIsBounded(t *testing.T) {
	ca := newCA(t, "bounded", x509util.SHA256WithECDSA)
	const budget = 32 << 10
	e := newEnv(t, Config{CacheBytes: budget}, ca)
	var last []byte
	var entrySize int64
	for i := int64(1); i <= 500; i++ {
		leaf := &x509.Certificate{SerialNumber: big.NewInt(i)}
		e.b.issue(ca, leaf.SerialNumber)
		last = encodeRequest(request{certs: []certID{certIDOf(t, leaf, ca, crypto.SHA1)}})
		e.post(t, last)
		if entrySize == 0 {
			entrySize = e.r.cache.bytes.Load()
		}
	}
	if n := e.r.cache.bytes.Load(); n > budget {
		t.Errorf("%d bytes cached, budget %d", n, budget)
	}
	if n := e.r.cache.bytes.Load(); n < budget/2 {
		t.Errorf("only %d bytes cached, budget %d", n, budget)
	}
	misses := testutil.ToFloat64(e.r.m.misses)
	e.post(t, last)
	if testutil.ToFloat64(e.r.m.misses) != misses {
		t.Error("the most recently used entry was evicted")
	}
}

func TestMetrics(t *testing.T) {
	ca := newCA(t, "metrics", x509util.SHA256WithECDSA)
	e := newEnv(t, Config{}, ca)
	leaf := ca.leaf(t, big.NewInt(10))
	e.b.issue(ca, leaf.SerialNumber)
	der := encodeRequest(request{certs: []certID{certIDOf(t, leaf, ca, crypto.SHA1)}})
	e.post(t, der)
	e.post(t, der)
	e.post(t, []byte{1, 2, 3})

	for name, want := range map[string]int{
		"openpca_ocsp_responses_total":     len(outcomeNames),
		"openpca_ocsp_signatures_total":    len(signPurposeNames),
		"openpca_ocsp_cache_lookups_total": 2,
		"openpca_ocsp_cache_bytes":         1,
	} {
		if n, err := testutil.GatherAndCount(e.reg, name); err != nil || n != want {
			t.Errorf("%s: %d series (%v), want %d", name, n, err, want)
		}
	}
	for _, c := range []struct {
		name string
		got  float64
		want float64
	}{
		{"responses good", testutil.ToFloat64(e.r.m.responses[outGood]), 2},
		{"responses malformedRequest", testutil.ToFloat64(e.r.m.responses[outMalformedRequest]), 1},
		{"signatures cache_miss", testutil.ToFloat64(e.r.m.signatures[signMiss]), 1},
		{"cache hits", testutil.ToFloat64(e.r.m.hits), 1},
		{"cache misses", testutil.ToFloat64(e.r.m.misses), 1},
	} {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestConcurrentMisses: simultaneous requests for one uncached response
// share one signature.
func TestConcurrentMisses(t *testing.T) {
	ca := newCA(t, "herd", x509util.SHA256WithECDSA)
	e := newEnv(t, Config{}, ca)
	leaf := ca.leaf(t, big.NewInt(12))
	e.b.issue(ca, leaf.SerialNumber)
	der := encodeRequest(request{certs: []certID{certIDOf(t, leaf, ca, crypto.SHA1)}})
	release := make(chan struct{})
	e.b.onStatus = func(string, string) { <-release }
	var wg sync.WaitGroup
	bodies := make([][]byte, 16)
	for i := range bodies {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			e.r.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(der)))
			bodies[i] = rec.Body.Bytes()
		})
	}
	time.Sleep(50 * time.Millisecond) // let them pile up on the one signature
	close(release)
	wg.Wait()
	for i, b := range bodies {
		if !bytes.Equal(b, bodies[0]) {
			t.Fatalf("response %d differs", i)
		}
	}
	if _, n := e.b.calls(); n != 1 {
		t.Errorf("%d status reads for one response", n)
	}
}
