package s3store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/openpca/openpca/internal/objstore"
	"github.com/openpca/openpca/internal/objstore/s3fault"
	"github.com/openpca/openpca/internal/objstore/s3store"
	"github.com/openpca/openpca/internal/objstore/s3store/s3test"
)

// timeouts are a store's three deadlines, short for drills.
type timeouts struct{ connect, firstByte, request time.Duration }

// bound is the longest a call with a body of size bytes may take: the
// whole-call deadline.
func (tm timeouts) bound(size int) time.Duration {
	return tm.request + time.Duration(size)*time.Second/(1<<20)
}

// drill returns a bucket on srv, a proxy in front of srv and a store that
// reaches srv through it with tm's timeouts.
func drill(t *testing.T, srv *s3test.Server, tm timeouts) (*s3store.Store, *s3fault.Proxy, string) {
	t.Helper()
	bucket := srv.NewBucket(t)
	p, err := s3fault.New(srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	cfg := srv.Config()
	cfg.Endpoint = p.URL
	cfg.ConnectTimeout, cfg.FirstByteTimeout, cfg.RequestTimeout = tm.connect, tm.firstByte, tm.request
	return newStore(t, cfg), p, bucket
}

// within runs f and fails the test unless it returns an error wrapping want
// within limit.
func within(t *testing.T, limit time.Duration, want error, f func() error) error {
	t.Helper()
	start := time.Now()
	err := f()
	took := time.Since(start)
	if !errors.Is(err, want) {
		t.Errorf("after %v: %v, want %v", took.Round(time.Millisecond), err, want)
	}
	if took > limit {
		t.Errorf("took %v, want at most %v (%v)", took.Round(time.Millisecond), limit, err)
	}
	t.Logf("after %v: %v", took.Round(time.Millisecond), err)
	return err
}

// Every way a server can fail to answer ends the call with ErrTimeout or
// ErrUnavailable within a bound set by the configured timeouts, and the
// store works again once the fault is gone.
func TestFaults(t *testing.T) {
	srv := s3test.Start(t)
	short := timeouts{300 * time.Millisecond, 300 * time.Millisecond, time.Second}
	// Retries after resets wait up to 2 s and then 4 s (the SDK's backoff);
	// a deadline longer than that lets the last attempt's error through.
	patient := timeouts{300 * time.Millisecond, 300 * time.Millisecond, 10 * time.Second}
	// Only the whole-call deadline can end a call under this one.
	slowFirstByte := timeouts{300 * time.Millisecond, 10 * time.Second, 500 * time.Millisecond}
	small := []byte("crl")
	mib := bytes.Repeat([]byte("c"), 1<<20)

	tests := []struct {
		name string
		mode s3fault.Mode
		tm   timeouts
		op   string
		body []byte
		want error
	}{
		{"black hole put", s3fault.BlackHole, short, "put", small, objstore.ErrTimeout},
		{"black hole head", s3fault.BlackHole, short, "head", nil, objstore.ErrTimeout},
		{"black hole get", s3fault.BlackHole, short, "get", nil, objstore.ErrTimeout},
		{"stall beyond first byte put", s3fault.Stall(time.Minute), short, "put", small, objstore.ErrTimeout},
		{"stall beyond first byte get", s3fault.Stall(time.Minute), short, "get", nil, objstore.ErrTimeout},
		{"trickle below 1 MiB/s", s3fault.Trickle(64 << 10), slowFirstByte, "put", mib, objstore.ErrTimeout},
		{"reset put", s3fault.Reset, patient, "put", small, objstore.ErrUnavailable},
		{"reset head", s3fault.Reset, patient, "head", nil, objstore.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, p, bucket := drill(t, srv, tt.tm)
			ctx := t.Context()
			if err := s.Put(ctx, bucket, "crl/x.crl", small, objstore.ACLPublicRead); err != nil {
				t.Fatal(err)
			}
			op := func() error {
				var err error
				switch tt.op {
				case "put":
					_, err = s.PutIf(ctx, bucket, "crl/x.crl", bytes.NewReader(tt.body), objstore.PutOptions{ACL: objstore.ACLPublicRead})
				case "head":
					_, err = s.Head(ctx, bucket, "crl/x.crl")
				case "get":
					_, err = s.Get(ctx, bucket, "crl/x.crl")
				}
				return err
			}
			p.Set(bucket, tt.mode)
			within(t, 3*tt.tm.bound(len(tt.body)), tt.want, op)
			p.Set(bucket, s3fault.Pass)
			if err := op(); err != nil {
				t.Errorf("after the fault is gone: %v", err)
			}
		})
	}
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	tm := timeouts{300 * time.Millisecond, 300 * time.Millisecond, 10 * time.Second}
	s := newStore(t, s3store.Config{Endpoint: "http://" + addr, AccessKeyID: "ak", SecretAccessKey: "sk", PathStyle: true,
		ConnectTimeout: tm.connect, FirstByteTimeout: tm.firstByte, RequestTimeout: tm.request})
	within(t, tm.bound(3), objstore.ErrUnavailable, func() error {
		return s.Put(t.Context(), "crl-bucket", "crl/x.crl", []byte("crl"), objstore.ACLPublicRead)
	})
}

// An attempt that gets no response headers within FirstByteTimeout is
// abandoned and retried well before the whole-call deadline.
func TestFirstByteTimeoutPerAttempt(t *testing.T) {
	srv := s3test.Start(t)
	tm := timeouts{300 * time.Millisecond, 300 * time.Millisecond, 5 * time.Second}
	s, p, bucket := drill(t, srv, tm)
	p.Set(bucket, s3fault.Stall(time.Minute))
	within(t, 3*tm.bound(0), objstore.ErrTimeout, func() error {
		_, err := s.Head(t.Context(), bucket, "crl/x.crl")
		return err
	})
	if n := p.Count(bucket, http.MethodHead); n < 2 {
		t.Errorf("%d attempts reached the server, want a retry after the first timed out", n)
	}
}

// The whole-call deadline grows with the body: 2 MiB at 2 MiB/s outlasts
// RequestTimeout alone but not RequestTimeout plus a second per MiB.
func TestDeadlineGrowsWithSize(t *testing.T) {
	srv := s3test.Start(t)
	tm := timeouts{time.Second, 5 * time.Second, 500 * time.Millisecond}
	s, p, bucket := drill(t, srv, tm)
	p.Set(bucket, s3fault.Trickle(2<<20))
	body := bytes.Repeat([]byte("c"), 2<<20)
	start := time.Now()
	if _, err := s.PutIf(t.Context(), bucket, "audit/report.json", bytes.NewReader(body), objstore.PutOptions{ACL: objstore.ACLBucketOwnerFullControl}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < tm.request {
		t.Errorf("the upload took only %v, not longer than RequestTimeout: the drill proves nothing", took)
	}
}

// A server that accepts an upload and stops reading it cannot hold the call
// until the whole-call deadline: the body watchdog abandons each attempt
// after FirstByteTimeout without progress. The body is larger than the
// socket buffers between client and proxy, so the client's writes block.
func TestBodyStall(t *testing.T) {
	srv := s3test.Start(t)
	tm := timeouts{300 * time.Millisecond, 300 * time.Millisecond, 30 * time.Second}
	s, p, bucket := drill(t, srv, tm)
	body := bytes.Repeat([]byte("c"), 32<<20)
	p.Set(bucket, s3fault.BlackHole)
	// Three attempts, each a second's wait for 100 Continue and the stall,
	// plus the SDK's backoff (up to 6 s) fit well within a quarter of the
	// deadline; without the watchdog the call lasts the whole of it.
	within(t, tm.bound(len(body))/4, objstore.ErrTimeout, func() error {
		_, err := s.PutIf(t.Context(), bucket, "audit/big.json", bytes.NewReader(body), objstore.PutOptions{ACL: objstore.ACLBucketOwnerFullControl})
		return err
	})
}

// The late delivery of an upload whose client gave up: when it reaches the
// server after another writer replaced the object, its If-Match fails
// there, and the newer object stays.
func TestLateConditionalWrite(t *testing.T) {
	srv := s3test.Start(t)
	tm := timeouts{300 * time.Millisecond, 300 * time.Millisecond, time.Second}
	late, p, bucket := drill(t, srv, tm)
	direct := newStore(t, srv.Config())
	ctx := t.Context()
	const key = "crl/x.crl"
	old, err := direct.PutIf(ctx, bucket, key, bytes.NewReader([]byte("v1")), objstore.PutOptions{ACL: objstore.ACLPublicRead})
	if err != nil {
		t.Fatal(err)
	}

	p.Set(bucket, s3fault.Hold)
	within(t, 3*tm.bound(2), objstore.ErrTimeout, func() error {
		_, err := late.PutIf(ctx, bucket, key, bytes.NewReader([]byte("v2 late")), objstore.PutOptions{ACL: objstore.ACLPublicRead, IfMatch: old})
		return err
	})
	newer, err := direct.PutIf(ctx, bucket, key, bytes.NewReader([]byte("v2")), objstore.PutOptions{ACL: objstore.ACLPublicRead, IfMatch: old})
	if err != nil {
		t.Fatal(err)
	}
	statuses, err := p.Release()
	if err != nil || len(statuses) == 0 {
		t.Fatalf("Release = %v, %v", statuses, err)
	}
	for _, st := range statuses {
		if st != http.StatusPreconditionFailed {
			t.Errorf("late attempts were answered %v, want 412 each", statuses)
			break
		}
	}
	info, err := direct.Head(ctx, bucket, key)
	if err != nil || info.ETag != newer {
		t.Fatalf("Head = %+v, %v; want the newer ETag %s", info, err, newer)
	}
	if got, _ := direct.Get(ctx, bucket, key); string(got) != "v2" {
		t.Fatalf("object is %q, want v2", got)
	}
}

// A caller's own cancellation stays context.Canceled; the caller's deadline
// is a timeout like the store's.
func TestCallerContext(t *testing.T) {
	srv := s3test.Start(t)
	s, p, bucket := drill(t, srv, timeouts{time.Second, 10 * time.Second, 10 * time.Second})
	p.Set(bucket, s3fault.BlackHole)

	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(200*time.Millisecond, cancel)
	err := within(t, 3*time.Second, context.Canceled, func() error {
		_, err := s.Head(ctx, bucket, "crl/x.crl")
		return err
	})
	if errors.Is(err, objstore.ErrTimeout) || errors.Is(err, objstore.ErrUnavailable) {
		t.Errorf("cancellation reported as %v", err)
	}

	ctx, stop := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer stop()
	err = within(t, 3*time.Second, objstore.ErrTimeout, func() error {
		_, err := s.Head(ctx, bucket, "crl/x.crl")
		return err
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("caller's deadline: %v, want also context.DeadlineExceeded", err)
	}
}

// Answers meaning "try again later" map to ErrUnavailable and a lost race
// to ErrPreconditionFailed. versitygw does not give these on demand, hence a
// stand-in.
func TestErrorAnswers(t *testing.T) {
	tests := []struct {
		status int
		code   string // empty: no body, as for HEAD
		want   error
	}{
		{http.StatusServiceUnavailable, "SlowDown", objstore.ErrUnavailable},
		{http.StatusServiceUnavailable, "ServiceUnavailable", objstore.ErrUnavailable},
		{http.StatusInternalServerError, "InternalError", objstore.ErrUnavailable},
		{http.StatusBadGateway, "", objstore.ErrUnavailable},
		{http.StatusGatewayTimeout, "", objstore.ErrUnavailable},
		{http.StatusConflict, "ConditionalRequestConflict", objstore.ErrPreconditionFailed},
		{http.StatusPreconditionFailed, "PreconditionFailed", objstore.ErrPreconditionFailed},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status, tt.code), func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				if tt.code == "" {
					w.WriteHeader(tt.status)
					return
				}
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(tt.status)
				fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>no</Message></Error>`, tt.code)
			}))
			defer srv.Close()
			s := newStore(t, s3store.Config{Endpoint: srv.URL, AccessKeyID: "ak", SecretAccessKey: "sk", PathStyle: true})
			_, err := s.PutIf(t.Context(), "crl-bucket", "crl/x.crl", bytes.NewReader([]byte("crl")), objstore.PutOptions{ACL: objstore.ACLPublicRead, IfMatch: `"e"`})
			if !errors.Is(err, tt.want) {
				t.Errorf("PutIf = %v, want %v", err, tt.want)
			}
		})
	}
}
