package awsproto_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/schemas"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"

	"github.com/openpca/openpca/internal/acmpca/api"
	"github.com/openpca/openpca/internal/awsproto"
)

const (
	caArn      = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555"
	missingArn = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/00000000-0000-0000-0000-000000000000"
)

var created = time.UnixMilli(1700000000123).UTC()

// testService implements a few operations; the rest answer NotImplemented.
type testService struct {
	api.UnimplementedService

	mu       sync.Mutex
	imported *api.ImportCertificateAuthorityCertificateInput
}

func ptr[T any](v T) *T { return &v }

func (s *testService) DescribeCertificateAuthority(_ context.Context, in *api.DescribeCertificateAuthorityInput) (*api.DescribeCertificateAuthorityOutput, error) {
	if *in.CertificateAuthorityArn == missingArn {
		return nil, &api.ResourceNotFoundException{Message: "Could not find certificate authority " + missingArn}
	}
	return &api.DescribeCertificateAuthorityOutput{CertificateAuthority: &api.CertificateAuthority{
		Arn:       in.CertificateAuthorityArn,
		CreatedAt: &created,
		NotAfter:  ptr(created.Add(365 * 24 * time.Hour)),
		Status:    api.CertificateAuthorityStatusActive,
		Type:      api.CertificateAuthorityTypeRoot,
		UsageMode: api.CertificateAuthorityUsageModeGeneralPurpose,
		CertificateAuthorityConfiguration: &api.CertificateAuthorityConfiguration{
			KeyAlgorithm:     api.KeyAlgorithmEcPrime256v1,
			SigningAlgorithm: api.SigningAlgorithmSha256withecdsa,
			Subject:          &api.ASN1Subject{CommonName: ptr("Example Root"), Country: ptr("DE")},
			CsrExtensions: &api.CsrExtensions{
				KeyUsage: &api.KeyUsage{KeyCertSign: ptr(true), CRLSign: ptr(true), DigitalSignature: ptr(false)},
			},
		},
		RevocationConfiguration: &api.RevocationConfiguration{
			CrlConfiguration: &api.CrlConfiguration{Enabled: ptr(true), ExpirationInDays: ptr(int32(7)), S3BucketName: ptr("crl-bucket")},
		},
	}}, nil
}

func (s *testService) ImportCertificateAuthorityCertificate(_ context.Context, in *api.ImportCertificateAuthorityCertificateInput) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.imported = in
	return nil
}

func (s *testService) ListTags(_ context.Context, in *api.ListTagsInput) (*api.ListTagsOutput, error) {
	return &api.ListTagsOutput{
		Tags:      []api.Tag{{Key: ptr("team"), Value: ptr("pki")}, {Key: ptr("empty")}},
		NextToken: ptr("page-2"),
	}, nil
}

func (s *testService) GetCertificate(context.Context, *api.GetCertificateInput) (*api.GetCertificateOutput, error) {
	return nil, errors.New("database exploded at row 42")
}

// server serves the generated operation table of svc, logging into logs.
func server(t *testing.T, svc api.Service, logs *bytes.Buffer, tweak func(*awsproto.Service)) *httptest.Server {
	t.Helper()
	h := &awsproto.Service{
		Name:         api.ServiceName,
		TargetPrefix: api.TargetPrefix,
		Operations:   api.Operations(svc),
		Logger:       slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if tweak != nil {
		tweak(h)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.Header.Get("Smithy-Protocol") + "|" + r.Header.Get("X-Amz-Target"))
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// seen records the protocol headers of the last request, to prove which
// protocol a client used.
var seen atomic.Value

// protocols lists the two client set-ups: the SDK default (RPC v2 CBOR) and
// JSON 1.1 forced.
var protocols = []struct {
	name string
	opt  func(*acmpca.Options)
}{
	{"rpcv2cbor", func(*acmpca.Options) {}},
	{"json11", func(o *acmpca.Options) { o.Protocol = awsjson.New11(schemas.ACMPrivateCA) }},
}

func client(url string, opt func(*acmpca.Options)) *acmpca.Client {
	cfg := aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
	}
	return acmpca.NewFromConfig(cfg, func(o *acmpca.Options) {
		o.BaseEndpoint = aws.String(url)
		opt(o)
	})
}

func forEachProtocol(t *testing.T, fn func(t *testing.T, c *acmpca.Client, svc *testService, logs *bytes.Buffer)) {
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			svc := &testService{}
			var logs bytes.Buffer
			srv := server(t, svc, &logs, nil)
			fn(t, client(srv.URL, p.opt), svc, &logs)
			got, _ := seen.Load().(string)
			if json := strings.HasPrefix(got, "|ACMPrivateCA."); json != (p.name == "json11") ||
				!json && got != "rpc-v2-cbor|" {
				t.Errorf("%s client sent protocol headers %q", p.name, got)
			}
		})
	}
}

func TestSDKDescribeCertificateAuthority(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, c *acmpca.Client, _ *testService, _ *bytes.Buffer) {
		out, err := c.DescribeCertificateAuthority(context.Background(), &acmpca.DescribeCertificateAuthorityInput{
			CertificateAuthorityArn: aws.String(caArn),
		})
		if err != nil {
			t.Fatal(err)
		}
		ca := out.CertificateAuthority
		if aws.ToString(ca.Arn) != caArn || ca.Status != types.CertificateAuthorityStatusActive || ca.Type != types.CertificateAuthorityTypeRoot {
			t.Errorf("arn/status/type = %s %s %s", aws.ToString(ca.Arn), ca.Status, ca.Type)
		}
		if !ca.CreatedAt.Equal(created) || !ca.NotAfter.Equal(created.Add(365*24*time.Hour)) {
			t.Errorf("CreatedAt %v NotAfter %v, want millisecond-exact %v", ca.CreatedAt, ca.NotAfter, created)
		}
		cfg := ca.CertificateAuthorityConfiguration
		if cfg.KeyAlgorithm != types.KeyAlgorithmEcPrime256v1 || aws.ToString(cfg.Subject.Country) != "DE" ||
			!cfg.CsrExtensions.KeyUsage.KeyCertSign || cfg.CsrExtensions.KeyUsage.DigitalSignature {
			t.Errorf("configuration = %+v", cfg)
		}
		crl := ca.RevocationConfiguration.CrlConfiguration
		if !aws.ToBool(crl.Enabled) || aws.ToInt32(crl.ExpirationInDays) != 7 || aws.ToString(crl.S3BucketName) != "crl-bucket" {
			t.Errorf("crl = %+v", crl)
		}
		if id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); len(id) != 36 {
			t.Errorf("request id %q", id)
		}
	})
}

func TestSDKImportBlob(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, c *acmpca.Client, svc *testService, _ *bytes.Buffer) {
		cert := make([]byte, 1500)
		rand.Read(cert)
		chain := make([]byte, 3000)
		rand.Read(chain)
		_, err := c.ImportCertificateAuthorityCertificate(context.Background(), &acmpca.ImportCertificateAuthorityCertificateInput{
			CertificateAuthorityArn: aws.String(caArn),
			Certificate:             cert,
			CertificateChain:        chain,
		})
		if err != nil {
			t.Fatal(err)
		}
		svc.mu.Lock()
		defer svc.mu.Unlock()
		if svc.imported == nil || !bytes.Equal(svc.imported.Certificate, cert) || !bytes.Equal(svc.imported.CertificateChain, chain) {
			t.Error("blobs did not arrive intact")
		}
	})
}

func TestSDKListTags(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, c *acmpca.Client, _ *testService, _ *bytes.Buffer) {
		out, err := c.ListTags(context.Background(), &acmpca.ListTagsInput{CertificateAuthorityArn: aws.String(caArn), MaxResults: aws.Int32(10)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Tags) != 2 || aws.ToString(out.Tags[0].Key) != "team" || aws.ToString(out.Tags[0].Value) != "pki" ||
			aws.ToString(out.Tags[1].Key) != "empty" || out.Tags[1].Value != nil || aws.ToString(out.NextToken) != "page-2" {
			t.Errorf("ListTags = %+v", out)
		}
	})
}

func TestSDKModeledError(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, c *acmpca.Client, _ *testService, _ *bytes.Buffer) {
		_, err := c.DescribeCertificateAuthority(context.Background(), &acmpca.DescribeCertificateAuthorityInput{
			CertificateAuthorityArn: aws.String(missingArn),
		})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Fatalf("err = %v (%T), want *types.ResourceNotFoundException", err, err)
		}
		if nf.ErrorMessage() != "Could not find certificate authority "+missingArn {
			t.Errorf("message %q", nf.ErrorMessage())
		}
		assertStatus(t, err, 400)
	})
}

func TestSDKValidationError(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, c *acmpca.Client, _ *testService, _ *bytes.Buffer) {
		_, err := c.ListTags(context.Background(), &acmpca.ListTagsInput{CertificateAuthorityArn: aws.String(caArn), MaxResults: aws.Int32(0)})
		want := "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"
		assertAPIError(t, err, "ValidationException", want, 400)
	})
}

func TestSDKInternalErrorHidesDetail(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, c *acmpca.Client, _ *testService, logs *bytes.Buffer) {
		_, err := c.GetCertificate(context.Background(), &acmpca.GetCertificateInput{
			CertificateAuthorityArn: aws.String(caArn), CertificateArn: aws.String(caArn + "/certificate/abc"),
		})
		assertAPIError(t, err, "InternalFailure", "An internal error occurred.", 500)
		if strings.Contains(err.Error(), "exploded") {
			t.Error("internal detail reached the client")
		}
		if !strings.Contains(logs.String(), "database exploded at row 42") {
			t.Errorf("internal detail missing from the log:\n%s", logs)
		}
	})
}

func TestSDKNotImplemented(t *testing.T) {
	forEachProtocol(t, func(t *testing.T, c *acmpca.Client, _ *testService, _ *bytes.Buffer) {
		_, err := c.ListPermissions(context.Background(), &acmpca.ListPermissionsInput{CertificateAuthorityArn: aws.String(caArn)})
		assertAPIError(t, err, "NotImplemented", "ListPermissions is not implemented", 501)
	})
}

func TestSDKAuthenticate(t *testing.T) {
	type key struct{}
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			var gotBody, gotCtx bool
			svc := &ctxService{check: func(ctx context.Context) { gotCtx = ctx.Value(key{}) == "alice" && awsproto.RequestID(ctx) != "" }}
			srv := server(t, svc, &bytes.Buffer{}, func(s *awsproto.Service) {
				s.Authenticate = func(r *http.Request, body []byte) (context.Context, error) {
					gotBody = len(body) > 0
					if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
						return nil, awsproto.NewError(awsproto.CodeAccessDenied, "unsigned")
					}
					if strings.Contains(r.Header.Get("Authorization"), "Credential=BLOCKED/") {
						return nil, awsproto.NewError(awsproto.CodeAccessDenied, "User is not authorized")
					}
					return context.WithValue(r.Context(), key{}, "alice"), nil
				}
			})
			c := client(srv.URL, p.opt)
			if _, err := c.DescribeCertificateAuthority(context.Background(), &acmpca.DescribeCertificateAuthorityInput{CertificateAuthorityArn: aws.String(caArn)}); err != nil {
				t.Fatal(err)
			}
			if !gotBody || !gotCtx {
				t.Errorf("body seen %v, context passed %v", gotBody, gotCtx)
			}
			blocked := acmpca.NewFromConfig(aws.Config{
				Region: "us-east-1", RetryMaxAttempts: 1,
				Credentials: credentials.NewStaticCredentialsProvider("BLOCKED", "secret", ""),
			}, func(o *acmpca.Options) { o.BaseEndpoint = aws.String(srv.URL); p.opt(o) })
			_, err := blocked.DescribeCertificateAuthority(context.Background(), &acmpca.DescribeCertificateAuthorityInput{CertificateAuthorityArn: aws.String(caArn)})
			assertAPIError(t, err, "AccessDeniedException", "User is not authorized", 400)
		})
	}
}

type ctxService struct {
	api.UnimplementedService
	check func(context.Context)
}

func (s *ctxService) DescribeCertificateAuthority(ctx context.Context, in *api.DescribeCertificateAuthorityInput) (*api.DescribeCertificateAuthorityOutput, error) {
	s.check(ctx)
	return &api.DescribeCertificateAuthorityOutput{}, nil
}

func assertAPIError(t *testing.T, err error, code, message string, status int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v (%T), want a smithy.APIError", err, err)
	}
	if ae.ErrorCode() != code || ae.ErrorMessage() != message {
		t.Errorf("got %s: %q\nwant %s: %q", ae.ErrorCode(), ae.ErrorMessage(), code, message)
	}
	assertStatus(t, err, status)
}

func assertStatus(t *testing.T, err error, status int) {
	t.Helper()
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want an HTTP response error", err)
	}
	if re.HTTPStatusCode() != status {
		t.Errorf("HTTP status %d, want %d", re.HTTPStatusCode(), status)
	}
}
