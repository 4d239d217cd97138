package s3store_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/openpca/openpca/internal/objstore"
	"github.com/openpca/openpca/internal/objstore/s3store"
	"github.com/openpca/openpca/internal/objstore/s3store/s3test"
)

func newStore(t *testing.T, cfg s3store.Config) *s3store.Store {
	t.Helper()
	s, err := s3store.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPutGet(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.NewBucket(t)
	s := newStore(t, srv.Config())
	ctx := t.Context()
	tests := []struct {
		key         string
		body        []byte
		acl         objstore.ACL
		contentType string
	}{
		{"crl/5c1b7c3e-7a1f-4a53-9d44-8e7d1f3f0a11.crl", bytes.Repeat([]byte{0x30, 0x82}, 600), objstore.ACLPublicRead, "application/pkix-crl"},
		{"crl/5c1b7c3e-7a1f-4a53-9d44-8e7d1f3f0a11.crl", []byte("replaced"), objstore.ACLBucketOwnerFullControl, "application/pkix-crl"},
		{"audit-report/ca/report.json", []byte("[]"), objstore.ACLBucketOwnerFullControl, "application/json"},
		{"empty", nil, objstore.ACLPublicRead, "application/octet-stream"},
	}
	for _, tt := range tests {
		if err := s.Put(ctx, bucket, tt.key, tt.body, tt.acl); err != nil {
			t.Fatalf("Put(%s): %v", tt.key, err)
		}
		got, err := s.Get(ctx, bucket, tt.key)
		if err != nil || !bytes.Equal(got, tt.body) {
			t.Fatalf("Get(%s) = %d bytes, %v; want %d bytes", tt.key, len(got), err, len(tt.body))
		}
		head, err := rootClient(srv).HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(tt.key)})
		if err != nil {
			t.Fatal(err)
		}
		if ct := aws.ToString(head.ContentType); ct != tt.contentType {
			t.Errorf("Content-Type of %s = %q, want %q", tt.key, ct, tt.contentType)
		}
	}
}

func TestErrors(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.NewBucket(t)
	s := newStore(t, srv.Config())
	badSecret := srv.Config()
	badSecret.SecretAccessKey += "x"
	wrong := newStore(t, badSecret)
	ctx := t.Context()

	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"missing key", func() error { _, err := s.Get(ctx, bucket, "crl/missing.crl"); return err }, objstore.ErrNotFound},
		{"missing bucket get", func() error { _, err := s.Get(ctx, "openpca-no-such-bucket", "k"); return err }, objstore.ErrNotFound},
		{"missing bucket put", func() error {
			return s.Put(ctx, "openpca-no-such-bucket", "k", []byte("x"), objstore.ACLPublicRead)
		}, objstore.ErrNotFound},
		{"wrong secret put", func() error { return wrong.Put(ctx, bucket, "k", []byte("x"), objstore.ACLPublicRead) }, objstore.ErrAccessDenied},
		{"wrong secret get", func() error { _, err := wrong.Get(ctx, bucket, "k"); return err }, objstore.ErrAccessDenied},
		{"invalid bucket", func() error { return s.Put(ctx, "Bad_Bucket", "k", nil, objstore.ACLPublicRead) }, objstore.ErrInvalidName},
		{"invalid key", func() error { return s.Put(ctx, bucket, "../k", nil, objstore.ACLPublicRead) }, objstore.ErrInvalidName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestCheckWritable(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.NewBucket(t)
	s := newStore(t, srv.Config())
	for _, acl := range []objstore.ACL{objstore.ACLPublicRead, objstore.ACLBucketOwnerFullControl} {
		if err := objstore.CheckWritable(t.Context(), s, bucket, acl); err != nil {
			t.Fatalf("CheckWritable(%s): %v", acl, err)
		}
	}
	if body, err := s.Get(t.Context(), bucket, objstore.PermissionTestKey); err != nil || len(body) == 0 {
		t.Fatalf("permission test object: %d bytes, %v", len(body), err)
	}
}

// A restricted user is denied until a bucket policy grants s3:PutObject, and
// denied again when the grant is withdrawn: the switch openpca's "bucket
// becomes unwritable" tests flip.
func TestUserWritability(t *testing.T) {
	srv := s3test.Start(t)
	ctx := t.Context()
	bucket := srv.NewBucket(t)
	user, secret := s3test.UniqueName("openpca-user-"), "user-secret-"+s3test.UniqueName("")
	if err := srv.CreateUser(ctx, user, secret); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.DeleteUser(context.Background(), user) })
	s := newStore(t, srv.UserConfig(user, secret))

	steps := []struct {
		name      string
		set       func() error
		writable  bool
		canRead   bool
		putDenied bool
	}{
		{"no policy", func() error { return nil }, false, false, true},
		{"read only", func() error { return srv.SetUserWritable(ctx, bucket, user, false) }, false, true, true},
		{"writable", func() error { return srv.SetUserWritable(ctx, bucket, user, true) }, true, true, false},
		{"unwritable again", func() error { return srv.SetUserWritable(ctx, bucket, user, false) }, false, true, true},
		{"writable again", func() error { return srv.SetUserWritable(ctx, bucket, user, true) }, true, true, false},
		{"policy deleted", func() error { return srv.DeleteBucketPolicy(ctx, bucket) }, false, false, true},
	}
	// Root writes the object the user reads back.
	if err := newStore(t, srv.Config()).Put(ctx, bucket, "crl/root.crl", []byte("root"), objstore.ACLPublicRead); err != nil {
		t.Fatal(err)
	}
	for _, st := range steps {
		if err := st.set(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		for _, acl := range []objstore.ACL{objstore.ACLPublicRead, objstore.ACLBucketOwnerFullControl} {
			err := s.Put(ctx, bucket, "crl/user.crl", []byte(st.name), acl)
			if st.writable != (err == nil) || st.putDenied != errors.Is(err, objstore.ErrAccessDenied) {
				t.Errorf("%s: Put(%s) = %v, want writable=%v", st.name, acl, err, st.writable)
			}
			err = objstore.CheckWritable(ctx, s, bucket, acl)
			if st.writable != (err == nil) || st.putDenied != errors.Is(err, objstore.ErrAccessDenied) {
				t.Errorf("%s: CheckWritable(%s) = %v, want writable=%v", st.name, acl, err, st.writable)
			}
		}
		_, err := s.Get(ctx, bucket, "crl/root.crl")
		if st.canRead != (err == nil) || (!st.canRead && !errors.Is(err, objstore.ErrAccessDenied)) {
			t.Errorf("%s: Get = %v, want readable=%v", st.name, err, st.canRead)
		}
	}
}

func rootClient(srv *s3test.Server) *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(srv.Endpoint),
		Region:       srv.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(srv.AccessKeyID, srv.SecretAccessKey, ""),
		UsePathStyle: true,
	})
}
