package fsstore_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"github.com/openpca/openpca/internal/objstore"
	"github.com/openpca/openpca/internal/objstore/fsstore"
)

func putIf(t *testing.T, s *fsstore.Store, key, body string, opts objstore.PutOptions) (string, error) {
	t.Helper()
	if opts.ACL == "" {
		opts.ACL = objstore.ACLPublicRead
	}
	return s.PutIf(t.Context(), "crl-bucket", key, bytes.NewReader([]byte(body)), opts)
}

func TestPutIf(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	const key = "crl/x.crl"

	if _, err := putIf(t, s, key, "v0", objstore.PutOptions{IfMatch: `"0123"`}); !errors.Is(err, objstore.ErrPreconditionFailed) || !errors.Is(err, objstore.ErrNotFound) {
		t.Fatalf("IfMatch on a missing object = %v, want ErrPreconditionFailed and ErrNotFound", err)
	}
	meta := map[string]string{"crl-number": "1"}
	e1, err := putIf(t, s, key, "v1", objstore.PutOptions{IfNoneMatch: true, Metadata: meta})
	if err != nil {
		t.Fatalf("IfNoneMatch on a missing object: %v", err)
	}
	info, err := s.Head(ctx, "crl-bucket", key)
	if err != nil || info.ETag != e1 || info.Size != 2 || !reflect.DeepEqual(info.Metadata, meta) {
		t.Fatalf("Head = %+v, %v; want ETag %s, size 2, metadata %v", info, err, e1, meta)
	}
	if _, err := putIf(t, s, key, "other", objstore.PutOptions{IfNoneMatch: true}); !errors.Is(err, objstore.ErrPreconditionFailed) {
		t.Fatalf("IfNoneMatch on an existing object = %v, want ErrPreconditionFailed", err)
	}
	e2, err := putIf(t, s, key, "v2", objstore.PutOptions{IfMatch: e1, Metadata: map[string]string{"crl-number": "2"}})
	if err != nil || e2 == e1 {
		t.Fatalf("IfMatch with the current ETag = %s, %v", e2, err)
	}
	if _, err := putIf(t, s, key, "stale", objstore.PutOptions{IfMatch: e1}); !errors.Is(err, objstore.ErrPreconditionFailed) {
		t.Fatalf("IfMatch with a stale ETag = %v, want ErrPreconditionFailed", err)
	}
	if got, _ := s.Get(ctx, "crl-bucket", key); string(got) != "v2" {
		t.Fatalf("after rejected writes the object is %q, want v2", got)
	}
	// An unconditional Put replaces the metadata with none.
	if err := s.Put(ctx, "crl-bucket", key, []byte("v3"), objstore.ACLPublicRead); err != nil {
		t.Fatal(err)
	}
	if info, err := s.Head(ctx, "crl-bucket", key); err != nil || info.Metadata != nil || info.ETag == e2 {
		t.Fatalf("Head after Put = %+v, %v", info, err)
	}

	for _, opts := range []objstore.PutOptions{
		{ACL: objstore.ACLPublicRead, IfMatch: e2, IfNoneMatch: true},
		{ACL: "public-read"},
		{ACL: objstore.ACLPublicRead, Metadata: map[string]string{"Upper": "x"}},
	} {
		if _, err := s.PutIf(ctx, "crl-bucket", key, bytes.NewReader(nil), opts); err == nil {
			t.Errorf("PutIf(%+v) succeeded", opts)
		}
	}
	if got, _ := s.Get(ctx, "crl-bucket", key); string(got) != "v3" {
		t.Fatalf("after refused options the object is %q, want v3", got)
	}
}

func TestHead(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	if err := s.Put(ctx, "crl-bucket", "crl/a.crl", []byte("a"), objstore.ACLPublicRead); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ bucket, key string }{
		{"no-such-bucket", "crl/a.crl"},
		{"crl-bucket", "crl/b.crl"},
		{"crl-bucket", "crl"},
		{"crl-bucket", "crl/a.crl/x"},
	} {
		if _, err := s.Head(ctx, tc.bucket, tc.key); !errors.Is(err, objstore.ErrNotFound) {
			t.Errorf("Head(%s/%s) = %v, want ErrNotFound", tc.bucket, tc.key, err)
		}
	}
	if _, err := s.Head(ctx, "crl-bucket", "../a"); !errors.Is(err, objstore.ErrInvalidName) {
		t.Errorf("Head(../a) = %v, want ErrInvalidName", err)
	}
}

// The ETag is the same from PutIf, Head and the public handler, it is the
// content's hash, and Head finds it and the metadata after a restart.
func TestETagConsistent(t *testing.T) {
	root := filepath.Join(t.TempDir(), "objects")
	s, err := fsstore.New(root)
	if err != nil {
		t.Fatal(err)
	}
	meta := map[string]string{"crl-number": "7"}
	etag, err := putIf(t, s, "crl/x.crl", "content", objstore.PutOptions{Metadata: meta})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("content"))
	if want := `"` + hex.EncodeToString(sum[:16]) + `"`; etag != want {
		t.Fatalf("ETag %s, want %s", etag, want)
	}
	s.Close()

	s, err = fsstore.New(root)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	info, err := s.Head(t.Context(), "crl-bucket", "crl/x.crl")
	if err != nil || info.ETag != etag || !reflect.DeepEqual(info.Metadata, meta) {
		t.Fatalf("Head after reopening = %+v, %v; want ETag %s and %v", info, err, etag, meta)
	}
	if got := servedETag(t, s, "/crl-bucket/crl/x.crl"); got != etag {
		t.Errorf("handler ETag %s, want %s", got, etag)
	}

	// Without its header sidecar (an object from an older version, or a
	// crash between rename and sidecar) the ETag is computed, the same.
	if err := os.Remove(filepath.Join(root, "crl-bucket", "crl", ".openpca-hdr.x.crl")); err != nil {
		t.Fatal(err)
	}
	info, err = s.Head(t.Context(), "crl-bucket", "crl/x.crl")
	if err != nil || info.ETag != etag || info.Metadata != nil {
		t.Fatalf("Head without sidecar = %+v, %v; want ETag %s and no metadata", info, err, etag)
	}
	if got := servedETag(t, s, "/crl-bucket/crl/x.crl"); got != etag {
		t.Errorf("handler ETag without sidecar %s, want %s", got, etag)
	}
	if _, err := putIf(t, s, "crl/x.crl", "next", objstore.PutOptions{IfMatch: etag}); err != nil {
		t.Errorf("IfMatch with the computed ETag: %v", err)
	}
}

func servedETag(t *testing.T, s *fsstore.Store, path string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodHead, path, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("HEAD %s: %d", path, rec.Code)
	}
	return rec.Header().Get("ETag")
}

// Of writers racing with the same IfMatch exactly one wins, and the object
// is the winner's.
func TestPutIfRace(t *testing.T) {
	s, _ := newStore(t)
	etag, err := putIf(t, s, "crl/x.crl", "base", objstore.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for round := range 20 {
		const writers = 4
		var wg sync.WaitGroup
		results := make([]error, writers)
		etags := make([]string, writers)
		bodies := make([]string, writers)
		for i := range writers {
			bodies[i] = string(rune('a'+round)) + string(rune('0'+i))
			wg.Add(1)
			go func() {
				defer wg.Done()
				etags[i], results[i] = putIf(t, s, "crl/x.crl", bodies[i], objstore.PutOptions{IfMatch: etag})
			}()
		}
		wg.Wait()
		winner := -1
		for i, err := range results {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("round %d: writers %d and %d both won", round, winner, i)
			case err == nil:
				winner = i
			case !errors.Is(err, objstore.ErrPreconditionFailed):
				t.Fatalf("round %d: writer %d: %v", round, i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no writer won", round)
		}
		got, err := s.Get(t.Context(), "crl-bucket", "crl/x.crl")
		if err != nil || string(got) != bodies[winner] {
			t.Fatalf("round %d: object %q, %v; want the winner's %q", round, got, err, bodies[winner])
		}
		etag = etags[winner]
	}
}
