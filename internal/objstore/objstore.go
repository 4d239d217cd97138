// Package objstore is where openpca publishes CRLs and audit reports: the
// object-storage side of AWS Private CA, which writes them to S3. Backends live
// in subpackages: fsstore (an embedded directory tree with a public HTTP
// handler) and s3store (any S3-compatible server).
package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path"
	"strings"
	"unicode/utf8"
)

// ACL mirrors AWS Private CA's S3ObjectAcl.
type ACL string

const (
	ACLPublicRead             ACL = "PUBLIC_READ"
	ACLBucketOwnerFullControl ACL = "BUCKET_OWNER_FULL_CONTROL"
)

// Valid reports whether a is one of the two values AWS accepts.
func (a ACL) Valid() bool { return a == ACLPublicRead || a == ACLBucketOwnerFullControl }

// Store puts and gets whole objects.
type Store interface {
	Put(ctx context.Context, bucket, key string, body []byte, acl ACL) error
	// PutStream is Put for objects too large to hold in memory, such as
	// audit reports: body is read from its start.
	PutStream(ctx context.Context, bucket, key string, body io.ReadSeeker, acl ACL) error
	// PutIf writes body (read from its start; it may be read more than once
	// on retries) under opts' precondition and returns the new object's
	// ETag. When the precondition does not hold at commit time it returns an
	// error wrapping ErrPreconditionFailed and changes nothing.
	PutIf(ctx context.Context, bucket, key string, body io.ReadSeeker, opts PutOptions) (etag string, err error)
	// Get returns an error wrapping ErrNotFound when the object or its bucket
	// does not exist.
	Get(ctx context.Context, bucket, key string) ([]byte, error)
	// Head returns the object's ETag, size and user metadata; an error
	// wrapping ErrNotFound when the object or bucket is absent.
	Head(ctx context.Context, bucket, key string) (ObjectInfo, error)
}

// PutOptions are PutIf's ACL, precondition and metadata. With neither
// IfMatch nor IfNoneMatch the write is unconditional.
//
// A write whose answer was lost (a timeout) may have landed all the same, and
// a retry of it then fails its own precondition: callers that must tell the
// two apart compare the object's metadata, which Head returns.
type PutOptions struct {
	ACL ACL
	// IfMatch writes only if the current object's ETag is this, as Head
	// returned it. A missing object fails the precondition too; the error
	// then also wraps ErrNotFound.
	IfMatch string
	// IfNoneMatch writes only if no object exists at the key.
	IfNoneMatch bool
	// Metadata is stored with the object as S3 user metadata (x-amz-meta-*);
	// see ValidMetadata.
	Metadata map[string]string
}

// ObjectInfo is what Head returns.
type ObjectInfo struct {
	// ETag is opaque and quoted, as S3 sends it; pass it back as
	// PutOptions.IfMatch.
	ETag     string
	Size     int64
	Metadata map[string]string
}

var (
	ErrNotFound = errors.New("objstore: not found")
	// ErrAccessDenied means the store refused the request: no permission, a
	// read-only bucket, or an ACL the bucket does not accept.
	ErrAccessDenied = errors.New("objstore: access denied")
	// ErrInvalidName is a bucket name, object key or metadata the stores do
	// not accept.
	ErrInvalidName = errors.New("objstore: invalid name")
	// ErrPreconditionFailed is a PutIf whose IfMatch or IfNoneMatch did not
	// hold when the store committed the write.
	ErrPreconditionFailed = errors.New("objstore: precondition failed")
	// ErrTimeout means a deadline of the store's or of its transport expired
	// before the answer came. A write may still land afterwards.
	ErrTimeout = errors.New("objstore: timeout")
	// ErrUnavailable means the server could not be reached or answered that
	// it cannot serve right now (5xx, SlowDown): worth retrying later.
	ErrUnavailable = errors.New("objstore: unavailable")
)

// PermissionTestKey is the object AWS Private CA writes to prove a CRL or
// audit-report bucket is writable.
const PermissionTestKey = "acm-pca-permission-test-key"

var permissionTestBody = []byte("openpca permission test\n")

// CheckWritable proves a bucket is writable the way AWS does on Create/Update:
// it writes the object "acm-pca-permission-test-key" (a few bytes) with the
// given ACL, so a bucket that refuses that ACL fails here too.
func CheckWritable(ctx context.Context, s Store, bucket string, acl ACL) error {
	if err := s.Put(ctx, bucket, PermissionTestKey, permissionTestBody, acl); err != nil {
		return fmt.Errorf("objstore: bucket %q is not writable: %w", bucket, err)
	}
	return nil
}

// ContentType is the media type an object is served with, from its key.
func ContentType(key string) string {
	switch path.Ext(key) {
	case ".crl":
		return "application/pkix-crl" // RFC 5280 section 4.2.1.13
	case ".json":
		return "application/json"
	case ".csv":
		return "text/csv"
	}
	return "application/octet-stream"
}

// ValidBucketName applies the S3 bucket-naming rules for general purpose
// buckets, so a name that works here also works on AWS and is a safe single
// path element.
func ValidBucketName(name string) error {
	bad := func(why string) error { return fmt.Errorf("%w: bucket %q %s", ErrInvalidName, name, why) }
	if len(name) < 3 || len(name) > 63 {
		return bad("must be 3 to 63 characters long")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return bad("may contain only lowercase letters, digits, dots and hyphens")
		}
	}
	if !alnum(name[0]) || !alnum(name[len(name)-1]) {
		return bad("must begin and end with a letter or digit")
	}
	if strings.Contains(name, "..") {
		return bad("must not contain two adjacent dots")
	}
	if net.ParseIP(name) != nil {
		return bad("must not be formatted as an IP address")
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return bad("must not begin with " + p)
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, s) {
			return bad("must not end with " + s)
		}
	}
	return nil
}

func alnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// MaxMetadataSize is S3's limit on an object's user metadata: keys and values
// together.
const MaxMetadataSize = 2 << 10

// ValidMetadata accepts the user metadata that S3 returns as it was given:
// keys of lower-case letters, digits, '-', '_' and '.' (S3 lower-cases keys),
// values of printable ASCII without leading or trailing spaces (S3 trims
// them), at most MaxMetadataSize bytes in all.
func ValidMetadata(m map[string]string) error {
	size := 0
	for k, v := range m {
		size += len(k) + len(v)
		if k == "" {
			return fmt.Errorf("%w: empty metadata key", ErrInvalidName)
		}
		for i := 0; i < len(k); i++ {
			if c := k[i]; !(alnum(c) || c == '-' || c == '_' || c == '.') {
				return fmt.Errorf("%w: metadata key %q may contain only lower-case letters, digits, '-', '_' and '.'", ErrInvalidName, k)
			}
		}
		for i := 0; i < len(v); i++ {
			if c := v[i]; c < ' ' || c > '~' {
				return fmt.Errorf("%w: metadata %q: value is not printable ASCII", ErrInvalidName, k)
			}
		}
		if strings.TrimSpace(v) != v {
			return fmt.Errorf("%w: metadata %q: value has leading or trailing spaces", ErrInvalidName, k)
		}
	}
	if size > MaxMetadataSize {
		return fmt.Errorf("%w: metadata of %d bytes exceeds %d", ErrInvalidName, size, MaxMetadataSize)
	}
	return nil
}

// CheckPutOptions rejects options neither store supports: an unknown ACL,
// both preconditions at once (S3 implements only one per request) and
// metadata ValidMetadata refuses.
func CheckPutOptions(opts PutOptions) error {
	if !opts.ACL.Valid() {
		return fmt.Errorf("unknown ACL %q", opts.ACL)
	}
	if opts.IfMatch != "" && opts.IfNoneMatch {
		return errors.New("IfMatch and IfNoneMatch together are not supported")
	}
	return ValidMetadata(opts.Metadata)
}

// ValidKey accepts keys that map one-to-one onto a relative file path: S3
// allows more, but openpca only writes keys like "crl/<id>.crl", and these
// rules are what keeps a directory-backed store inside its root.
func ValidKey(key string) error {
	bad := func(why string) error { return fmt.Errorf("%w: key %q %s", ErrInvalidName, key, why) }
	switch {
	case key == "":
		return bad("is empty")
	case len(key) > 1024:
		return bad("is longer than 1024 bytes")
	case !utf8.ValidString(key):
		return bad("is not valid UTF-8")
	case strings.ContainsAny(key, "\x00\\"):
		return bad("contains a NUL or a backslash")
	case strings.HasPrefix(key, "/"):
		return bad("is an absolute path")
	}
	for _, seg := range strings.Split(key, "/") {
		switch seg {
		case "":
			return bad("has an empty path segment")
		case ".", "..":
			return bad("has a . or .. path segment")
		}
	}
	return nil
}
