package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// getBody returns the status and body of GET url.
func getBody(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// waitReady polls url until it answers code with body, failing the test
// after 5 s.
func waitReady(t *testing.T, url string, code int, body string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		gotCode, gotBody := getBody(t, url)
		if gotCode == code && gotBody == body {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %d %q, want %d %q", url, gotCode, gotBody, code, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The default server (embedded SQLite, software keys) is live and ready.
func TestHealthzAndReadyz(t *testing.T) {
	e := newTestEnv(t)
	if code, body := getBody(t, e.ts.URL+"/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Fatalf("/healthz: %d %q", code, body)
	}
	waitReady(t, e.ts.URL+"/readyz", http.StatusOK, "database: ok\nkeys: ok\n")
	resp, err := http.Get(e.ts.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
}

// Until its first round of checks has finished, a node is not ready.
func TestReadyzBeforeFirstCheck(t *testing.T) {
	e := newTestEnv(t)
	r := newReadiness(e.srv.store.(pinger), e.srv.keys, e.srv.log)
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
	if w.Code != http.StatusServiceUnavailable || w.Body.String() != "database: not checked yet\nkeys: not checked yet\n" {
		t.Fatalf("before the first check: %d %q", w.Code, w.Body.String())
	}
	r.round(t.Context())
	w = httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
	if w.Code != http.StatusOK || w.Body.String() != "database: ok\nkeys: ok\n" {
		t.Fatalf("after the first check: %d %q", w.Code, w.Body.String())
	}
}
