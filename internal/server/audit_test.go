package server

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"
)

func waitAuditReport(t *testing.T, c *acmpca.Client, caArn, id string) *acmpca.DescribeCertificateAuthorityAuditReportOutput {
	t.Helper()
	var out *acmpca.DescribeCertificateAuthorityAuditReportOutput
	waitFor(t, 30*time.Second, func() bool {
		var err error
		out, err = c.DescribeCertificateAuthorityAuditReport(context.Background(), &acmpca.DescribeCertificateAuthorityAuditReportInput{CertificateAuthorityArn: &caArn, AuditReportId: &id})
		if err != nil {
			t.Fatal(err)
		}
		return out.AuditReportStatus != types.AuditReportStatusCreating
	})
	return out
}

func TestAuditReports(t *testing.T) {
	e := newTestEnv(t)
	c := e.rootClient(protocols[0].opt)
	ctx := context.Background()
	sig := types.SigningAlgorithmSha256withecdsa
	caArn, _ := bootstrapRootWithCRL(t, c, crlConfig("crl-bucket", ""))
	id := caArn[strings.LastIndex(caArn, "/")+1:]
	csr := newCSR(t, newKey(t, types.KeyAlgorithmEcPrime256v1), sig, "audited")
	kept := issue(t, c, caArn, &acmpca.IssueCertificateInput{Csr: csr, SigningAlgorithm: sig, TemplateArn: aws.String(templatePrefix + "EndEntityServerAuthCertificate/V1")})
	revoked := issue(t, c, caArn, &acmpca.IssueCertificateInput{Csr: csr, SigningAlgorithm: sig})
	revoke(c, caArn, serialOf(revoked.arn), types.RevocationReasonAffiliationChanged)

	create := func(format types.AuditReportResponseFormat) (*acmpca.CreateCertificateAuthorityAuditReportOutput, error) {
		return c.CreateCertificateAuthorityAuditReport(ctx, &acmpca.CreateCertificateAuthorityAuditReportInput{
			CertificateAuthorityArn: &caArn, S3BucketName: aws.String("audit-bucket"), AuditReportResponseFormat: format})
	}
	out, err := create(types.AuditReportResponseFormatJson)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString(*out.AuditReportId) ||
		*out.S3Key != "audit-report/"+id+"/"+*out.AuditReportId+".json" {
		t.Fatalf("report id %s key %s", *out.AuditReportId, *out.S3Key)
	}
	desc := waitAuditReport(t, c, caArn, *out.AuditReportId)
	if desc.AuditReportStatus != types.AuditReportStatusSuccess || *desc.S3BucketName != "audit-bucket" || desc.CreatedAt == nil {
		t.Fatalf("describe: %+v", desc)
	}
	body, err := e.srv.objects.Get(ctx, "audit-bucket", *out.S3Key)
	if err != nil {
		t.Fatal(err)
	}
	var records []map[string]string
	if err := json.Unmarshal(body, &records); err != nil {
		t.Fatalf("report is not a JSON array: %v\n%s", err, body)
	}
	bySerial := map[string]map[string]string{}
	for _, r := range records {
		bySerial[strings.TrimLeft(strings.ReplaceAll(r["serial"], ":", ""), "0")] = r
	}
	r := bySerial[serialOf(revoked.arn)]
	if r == nil || r["revocationReason"] != "AFFILIATION_CHANGED" || !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$`).MatchString(r["revokedAt"]) ||
		r["certificateArn"] != revoked.arn || r["awsAccountId"] != testAccount || r["subject"] != "CN=audited" ||
		r["templateArn"] != "arn:aws:acm-pca:::template/EndEntityCertificate/V1" {
		t.Fatalf("revoked record: %v", r)
	}
	k := bySerial[serialOf(kept.arn)]
	if _, ok := k["revokedAt"]; k == nil || ok || k["templateArn"] != "arn:aws:acm-pca:::template/EndEntityServerAuthCertificate/V1" {
		t.Fatalf("unrevoked record: %v", k)
	}

	// One report per 30 minutes; CSV after that.
	_, err = create(types.AuditReportResponseFormatCsv)
	wantTyped[*types.RequestInProgressException](t, err)
	e.clock.Advance(31 * time.Minute)
	out, err = create(types.AuditReportResponseFormatCsv)
	if err != nil {
		t.Fatal(err)
	}
	waitAuditReport(t, c, caArn, *out.AuditReportId)
	body, _ = e.srv.objects.Get(ctx, "audit-bucket", *out.S3Key)
	rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil || strings.Join(rows[0], ",") != "awsAccountId,requestedByServicePrincipal,certificateArn,serial,subject,notBefore,notAfter,issuedAt,revokedAt,revocationReason,templateArn" || len(rows) != 4 {
		t.Fatalf("CSV report: %v\n%s", err, body)
	}

	_, err = c.DescribeCertificateAuthorityAuditReport(ctx, &acmpca.DescribeCertificateAuthorityAuditReportInput{CertificateAuthorityArn: &caArn, AuditReportId: aws.String("00000000-0000-4000-8000-000000000000")})
	wantTyped[*types.ResourceNotFoundException](t, err)
	pending := create2(t, c)
	_, err = c.CreateCertificateAuthorityAuditReport(ctx, &acmpca.CreateCertificateAuthorityAuditReportInput{CertificateAuthorityArn: &pending, S3BucketName: aws.String("audit-bucket"), AuditReportResponseFormat: types.AuditReportResponseFormatJson})
	wantTyped[*types.InvalidStateException](t, err)
}

func create2(t *testing.T, c *acmpca.Client) string {
	return create(t, c, &acmpca.CreateCertificateAuthorityInput{})
}

// A webhook receives the events of an issuance, a revocation and a CRL
// publication, in AWS EventBridge's envelope.
func TestEventsWebhook(t *testing.T) {
	var mu sync.Mutex
	got := map[string][]map[string]any{}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev map[string]any
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("event is not JSON: %s", body)
		}
		mu.Lock()
		got[ev["detail-type"].(string)] = append(got[ev["detail-type"].(string)], ev)
		mu.Unlock()
	}))
	defer hook.Close()
	e := newTestEnvWith(t, nil, func(c *Config) { c.EventsWebhook = hook.URL })
	c := e.rootClient(protocols[1].opt)
	sig := types.SigningAlgorithmSha256withecdsa
	caArn, _ := bootstrapRootWithCRL(t, c, crlConfig("crl-bucket", ""))
	leaf := issue(t, c, caArn, &acmpca.IssueCertificateInput{Csr: newCSR(t, newKey(t, types.KeyAlgorithmEcPrime256v1), sig, "evented"), SigningAlgorithm: sig})
	revoke(c, caArn, serialOf(leaf.arn), types.RevocationReasonKeyCompromise)
	want := []string{"ACM Private CA Creation", "ACM Private CA Certificate Issuance", "ACM Private CA Certificate Revocation", "ACM Private CA CRL Generation"}
	waitFor(t, 30*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, w := range want {
			if len(got[w]) == 0 {
				return false
			}
		}
		return true
	})
	mu.Lock()
	defer mu.Unlock()
	rev := got["ACM Private CA Certificate Revocation"][0]
	res, _ := rev["resources"].([]any)
	if rev["source"] != "aws.acm-pca" || rev["account"] != testAccount || rev["region"] != "us-east-1" || len(res) != 2 || res[0] != caArn || res[1] != leaf.arn ||
		rev["detail"].(map[string]any)["result"] != "success" {
		t.Fatalf("revocation event: %v", rev)
	}
}
