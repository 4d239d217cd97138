package server

import (
	"context"
	"errors"
	"net/http"
	"os/exec"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
)

// apiCalls reads openpca_api_requests_total for one operation and outcome.
func apiCalls(t *testing.T, e *testEnv, op, outcome string) float64 {
	t.Helper()
	families, err := e.srv.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "openpca_api_requests_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["operation"] == op && labels["outcome"] == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// TestRateLimit checks per-operation limits: an excess call gets HTTP 400
// ThrottlingException in both protocols and changes nothing; operations
// without a limit are untouched; AWS's SDKs retry until the bucket refills.
func TestRateLimit(t *testing.T) {
	e := newTestEnvWith(t, nil, func(c *Config) { c.RateLimit = "GetCertificateAuthorityCsr=1,ListTags=10" })
	ctx := context.Background()
	arn := createTestCA(t, e.srv, e.ts.URL)
	throttled := func(op string) float64 {
		return apiCalls(t, e, op, "ThrottlingException")
	}

	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			time.Sleep(time.Second) // a full bucket
			c := e.rootClient(p.opt)
			getCSR := func() error {
				_, err := c.GetCertificateAuthorityCsr(ctx, &acmpca.GetCertificateAuthorityCsrInput{CertificateAuthorityArn: &arn})
				return err
			}
			if err := getCSR(); err != nil {
				t.Fatal(err)
			}
			before := throttled("GetCertificateAuthorityCsr")
			err := getCSR()
			wantAPIError(t, err, "ThrottlingException", "Rate exceeded")
			var re *awshttp.ResponseError
			if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusBadRequest {
				t.Fatalf("throttled call: %v, want HTTP 400", err)
			}
			if got := throttled("GetCertificateAuthorityCsr"); got != before+1 {
				t.Fatalf("throttled GetCertificateAuthorityCsr calls counted: %v, want %v", got, before+1)
			}
			// Operations without a limit of their own have none.
			for range 5 {
				if _, err := c.DescribeCertificateAuthority(ctx, &acmpca.DescribeCertificateAuthorityInput{CertificateAuthorityArn: &arn}); err != nil {
					t.Fatal(err)
				}
			}
		})
	}

	t.Run("aws-sdk-go-v2 retries", func(t *testing.T) {
		c := e.rootClient(func(o *acmpca.Options) { o.Retryer = retry.NewStandard(); o.RetryMaxAttempts = 5 })
		before := throttled("ListTags")
		for i := range 30 {
			if _, err := c.ListTags(ctx, &acmpca.ListTagsInput{CertificateAuthorityArn: &arn}); err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
		}
		if throttled("ListTags") == before {
			t.Fatal("30 calls at once never hit a limit of 10 per second")
		}
	})

	t.Run("boto3 retries", func(t *testing.T) {
		if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
			t.Skip("boto3 is not installed")
		}
		before := throttled("ListTags")
		// boto3's default retry configuration, unlike the smoke test's.
		script := `
import os, boto3
pca = boto3.client("acm-pca", endpoint_url=os.environ["OPENPCA_ENDPOINT"], region_name="us-east-1")
for _ in range(30):
    pca.list_tags(CertificateAuthorityArn=os.environ["CA_ARN"])
`
		cmd := exec.Command("python3", "-c", script)
		cmd.Env = append(cleanAWSEnv(), "OPENPCA_ENDPOINT="+e.ts.URL, "CA_ARN="+arn,
			"AWS_ACCESS_KEY_ID="+e.srv.Key.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+e.srv.Key.SecretAccessKey,
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("boto3: %v\n%s", err, out)
		}
		if throttled("ListTags") == before {
			t.Fatal("30 calls at once never hit a limit of 10 per second")
		}
	})
}
