// Command openpca is a self-hosted certificate authority that speaks the AWS
// Private CA API.
//
//	openpca serve [flags]                run the server
//	openpca principal <command> [flags]  manage principals and their keys and policies
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/openpca/openpca/internal/keys/pkcs11key"
	"github.com/openpca/openpca/internal/objstore/s3store"
	"github.com/openpca/openpca/internal/pca"
	"github.com/openpca/openpca/internal/server"
)

const usage = `usage:
  openpca serve [flags]                run the server (openpca serve -h lists the flags)
  openpca principal <command> [flags]  manage principals (openpca principal help)`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "principal":
		err = principalCmd(os.Args[2:], os.Stdout)
	default:
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "openpca:", err)
		os.Exit(1)
	}
}

var accountPattern = regexp.MustCompile(`^[0-9]{12}$`)

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg := server.Config{}
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8420", "address the API listens on")
	fs.StringVar(&cfg.DataDir, "data-dir", "./openpca-data", "directory for the embedded database and generated files")
	fs.StringVar(&cfg.AccountID, "account-id", "000000000000", "12-digit account id of the root principal")
	fs.StringVar(&cfg.Region, "region", "us-east-1", "region this server answers for (SigV4 scope and ARNs)")
	fs.StringVar(&cfg.PublicURL, "public-url", "", "base URL written into CRL and OCSP URLs (default http://<addr>)")
	fs.StringVar(&cfg.DatabaseURL, "database-url", "", "PostgreSQL URL (postgres://...) of a database shared by every node (default: the embedded SQLite file in --data-dir)")
	fs.StringVar(&cfg.MasterKeyFile, "master-key-file", "", "file holding the base64 key that encrypts CA keys at rest (default: OPENPCA_MASTER_KEY, else <data-dir>/master.key, generated)")
	s3Endpoint := fs.String("s3-endpoint", "", "S3-compatible endpoint for CRLs (path-style); default: the embedded store under --data-dir, served by openpca")
	s3Region := fs.String("s3-region", "", "region of the S3 endpoint (default --region)")
	fs.StringVar(&cfg.S3PublicURL, "s3-public-url", "", "base URL relying parties fetch <bucket>/<key> from (default --s3-endpoint)")
	s3Connect := fs.Duration("s3-connect-timeout", s3store.DefaultConnectTimeout, "limit on each TCP connect and TLS handshake to the S3 endpoint")
	s3FirstByte := fs.Duration("s3-first-byte-timeout", s3store.DefaultFirstByteTimeout, "limit on the wait for the S3 endpoint's response headers, and on a pause in its reading of an upload")
	s3Timeout := fs.Duration("s3-timeout", s3store.DefaultRequestTimeout, "deadline of one object-store call, retries included, plus 1s per MiB of object")
	fs.DurationVar(&cfg.CRLDebounce, "crl-debounce", time.Second, "delay between a revocation and the CRL rebuild, so a burst costs one signature")
	fs.DurationVar(&cfg.CRLRetryMax, "crl-retry-max", 15*time.Minute, "longest wait between retries of a failed CRL write")
	fs.BoolVar(&cfg.DeltaCRLs, "delta-crls", false, "publish a delta CRL beside every COMPLETE CRL and name it in issued certificates (Freshest CRL)")
	fs.DurationVar(&cfg.DeltaCRLBase, "delta-crl-base-interval", 15*time.Minute, "with --delta-crls, how often the complete CRL is rebuilt; the delta follows every revocation")
	fs.Int64Var(&cfg.CertificateLimit, "max-certificates-per-ca", 1_000_000, "certificates one CA may issue (AWS's default quota)")
	fs.Int64Var(&cfg.RevokedLimit, "max-revoked-per-crl", 1_000_000, "unexpired revoked certificates a COMPLETE CRL may hold (AWS's quota)")
	fs.StringVar(&cfg.EventsWebhook, "events-webhook", "", "URL that receives every event (AWS EventBridge format) as a JSON POST")
	fs.StringVar(&cfg.RateLimit, "rate-limit", "", "calls per second each account may make, per operation: Operation=rate,...; *=rate for the others (default: no limit)")
	fs.Int64Var(&cfg.MaxInflightBytes, "max-inflight-bytes", server.DefaultMaxInflightBytes, "memory the API requests in flight may take, each counted as its body size times 4 plus 64 KiB; beyond it callers get ThrottlingException")
	p11Module := fs.String("pkcs11-module", "", "PKCS#11 library; with it, new CA keys are generated in the token (PIN from OPENPCA_PKCS11_PIN)")
	p11Token := fs.String("pkcs11-token-label", "", "label of the PKCS#11 token that holds CA keys")
	p11URI := fs.String("pkcs11-uri", "", "RFC 7512 URI of the token, e.g. pkcs11:token=ca?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin; --pkcs11-module and --pkcs11-token-label override its parts")
	fs.StringVar(&cfg.PKCS11KeyStorage, "pkcs11-key-storage-standard", pca.DefaultKeyStorage, "KeyStorageSecurityStandard values the token is certified for, comma separated; CAs with keys in it report them")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := applyEnv(fs); err != nil {
		return err
	}
	if !accountPattern.MatchString(cfg.AccountID) {
		return fmt.Errorf("--account-id must be 12 digits, got %q", cfg.AccountID)
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://" + cfg.Addr
	}
	cfg.AccessKeyID = os.Getenv("OPENPCA_ACCESS_KEY_ID")
	cfg.SecretAccessKey = os.Getenv("OPENPCA_SECRET_ACCESS_KEY")
	cfg.MasterKey = os.Getenv("OPENPCA_MASTER_KEY")
	if *s3Endpoint != "" {
		if *s3Region == "" {
			*s3Region = cfg.Region
		}
		// The bucket's credentials are the operator's, distinct from the API's.
		cfg.S3 = &s3store.Config{Endpoint: *s3Endpoint, Region: *s3Region, PathStyle: true,
			AccessKeyID: os.Getenv("OPENPCA_S3_ACCESS_KEY_ID"), SecretAccessKey: os.Getenv("OPENPCA_S3_SECRET_ACCESS_KEY"),
			ConnectTimeout: *s3Connect, FirstByteTimeout: *s3FirstByte, RequestTimeout: *s3Timeout}
	}
	p11, err := pkcs11Config(*p11URI, *p11Module, *p11Token, os.Getenv("OPENPCA_PKCS11_PIN"))
	if err != nil {
		return err
	}
	cfg.PKCS11 = p11

	switch *logFormat {
	case "text":
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	case "json":
		cfg.Logger = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	default:
		return fmt.Errorf("--log-format must be text or json, got %q", *logFormat)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	err = server.Run(ctx, cfg)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// pkcs11Config combines the PKCS#11 URI with the flags and the PIN from
// the environment, which take precedence; nil means no token is configured.
func pkcs11Config(uri, module, token, pin string) (*pkcs11key.Config, error) {
	if uri == "" && module == "" && token == "" {
		return nil, nil
	}
	var c pkcs11key.Config
	if uri != "" {
		var err error
		if c, err = pkcs11key.ParseURI(uri); err != nil {
			return nil, fmt.Errorf("--pkcs11-uri: %w", err)
		}
	}
	if module != "" {
		c.Module = module
	}
	if token != "" {
		c.TokenLabel, c.TokenSerial, c.SlotID = token, "", nil
	}
	if pin != "" {
		c.PIN = pin
	}
	switch {
	case c.Module == "":
		return nil, errors.New("PKCS#11 keys need --pkcs11-module (or module-path in --pkcs11-uri)")
	case c.TokenLabel == "" && c.TokenSerial == "" && c.SlotID == nil:
		return nil, errors.New("PKCS#11 keys need --pkcs11-token-label (or token, serial or slot-id in --pkcs11-uri)")
	}
	return &c, nil
}

// applyEnv sets every flag not given on the command line from
// OPENPCA_<FLAG_IN_CAPS> when that variable is set.
func applyEnv(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		name := "OPENPCA_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok && !given[f.Name] && err == nil {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s: %w", name, e)
			}
		}
	})
	return err
}
