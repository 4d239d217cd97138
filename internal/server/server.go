// Package server assembles openpca: storage, domain, protocol layer,
// authentication, metrics and the HTTP listener.
package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/openpca/openpca/internal/acmpca"
	"github.com/openpca/openpca/internal/acmpca/api"
	"github.com/openpca/openpca/internal/awsproto"
	"github.com/openpca/openpca/internal/credentials"
	"github.com/openpca/openpca/internal/crlpub"
	"github.com/openpca/openpca/internal/events/webhook"
	"github.com/openpca/openpca/internal/keys"
	"github.com/openpca/openpca/internal/keys/pkcs11key"
	"github.com/openpca/openpca/internal/keys/softkey"
	"github.com/openpca/openpca/internal/objstore"
	"github.com/openpca/openpca/internal/objstore/fsstore"
	"github.com/openpca/openpca/internal/objstore/s3store"
	"github.com/openpca/openpca/internal/ocsp"
	"github.com/openpca/openpca/internal/pca"
	"github.com/openpca/openpca/internal/principals"
	"github.com/openpca/openpca/internal/sigv4"
	"github.com/openpca/openpca/internal/store/postgres"
	"github.com/openpca/openpca/internal/store/sqlite"
	"github.com/openpca/openpca/internal/store/sqlstore"
	"github.com/openpca/openpca/internal/sts"
	"github.com/openpca/openpca/internal/stsquery"
	"github.com/openpca/openpca/internal/throttle"
)

// Config is what `openpca serve` is started with.
type Config struct {
	Addr      string
	DataDir   string
	AccountID string
	Region    string
	PublicURL string
	// AccessKeyID and SecretAccessKey set the root principal's key; when both
	// are empty a key is generated into <DataDir>/credentials.
	AccessKeyID     string
	SecretAccessKey string
	// DatabaseURL selects a PostgreSQL database (postgres://...) shared by
	// every node; "" uses the embedded SQLite file <DataDir>/openpca.db.
	DatabaseURL string
	// MasterKey (base64) or MasterKeyFile hold the key that encrypts CA keys
	// at rest; with neither, <DataDir>/master.key is generated.
	MasterKey     string
	MasterKeyFile string
	// PKCS11, when set, is the token new CA keys are generated in; keys
	// made earlier in software keep working. PKCS11KeyStorage lists the
	// KeyStorageSecurityStandard values the token is certified for, comma
	// separated ("": FIPS_140_2_LEVEL_3_OR_HIGHER); CAs report them.
	PKCS11           *pkcs11key.Config
	PKCS11KeyStorage string
	Logger           *slog.Logger
	// S3 selects an S3-compatible object store for CRLs instead of the
	// embedded one under <DataDir>/objects. S3PublicURL is the base URL
	// relying parties fetch <bucket>/<key> from (default: the endpoint).
	S3          *s3store.Config
	S3PublicURL string
	// CRLDebounce delays a CRL rebuild after a revocation so a burst costs
	// one signature (0: 1 s); CRLRetryMax caps the retry backoff (0: 15 min).
	CRLDebounce time.Duration
	CRLRetryMax time.Duration
	// DeltaCRLs publishes a delta CRL beside every COMPLETE CRL, whose
	// complete CRL is rebuilt every DeltaCRLBase (0: 15 min).
	DeltaCRLs    bool
	DeltaCRLBase time.Duration
	// EventsWebhook receives every event as a JSON POST; "" only logs them.
	EventsWebhook string
	// RateLimit caps each account's calls per second to operations,
	// "Operation=rate,...,*=rate" (see throttle.Parse); "" sets no limit.
	RateLimit string
	// MaxInflightBytes bounds the memory of the API requests in flight
	// (see limits.go); 0 means DefaultMaxInflightBytes.
	MaxInflightBytes int64
	// crlScan is how often every CRL is checked for being due (0: 5 s); tests shorten it.
	crlScan time.Duration
	// CertificateLimit caps the certificates one CA issues (0: AWS's default 1,000,000).
	CertificateLimit int64
	// RevokedLimit caps unexpired revoked certificates per COMPLETE CRL (0: AWS's 1,000,000).
	RevokedLimit int64
	// PrincipalCacheTTL is how long a principal's key and policies are
	// trusted after being read (0: principals.DefaultTTL; negative: no cache).
	PrincipalCacheTTL time.Duration
	// Now is the domain's clock; nil means time.Now. SigV4 always uses the wall clock.
	Now func() time.Time
	// stsNow is the clock temporary credentials are issued and expire by
	// (nil: the wall clock, which clients compare their expiry with); tests set it.
	stsNow func() time.Time
}

// Server is an assembled openpca instance.
type Server struct {
	cfg     Config
	log     *slog.Logger
	store   pca.Store
	keys    keys.Manager
	domain  *pca.Service
	objects objstore.Store
	files   *fsstore.Store // the embedded object store; nil when S3 is used
	crls    *crlpub.Publisher
	events  *webhook.Emitter
	ocsp    *ocsp.Responder
	ready   *readiness
	// background counts the goroutines Start runs; Close waits for them.
	background sync.WaitGroup
	handler    http.Handler
	root       pca.Caller
	principals *principals.Admin
	roles      *principals.RoleAdmin
	Key        credentials.Key
	Registry   *prometheus.Registry
}

// New opens the data directory and builds the server; Close releases it.
func New(ctx context.Context, cfg Config) (_ *Server, err error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	limiter, err := throttle.Parse(cfg.RateLimit, slices.Collect(maps.Keys(api.Operations(api.UnimplementedService{}))))
	if err != nil {
		return nil, err
	}
	if err := openDataDir(cfg.DataDir, log); err != nil {
		return nil, err
	}
	credPath := filepath.Join(cfg.DataDir, "credentials")
	key, src, err := credentials.Load(cfg.AccessKeyID, cfg.SecretAccessKey, credPath)
	if err != nil {
		return nil, err
	}
	switch src {
	case credentials.Generated:
		log.Info("generated root access key", "access_key_id", key.AccessKeyID, "credentials_file", credPath, "profile", credentials.Profile)
	case credentials.FromFile:
		log.Info("loaded root access key", "access_key_id", key.AccessKeyID, "credentials_file", credPath, "profile", credentials.Profile)
	default:
		log.Info("root access key from the environment", "access_key_id", key.AccessKeyID)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if cfg.DatabaseURL != "" && cfg.MasterKey == "" && cfg.MasterKeyFile == "" {
		// A key generated here would be this node's alone, and the other
		// nodes could not use the CA keys it encrypts.
		return nil, errors.New("a shared database needs the same master key on every node: set OPENPCA_MASTER_KEY or --master-key-file")
	}
	// On failure, what was opened is closed again, last first.
	var opened []func() error
	defer func() {
		for i := len(opened) - 1; err != nil && i >= 0; i-- {
			opened[i]()
		}
	}()
	store, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	opened = append(opened, store.Close)
	kek, err := softkey.LoadKEK(cfg.MasterKey, cfg.MasterKeyFile, cfg.DataDir, log)
	if err != nil {
		return nil, err
	}
	// Software keys are always there, for the CAs that have them and to
	// seal principals' secrets.
	soft, err := softkey.New(kek)
	clear(kek)
	if err != nil {
		return nil, err
	}
	keyManager, keyStandards, err := openKeys(cfg, soft, log)
	if err != nil {
		soft.Close()
		return nil, err
	}
	opened = append(opened, keyManager.Close)
	objects, files, objectBase, err := openObjects(ctx, cfg)
	if err != nil {
		return nil, err
	}
	domain := &pca.Service{Store: store, Keys: keyManager, Buckets: bucketChecker{objects}, Region: cfg.Region, ObjectBaseURL: objectBase,
		OCSPURL: strings.TrimSuffix(cfg.PublicURL, "/") + "/ocsp", Now: cfg.Now, Log: log,
		RevokedLimit: cfg.RevokedLimit, CertificateLimit: cfg.CertificateLimit, KeyStandards: keyStandards, DeltaCRLs: cfg.DeltaCRLs}
	emitter := webhook.New(webhook.Config{Account: cfg.AccountID, Region: cfg.Region, WebhookURL: cfg.EventsWebhook}, log, reg)
	domain.Events = emitter
	domain.Objects = objectWriter{objects}
	domain.TempDir = filepath.Join(cfg.DataDir, "tmp")
	if err := os.MkdirAll(domain.TempDir, 0o700); err != nil {
		return nil, err
	}
	responder := ocsp.New(ocspBackend{domain}, ocsp.Config{}, reg, log)
	domain.OCSP = responder
	crls := crlpub.New(domain, objects, crlpub.Config{Debounce: cfg.CRLDebounce, RetryMax: cfg.CRLRetryMax, Scan: cfg.crlScan, DeltaBase: cfg.DeltaCRLBase}, reg, log)
	domain.CRLs = crls
	opened = append(opened, func() error { domain.Wait(); return nil }) // key generation resumed below
	if err := errors.Join(domain.ResumeCreation(ctx, staleCreation(cfg)), domain.ResumeAuditReports(ctx, staleCreation(cfg))); err != nil {
		return nil, err
	}

	root := sts.RootPrincipal(cfg.AccountID)
	rootCaller := pca.Caller{Account: root.Account, ARN: root.ARN, Root: true}
	// Principals other than the root are read per request (through a cache
	// of a few seconds), so the operator's changes apply without a restart.
	resolver := &principals.Resolver{Store: store, Sealer: soft, TTL: cfg.PrincipalCacheTTL, Log: log}
	// Temporary credentials live in the database, so every node honours
	// those any node issued, and they survive restarts.
	tokens := &sts.Service{Store: store, Sealer: soft, Now: cfg.stsNow, CacheTTL: cfg.PrincipalCacheTTL, Log: log}
	lookup := func(ctx context.Context, id string) (string, bool, error) {
		if id == key.AccessKeyID {
			return key.SecretAccessKey, true, nil
		}
		p, err := resolver.Lookup(ctx, id)
		if err != nil || p == nil {
			return "", false, err
		}
		return p.Secret, true, nil
	}
	sessionLookup := func(ctx context.Context, id, token string) (string, bool, error) {
		_, secret, err := tokens.Resolve(ctx, id, token)
		switch {
		case errors.Is(err, sts.ErrInvalidToken):
			return "", false, nil
		case errors.Is(err, sts.ErrExpiredToken):
			return "", false, sigv4.ErrExpiredToken()
		case err != nil:
			return "", false, err
		}
		return secret, true, nil
	}
	// principalOf names the signer of a verified request. Verify has just
	// looked its key or session up: this read is a cache hit.
	principalOf := func(ctx context.Context, c sigv4.Credentials) (*sts.Principal, error) {
		if c.SessionToken != "" {
			p, _, err := tokens.Resolve(ctx, c.AccessKeyID, c.SessionToken)
			switch {
			case errors.Is(err, sts.ErrExpiredToken):
				return nil, sigv4.ErrExpiredToken()
			case errors.Is(err, sts.ErrInvalidToken):
				return nil, sigv4.ErrUnrecognizedClient()
			}
			return p, err
		}
		if c.AccessKeyID == key.AccessKeyID {
			return &root, nil
		}
		p, err := resolver.Lookup(ctx, c.AccessKeyID)
		if err != nil {
			return nil, err
		}
		if p == nil {
			// Deleted between the two lookups (cache disabled).
			return nil, sigv4.ErrUnrecognizedClient()
		}
		u := sts.UserPrincipal(p.Account, p.Name, p.Policies)
		return &u, nil
	}
	// Signatures are checked against the wall clock, never a test clock.
	verifier := &sigv4.Verifier{Service: "acm-pca", Region: cfg.Region, Lookup: lookup, SessionLookup: sessionLookup}
	apiHandler := &awsproto.Service{
		Name:         "ACMPrivateCA",
		TargetPrefix: "ACMPrivateCA",
		Operations:   instrument(reg, throttled(limiter, api.Operations(acmpca.New(domain)))),
		Logger:       log,
		// Bodies are bounded, admitted and authorized before they are decoded.
		Limits:    api.InputLimits,
		Admit:     newInflight(cmp.Or(cfg.MaxInflightBytes, DefaultMaxInflightBytes), reg).admit,
		Authorize: acmpca.Preauthorize,
		Authenticate: func(r *http.Request, body []byte) (context.Context, error) {
			c, err := verifier.VerifyCredentials(r, body)
			if err != nil {
				return nil, err
			}
			p, err := principalOf(r.Context(), c)
			if err != nil {
				return nil, err
			}
			return acmpca.WithCaller(r.Context(), pca.Caller{Account: p.Account, ARN: p.ARN, Root: p.Root, Policies: p.Policies,
				SessionPolicies: p.SessionPolicies, Context: p.ConditionKeys()}), nil
		},
	}
	// STS shares the listener; a request's signature scope and content
	// type tell it from ACM PCA's.
	stsVerifier := &sigv4.Verifier{Service: "sts", Region: cfg.Region, Lookup: lookup, SessionLookup: sessionLookup, FormToken: true}
	stsHandler := &stsquery.Handler{Service: tokens, Log: log,
		Authenticate: func(r *http.Request, body []byte) (*sts.Principal, error) {
			c, err := stsVerifier.VerifyCredentials(r, body)
			if err != nil {
				return nil, err
			}
			return principalOf(r.Context(), c)
		}}
	front := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if stsquery.Wants(r) {
			stsHandler.ServeHTTP(w, r)
			return
		}
		apiHandler.ServeHTTP(w, r)
	})

	mux := http.NewServeMux()
	operatorConsole, err := newConsole(domain, store, objects, key, rootCaller, resolver, tokens, cfg.Now, log)
	if err != nil {
		return nil, err
	}
	mux.Handle("GET /console/", operatorConsole)
	mux.Handle("POST /console/", operatorConsole)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	ready := newReadiness(store, keyManager, log)
	mux.Handle("GET /readyz", ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	// Both patterns: openssl POSTs to /ocsp, GET requests carry the request in the path.
	ocspHandler := http.StripPrefix("/ocsp", responder)
	for _, pattern := range []string{"GET /ocsp/", "POST /ocsp", "POST /ocsp/"} {
		mux.Handle(pattern, ocspHandler)
	}
	if files != nil {
		// CRLs are public, as they are in an S3 bucket with PUBLIC_READ, at
		// the URL written into certificates; the API is POST only.
		mux.Handle("GET /", files.Handler())
	}
	mux.Handle("/", front)

	return &Server{cfg: cfg, log: log, store: store, keys: keyManager, domain: domain, objects: objects, files: files, crls: crls, events: emitter, ocsp: responder, ready: ready, handler: mux,
		root:       rootCaller,
		principals: &principals.Admin{Store: store, Sealer: soft, Now: cfg.Now}, roles: &principals.RoleAdmin{Store: store, Now: cfg.Now}, Key: key, Registry: reg}, nil
}

// Handler serves the API, the console (/console/), /healthz, /readyz and /metrics.
func (s *Server) Handler() http.Handler { return s.handler }

// Close waits for background work, whose context must be done, and closes
// the key backends and the database.
func (s *Server) Close() error {
	s.background.Wait()
	s.domain.Wait()
	if s.files != nil {
		s.files.Close()
	}
	return errors.Join(s.keys.Close(), s.store.Close())
}

// openKeys returns the key manager and the key storage standards new CA
// keys meet (nil for software keys): soft serves the CAs that have software
// keys; with a PKCS#11 token, new keys go there.
func openKeys(cfg Config, soft *softkey.Manager, log *slog.Logger) (keys.Manager, []string, error) {
	var err error
	backends := map[string]keys.Manager{keys.BackendSoft: soft}
	create := keys.BackendSoft
	var standards []string
	if cfg.PKCS11 != nil {
		declared := cfg.PKCS11KeyStorage
		if declared == "" {
			declared = pca.DefaultKeyStorage
		}
		if standards, err = pca.KeyStandards(declared); err != nil {
			return nil, nil, fmt.Errorf("PKCS#11 token: %w", err)
		}
		hsm, err := pkcs11key.Open(*cfg.PKCS11)
		if err != nil {
			return nil, nil, err
		}
		backends[keys.BackendPKCS11] = hsm
		create = keys.BackendPKCS11
		// Config's String leaves the PIN out.
		log.Info("new CA keys are generated in a PKCS#11 token", "token", cfg.PKCS11.String(), "key_storage", strings.Join(standards, ","))
	}
	r, err := keys.NewRouter(create, backends)
	if err != nil {
		return nil, nil, err
	}
	return r, standards, nil
}

// OpenStore opens the database cfg names, as `openpca serve` and the
// operator commands do: PostgreSQL when DatabaseURL is set, else the
// embedded file in DataDir.
func OpenStore(ctx context.Context, cfg Config) (*sqlstore.Store, error) {
	if cfg.DatabaseURL != "" {
		return postgres.Open(ctx, cfg.DatabaseURL)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	return sqlite.Open(ctx, filepath.Join(cfg.DataDir, "openpca.db"))
}

// openObjects opens the object store CRLs go to and returns the base URL
// they are fetched from.
func openObjects(ctx context.Context, cfg Config) (objstore.Store, *fsstore.Store, string, error) {
	if cfg.S3 == nil {
		root := filepath.Join(cfg.DataDir, "objects")
		if err := privateDir(root); err != nil {
			return nil, nil, "", err
		}
		files, err := fsstore.New(root)
		return files, files, cfg.PublicURL, err
	}
	s3, err := s3store.New(ctx, *cfg.S3)
	if err != nil {
		return nil, nil, "", err
	}
	base := cfg.S3PublicURL
	if base == "" {
		base = cfg.S3.Endpoint
	}
	return s3, nil, base, nil
}

// objectWriter stores audit reports.
type objectWriter struct{ objects objstore.Store }

func (o objectWriter) PutStream(ctx context.Context, bucket, key string, body io.ReadSeeker, acl string) error {
	return o.objects.PutStream(ctx, bucket, key, body, objstore.ACL(acl))
}

// bucketChecker proves CRL buckets writable on the object store.
type bucketChecker struct{ objects objstore.Store }

func (b bucketChecker) CheckWritable(ctx context.Context, bucket, acl string) error {
	return objstore.CheckWritable(ctx, b.objects, bucket, objstore.ACL(acl))
}

// Run serves until ctx is cancelled, then lets in-flight requests finish and
// closes the database.
func Run(ctx context.Context, cfg Config) error {
	s, err := New(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	// Cancelled before Close runs, so the background work it waits for stops.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	s.Start(ctx)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("openpca listening", "addr", ln.Addr().String(), "region", cfg.Region, "account", cfg.AccountID, "data_dir", cfg.DataDir)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Start runs the background work (CRL publication, purging deleted CAs,
// readiness checks) until ctx ends.
func (s *Server) Start(ctx context.Context) {
	s.background.Add(5)
	go func() { defer s.background.Done(); s.ready.run(ctx) }()
	go func() { defer s.background.Done(); s.ocsp.Run(ctx) }()
	go func() { defer s.background.Done(); s.sweep(ctx) }()
	go func() { defer s.background.Done(); s.crls.Run(ctx) }()
	go func() { defer s.background.Done(); s.events.Run(ctx) }()
	if s.cfg.DatabaseURL != "" {
		// Other nodes revoke too: their revocations must reach this
		// node's OCSP cache within a second.
		loop := s.watchRevocations(ctx, time.Second)
		s.background.Add(1)
		go func() { defer s.background.Done(); loop() }()
	}
}

// staleCreation is how long a CA (or an audit report) must have been
// CREATING before this node takes its creation over: at once for the
// embedded database, which no other process uses; after a minute when
// other nodes may be at work.
func staleCreation(cfg Config) time.Duration {
	if cfg.DatabaseURL == "" {
		return 0
	}
	return time.Minute
}

// sweep purges CAs whose restoration window has ended and, with a shared
// database, takes over CAs and audit reports whose node died creating them.
func (s *Server) sweep(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if s.cfg.DatabaseURL != "" {
			stale := staleCreation(s.cfg)
			if err := errors.Join(s.domain.ResumeCreation(ctx, stale), s.domain.ResumeAuditReports(ctx, stale)); err != nil && ctx.Err() == nil {
				s.log.Error("resuming work of a dead node", "err", err)
			}
		}
		if n, err := s.domain.PurgeExpiredDeletions(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("purging deleted CAs", "err", err)
		} else if n > 0 {
			s.log.Info("purged deleted CAs", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
