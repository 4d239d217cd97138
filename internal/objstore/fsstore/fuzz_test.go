package fsstore

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openpca/openpca/internal/objstore"
)

// FuzzObjectPath maps fuzzed bucket names and keys onto the store. An
// accepted pair becomes bucket/key, a clean path inside the root whose
// segments leave room for the sidecar prefixes and are not reserved; Get
// finds only the one object the store holds and otherwise answers
// ErrNotFound, or ErrInvalidName for a refused pair; and the public handler
// serves that object at its one path and answers 404 everywhere else,
// sidecars included.
func FuzzObjectPath(f *testing.F) {
	const bucket, key, body = "crls", "crl/known.crl", "crl body"
	s, err := New(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Put(ctx, bucket, key, []byte(body), objstore.ACLPublicRead); err != nil {
		f.Fatal(err)
	}
	f.Add(bucket, key)
	f.Add(bucket, "crl/"+aclPrefix+"known.crl")
	f.Add(bucket, "crl/../crl/known.crl")
	f.Add("crls/crl", "known.crl")
	f.Add(bucket, "crl")
	f.Add(bucket, "crl/known.crl/x")
	h := s.Handler()
	f.Fuzz(func(t *testing.T, b, k string) {
		name, err := objectPath(b, k)
		got, getErr := s.Get(ctx, b, k)
		if err != nil {
			if !errors.Is(err, objstore.ErrInvalidName) {
				t.Fatalf("objectPath(%q, %q): %v, not ErrInvalidName", b, k, err)
			}
			if !errors.Is(getErr, objstore.ErrInvalidName) {
				t.Fatalf("Get(%q, %q) = %v, want ErrInvalidName", b, k, getErr)
			}
		} else {
			if name != b+"/"+k || !filepath.IsLocal(name) || filepath.Clean(name) != name {
				t.Fatalf("objectPath(%q, %q) = %q", b, k, name)
			}
			for _, seg := range strings.Split(name, "/") {
				if strings.HasPrefix(seg, reserved) || len(aclPrefix+seg) > 255 || len(hdrPrefix+seg) > 255 {
					t.Fatalf("objectPath(%q, %q) = %q: segment %q", b, k, name, seg)
				}
			}
			switch {
			case b == bucket && k == key:
				if getErr != nil || string(got) != body {
					t.Fatalf("Get of the stored object = %q, %v", got, getErr)
				}
			case !errors.Is(getErr, objstore.ErrNotFound):
				t.Fatalf("Get(%q, %q) = %q, %v; want ErrNotFound", b, k, got, getErr)
			}
		}
		p := "/" + b + "/" + k
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, &http.Request{Method: http.MethodGet, URL: &url.URL{Path: p}, Header: http.Header{}})
		want := http.StatusNotFound
		if p == "/"+bucket+"/"+key {
			want = http.StatusOK
		}
		if rec.Code != want || (want == http.StatusOK && rec.Body.String() != body) {
			t.Fatalf("GET %q: %d %q, want %d", p, rec.Code, rec.Body.String(), want)
		}
	})
}
