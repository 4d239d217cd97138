package fsstore_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/openpca/openpca/internal/objstore"
	"github.com/openpca/openpca/internal/objstore/fsstore"
)

func newStore(t *testing.T) (*fsstore.Store, string) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "objects")
	s, err := fsstore.New(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, root
}

func TestPutGet(t *testing.T) {
	s, root := newStore(t)
	ctx := t.Context()
	tests := []struct {
		bucket, key string
		body        []byte
	}{
		{"crl-bucket", "crl/5c1b7c3e-7a1f-4a53-9d44-8e7d1f3f0a11.crl", []byte("first")},
		{"crl-bucket", "crl/5c1b7c3e-7a1f-4a53-9d44-8e7d1f3f0a11.crl", []byte("second, longer")},
		{"crl-bucket", "acm-pca-permission-test-key", []byte("t")},
		{"audit.example.com", "audit-report/ca/a/b/c/report.json", []byte("{}")},
		{"empty-body", "k", nil},
	}
	for _, tt := range tests {
		if err := s.Put(ctx, tt.bucket, tt.key, tt.body, objstore.ACLBucketOwnerFullControl); err != nil {
			t.Fatalf("Put(%s/%s): %v", tt.bucket, tt.key, err)
		}
		got, err := s.Get(ctx, tt.bucket, tt.key)
		if err != nil || !bytes.Equal(got, tt.body) {
			t.Fatalf("Get(%s/%s) = %q, %v; want %q", tt.bucket, tt.key, got, err, tt.body)
		}
		// The layout is part of the contract: operators read these files.
		onDisk, err := os.ReadFile(filepath.Join(root, tt.bucket, filepath.FromSlash(tt.key)))
		if err != nil || !bytes.Equal(onDisk, tt.body) {
			t.Fatalf("file for %s/%s = %q, %v", tt.bucket, tt.key, onDisk, err)
		}
	}
	assertNoTemps(t, root)
}

func TestGetNotFound(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	if err := s.Put(ctx, "crl-bucket", "crl/a.crl", []byte("x"), objstore.ACLPublicRead); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ bucket, key string }{
		{"no-such-bucket", "crl/a.crl"},
		{"crl-bucket", "crl/b.crl"},
		{"crl-bucket", "crl"},         // a directory
		{"crl-bucket", "crl/a.crl/x"}, // through a file
	} {
		if _, err := s.Get(ctx, tc.bucket, tc.key); !errors.Is(err, objstore.ErrNotFound) {
			t.Errorf("Get(%s/%s) = %v, want ErrNotFound", tc.bucket, tc.key, err)
		}
	}
}

func TestInvalidNames(t *testing.T) {
	s, root := newStore(t)
	ctx := t.Context()
	tests := []struct{ bucket, key string }{
		{"crl-bucket", ""},
		{"crl-bucket", "../escape"},
		{"crl-bucket", "crl/../../escape"},
		{"crl-bucket", "/etc/passwd"},
		{"crl-bucket", "crl//a.crl"},
		{"crl-bucket", "crl/"},
		{"crl-bucket", "./a"},
		{"crl-bucket", ".openpca-acl.a"},        // reserved for sidecars
		{"crl-bucket", "crl/.openpca-tmp-1234"}, // reserved for temp files
		{"crl-bucket", strings.Repeat("a", 250)},
		{"..", "escape"},
		{".", "escape"},
		{"Upper", "k"},
		{"a/b", "k"},
		{"ab", "k"},
	}
	for _, tt := range tests {
		if err := s.Put(ctx, tt.bucket, tt.key, []byte("x"), objstore.ACLPublicRead); !errors.Is(err, objstore.ErrInvalidName) {
			t.Errorf("Put(%q, %q) = %v, want ErrInvalidName", tt.bucket, tt.key, err)
		}
		if _, err := s.Get(ctx, tt.bucket, tt.key); !errors.Is(err, objstore.ErrInvalidName) {
			t.Errorf("Get(%q, %q) = %v, want ErrInvalidName", tt.bucket, tt.key, err)
		}
	}
	if err := s.Put(ctx, "crl-bucket", "k", nil, "public-read"); err == nil {
		t.Error("Put with an unknown ACL succeeded")
	}
	// Nothing was created: not in the root, not beside it.
	entries, _ := os.ReadDir(root)
	if len(entries) != 0 {
		t.Errorf("root has %d entries after rejected puts", len(entries))
	}
	siblings, _ := os.ReadDir(filepath.Dir(root))
	if len(siblings) != 1 {
		t.Errorf("parent of root has %d entries, want 1", len(siblings))
	}
}

// A symlink planted inside the tree cannot lead a Put or Get outside it.
func TestSymlinkEscape(t *testing.T) {
	s, root := newStore(t)
	ctx := t.Context()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "crl-bucket"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "crl-bucket", "out")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "crl-bucket", "out/secret"); err == nil {
		t.Error("Get followed a symlink out of the root")
	}
	if err := s.Put(ctx, "crl-bucket", "out/planted", []byte("x"), objstore.ACLPublicRead); err == nil {
		t.Error("Put followed a symlink out of the root")
	}
	if _, err := os.Stat(filepath.Join(outside, "planted")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("file planted outside the root: %v", err)
	}
}

// Readers racing with overwrites see one whole version or the other, never a
// torn or empty object.
func TestPutAtomic(t *testing.T) {
	s, root := newStore(t)
	ctx := t.Context()
	versions := [][]byte{
		bytes.Repeat([]byte("A"), 256<<10),
		bytes.Repeat([]byte("B"), 512<<10),
	}
	if err := s.Put(ctx, "crl-bucket", "crl/x.crl", versions[0], objstore.ACLPublicRead); err != nil {
		t.Fatal(err)
	}
	const writes = 40
	var wg sync.WaitGroup
	done := make(chan struct{})
	errs := make(chan error, 8)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(done)
		for i := range writes {
			if err := s.Put(ctx, "crl-bucket", "crl/x.crl", versions[i%2], objstore.ACLPublicRead); err != nil {
				errs <- err
				return
			}
		}
	}()
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				got, err := s.Get(ctx, "crl-bucket", "crl/x.crl")
				if err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(got, versions[0]) && !bytes.Equal(got, versions[1]) {
					errs <- fmt.Errorf("read a torn object of %d bytes", len(got))
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assertNoTemps(t, root)
}

// A failed Put leaves the previous object as it was.
func TestFailedPutKeepsOldObject(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	if err := s.Put(ctx, "crl-bucket", "crl/x.crl", []byte("old"), objstore.ACLPublicRead); err != nil {
		t.Fatal(err)
	}
	s.SetReadOnly("crl-bucket", true)
	if err := s.Put(ctx, "crl-bucket", "crl/x.crl", []byte("new"), objstore.ACLPublicRead); err == nil {
		t.Fatal("Put to a read-only bucket succeeded")
	}
	if got, err := s.Get(ctx, "crl-bucket", "crl/x.crl"); err != nil || string(got) != "old" {
		t.Fatalf("Get = %q, %v; want old", got, err)
	}
	// An object cannot also be a directory, as it can in S3.
	s.SetReadOnly("crl-bucket", false)
	if err := s.Put(ctx, "crl-bucket", "crl/x.crl/y", []byte("x"), objstore.ACLPublicRead); err == nil {
		t.Fatal("Put under an object succeeded")
	}
	if got, err := s.Get(ctx, "crl-bucket", "crl/x.crl"); err != nil || string(got) != "old" {
		t.Fatalf("Get = %q, %v; want old", got, err)
	}
}

func TestReadOnly(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	if err := objstore.CheckWritable(ctx, s, "crl-bucket", objstore.ACLPublicRead); err != nil {
		t.Fatalf("CheckWritable on a fresh bucket: %v", err)
	}
	s.SetReadOnly("crl-bucket", true)
	if err := s.Put(ctx, "crl-bucket", "crl/x.crl", []byte("x"), objstore.ACLPublicRead); !errors.Is(err, objstore.ErrAccessDenied) {
		t.Errorf("Put to read-only bucket = %v, want ErrAccessDenied", err)
	}
	if err := objstore.CheckWritable(ctx, s, "crl-bucket", objstore.ACLBucketOwnerFullControl); !errors.Is(err, objstore.ErrAccessDenied) {
		t.Errorf("CheckWritable on read-only bucket = %v, want ErrAccessDenied", err)
	}
	if _, err := s.Get(ctx, "crl-bucket", objstore.PermissionTestKey); err != nil {
		t.Errorf("Get from read-only bucket: %v", err)
	}
	if err := s.Put(ctx, "other-bucket", "k", []byte("x"), objstore.ACLPublicRead); err != nil {
		t.Errorf("Put to another bucket: %v", err)
	}
	s.SetReadOnly("crl-bucket", false)
	if err := objstore.CheckWritable(ctx, s, "crl-bucket", objstore.ACLPublicRead); err != nil {
		t.Errorf("CheckWritable after SetReadOnly(false): %v", err)
	}
}

// Filesystem permission errors map to ErrAccessDenied too. Root ignores
// directory permissions, hence SetReadOnly for tests that may run as root.
func TestChmodReadOnly(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: chmod does not deny writes (SetReadOnly covers this case)")
	}
	s, root := newStore(t)
	ctx := t.Context()
	if err := s.Put(ctx, "crl-bucket", "crl/x.crl", []byte("x"), objstore.ACLPublicRead); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "crl-bucket", "crl")
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	if err := s.Put(ctx, "crl-bucket", "crl/x.crl", []byte("y"), objstore.ACLPublicRead); !errors.Is(err, objstore.ErrAccessDenied) {
		t.Errorf("Put into a 0555 directory = %v, want ErrAccessDenied", err)
	}
}

func TestCheckWritableWritesTestKey(t *testing.T) {
	s, root := newStore(t)
	if err := objstore.CheckWritable(t.Context(), s, "crl-bucket", objstore.ACLBucketOwnerFullControl); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(root, "crl-bucket", "acm-pca-permission-test-key"))
	if err != nil || fi.Size() == 0 {
		t.Fatalf("permission test object: %v", err)
	}
}

func assertNoTemps(t *testing.T, root string) {
	t.Helper()
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".openpca-tmp-") {
			t.Errorf("temp file left behind: %s", p)
		}
		return nil
	})
}
