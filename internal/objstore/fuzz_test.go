package objstore

import (
	"errors"
	"net"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzValidKey: an accepted key is a clean, local, relative path (so a
// directory-backed store keeps it inside its root) of at most 1024 bytes of
// UTF-8; a refused one is ErrInvalidName, refused again the same way.
func FuzzValidKey(f *testing.F) {
	for _, k := range []string{"crl/11111111-2222-3333-4444-555555555555.crl", "audit-report/x/y.json", "../x", "a//b", "a/./b", "/a", "a\\b", "a/", "\xff", "a\x00"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		err := ValidKey(key)
		if err != nil {
			if !errors.Is(err, ErrInvalidName) {
				t.Fatalf("%q refused with %v, not ErrInvalidName", key, err)
			}
			if again := ValidKey(key); again == nil || again.Error() != err.Error() {
				t.Fatalf("%q refused with %v, then %v", key, err, again)
			}
			return
		}
		if len(key) > 1024 || !utf8.ValidString(key) {
			t.Fatalf("accepted %q", key)
		}
		if path.Clean(key) != key || !filepath.IsLocal(key) || strings.ContainsAny(key, "\x00\\") {
			t.Fatalf("accepted %q, which is not a clean local path (Clean %q)", key, path.Clean(key))
		}
		if path.IsAbs(key) || !strings.HasPrefix(path.Clean("x/"+key), "x/") {
			t.Fatalf("accepted %q, which leaves its directory", key)
		}
	})
}

var bucketShape = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// FuzzValidBucketName: an accepted bucket name has the S3 shape, is not an
// IP address nor two adjacent dots, and is one path element and one URL
// path segment as it stands; a refused one is ErrInvalidName.
func FuzzValidBucketName(f *testing.F) {
	for _, b := range []string{"openpca-crls", "a.b.c", "192.168.0.1", "xn--abc", "ab", "a..b", "Bucket", "bucket-s3alias", "-ab", "a_b"} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := ValidBucketName(name)
		if err != nil {
			if !errors.Is(err, ErrInvalidName) {
				t.Fatalf("%q refused with %v, not ErrInvalidName", name, err)
			}
			if again := ValidBucketName(name); again == nil || again.Error() != err.Error() {
				t.Fatalf("%q refused with %v, then %v", name, err, again)
			}
			return
		}
		if !bucketShape.MatchString(name) || strings.Contains(name, "..") || net.ParseIP(name) != nil {
			t.Fatalf("accepted %q", name)
		}
		if path.Clean(name) != name || !filepath.IsLocal(name) || strings.Contains(name, "/") || url.PathEscape(name) != name {
			t.Fatalf("accepted %q, which is not a single safe path element", name)
		}
		if ValidKey(name) != nil {
			t.Fatalf("bucket name %q is not a valid key", name)
		}
	})
}
