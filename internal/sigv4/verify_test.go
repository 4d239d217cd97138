package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testAKID   = "AKIDEXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
)

var testNow = time.Date(2026, 1, 1, 0, 30, 0, 0, time.UTC)

// keyStore is a Lookup backed by a map that tests may change.
type keyStore struct {
	mu   sync.Mutex
	keys map[string]string
	err  error
}

func (k *keyStore) lookup(_ context.Context, id string) (string, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil {
		return "", false, k.err
	}
	s, ok := k.keys[id]
	return s, ok, nil
}

func (k *keyStore) set(id, secret string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.keys[id] = secret
}

func testVerifier() *Verifier {
	ks := &keyStore{keys: map[string]string{testAKID: testSecret}}
	return &Verifier{Service: "acm-pca", Region: "us-east-1", Lookup: ks.lookup, Now: func() time.Time { return testNow }}
}

// signSpec describes a request as a client would sign it.
type signSpec struct {
	method, url  string
	header       http.Header
	body         []byte
	akid, secret string
	token        string
	service      string
	region       string
	at           time.Time
}

func defaultSpec() signSpec {
	return signSpec{
		method: http.MethodPost,
		url:    "https://acm-pca.us-east-1.amazonaws.com/",
		header: http.Header{
			"Content-Type": {"application/x-amz-json-1.1"},
			"X-Amz-Target": {"ACMPrivateCA.ListCertificateAuthorities"},
		},
		body:    []byte(`{"MaxResults":10}`),
		akid:    testAKID,
		secret:  testSecret,
		service: "acm-pca",
		region:  "us-east-1",
		at:      testNow,
	}
}

// signAndReceive signs s with the SDK signer, writes it to the wire and reads
// it back, so Verify sees exactly what an http.Server handler would.
func signAndReceive(t testing.TB, s signSpec) *http.Request {
	t.Helper()
	req, err := http.NewRequest(s.method, s.url, bytes.NewReader(s.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range s.header {
		req.Header[k] = v
	}
	sum := sha256.Sum256(s.body)
	creds := aws.Credentials{AccessKeyID: s.akid, SecretAccessKey: s.secret, SessionToken: s.token}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), s.service, s.region, s.at); err != nil {
		t.Fatal(err)
	}
	var wire bytes.Buffer
	if err := req.Write(&wire); err != nil {
		t.Fatal(err)
	}
	got, err := http.ReadRequest(bufio.NewReader(&wire))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// setAuth rewrites the parsed Authorization header of r.
func setAuth(t testing.TB, r *http.Request, edit func(*Authorization)) {
	t.Helper()
	a, err := ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		t.Fatal(err)
	}
	edit(&a)
	r.Header.Set("Authorization", a.String())
}

func TestVerify(t *testing.T) {
	sumHex := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	tests := []struct {
		name     string
		spec     func(*signSpec)
		edit     func(testing.TB, *http.Request) // on the received request
		body     []byte                          // passed to Verify instead of the sent body
		verifier func(*Verifier)
		wantCode string // "" = verifies
		wantMsg  string // substring
	}{
		{name: "json 1.1 request"},
		{name: "empty body GET", spec: func(s *signSpec) { s.method, s.body, s.header = http.MethodGet, nil, nil }},
		{name: "escaped path and query", spec: func(s *signSpec) {
			s.url = "https://acm-pca.us-east-1.amazonaws.com/a%20b/c%2Fd/%7Ee?b=2&a=1&a=0&x=%2F"
		}},
		{name: "escaped path from r.URL", spec: func(s *signSpec) {
			s.url = "https://acm-pca.us-east-1.amazonaws.com/a%20b/c%2Fd?x=%2F"
		}, edit: func(_ testing.TB, r *http.Request) { r.RequestURI = "" }},
		{name: "port in host", spec: func(s *signSpec) { s.url = "http://127.0.0.1:8443/" }},
		{name: "session token recognised", spec: func(s *signSpec) { s.token = "TOKEN" }, verifier: withSession("TOKEN")},
		{name: "content sha256 header", spec: func(s *signSpec) { s.header.Set("X-Amz-Content-Sha256", sumHex(s.body)) }},
		{name: "repeated header", spec: func(s *signSpec) { s.header["X-Amz-Meta"] = []string{"a", " b  c "} }},
		// The canonical form of a header is its values joined by commas,
		// so how they are split over header lines does not matter.
		{name: "one value received as two", spec: func(s *signSpec) { s.header.Set("X-Amz-Meta", "a,b  c") },
			edit: func(_ testing.TB, r *http.Request) { r.Header["X-Amz-Meta"] = []string{"a", "b c"} }},
		{name: "two values received as one", spec: func(s *signSpec) { s.header["X-Amz-Meta"] = []string{"a", "b"} },
			edit:     func(_ testing.TB, r *http.Request) { r.Header.Set("X-Amz-Meta", "a, b") },
			wantCode: CodeInvalidSignature, wantMsg: msgMismatch}, // "a, b" is not "a,b"
		{name: "signed header repeated after signing", spec: func(s *signSpec) { s.header.Set("X-Amz-Meta", "a") },
			edit:     func(_ testing.TB, r *http.Request) { r.Header.Add("X-Amz-Meta", "b") },
			wantCode: CodeInvalidSignature, wantMsg: msgMismatch},
		{name: "signed header repeated with its own value", spec: func(s *signSpec) { s.header.Set("X-Amz-Meta", "a") },
			edit:     func(_ testing.TB, r *http.Request) { r.Header.Add("X-Amz-Meta", "a") },
			wantCode: CodeInvalidSignature, wantMsg: msgMismatch},
		{name: "second x-amz-date", edit: func(_ testing.TB, r *http.Request) { r.Header.Add("X-Amz-Date", "20200101T000000Z") },
			wantCode: CodeIncompleteSignature, wantMsg: "Got '20260101T003000Z,20200101T000000Z'."},
		{name: "x-amz-date repeated with its own value", edit: func(_ testing.TB, r *http.Request) { r.Header.Add("X-Amz-Date", r.Header.Get("X-Amz-Date")) },
			wantCode: CodeIncompleteSignature, wantMsg: "ISO-8601 'basic format'"},
		{name: "repeated content sha256", spec: func(s *signSpec) { s.header["X-Amz-Content-Sha256"] = []string{sumHex(s.body), sumHex(s.body)} },
			wantCode: CodeInvalidSignature, wantMsg: "x-amz-content-sha256"},

		// Nothing issues temporary credentials without a SessionLookup:
		// every token is one openpca never issued, signed or not.
		{name: "session token", spec: func(s *signSpec) { s.token = "TOKEN" },
			wantCode: CodeUnrecognizedClient, wantMsg: "The security token included in the request is invalid."},
		{name: "unsigned session token", edit: func(_ testing.TB, r *http.Request) { r.Header.Set("X-Amz-Security-Token", "TOKEN") },
			wantCode: CodeUnrecognizedClient, wantMsg: "The security token included in the request is invalid."},
		{name: "empty session token", edit: func(_ testing.TB, r *http.Request) { r.Header["X-Amz-Security-Token"] = []string{""} },
			wantCode: CodeUnrecognizedClient},
		{name: "session token in the query", spec: func(s *signSpec) { s.url += "?X-Amz-Security-Token=TOKEN" },
			wantCode: CodeUnrecognizedClient},
		{name: "session token in the query, recognised in the header", spec: func(s *signSpec) {
			s.url += "?X-Amz-Security-Token=TOKEN"
			s.token = "TOKEN"
		}, verifier: withSession("TOKEN"), wantCode: CodeUnrecognizedClient},
		{name: "session token unknown to the lookup", spec: func(s *signSpec) { s.token = "OTHER" }, verifier: withSession("TOKEN"),
			wantCode: CodeUnrecognizedClient, wantMsg: "The security token included in the request is invalid."},
		{name: "session token for another access key", spec: func(s *signSpec) {
			s.token, s.akid = "TOKEN", "AKIDOTHER"
		}, verifier: withSession("TOKEN"), wantCode: CodeUnrecognizedClient},
		{name: "recognised session token left unsigned", edit: func(_ testing.TB, r *http.Request) { r.Header.Set("X-Amz-Security-Token", "TOKEN") },
			verifier: withSession("TOKEN"), wantCode: CodeInvalidSignature, wantMsg: msgMismatch},
		{name: "session token repeated", spec: func(s *signSpec) { s.token = "TOKEN" },
			edit:     func(_ testing.TB, r *http.Request) { r.Header.Add("X-Amz-Security-Token", "TOKEN") },
			verifier: withSession("TOKEN"), wantCode: CodeUnrecognizedClient},
		{name: "path rewritten by a handler", edit: func(_ testing.TB, r *http.Request) { r.URL.Path = "/elsewhere" }},
		{name: "unsigned headers added later", edit: func(_ testing.TB, r *http.Request) {
			r.Header.Set("Accept-Encoding", "gzip")
			r.Header.Set("X-Forwarded-For", "10.0.0.1")
		}},
		{name: "within skew", verifier: func(v *Verifier) { v.Now = func() time.Time { return testNow.Add(14 * time.Minute) } }},

		{name: "no authorization", edit: func(_ testing.TB, r *http.Request) { r.Header.Del("Authorization") },
			wantCode: CodeMissingAuthenticationToken, wantMsg: "Request is missing Authentication Token"},
		{name: "presigned url", spec: func(s *signSpec) { s.url += "?X-Amz-Signature=00" },
			edit:     func(_ testing.TB, r *http.Request) { r.Header.Del("Authorization") },
			wantCode: CodeMissingAuthenticationToken, wantMsg: "presigned"},
		{name: "malformed authorization", edit: func(_ testing.TB, r *http.Request) { r.Header.Set("Authorization", "AWS4-HMAC-SHA256 junk") },
			wantCode: CodeIncompleteSignature, wantMsg: "missing equal-sign"},
		{name: "two authorization headers", edit: func(_ testing.TB, r *http.Request) { r.Header.Add("Authorization", r.Header.Get("Authorization")) },
			wantCode: CodeIncompleteSignature},
		{name: "host not signed", edit: func(t testing.TB, r *http.Request) {
			setAuth(t, r, func(a *Authorization) { a.SignedHeaders = []string{"content-type", "x-amz-date"} })
		}, wantCode: CodeIncompleteSignature, wantMsg: "'Host' must be a 'SignedHeader'"},
		{name: "x-amz-date not signed", edit: func(t testing.TB, r *http.Request) {
			setAuth(t, r, func(a *Authorization) { a.SignedHeaders = []string{"content-type", "host"} })
		}, wantCode: CodeIncompleteSignature, wantMsg: "'X-Amz-Date' must be a 'SignedHeader'"},
		{name: "missing x-amz-date", edit: func(_ testing.TB, r *http.Request) { r.Header.Del("X-Amz-Date") },
			wantCode: CodeIncompleteSignature, wantMsg: "'X-Amz-Date' header"},
		{name: "extended format x-amz-date", edit: func(_ testing.TB, r *http.Request) { r.Header.Set("X-Amz-Date", "2026-01-01T00:30:00Z") },
			wantCode: CodeIncompleteSignature, wantMsg: "ISO-8601 'basic format'"},
		{name: "wrong region", spec: func(s *signSpec) { s.region = "eu-west-1" },
			wantCode: CodeInvalidSignature, wantMsg: "Credential should be scoped to a valid region."},
		{name: "wrong service", spec: func(s *signSpec) { s.service = "acm" },
			wantCode: CodeInvalidSignature, wantMsg: "Credential should be scoped to correct service: 'acm-pca'."},
		{name: "scope date differs", edit: func(t testing.TB, r *http.Request) {
			setAuth(t, r, func(a *Authorization) { a.Date = "20251231" })
		}, wantCode: CodeInvalidSignature, wantMsg: "'20251231' != '20260101', from '20260101T003000Z'"},
		{name: "expired", verifier: func(v *Verifier) { v.Now = func() time.Time { return testNow.Add(16 * time.Minute) } },
			wantCode: CodeInvalidSignature,
			wantMsg:  "Signature expired: 20260101T003000Z is now earlier than 20260101T003100Z (20260101T004600Z - 15 min.)"},
		{name: "not yet current", verifier: func(v *Verifier) { v.Now = func() time.Time { return testNow.Add(-16 * time.Minute) } },
			wantCode: CodeInvalidSignature,
			wantMsg:  "Signature not yet current: 20260101T003000Z is still later than 20260101T002900Z (20260101T001400Z + 15 min.)"},
		{name: "custom skew", verifier: func(v *Verifier) {
			v.MaxSkew = 5 * time.Minute
			v.Now = func() time.Time { return testNow.Add(6 * time.Minute) }
		}, wantCode: CodeInvalidSignature, wantMsg: "(20260101T003600Z - 5 min.)"},
		{name: "content sha256 mismatch", spec: func(s *signSpec) { s.header.Set("X-Amz-Content-Sha256", sumHex(nil)) },
			wantCode: CodeInvalidSignature, wantMsg: "x-amz-content-sha256"},
		{name: "unknown access key", spec: func(s *signSpec) { s.akid = "AKIDUNKNOWN" },
			wantCode: CodeUnrecognizedClient, wantMsg: "The security token included in the request is invalid."},
		{name: "wrong secret", spec: func(s *signSpec) { s.secret = "not-the-secret" },
			wantCode: CodeInvalidSignature, wantMsg: msgMismatch},
		{name: "tampered body", body: []byte(`{"MaxResults":99}`), wantCode: CodeInvalidSignature, wantMsg: msgMismatch},
		{name: "tampered signed header", edit: func(_ testing.TB, r *http.Request) {
			r.Header.Set("X-Amz-Target", "ACMPrivateCA.DeleteCertificateAuthority")
		}, wantCode: CodeInvalidSignature, wantMsg: msgMismatch},
		{name: "tampered query", spec: func(s *signSpec) { s.url += "?a=1" },
			edit:     func(_ testing.TB, r *http.Request) { r.RequestURI = "/?a=2" },
			wantCode: CodeInvalidSignature},
		{name: "tampered host", edit: func(_ testing.TB, r *http.Request) { r.Host = "evil.example" }, wantCode: CodeInvalidSignature},
		{name: "signed header missing", edit: func(t testing.TB, r *http.Request) {
			setAuth(t, r, func(a *Authorization) { a.SignedHeaders = append(a.SignedHeaders, "x-amz-missing") })
		}, wantCode: CodeInvalidSignature},
		{name: "header the signer never signs", edit: func(t testing.TB, r *http.Request) {
			setAuth(t, r, func(a *Authorization) { a.SignedHeaders = append(a.SignedHeaders, "user-agent") })
		}, wantCode: CodeInvalidSignature},
		{name: "uppercase signature", edit: func(t testing.TB, r *http.Request) {
			setAuth(t, r, func(a *Authorization) { a.Signature = strings.ToUpper(a.Signature) })
		}, wantCode: CodeInvalidSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := defaultSpec()
			if tc.spec != nil {
				tc.spec(&s)
			}
			r := signAndReceive(t, s)
			if tc.edit != nil {
				tc.edit(t, r)
			}
			body := s.body
			if tc.body != nil {
				body = tc.body
			}
			v := testVerifier()
			if tc.verifier != nil {
				tc.verifier(v)
			}

			got, err := v.Verify(r, body)
			if tc.wantCode == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if got != s.akid {
					t.Errorf("access key = %q, want %q", got, s.akid)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if got != "" {
				t.Errorf("access key = %q on failure", got)
			}
			if e.ErrorCode() != tc.wantCode || e.HTTPStatus() != http.StatusBadRequest {
				t.Errorf("got %s/%d, want %s/400 (%s)", e.ErrorCode(), e.HTTPStatus(), tc.wantCode, e.Error())
			}
			if !strings.Contains(e.Error(), tc.wantMsg) {
				t.Errorf("message %q does not contain %q", e.Error(), tc.wantMsg)
			}
			if strings.Contains(e.Error(), testSecret) {
				t.Errorf("message leaks the secret")
			}
		})
	}
}

// withSession gives the verifier temporary credentials: testAKID with
// token, whose secret is testSecret.
func withSession(token string) func(*Verifier) {
	return func(v *Verifier) {
		v.SessionLookup = func(_ context.Context, id, tok string) (string, bool, error) {
			if id == testAKID && tok == token {
				return testSecret, true, nil
			}
			return "", false, nil
		}
	}
}

func TestCanonicalValue(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{[]string{"a"}, "a"},
		{[]string{"  a   b  "}, "a b"},
		{[]string{"a", " b  c "}, "a,b c"},
		{[]string{"a, b", "c"}, "a, b,c"},
		{[]string{"\ta\t", "", "b"}, "a,,b"},
		{[]string{"a \t  b"}, "a \t b"},
	} {
		if got := canonicalValue(tc.in); got != tc.want {
			t.Errorf("canonicalValue(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestVerifySessionLookupFailure(t *testing.T) {
	boom := errors.New("session store is down")
	v := testVerifier()
	v.SessionLookup = func(context.Context, string, string) (string, bool, error) { return "", false, boom }
	s := defaultSpec()
	s.token = "TOKEN"
	_, err := v.Verify(signAndReceive(t, s), s.body)
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeInternalFailure || !errors.Is(err, boom) {
		t.Fatalf("err = %#v, want InternalFailure wrapping the SessionLookup error", err)
	}
}

func TestVerifyLookupFailure(t *testing.T) {
	boom := errors.New("database is down")
	ks := &keyStore{err: boom}
	v := &Verifier{Service: "acm-pca", Region: "us-east-1", Lookup: ks.lookup, Now: func() time.Time { return testNow }}
	_, err := v.Verify(signAndReceive(t, defaultSpec()), defaultSpec().body)
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeInternalFailure || e.Status != http.StatusInternalServerError {
		t.Fatalf("err = %#v, want InternalFailure/500", err)
	}
	if !errors.Is(err, boom) {
		t.Errorf("err does not unwrap to the Lookup error")
	}
	if strings.Contains(e.Message, boom.Error()) {
		t.Errorf("client-facing message leaks the cause: %q", e.Message)
	}
}

// The SDK caches derived keys per access key and day, not per secret; a
// rotated secret must take effect at once.
func TestVerifySecretRotation(t *testing.T) {
	ks := &keyStore{keys: map[string]string{testAKID: "old-secret"}}
	v := &Verifier{Service: "acm-pca", Region: "us-east-1", Lookup: ks.lookup, Now: func() time.Time { return testNow }}
	signed := func(secret string) (*http.Request, []byte) {
		s := defaultSpec()
		s.secret = secret
		return signAndReceive(t, s), s.body
	}

	if _, err := v.Verify(signed("old-secret")); err != nil {
		t.Fatalf("old secret before rotation: %v", err)
	}
	ks.set(testAKID, "new-secret")
	if _, err := v.Verify(signed("old-secret")); err == nil {
		t.Fatal("old secret still accepted after rotation")
	}
	if _, err := v.Verify(signed("new-secret")); err != nil {
		t.Fatalf("new secret after rotation: %v", err)
	}
}

func TestVerifyDefaultNow(t *testing.T) {
	s := defaultSpec()
	s.at = time.Now()
	v := testVerifier()
	v.Now = nil
	if _, err := v.Verify(signAndReceive(t, s), s.body); err != nil {
		t.Fatalf("Verify with Now=nil: %v", err)
	}
}
