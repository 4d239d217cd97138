// Package s3store keeps objects in an S3-compatible server, as AWS Private CA
// does in S3.
package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/openpca/openpca/internal/objstore"
)

// Config names the server and the credentials to use.
type Config struct {
	// Endpoint is the server's base URL, such as "http://127.0.0.1:7070";
	// empty means AWS S3 itself.
	Endpoint string
	// Region defaults to us-east-1.
	Region string
	// AccessKeyID and SecretAccessKey are required: a self-hosted CA is
	// given static keys, not an AWS instance role.
	AccessKeyID     string
	SecretAccessKey string
	// PathStyle addresses buckets as <endpoint>/<bucket>/<key>, which most
	// self-hosted servers need, instead of <bucket>.<host>.
	PathStyle bool
}

// Store is an objstore.Store backed by one S3 client.
type Store struct {
	client *s3.Client
}

var _ objstore.Store = (*Store)(nil)

// New builds a client for cfg. It does not contact the server; ctx leaves
// room for credential sources that would (such as an instance role).
func New(_ context.Context, cfg Config) (*Store, error) {
	if cfg.AccessKeyID == "" || cfg.SecretAccessKey == "" {
		return nil, errors.New("s3store: AccessKeyID and SecretAccessKey are required")
	}
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	o := s3.Options{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, ""),
		UsePathStyle: cfg.PathStyle,
		// SigV4 already signs the payload hash, which the server checks; the
		// SDK's extra CRC checksums are what S3-compatible servers most often
		// reject, so send them only when an operation requires one.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	if cfg.Endpoint != "" {
		o.BaseEndpoint = aws.String(cfg.Endpoint)
	}
	return &Store{client: s3.New(o)}, nil
}

var cannedACL = map[objstore.ACL]types.ObjectCannedACL{
	objstore.ACLPublicRead:             types.ObjectCannedACLPublicRead,
	objstore.ACLBucketOwnerFullControl: types.ObjectCannedACLBucketOwnerFullControl,
}

// Put writes the object with the canned ACL matching acl.
//
// A server that does not implement object ACLs at all (it answers
// NotImplemented) gets the object again without one: on such servers bucket
// policy alone decides who reads, which is what the ACL was asking for. A
// bucket that has ACLs disabled (AccessControlListNotSupported, S3's answer
// to PUBLIC_READ under "bucket owner enforced") is refused with
// objstore.ErrAccessDenied instead, as AWS Private CA reports that bucket as
// not writable until BUCKET_OWNER_FULL_CONTROL is chosen.
func (s *Store) Put(ctx context.Context, bucket, key string, body []byte, acl objstore.ACL) error {
	return s.PutStream(ctx, bucket, key, bytes.NewReader(body), acl)
}

// PutStream is Put reading the object from body.
func (s *Store) PutStream(ctx context.Context, bucket, key string, body io.ReadSeeker, acl objstore.ACL) error {
	canned, ok := cannedACL[acl]
	if !ok {
		return fmt.Errorf("s3store: put %s/%s: unknown ACL %q", bucket, key, acl)
	}
	if err := validate(bucket, key); err != nil {
		return fmt.Errorf("s3store: put: %w", err)
	}
	size, err := body.Seek(0, io.SeekEnd)
	if err != nil {
		return fmt.Errorf("s3store: put %s/%s: %w", bucket, key, err)
	}
	if _, err := body.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("s3store: put %s/%s: %w", bucket, key, err)
	}
	in := &s3.PutObjectInput{
		Bucket:        aws.String(bucket),
		Key:           aws.String(key),
		Body:          body,
		ContentLength: aws.Int64(size),
		ContentType:   aws.String(objstore.ContentType(key)),
		ACL:           canned,
	}
	_, err = s.client.PutObject(ctx, in)
	if errorCode(err) == "NotImplemented" {
		in.ACL = ""
		if _, err = body.Seek(0, io.SeekStart); err == nil {
			_, err = s.client.PutObject(ctx, in)
		}
	}
	if err != nil {
		return fmt.Errorf("s3store: put %s/%s: %w", bucket, key, classify(err))
	}
	return nil
}

// Get returns the object's bytes.
func (s *Store) Get(ctx context.Context, bucket, key string) ([]byte, error) {
	if err := validate(bucket, key); err != nil {
		return nil, fmt.Errorf("s3store: get: %w", err)
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("s3store: get %s/%s: %w", bucket, key, classify(err))
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("s3store: get %s/%s: %w", bucket, key, err)
	}
	return b, nil
}

// validate applies the names both stores accept, so that a configuration
// that works on one backend works on the other.
func validate(bucket, key string) error {
	if err := objstore.ValidBucketName(bucket); err != nil {
		return err
	}
	return objstore.ValidKey(key)
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// classify wraps err with the objstore sentinel a caller branches on: by S3
// error code first, then by HTTP status for answers without a body (HEAD) or
// from servers with their own codes.
func classify(err error) error {
	switch errorCode(err) {
	case "NoSuchKey", "NoSuchBucket":
		return fmt.Errorf("%w: %w", objstore.ErrNotFound, err)
	case "AccessDenied", "AccessControlListNotSupported", "AllAccessDisabled":
		return fmt.Errorf("%w: %w", objstore.ErrAccessDenied, err)
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		switch re.HTTPStatusCode() {
		case http.StatusNotFound:
			return fmt.Errorf("%w: %w", objstore.ErrNotFound, err)
		case http.StatusForbidden:
			return fmt.Errorf("%w: %w", objstore.ErrAccessDenied, err)
		}
	}
	return err
}
