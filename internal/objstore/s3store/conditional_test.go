package s3store_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/openpca/openpca/internal/objstore"
	"github.com/openpca/openpca/internal/objstore/s3store/s3test"
)

// Conditional writes as the server decides them: the stale writer loses and
// the object stays the winner's.
func TestPutIf(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.NewBucket(t)
	s := newStore(t, srv.Config())
	ctx := t.Context()
	const key = "crl/x.crl"
	put := func(body string, opts objstore.PutOptions) (string, error) {
		opts.ACL = objstore.ACLPublicRead
		return s.PutIf(ctx, bucket, key, bytes.NewReader([]byte(body)), opts)
	}
	get := func() string {
		t.Helper()
		b, err := s.Get(ctx, bucket, key)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	if _, err := put("v0", objstore.PutOptions{IfMatch: `"0123456789abcdef0123456789abcdef"`}); !errors.Is(err, objstore.ErrPreconditionFailed) {
		t.Fatalf("IfMatch on a missing object = %v, want ErrPreconditionFailed", err)
	}
	meta := map[string]string{"crl-number": "1", "this-update": "2026-01-02T03:04:05Z"}
	e1, err := put("v1", objstore.PutOptions{IfNoneMatch: true, Metadata: meta})
	if err != nil || e1 == "" {
		t.Fatalf("IfNoneMatch on a missing object = %q, %v", e1, err)
	}
	info, err := s.Head(ctx, bucket, key)
	if err != nil || info.ETag != e1 || info.Size != 2 || !reflect.DeepEqual(info.Metadata, meta) {
		t.Fatalf("Head = %+v, %v; want ETag %s, size 2, metadata %v", info, err, e1, meta)
	}
	if _, err := put("v1 again", objstore.PutOptions{IfNoneMatch: true}); !errors.Is(err, objstore.ErrPreconditionFailed) {
		t.Fatalf("IfNoneMatch on an existing object = %v, want ErrPreconditionFailed", err)
	}
	e2, err := put("v2", objstore.PutOptions{IfMatch: info.ETag, Metadata: map[string]string{"crl-number": "2"}})
	if err != nil || e2 == e1 {
		t.Fatalf("IfMatch with the current ETag = %q, %v", e2, err)
	}
	if _, err := put("stale", objstore.PutOptions{IfMatch: e1}); !errors.Is(err, objstore.ErrPreconditionFailed) {
		t.Fatalf("IfMatch with a stale ETag = %v, want ErrPreconditionFailed", err)
	}
	if got := get(); got != "v2" {
		t.Fatalf("after the stale write the object is %q, want v2", got)
	}
	if info, err := s.Head(ctx, bucket, key); err != nil || info.ETag != e2 || info.Metadata["crl-number"] != "2" {
		t.Fatalf("Head = %+v, %v; want ETag %s, crl-number 2", info, err, e2)
	}

	if _, err := s.Head(ctx, bucket, "crl/missing.crl"); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("Head of a missing key = %v, want ErrNotFound", err)
	}
	if _, err := s.Head(ctx, "openpca-no-such-bucket", key); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("Head in a missing bucket = %v, want ErrNotFound", err)
	}
	if _, err := put("x", objstore.PutOptions{Metadata: map[string]string{"Upper": "x"}}); !errors.Is(err, objstore.ErrInvalidName) {
		t.Errorf("metadata with an upper-case key = %v, want ErrInvalidName", err)
	}
}
