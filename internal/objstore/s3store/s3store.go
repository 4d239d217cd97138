// Package s3store keeps objects in an S3-compatible server, as AWS Private CA
// does in S3.
package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/openpca/openpca/internal/objstore"
)

// Default timeouts. They bound how long a dead or wedged server can hold a
// CRL publication, and are loose enough for any server that works at all:
// an operator should never need to change them.
const (
	// DefaultConnectTimeout bounds the TCP connect and, separately, the TLS
	// handshake.
	DefaultConnectTimeout = 5 * time.Second
	// DefaultFirstByteTimeout bounds the wait for response headers once the
	// request is sent, and any pause of the server in reading the request
	// body.
	DefaultFirstByteTimeout = 5 * time.Second
	// DefaultRequestTimeout is the base of the whole-call deadline; see
	// Config.RequestTimeout.
	DefaultRequestTimeout = 30 * time.Second
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

	// ConnectTimeout bounds each TCP connect and each TLS handshake
	// (default DefaultConnectTimeout).
	ConnectTimeout time.Duration
	// FirstByteTimeout bounds the wait for the response headers after a
	// request is sent, and how long the server may stop reading a request
	// body before the attempt is abandoned (default DefaultFirstByteTimeout).
	// "Sent" means handed to the kernel, so the wait also covers draining
	// the socket's send buffer: a few MiB at most, seconds at 1 MiB/s.
	FirstByteTimeout time.Duration
	// RequestTimeout plus one second per MiB of body is the deadline of a
	// whole call, the SDK's retries included (default
	// DefaultRequestTimeout). The per-MiB allowance assumes the server takes
	// at least 1 MiB/s.
	RequestTimeout time.Duration
}

// Store is an objstore.Store backed by one S3 client.
type Store struct {
	client         *s3.Client
	requestTimeout time.Duration
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
	connect := orDefault(cfg.ConnectTimeout, DefaultConnectTimeout)
	firstByte := orDefault(cfg.FirstByteTimeout, DefaultFirstByteTimeout)
	// The SDK's own transport (proxy from the environment, TLS settings,
	// redirect policy) with our timeouts; a client that is not a
	// BuildableClient is also one the SDK leaves alone.
	hc := awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = connect }).
		WithTransportOptions(func(tr *http.Transport) {
			tr.TLSHandshakeTimeout = connect
			tr.ResponseHeaderTimeout = firstByte
		})
	o := s3.Options{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, ""),
		UsePathStyle: cfg.PathStyle,
		HTTPClient:   stallGuard{next: hc, after: firstByte},
		// SigV4 already signs the payload hash, which the server checks; the
		// SDK's extra CRC checksums are what S3-compatible servers most often
		// reject, so send them only when an operation requires one.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	if cfg.Endpoint != "" {
		o.BaseEndpoint = aws.String(cfg.Endpoint)
	}
	return &Store{client: s3.New(o), requestTimeout: orDefault(cfg.RequestTimeout, DefaultRequestTimeout)}, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
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
	_, err := s.PutIf(ctx, bucket, key, body, objstore.PutOptions{ACL: acl})
	return err
}

// PutIf is Put with a precondition and metadata. The server checks the
// precondition when it commits the object, so of two writers holding the
// same ETag only one succeeds.
func (s *Store) PutIf(ctx context.Context, bucket, key string, body io.ReadSeeker, opts objstore.PutOptions) (string, error) {
	if err := objstore.CheckPutOptions(opts); err != nil {
		return "", fmt.Errorf("s3store: put %s/%s: %w", bucket, key, err)
	}
	if err := validate(bucket, key); err != nil {
		return "", fmt.Errorf("s3store: put: %w", err)
	}
	size, err := body.Seek(0, io.SeekEnd)
	if err != nil {
		return "", fmt.Errorf("s3store: put %s/%s: %w", bucket, key, err)
	}
	if _, err := body.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("s3store: put %s/%s: %w", bucket, key, err)
	}
	in := &s3.PutObjectInput{
		Bucket:        aws.String(bucket),
		Key:           aws.String(key),
		Body:          body,
		ContentLength: aws.Int64(size),
		ContentType:   aws.String(objstore.ContentType(key)),
		ACL:           cannedACL[opts.ACL],
		Metadata:      opts.Metadata,
	}
	if opts.IfMatch != "" {
		in.IfMatch = aws.String(opts.IfMatch)
	}
	if opts.IfNoneMatch {
		in.IfNoneMatch = aws.String("*")
	}
	c := s.begin(ctx, size)
	defer c.end()
	out, err := s.client.PutObject(c.ctx, in)
	if errorCode(err) == "NotImplemented" {
		in.ACL = ""
		if _, err = body.Seek(0, io.SeekStart); err == nil {
			out, err = s.client.PutObject(c.ctx, in)
		}
	}
	if err != nil {
		err = c.fail(err)
		if opts.IfMatch != "" && errorCode(err) == "NoSuchKey" {
			// If-Match on a missing object: the precondition does not hold.
			err = fmt.Errorf("%w: %w", objstore.ErrPreconditionFailed, err)
		}
		return "", fmt.Errorf("s3store: put %s/%s: %w", bucket, key, err)
	}
	return aws.ToString(out.ETag), nil
}

// Get returns the object's bytes. Its deadline grows by the object's size
// once the response says what that is.
func (s *Store) Get(ctx context.Context, bucket, key string) ([]byte, error) {
	if err := validate(bucket, key); err != nil {
		return nil, fmt.Errorf("s3store: get: %w", err)
	}
	c := s.begin(ctx, 0)
	defer c.end()
	out, err := s.client.GetObject(c.ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("s3store: get %s/%s: %w", bucket, key, c.fail(err))
	}
	defer out.Body.Close()
	c.grow(aws.ToInt64(out.ContentLength))
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("s3store: get %s/%s: %w", bucket, key, c.fail(err))
	}
	return b, nil
}

// Head returns the object's ETag, size and user metadata.
func (s *Store) Head(ctx context.Context, bucket, key string) (objstore.ObjectInfo, error) {
	if err := validate(bucket, key); err != nil {
		return objstore.ObjectInfo{}, fmt.Errorf("s3store: head: %w", err)
	}
	c := s.begin(ctx, 0)
	defer c.end()
	out, err := s.client.HeadObject(c.ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return objstore.ObjectInfo{}, fmt.Errorf("s3store: head %s/%s: %w", bucket, key, c.fail(err))
	}
	return objstore.ObjectInfo{ETag: aws.ToString(out.ETag), Size: aws.ToInt64(out.ContentLength), Metadata: out.Metadata}, nil
}

// validate applies the names both stores accept, so that a configuration
// that works on one backend works on the other.
func validate(bucket, key string) error {
	if err := objstore.ValidBucketName(bucket); err != nil {
		return err
	}
	return objstore.ValidKey(key)
}

// call is one Store call under its whole-call deadline. A timer rather than
// context.WithDeadline carries the deadline so that Get can lengthen it once
// it learns the object's size.
type call struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	start  time.Time

	mu    sync.Mutex
	limit time.Duration
	timer *time.Timer
}

func (s *Store) begin(ctx context.Context, size int64) *call {
	c := &call{start: time.Now(), limit: s.requestTimeout + perMiB(size)}
	c.ctx, c.cancel = context.WithCancelCause(ctx)
	c.timer = time.AfterFunc(c.limit, c.expire)
	return c
}

// perMiB is the time size bytes take at 1 MiB/s, the slowest rate a working
// server is assumed to sustain. (KiB steps keep the product from overflowing.)
func perMiB(size int64) time.Duration {
	return time.Duration(max(size, 0)>>10) * time.Second >> 10
}

func (c *call) expire() {
	c.mu.Lock()
	limit := c.limit
	c.mu.Unlock()
	c.cancel(fmt.Errorf("%w: no complete answer within %v: %w", objstore.ErrTimeout, limit, context.DeadlineExceeded))
}

// grow lengthens the deadline by the time size bytes take.
func (c *call) grow(size int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.limit += perMiB(size)
	if c.timer.Stop() {
		c.timer.Reset(c.limit - time.Since(c.start))
	}
}

func (c *call) end() {
	c.timer.Stop()
	c.cancel(nil)
}

// fail classifies err. When the call's own deadline expired, err is only
// the SDK's report of the cancellation, so the deadline's cause replaces it;
// a caller's cancellation stays what it is.
func (c *call) fail(err error) error {
	switch cause := context.Cause(c.ctx); {
	case errors.Is(cause, objstore.ErrTimeout):
		return fmt.Errorf("%w (%v)", cause, err)
	case errors.Is(cause, context.Canceled):
		return err
	}
	return classify(err)
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
// from servers with their own codes, then by what went wrong on the wire
// when there was no answer.
func classify(err error) error {
	if errors.Is(err, objstore.ErrTimeout) { // stallGuard's
		return err
	}
	switch errorCode(err) {
	case "NoSuchKey", "NoSuchBucket":
		return fmt.Errorf("%w: %w", objstore.ErrNotFound, err)
	case "AccessDenied", "AccessControlListNotSupported", "AllAccessDisabled":
		return fmt.Errorf("%w: %w", objstore.ErrAccessDenied, err)
	case "PreconditionFailed", "ConditionalRequestConflict":
		return fmt.Errorf("%w: %w", objstore.ErrPreconditionFailed, err)
	case "InternalError", "ServiceUnavailable", "SlowDown":
		return fmt.Errorf("%w: %w", objstore.ErrUnavailable, err)
	}
	// The SDK reports a request that got no response as a ResponseError
	// with status 0.
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() != 0 {
		switch re.HTTPStatusCode() {
		case http.StatusNotFound:
			return fmt.Errorf("%w: %w", objstore.ErrNotFound, err)
		case http.StatusForbidden:
			return fmt.Errorf("%w: %w", objstore.ErrAccessDenied, err)
		case http.StatusPreconditionFailed:
			return fmt.Errorf("%w: %w", objstore.ErrPreconditionFailed, err)
		case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return fmt.Errorf("%w: %w", objstore.ErrUnavailable, err)
		}
		return err
	}
	if isTimeout(err) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", objstore.ErrTimeout, err)
	}
	// net.ErrClosed: the transport closed the connection on a reset its
	// reader saw while the body was still being written.
	for _, e := range []error{syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE, net.ErrClosed, io.EOF, io.ErrUnexpectedEOF} {
		if errors.Is(err, e) {
			return fmt.Errorf("%w: %w", objstore.ErrUnavailable, err)
		}
	}
	return err
}

// isTimeout reports whether any error in err's tree says it is a timeout:
// errors.As would stop at the first Timeout method, and *url.Error's only
// looks one level down.
func isTimeout(err error) bool {
	if t, ok := err.(interface{ Timeout() bool }); ok && t.Timeout() {
		return true
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return isTimeout(u.Unwrap())
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if isTimeout(e) {
				return true
			}
		}
	}
	return false
}

// stallGuard is the HTTP client beneath the SDK. It abandons an attempt
// whose request body the transport has not been able to send for a while:
// the response-header timeout only starts once the body is sent, so a
// server that accepts a connection and stops reading would otherwise hold
// an upload until the whole-call deadline. The SDK retries the attempt.
type stallGuard struct {
	next  aws.HTTPClient
	after time.Duration
}

// errStalled is the cause of an attempt stallGuard abandoned.
type errStalled time.Duration

func (e errStalled) Error() string {
	return fmt.Sprintf("the server stopped reading the request body for %v", time.Duration(e))
}
func (errStalled) Unwrap() error { return objstore.ErrTimeout }

// Timeout makes the SDK retry it like its own transport timeouts.
func (errStalled) Timeout() bool { return true }

func (g stallGuard) Do(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return g.next.Do(req)
	}
	ctx, cancel := context.WithCancelCause(req.Context())
	w := &watchdog{after: g.after, stall: func() { cancel(errStalled(g.after)) }}
	req = req.WithContext(ctx)
	req.Body = w.wrap(req.Body)
	if getBody := req.GetBody; getBody != nil {
		req.GetBody = func() (io.ReadCloser, error) {
			b, err := getBody()
			if err != nil {
				return nil, err
			}
			return w.wrap(b), nil
		}
	}
	resp, err := g.next.Do(req)
	w.stop()
	if err != nil {
		cause := context.Cause(ctx)
		cancel(nil)
		if _, ok := cause.(errStalled); ok {
			return nil, cause
		}
		return nil, err
	}
	resp.Body = cancelOnClose{resp.Body, cancel}
	return resp, nil
}

// watchdog calls stall when no Read of the body has returned for after,
// counting from the first Read (the transport reads nothing while it
// connects or waits for 100 Continue, which have timeouts of their own)
// until the body ends or is closed.
type watchdog struct {
	after time.Duration
	stall func()

	mu    sync.Mutex
	timer *time.Timer
	done  bool
}

func (w *watchdog) wrap(rc io.ReadCloser) io.ReadCloser { return &watchedBody{rc, w} }

func (w *watchdog) progress() {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.done:
	case w.timer == nil:
		w.timer = time.AfterFunc(w.after, w.stall)
	default:
		w.timer.Reset(w.after)
	}
}

func (w *watchdog) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = true
	if w.timer != nil {
		w.timer.Stop()
	}
}

type watchedBody struct {
	rc io.ReadCloser
	w  *watchdog
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if err != nil {
		b.w.stop()
	} else {
		b.w.progress()
	}
	return n, err
}

func (b *watchedBody) Close() error {
	b.w.stop()
	return b.rc.Close()
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelCauseFunc
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel(nil)
	return err
}
