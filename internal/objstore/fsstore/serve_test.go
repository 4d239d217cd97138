package fsstore_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openpca/openpca/internal/objstore"
	"github.com/openpca/openpca/internal/objstore/fsstore"
)

const servePath = "/crl-bucket/crl/x.crl"

func serveReq(t *testing.T, s *fsstore.Store, method string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, servePath, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return rec
}

// Last-Modified is the time recorded at publication, which survives the
// file's mtime being rewritten (as a copy of the tree without -p does), and
// If-Modified-Since is answered from it.
func TestServeLastModified(t *testing.T) {
	s, root := newStore(t)
	before := time.Now().Truncate(time.Second)
	if err := s.Put(t.Context(), "crl-bucket", "crl/x.crl", []byte("v1"), objstore.ACLPublicRead); err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(root, "crl-bucket", "crl", "x.crl"), old, old); err != nil {
		t.Fatal(err)
	}
	rec := serveReq(t, s, http.MethodGet, nil)
	lm, err := http.ParseTime(rec.Header().Get("Last-Modified"))
	if rec.Code != http.StatusOK || err != nil || lm.Before(before) || lm.After(after) {
		t.Fatalf("GET: %d, Last-Modified %q (%v); want 200 and a time in [%v, %v]", rec.Code, rec.Header().Get("Last-Modified"), err, before, after)
	}

	for _, tc := range []struct {
		since string
		want  int
	}{
		{rec.Header().Get("Last-Modified"), http.StatusNotModified},
		{lm.Add(time.Hour).Format(http.TimeFormat), http.StatusNotModified},
		{lm.Add(-time.Second).Format(http.TimeFormat), http.StatusOK},
		{old.Format(http.TimeFormat), http.StatusOK},
	} {
		rec := serveReq(t, s, http.MethodGet, map[string]string{"If-Modified-Since": tc.since})
		if rec.Code != tc.want {
			t.Errorf("If-Modified-Since %s: %d, want %d", tc.since, rec.Code, tc.want)
		}
		if rec.Code == http.StatusNotModified && rec.Body.Len() != 0 {
			t.Errorf("If-Modified-Since %s: 304 with a body", tc.since)
		}
	}
}

func TestServeConditional(t *testing.T) {
	s, _ := newStore(t)
	etag, err := putIf(t, s, "crl/x.crl", "v1", objstore.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lm := serveReq(t, s, http.MethodHead, nil).Header().Get("Last-Modified")
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"matching ETag", map[string]string{"If-None-Match": etag}, http.StatusNotModified},
		{"weak matching ETag", map[string]string{"If-None-Match": "W/" + etag}, http.StatusNotModified},
		{"one of a list", map[string]string{"If-None-Match": `"other", ` + etag}, http.StatusNotModified},
		{"star", map[string]string{"If-None-Match": "*"}, http.StatusNotModified},
		{"other ETag", map[string]string{"If-None-Match": `"other"`}, http.StatusOK},
		// If-None-Match wins over If-Modified-Since (RFC 9110 13.1.3): two
		// versions within one second have the same Last-Modified.
		{"stale ETag, current date", map[string]string{"If-None-Match": `"other"`, "If-Modified-Since": lm}, http.StatusOK},
		{"HEAD, matching ETag", map[string]string{"If-None-Match": etag}, http.StatusNotModified},
		{"If-Match stale", map[string]string{"If-Match": `"other"`}, http.StatusPreconditionFailed},
		{"If-Match current", map[string]string{"If-Match": etag}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := http.MethodGet
			if strings.HasPrefix(tc.name, "HEAD") {
				method = http.MethodHead
			}
			rec := serveReq(t, s, method, tc.header)
			if rec.Code != tc.want {
				t.Fatalf("%d, want %d", rec.Code, tc.want)
			}
			if rec.Code == http.StatusNotModified {
				if rec.Body.Len() != 0 || rec.Header().Get("ETag") != etag {
					t.Errorf("304 with body %q, ETag %q", rec.Body, rec.Header().Get("ETag"))
				}
			}
		})
	}
}

func TestServeRange(t *testing.T) {
	s, _ := newStore(t)
	const body = "0123456789abcdef"
	etag, err := putIf(t, s, "crl/x.crl", body, objstore.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		header       map[string]string
		code         int
		body, cRange string
	}{
		{map[string]string{"Range": "bytes=2-5"}, http.StatusPartialContent, "2345", "bytes 2-5/16"},
		{map[string]string{"Range": "bytes=-3"}, http.StatusPartialContent, "def", "bytes 13-15/16"},
		{map[string]string{"Range": "bytes=10-"}, http.StatusPartialContent, "abcdef", "bytes 10-15/16"},
		{map[string]string{"Range": "bytes=20-"}, http.StatusRequestedRangeNotSatisfiable, "", "bytes */16"},
		// A resumed download asks for the rest only if the object is
		// still the version it has the start of.
		{map[string]string{"Range": "bytes=4-", "If-Range": etag}, http.StatusPartialContent, "456789abcdef", "bytes 4-15/16"},
		{map[string]string{"Range": "bytes=4-", "If-Range": `"older"`}, http.StatusOK, body, ""},
	} {
		rec := serveReq(t, s, http.MethodGet, tc.header)
		if rec.Code != tc.code || rec.Header().Get("Content-Range") != tc.cRange {
			t.Errorf("%v: %d, Content-Range %q; want %d, %q", tc.header, rec.Code, rec.Header().Get("Content-Range"), tc.code, tc.cRange)
			continue
		}
		if tc.code != http.StatusRequestedRangeNotSatisfiable && rec.Body.String() != tc.body {
			t.Errorf("%v: body %q, want %q", tc.header, rec.Body, tc.body)
		}
		if rec.Code == http.StatusPartialContent && rec.Header().Get("ETag") != etag {
			t.Errorf("%v: ETag %q, want %q", tc.header, rec.Header().Get("ETag"), etag)
		}
	}
	multi := serveReq(t, s, http.MethodGet, map[string]string{"Range": "bytes=0-1,4-5"})
	if multi.Code != http.StatusPartialContent || !strings.HasPrefix(multi.Header().Get("Content-Type"), "multipart/byteranges") {
		t.Errorf("two ranges: %d, Content-Type %q", multi.Code, multi.Header().Get("Content-Type"))
	}
}

// HEAD answers what GET would, over a real connection, without the body.
func TestServeHead(t *testing.T) {
	s, _ := newStore(t)
	body := strings.Repeat("crl", 1000)
	etag, err := putIf(t, s, "crl/x.crl", body, objstore.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	resp, err := http.Head(srv.URL + servePath)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	h := resp.Header
	if resp.StatusCode != http.StatusOK || n != 0 || h.Get("Content-Length") != strconv.Itoa(len(body)) ||
		h.Get("ETag") != etag || h.Get("Last-Modified") == "" || h.Get("Content-Type") != "application/pkix-crl" ||
		h.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("HEAD: %d, %d body bytes, headers %v", resp.StatusCode, n, h)
	}
}

// rchar is the number of bytes this process has read with read(2) and its
// kin, from files, sockets and pipes alike.
func rchar(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Skipf("no per-process I/O accounting: %v", err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "rchar: "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Skip("no rchar in /proc/self/io")
	return 0
}

// A revalidation does not read the object. chmod 000 cannot show that when
// the tests run as root, so this counts the bytes the process reads: a
// conditional GET of an 8 MiB object reads only its small sidecars, while a
// full GET reads all of it (a control that the count sees the object being
// read), and an object without its record (from an older version) is
// hashed once, by the first request after a restart.
func TestServeConditionalDoesNotReadObject(t *testing.T) {
	s, root := newStore(t)
	const size = 8 << 20
	etag, err := s.PutIf(t.Context(), "crl-bucket", "crl/x.crl", bytes.NewReader(make([]byte, size)), objstore.PutOptions{ACL: objstore.ACLPublicRead})
	if err != nil {
		t.Fatal(err)
	}
	read := func(s *fsstore.Store, header map[string]string, want int) int64 {
		t.Helper()
		before := rchar(t)
		for range 4 {
			if rec := serveReq(t, s, http.MethodGet, header); rec.Code != want {
				t.Fatalf("%v: %d, want %d", header, rec.Code, want)
			}
		}
		return rchar(t) - before
	}
	if n := read(s, map[string]string{"If-None-Match": etag}, http.StatusNotModified); n > size/8 {
		t.Errorf("4 conditional GETs read %d bytes of an object of %d", n, size)
	}
	if n := read(s, map[string]string{"If-Modified-Since": time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}, http.StatusNotModified); n > size/8 {
		t.Errorf("4 GETs with If-Modified-Since read %d bytes of an object of %d", n, size)
	}
	if n := read(s, nil, http.StatusOK); n < 4*size {
		t.Errorf("control: 4 full GETs read only %d bytes of an object of %d", n, size)
	}

	if err := os.Remove(filepath.Join(root, "crl-bucket", "crl", ".openpca-hdr.x.crl")); err != nil {
		t.Fatal(err)
	}
	restarted, err := fsstore.New(root)
	if err != nil {
		t.Fatal(err)
	}
	defer restarted.Close()
	if n := read(restarted, map[string]string{"If-None-Match": etag}, http.StatusNotModified); n < size || n >= 2*size {
		t.Errorf("4 conditional GETs without the record read %d bytes of an object of %d, want it hashed once", n, size)
	}
}

// publishOnWrite publishes a new version during the response, after its
// first chunk is written.
type publishOnWrite struct {
	*httptest.ResponseRecorder
	once    sync.Once
	publish func()
}

func (w *publishOnWrite) Write(p []byte) (int, error) {
	w.once.Do(w.publish)
	return w.ResponseRecorder.Write(p)
}

// A publication during a response does not change it: the response is the
// old version whole, with the old version's ETag, and the next is the new.
func TestServeReplacedDuringResponse(t *testing.T) {
	s, _ := newStore(t)
	const size = 1 << 20 // many chunks of io.Copy's 32 KiB
	oldBody := bytes.Repeat([]byte("a"), size)
	newBody := bytes.Repeat([]byte("b"), size/2)
	oldETag, err := putIf(t, s, "crl/x.crl", string(oldBody), objstore.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, acl := range []objstore.ACL{objstore.ACLPublicRead, objstore.ACLBucketOwnerFullControl} {
		published := false
		w := &publishOnWrite{ResponseRecorder: httptest.NewRecorder(), publish: func() {
			if err := s.Put(t.Context(), "crl-bucket", "crl/x.crl", newBody, acl); err != nil {
				t.Error(err)
			}
			published = true
		}}
		s.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, servePath, nil))
		if !published || w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), oldBody) || w.Header().Get("ETag") != oldETag {
			t.Fatalf("put %s during a response: published %v, %d, %d bytes, ETag %s; want the old %d bytes and ETag %s",
				acl, published, w.Code, w.Body.Len(), w.Header().Get("ETag"), size, oldETag)
		}
		next := serveReq(t, s, http.MethodGet, nil)
		switch {
		case acl == objstore.ACLPublicRead && (next.Code != http.StatusOK || !bytes.Equal(next.Body.Bytes(), newBody)):
			t.Fatalf("after the put: %d, %d bytes; want the new %d bytes", next.Code, next.Body.Len(), len(newBody))
		case acl != objstore.ACLPublicRead && next.Code != http.StatusNotFound:
			t.Fatalf("after a private put: %d, want 404", next.Code)
		}
		// Back to the old public version for the next round.
		if oldETag, err = putIf(t, s, "crl/x.crl", string(oldBody), objstore.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// While an object alternates between private and public versions, no
// response is ever a private version, however the requests interleave with
// the commits. (Trusting the ACL read after the open without checking that
// the opened file was still current served a private version that was
// replaced by a public one in 1 of 6,000 to 1 of 1,300 responses here.)
func TestServeNeverPrivateWhileRepublished(t *testing.T) {
	s, _ := newStore(t)
	const rounds = 30
	var wg sync.WaitGroup
	done := make(chan struct{})
	var leaked, served int
	var mu sync.Mutex
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				rec := serveReq(t, s, http.MethodGet, nil)
				mu.Lock()
				if rec.Code == http.StatusOK {
					served++
					if strings.HasPrefix(rec.Body.String(), "private") {
						leaked++
					}
				}
				mu.Unlock()
			}
		}()
	}
	var err error
	for i := 0; i < rounds && err == nil; i++ {
		err = s.Put(t.Context(), "crl-bucket", "crl/x.crl", []byte(fmt.Sprint("private ", i)), objstore.ACLBucketOwnerFullControl)
		if err == nil {
			err = s.Put(t.Context(), "crl-bucket", "crl/x.crl", []byte(fmt.Sprint("public ", i)), objstore.ACLPublicRead)
		}
	}
	close(done)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if leaked > 0 {
		t.Fatalf("%d of %d responses were a private version", leaked, served)
	}
	t.Logf("%d public responses", served)
}
