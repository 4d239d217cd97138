package objstore_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/openpca/openpca/internal/objstore"
)

func TestValidBucketName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"abc", true},
		{"my-crl-bucket", true},
		{"crl.example.com", true},
		{"0123456789", true},
		{strings.Repeat("a", 63), true},
		{"ab", false},
		{strings.Repeat("a", 64), false},
		{"", false},
		{"MyBucket", false},
		{"my_bucket", false},
		{"my bucket", false},
		{"-bucket", false},
		{"bucket-", false},
		{".bucket", false},
		{"bucket.", false},
		{"my..bucket", false},
		{"192.168.5.4", false},
		{"xn--bucket", false},
		{"sthree-bucket", false},
		{"amzn-s3-demo-bucket", false},
		{"bucket-s3alias", false},
		{"bucket--ol-s3", false},
		{"a/b", false},
		{"..", false},
	}
	for _, tt := range tests {
		err := objstore.ValidBucketName(tt.name)
		if (err == nil) != tt.ok {
			t.Errorf("ValidBucketName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, objstore.ErrInvalidName) {
			t.Errorf("ValidBucketName(%q) = %v, not ErrInvalidName", tt.name, err)
		}
	}
}

func TestValidKey(t *testing.T) {
	tests := []struct {
		key string
		ok  bool
	}{
		{"acm-pca-permission-test-key", true},
		{"crl/0f8f5a0e-1c2d-4e5f-8a9b-0c1d2e3f4a5b.crl", true},
		{"audit-report/ca/report.json", true},
		{"a/.hidden", true},
		{"a/..b/c..", true},
		{"", false},
		{"/etc/passwd", false},
		{"../x", false},
		{"a/../../x", false},
		{"a/./b", false},
		{".", false},
		{"..", false},
		{"a//b", false},
		{"a/", false},
		{"a\\..\\b", false},
		{"a\x00b", false},
		{"\xff", false},
		{strings.Repeat("k", 1025), false},
	}
	for _, tt := range tests {
		err := objstore.ValidKey(tt.key)
		if (err == nil) != tt.ok {
			t.Errorf("ValidKey(%q) = %v, want ok=%v", tt.key, err, tt.ok)
		}
		if err != nil && !errors.Is(err, objstore.ErrInvalidName) {
			t.Errorf("ValidKey(%q) = %v, not ErrInvalidName", tt.key, err)
		}
	}
}

func TestContentType(t *testing.T) {
	tests := []struct{ key, want string }{
		{"crl/x.crl", "application/pkix-crl"},
		{"audit-report/ca/r.json", "application/json"},
		{"audit-report/ca/r.csv", "text/csv"},
		{"acm-pca-permission-test-key", "application/octet-stream"},
		{"crl.d/x", "application/octet-stream"},
	}
	for _, tt := range tests {
		if got := objstore.ContentType(tt.key); got != tt.want {
			t.Errorf("ContentType(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}

func TestACLValid(t *testing.T) {
	tests := []struct {
		acl  objstore.ACL
		want bool
	}{
		{objstore.ACLPublicRead, true},
		{objstore.ACLBucketOwnerFullControl, true},
		{"", false},
		{"public-read", false},
	}
	for _, tt := range tests {
		if got := tt.acl.Valid(); got != tt.want {
			t.Errorf("ACL(%q).Valid() = %v, want %v", tt.acl, got, tt.want)
		}
	}
}

func TestValidMetadata(t *testing.T) {
	tests := []struct {
		m  map[string]string
		ok bool
	}{
		{nil, true},
		{map[string]string{"crl-number": "42", "this_update": "2026-01-02T03:04:05Z", "a.b": ""}, true},
		{map[string]string{"k": strings.Repeat("v", objstore.MaxMetadataSize-1)}, true},
		{map[string]string{"k": strings.Repeat("v", objstore.MaxMetadataSize)}, false},
		{map[string]string{"": "v"}, false},
		{map[string]string{"Upper": "v"}, false},
		{map[string]string{"a b": "v"}, false},
		{map[string]string{"k": "tab\tinside"}, false},
		{map[string]string{"k": "caf\u00e9"}, false},
		{map[string]string{"k": " padded"}, false},
	}
	for _, tt := range tests {
		err := objstore.ValidMetadata(tt.m)
		if (err == nil) != tt.ok {
			t.Errorf("ValidMetadata(%q) = %v, want ok=%v", tt.m, err, tt.ok)
		}
		if err != nil && !errors.Is(err, objstore.ErrInvalidName) {
			t.Errorf("ValidMetadata(%q) = %v, not ErrInvalidName", tt.m, err)
		}
	}
}

func TestCheckPutOptions(t *testing.T) {
	tests := []struct {
		opts objstore.PutOptions
		ok   bool
	}{
		{objstore.PutOptions{ACL: objstore.ACLPublicRead}, true},
		{objstore.PutOptions{ACL: objstore.ACLPublicRead, IfMatch: `"e"`}, true},
		{objstore.PutOptions{ACL: objstore.ACLBucketOwnerFullControl, IfNoneMatch: true}, true},
		{objstore.PutOptions{}, false},
		{objstore.PutOptions{ACL: objstore.ACLPublicRead, IfMatch: `"e"`, IfNoneMatch: true}, false},
		{objstore.PutOptions{ACL: objstore.ACLPublicRead, Metadata: map[string]string{"K": "v"}}, false},
	}
	for _, tt := range tests {
		if err := objstore.CheckPutOptions(tt.opts); (err == nil) != tt.ok {
			t.Errorf("CheckPutOptions(%+v) = %v, want ok=%v", tt.opts, err, tt.ok)
		}
	}
}

// recorder is a unit-test Store that records the one Put it receives.
type recorder struct {
	bucket, key string
	body        []byte
	acl         objstore.ACL
	err         error
}

func (r *recorder) Put(_ context.Context, bucket, key string, body []byte, acl objstore.ACL) error {
	r.bucket, r.key, r.body, r.acl = bucket, key, body, acl
	return r.err
}

func (r *recorder) PutStream(ctx context.Context, bucket, key string, body io.ReadSeeker, acl objstore.ACL) error {
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	return r.Put(ctx, bucket, key, b, acl)
}

func (r *recorder) PutIf(ctx context.Context, bucket, key string, body io.ReadSeeker, opts objstore.PutOptions) (string, error) {
	return "", r.PutStream(ctx, bucket, key, body, opts.ACL)
}

func (r *recorder) Get(context.Context, string, string) ([]byte, error) {
	return nil, objstore.ErrNotFound
}

func (r *recorder) Head(context.Context, string, string) (objstore.ObjectInfo, error) {
	return objstore.ObjectInfo{}, objstore.ErrNotFound
}

func TestCheckWritable(t *testing.T) {
	tests := []struct {
		name    string
		acl     objstore.ACL
		putErr  error
		wantErr error
	}{
		{"public", objstore.ACLPublicRead, nil, nil},
		{"owner", objstore.ACLBucketOwnerFullControl, nil, nil},
		{"denied", objstore.ACLPublicRead, objstore.ErrAccessDenied, objstore.ErrAccessDenied},
		{"no bucket", objstore.ACLPublicRead, objstore.ErrNotFound, objstore.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{err: tt.putErr}
			err := objstore.CheckWritable(t.Context(), r, "crl-bucket", tt.acl)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("CheckWritable = %v, want %v", err, tt.wantErr)
			}
			if r.bucket != "crl-bucket" || r.key != "acm-pca-permission-test-key" || r.acl != tt.acl || len(r.body) == 0 {
				t.Errorf("Put(%q, %q, %d bytes, %q)", r.bucket, r.key, len(r.body), r.acl)
			}
		})
	}
}
