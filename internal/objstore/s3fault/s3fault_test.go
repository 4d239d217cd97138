package s3fault_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openpca/openpca/internal/objstore/s3fault"
)

// backend records what reaches it and answers 200 with the body's length.
type backend struct {
	mu    sync.Mutex
	hosts []string
	srv   *httptest.Server
}

func newBackend(t *testing.T) *backend {
	b := &backend{}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		b.hosts = append(b.hosts, r.Host)
		b.mu.Unlock()
		if r.Header.Get("X-Status") == "412" {
			w.WriteHeader(http.StatusPreconditionFailed)
		}
		io.WriteString(w, strings.Repeat("x", len(body)))
	}))
	t.Cleanup(b.srv.Close)
	return b
}

func (b *backend) seen() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.hosts...)
}

func newProxy(t *testing.T, backend string) *s3fault.Proxy {
	p, err := s3fault.New(backend)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func put(client *http.Client, url, body string, header http.Header) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPut, url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return resp, err
}

func TestPassKeepsHost(t *testing.T) {
	b := newBackend(t)
	p := newProxy(t, b.srv.URL)
	resp, err := put(http.DefaultClient, p.URL+"/bucket-a/k", "body", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("PUT through the proxy: %v, %v", resp, err)
	}
	if want, got := strings.TrimPrefix(p.URL, "http://"), b.seen(); len(got) != 1 || got[0] != want {
		t.Errorf("backend saw Host %q, want %q", got, want)
	}
	if n := p.Count("bucket-a", "PUT"); n != 1 {
		t.Errorf("Count(bucket-a, PUT) = %d", n)
	}
	if n := p.Count("bucket-b", ""); n != 0 {
		t.Errorf("Count(bucket-b) = %d", n)
	}
}

func TestModes(t *testing.T) {
	b := newBackend(t)
	p := newProxy(t, b.srv.URL)
	client := &http.Client{Timeout: 300 * time.Millisecond}
	timedOut := func(err error) bool {
		var ne net.Error
		return errors.As(err, &ne) && ne.Timeout()
	}

	p.Set("", s3fault.BlackHole)
	p.Set("open", s3fault.Pass)
	if _, err := put(client, p.URL+"/dark/k", "x", nil); !timedOut(err) {
		t.Errorf("BlackHole for every bucket: %v, want a timeout", err)
	}
	if resp, err := put(client, p.URL+"/open/k", "x", nil); err != nil || resp.StatusCode != 200 {
		t.Errorf("bucket with its own Pass: %v, %v", resp, err)
	}
	p.Set("", s3fault.Pass)

	p.Set("b", s3fault.Stall(time.Second))
	if _, err := put(client, p.URL+"/b/k", "x", nil); !timedOut(err) {
		t.Errorf("Stall(1s) with a 300ms client: %v, want a timeout", err)
	}
	p.Set("b", s3fault.Trickle(1000))
	if _, err := put(client, p.URL+"/b/k", strings.Repeat("x", 1000), nil); !timedOut(err) {
		t.Errorf("Trickle(1000) of 1000 bytes with a 300ms client: %v, want a timeout", err)
	}
	p.Set("b", s3fault.Reset)
	if _, err := put(client, p.URL+"/b/k", "x", nil); err == nil || timedOut(err) {
		t.Errorf("Reset: %v, want a connection error", err)
	}

	// Stalled and trickled requests still reach the backend after the
	// client gave up; wait for them before counting held ones.
	time.Sleep(1500 * time.Millisecond)
	before := len(b.seen())
	p.Set("b", s3fault.Hold)
	for _, status := range []string{"200", "412"} {
		if _, err := put(client, p.URL+"/b/k", "held", http.Header{"X-Status": {status}}); !timedOut(err) {
			t.Errorf("Hold: %v, want a timeout", err)
		}
	}
	if n := len(b.seen()) - before; n != 0 {
		t.Fatalf("backend saw %d held requests before Release", n)
	}
	statuses, err := p.Release()
	if err != nil || len(statuses) != 2 || statuses[0] != 200 || statuses[1] != 412 {
		t.Fatalf("Release = %v, %v; want [200 412]", statuses, err)
	}
	if n := p.Count("b", "PUT"); n != 5 {
		t.Errorf("Count(b, PUT) = %d, want 5", n)
	}
}

// A black hole lasts until its bucket's mode changes, then the connection
// is closed.
func TestBlackHoleEnds(t *testing.T) {
	b := newBackend(t)
	p := newProxy(t, b.srv.URL)
	p.Set("b", s3fault.BlackHole)
	done := make(chan error, 1)
	go func() {
		_, err := put(http.DefaultClient, p.URL+"/b/k", "x", nil)
		done <- err
	}()
	for p.Count("b", "PUT") == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	p.Set("other", s3fault.Pass)
	select {
	case err := <-done:
		t.Fatalf("the black hole ended when another bucket's mode changed: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	p.Set("b", s3fault.Pass)
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("the black-holed request got an answer")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the black hole outlived its mode")
	}
}
