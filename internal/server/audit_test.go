package server

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"

	"github.com/openpca/openpca/internal/pca"
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

// auditRecords makes a JSON audit report of the CA, waits for it, and
// returns its id and its records by serial, written as in certificate ARNs.
func auditRecords(t *testing.T, e *testEnv, c *acmpca.Client, caArn string) (string, map[string]map[string]string) {
	t.Helper()
	out, err := c.CreateCertificateAuthorityAuditReport(context.Background(), &acmpca.CreateCertificateAuthorityAuditReportInput{
		CertificateAuthorityArn: &caArn, S3BucketName: aws.String("audit-bucket"), AuditReportResponseFormat: types.AuditReportResponseFormatJson})
	if err != nil {
		t.Fatal(err)
	}
	if st := waitAuditReport(t, c, caArn, *out.AuditReportId).AuditReportStatus; st != types.AuditReportStatusSuccess {
		t.Fatalf("audit report %s", st)
	}
	return *out.AuditReportId, reportRecords(t, e, *out.S3Key)
}

// reportRecords reads the JSON audit report at key in audit-bucket and
// returns its records by serial, written as in certificate ARNs.
func reportRecords(t *testing.T, e *testEnv, key string) map[string]map[string]string {
	t.Helper()
	body, err := e.srv.objects.Get(context.Background(), "audit-bucket", key)
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
	return bySerial
}

// heldWriter holds every write until release is closed, so a test can
// change the bucket between CreateCertificateAuthorityAuditReport and the
// report's upload.
type heldWriter struct {
	pca.ObjectWriter
	release chan struct{}
}

func (h heldWriter) PutStream(ctx context.Context, bucket, key string, body io.ReadSeeker, acl string) error {
	<-h.release
	return h.ObjectWriter.PutStream(ctx, bucket, key, body, acl)
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
	wantDescribed := func(out *acmpca.CreateCertificateAuthorityAuditReportOutput, want types.AuditReportStatus) {
		t.Helper()
		desc := waitAuditReport(t, c, caArn, *out.AuditReportId)
		if desc.AuditReportStatus != want || aws.ToString(desc.S3BucketName) != "audit-bucket" || aws.ToString(desc.S3Key) != *out.S3Key || desc.CreatedAt == nil {
			t.Fatalf("describe: %s %s %s %v, want %s", desc.AuditReportStatus, aws.ToString(desc.S3BucketName), aws.ToString(desc.S3Key), desc.CreatedAt, want)
		}
	}
	wantDescribed(out, types.AuditReportStatusSuccess)
	bySerial := reportRecords(t, e, *out.S3Key)
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
	if *out.S3Key != "audit-report/"+id+"/"+*out.AuditReportId+".csv" {
		t.Fatalf("CSV report key %s", *out.S3Key)
	}
	wantDescribed(out, types.AuditReportStatusSuccess)
	body, _ := e.srv.objects.Get(ctx, "audit-bucket", *out.S3Key)
	rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil || strings.Join(rows[0], ",") != "awsAccountId,requestedByServicePrincipal,certificateArn,serial,subject,notBefore,notAfter,issuedAt,revokedAt,revocationReason,templateArn" || len(rows) != 4 {
		t.Fatalf("CSV report: %v\n%s", err, body)
	}

	_, err = c.DescribeCertificateAuthorityAuditReport(ctx, &acmpca.DescribeCertificateAuthorityAuditReportInput{CertificateAuthorityArn: &caArn, AuditReportId: aws.String("00000000-0000-4000-8000-000000000000")})
	wantTyped[*types.ResourceNotFoundException](t, err)

	// A DISABLED CA still reports.
	if _, err := c.UpdateCertificateAuthority(ctx, &acmpca.UpdateCertificateAuthorityInput{CertificateAuthorityArn: &caArn, Status: types.CertificateAuthorityStatusDisabled}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(31 * time.Minute)
	if out, err = create(types.AuditReportResponseFormatJson); err != nil {
		t.Fatalf("audit report of a DISABLED CA: %v", err)
	}
	wantDescribed(out, types.AuditReportStatusSuccess)

	// The bucket stops taking writes after the report was accepted: FAILED.
	release := make(chan struct{})
	e.srv.domain.Objects = heldWriter{e.srv.domain.Objects, release}
	e.clock.Advance(31 * time.Minute)
	if out, err = create(types.AuditReportResponseFormatJson); err != nil {
		t.Fatal(err)
	}
	if desc, err := c.DescribeCertificateAuthorityAuditReport(ctx, &acmpca.DescribeCertificateAuthorityAuditReportInput{CertificateAuthorityArn: &caArn, AuditReportId: out.AuditReportId}); err != nil || desc.AuditReportStatus != types.AuditReportStatusCreating {
		t.Fatalf("describe before the upload: %v %v", desc, err)
	}
	e.srv.files.SetReadOnly("audit-bucket", true)
	close(release)
	wantDescribed(out, types.AuditReportStatusFailed)

	// PENDING_CERTIFICATE and EXPIRED CAs do not report.
	pending := create2(t, c)
	expired := create2(t, c)
	setStatus(t, e, expired, pca.StatusActive, e.clock.Now().Add(-time.Minute))
	if st := describe(t, c, expired).Status; st != types.CertificateAuthorityStatusExpired {
		t.Fatalf("status %s, want EXPIRED", st)
	}
	for _, arn := range []string{pending, expired} {
		_, err = c.CreateCertificateAuthorityAuditReport(ctx, &acmpca.CreateCertificateAuthorityAuditReportInput{CertificateAuthorityArn: &arn, S3BucketName: aws.String("audit-bucket"), AuditReportResponseFormat: types.AuditReportResponseFormatJson})
		wantTyped[*types.InvalidStateException](t, err)
	}
}

func create2(t *testing.T, c *acmpca.Client) string {
	return create(t, c, &acmpca.CreateCertificateAuthorityInput{})
}

// eventHook is a webhook that records the events it receives.
type eventHook struct {
	URL string
	mu  sync.Mutex
	got []map[string]any
}

func newEventHook(t *testing.T) *eventHook {
	h := &eventHook{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev map[string]any
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("event is not JSON: %s", body)
		}
		h.mu.Lock()
		h.got = append(h.got, ev)
		h.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	h.URL = srv.URL
	return h
}

// of returns the events of detailType received so far, in order.
func (h *eventHook) of(detailType string) []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []map[string]any
	for _, ev := range h.got {
		if ev["detail-type"] == detailType {
			out = append(out, ev)
		}
	}
	return out
}

// await waits for an event of detailType whose detail equals detail (any
// detail if nil) and returns the first such event.
func (h *eventHook) await(t *testing.T, detailType string, detail map[string]any) map[string]any {
	t.Helper()
	var found map[string]any
	waitFor(t, 30*time.Second, func() bool {
		for _, ev := range h.of(detailType) {
			if detail == nil || reflect.DeepEqual(ev["detail"], detail) {
				found = ev
				return true
			}
		}
		return false
	})
	return found
}

// resourcesOf returns an event's resources as strings.
func resourcesOf(ev map[string]any) []string {
	var out []string
	for _, r := range ev["resources"].([]any) {
		out = append(out, r.(string))
	}
	return out
}

// A webhook receives the events of an issuance, a revocation, a CRL
// publication and an audit report, in AWS EventBridge's envelope; a second
// revocation of a certificate is refused without an event and keeps the
// first one's time and reason.
func TestEventsWebhook(t *testing.T) {
	hook := newEventHook(t)
	e := newTestEnvWith(t, nil, func(c *Config) { c.EventsWebhook = hook.URL })
	c := e.rootClient(protocols[1].opt)
	sig := types.SigningAlgorithmSha256withecdsa
	caArn, _ := bootstrapRootWithCRL(t, c, crlConfig("crl-bucket", ""))
	leaf := issue(t, c, caArn, &acmpca.IssueCertificateInput{Csr: newCSR(t, newKey(t, types.KeyAlgorithmEcPrime256v1), sig, "evented"), SigningAlgorithm: sig})
	before := e.clock.Now().Truncate(time.Second)
	revoke(c, caArn, serialOf(leaf.arn), types.RevocationReasonKeyCompromise)
	after := e.clock.Now()
	for _, w := range []string{"ACM Private CA Creation", "ACM Private CA Certificate Issuance", "ACM Private CA CRL Generation"} {
		hook.await(t, w, nil)
	}
	rev := hook.await(t, "ACM Private CA Certificate Revocation", nil)
	if rev["source"] != "aws.acm-pca" || rev["account"] != testAccount || rev["region"] != "us-east-1" || !slices.Equal(resourcesOf(rev), []string{caArn, leaf.arn}) ||
		!reflect.DeepEqual(rev["detail"], map[string]any{"result": "success"}) {
		t.Fatalf("revocation event: %v", rev)
	}

	e.clock.Advance(time.Minute)
	wantAPIError(t, revoke(c, caArn, colonHex(serialOf(leaf.arn)), types.RevocationReasonSuperseded), "RequestAlreadyProcessedException", "")
	reportID, records := auditRecords(t, e, c, caArn)
	r := records[serialOf(leaf.arn)]
	at, err := time.Parse("2006-01-02T15:04:05-0700", r["revokedAt"])
	if err != nil || at.Before(before) || at.After(after) || r["revocationReason"] != "KEY_COMPROMISE" {
		t.Fatalf("after a second revocation the report has %v, want KEY_COMPROMISE between %v and %v", r, before, after)
	}
	report := hook.await(t, "ACM Private CA Audit Report Generation", nil)
	if !slices.Equal(resourcesOf(report), []string{caArn, reportID}) || !reflect.DeepEqual(report["detail"], map[string]any{"result": "success"}) {
		t.Fatalf("audit report event: %v", report)
	}
	// Events arrive in the order they are emitted, so a revocation event
	// for the second call would have arrived before the report's.
	if n := len(hook.of("ACM Private CA Certificate Revocation")); n != 1 {
		t.Fatalf("%d revocation events, want 1", n)
	}
}
