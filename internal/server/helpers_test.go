package server

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/schemas"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"

	"github.com/openpca/openpca/internal/store/postgres/pgtest"
)

// testMasterKey encrypts CA keys when the tests share PostgreSQL
// (OPENPCA_TEST_STORE=postgres), where each node must be given the same key.
const testMasterKey = "b3BlbnBjYS10ZXN0LW1hc3Rlci1rZXktMzItYnl0ZXM="

const testAccount = "111122223333"

// fakeClock runs with the wall clock, shifted by whatever the test advanced
// it: tests can jump days ahead while timers and debounces still elapse.
type fakeClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

type testEnv struct {
	srv   *Server
	ts    *httptest.Server
	clock *fakeClock
	// stop shuts the server down before the test ends, as a node that
	// goes away would; the test's cleanup calls it too.
	stop func()
}

// newTestEnv runs the whole server stack on a fresh data directory behind a
// loopback listener. Its clock starts at the real time so that SigV4 dates
// from real clients are current.
func newTestEnv(t testing.TB) *testEnv {
	return newTestEnvWith(t, nil, nil)
}

// newTestEnvLogging is newTestEnv with the server's logs written to logs.
func newTestEnvLogging(t testing.TB, logs io.Writer) *testEnv {
	return newTestEnvWith(t, logs, nil)
}

// newTestEnvWith lets a test adjust the configuration before the server
// starts. The server runs with its background work (CRL publication) on a
// loopback listener whose URL is its public URL. With logs nil, the server's
// logs are shown when the test fails.
func newTestEnvWith(t testing.TB, logs io.Writer, adjust func(*Config)) *testEnv {
	t.Helper()
	if logs == nil {
		buf := &lockedBuffer{}
		logs = buf
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("server log:\n%s", buf.String())
			}
		})
	}
	clock := &fakeClock{}
	ts := httptest.NewUnstartedServer(nil)
	cfg := Config{
		DataDir:     t.TempDir(),
		AccountID:   testAccount,
		Region:      "us-east-1",
		PublicURL:   "http://" + ts.Listener.Addr().String(),
		Logger:      slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:         clock.Now,
		CRLDebounce: 200 * time.Millisecond,
	}
	if adjust != nil {
		adjust(&cfg)
	}
	if os.Getenv("OPENPCA_TEST_STORE") == "postgres" && cfg.DatabaseURL == "" {
		cfg.DatabaseURL = databaseFor(t, cfg.DataDir)
		cfg.MasterKey = testMasterKey
	}
	srv, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv.Start(ctx)
	ts.Config.Handler = srv.Handler()
	ts.Start()
	stop := sync.OnceFunc(func() {
		cancel()
		ts.Close()
		srv.Close()
	})
	t.Cleanup(stop)
	return &testEnv{srv: srv, ts: ts, clock: clock, stop: stop}
}

var (
	databasesMu sync.Mutex
	databases   = map[string]string{}
)

// databaseFor gives each data directory a PostgreSQL schema of its own, so
// a server restarted on the same directory finds its database again.
func databaseFor(t testing.TB, dataDir string) string {
	databasesMu.Lock()
	defer databasesMu.Unlock()
	if url, ok := databases[dataDir]; ok {
		return url
	}
	url := pgtest.KeptURL(t)
	databases[dataDir] = url
	return url
}

func newTestServer(t testing.TB) (*Server, *httptest.Server) {
	e := newTestEnv(t)
	return e.srv, e.ts
}

// protocols are the two wire protocols real clients send.
var protocols = []struct {
	name string
	opt  func(*acmpca.Options)
}{
	{"rpcv2cbor", func(*acmpca.Options) {}},
	{"json1.1", func(o *acmpca.Options) { o.Protocol = awsjson.New11(schemas.ACMPrivateCA) }},
}

// client returns an aws-sdk-go-v2 client for the server with the given key.
// Every API error reaches the test at once; only a connection the loopback
// peer reset (a known race in net/http's read loop) is tried again.
func (e *testEnv) client(proto func(*acmpca.Options), accessKey, secret string) *acmpca.Client {
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(accessKey, secret, ""),
	}
	return acmpca.NewFromConfig(cfg, func(o *acmpca.Options) {
		o.BaseEndpoint = aws.String(e.ts.URL)
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.Retryables = []retry.IsErrorRetryable{retry.RetryableConnectionError{}}
		})
		proto(o)
	})
}

func (e *testEnv) rootClient(proto func(*acmpca.Options)) *acmpca.Client {
	return e.client(proto, e.srv.Key.AccessKeyID, e.srv.Key.SecretAccessKey)
}

func ecConfig(cn string) *types.CertificateAuthorityConfiguration {
	return &types.CertificateAuthorityConfiguration{
		KeyAlgorithm:     types.KeyAlgorithmEcPrime256v1,
		SigningAlgorithm: types.SigningAlgorithmSha256withecdsa,
		Subject:          &types.ASN1Subject{CommonName: aws.String(cn)},
	}
}

func createTestCA(t testing.TB, srv *Server, url string) string {
	t.Helper()
	c := acmpca.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(srv.Key.AccessKeyID, srv.Key.SecretAccessKey, ""),
	}, func(o *acmpca.Options) { o.BaseEndpoint = aws.String(url) })
	out, err := c.CreateCertificateAuthority(context.Background(), &acmpca.CreateCertificateAuthorityInput{
		CertificateAuthorityType:          types.CertificateAuthorityTypeRoot,
		CertificateAuthorityConfiguration: ecConfig("bench"),
	})
	if err != nil {
		t.Fatal(err)
	}
	waitCreated(t, c, *out.CertificateAuthorityArn)
	return *out.CertificateAuthorityArn
}

// privateScalar returns the secret number of an ECDSA key, as stored in
// any encoding of it.
func privateScalar(t testing.TB, s crypto.Signer) []byte {
	t.Helper()
	k, ok := s.(*ecdsa.PrivateKey)
	if !ok {
		t.Fatalf("want an ECDSA key, got %T", s)
	}
	b, err := k.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// lockedBuffer is a bytes.Buffer safe for the server's concurrent logging.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
