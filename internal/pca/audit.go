package pca

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/openpca/openpca/internal/audit"
	"github.com/openpca/openpca/internal/events"
)

// AuditReportInterval is how often AWS lets a CA produce an audit report.
const AuditReportInterval = 30 * time.Minute

// ObjectWriter stores audit reports; they stream from a temporary file, so
// a CA with millions of certificates needs no more memory than one.
type ObjectWriter interface {
	PutStream(ctx context.Context, bucket, key string, body io.ReadSeeker, acl string) error
}

// EventSink receives AWS EventBridge-style events; it must not block.
type EventSink interface {
	Emit(events.Event)
}

func (s *Service) emit(detailType string, resources []string, detail map[string]any) {
	if s.Events != nil {
		s.Events.Emit(events.Event{DetailType: detailType, Resources: resources, Detail: detail})
	}
}

// CreateAuditReport starts an audit report and returns it in CREATING.
func (s *Service) CreateAuditReport(ctx context.Context, caller Caller, arn, bucket, format string) (*AuditReport, error) {
	ca, err := s.load(ctx, caller, "CreateCertificateAuthorityAuditReport", arn)
	if err != nil {
		return nil, err
	}
	if st := ca.Reported(s.now()); !operational(st) {
		return nil, Errorf(KindInvalidState, "Audit reports can be created only for ACTIVE or DISABLED certificate authorities; this one is %s.", st)
	}
	if s.Buckets != nil {
		if err := s.Buckets.CheckWritable(ctx, bucket, "BUCKET_OWNER_FULL_CONTROL"); err != nil {
			return nil, Errorf(KindInvalidArgs, "Permission error with your S3 bucket '%s'. Check that your bucket policy, encryption settings, S3 Block Public Access settings, and global account permissions are configured correctly.", bucket)
		}
	}
	id := s.newID()
	now := s.now()
	r := &AuditReport{Account: ca.Account, CAID: ca.ID, ID: id, Bucket: bucket, Format: format, Status: "CREATING", CreatedAt: now,
		Key: "audit-report/" + ca.ID + "/" + id + "." + strings.ToLower(format)}
	err = s.Store.CreateAuditReport(ctx, r, now.Add(-AuditReportInterval))
	if errors.Is(err, ErrConflict) {
		return nil, Errorf(KindRequestInProgress, "You can generate a maximum of one audit report every 30 minutes for a certificate authority.")
	}
	if err != nil {
		return nil, err
	}
	s.startAuditReport(r)
	return r, nil
}

// DescribeAuditReport returns a report's status.
func (s *Service) DescribeAuditReport(ctx context.Context, caller Caller, arn, id string) (*AuditReport, error) {
	ca, err := s.load(ctx, caller, "DescribeCertificateAuthorityAuditReport", arn)
	if err != nil {
		return nil, err
	}
	r, err := s.Store.GetAuditReport(ctx, ca.ID, id)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(KindNotFound, "Could not find audit report %s for %s.", id, arn)
	}
	return r, err
}

// ResumeAuditReports restarts reports left in CREATING for at least stale,
// as ResumeCreation does for CAs.
func (s *Service) ResumeAuditReports(ctx context.Context, stale time.Duration) error {
	reports, err := s.Store.AuditReportsInStatus(ctx, "CREATING")
	if err != nil {
		return err
	}
	for _, r := range reports {
		if !r.CreatedAt.After(s.now().Add(-stale)) {
			s.startAuditReport(r)
		}
	}
	return nil
}

func (s *Service) startAuditReport(r *AuditReport) {
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		ctx := context.Background()
		status, result := "SUCCESS", "success"
		if err := s.writeAuditReport(ctx, r); err != nil {
			status, result = "FAILED", "failure"
			if s.Log != nil {
				s.Log.Error("audit report failed", "ca", r.CAID, "report", r.ID, "err", err)
			}
		}
		if err := s.Store.SetAuditReportStatus(ctx, r.CAID, r.ID, status); err != nil && s.Log != nil {
			s.Log.Error("recording audit report status", "ca", r.CAID, "report", r.ID, "err", err)
		}
		arn := s.CAArn(&CA{Account: r.Account, ID: r.CAID})
		s.emit(events.AuditReportGeneration, []string{arn, r.ID}, map[string]any{"result": result})
	}()
}

// writeAuditReport streams every certificate of the CA into a temporary
// file in AWS's format, then stores it.
func (s *Service) writeAuditReport(ctx context.Context, r *AuditReport) error {
	if s.Objects == nil {
		return errors.New("no object store for audit reports")
	}
	f, err := os.CreateTemp(s.TempDir, "audit-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	w, err := audit.NewWriter(f, audit.Format(r.Format))
	if err != nil {
		return err
	}
	caArn := s.CAArn(&CA{Account: r.Account, ID: r.CAID})
	err = s.Store.Certificates(ctx, r.CAID, func(c *Certificate) error {
		cert, err := x509.ParseCertificate(c.DER)
		if err != nil {
			return fmt.Errorf("certificate %s: %w", c.Serial, err)
		}
		return w.Write(audit.Record{
			AccountID: r.Account, CertificateArn: caArn + "/certificate/" + c.Serial, Serial: c.Serial,
			Subject: cert.RawSubject, NotBefore: c.NotBefore, NotAfter: c.NotAfter, IssuedAt: c.IssuedAt,
			RevokedAt: c.RevokedAt, RevocationReason: c.RevocationReason, TemplateArn: c.TemplateArn,
		})
	})
	if err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return s.Objects.PutStream(ctx, r.Bucket, r.Key, f, "BUCKET_OWNER_FULL_CONTROL")
}
