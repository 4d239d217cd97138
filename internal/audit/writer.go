package audit

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"time"
)

// Format is a report format, as in AuditReportResponseFormat.
type Format string

// The two formats AWS offers.
const (
	JSON Format = "JSON"
	CSV  Format = "CSV"
)

// csvHeader is AWS's header line, column for column.
const csvHeader = "awsAccountId,requestedByServicePrincipal,certificateArn,serial,subject," +
	"notBefore,notAfter,issuedAt,revokedAt,revocationReason,templateArn\n"

// Record is one certificate in a report. AccountID, CertificateArn, Serial,
// Subject, NotBefore, NotAfter and IssuedAt are required.
type Record struct {
	AccountID string
	// RequestedByServicePrincipal names the service that called
	// IssueCertificate (acm.amazonaws.com for ACM renewals); "" leaves it out.
	RequestedByServicePrincipal string
	CertificateArn              string
	// Serial is the serial number in hex, as the store keeps it (lowercase,
	// no leading zeros); case and leading zeros do not matter.
	Serial string
	// Subject is the DER encoding of the certificate's subject Name
	// (x509.Certificate.RawSubject). Raw DER, not a parsed RDNSequence,
	// because the #hex form needs each value's original encoding.
	Subject                       []byte
	NotBefore, NotAfter, IssuedAt time.Time
	// RevokedAt is zero for a certificate that is not revoked: revokedAt and
	// revocationReason are then left out, whatever RevocationReason says.
	RevokedAt time.Time
	// RevocationReason is the RevocationReason enum name; "" for a revoked
	// certificate is written as UNSPECIFIED, as RFC 5280 reads a missing
	// reason.
	RevocationReason string
	// TemplateArn is the template the certificate was issued with; "" leaves
	// it out.
	TemplateArn string
}

// Writer streams a report to an io.Writer. It is not safe for concurrent use.
type Writer struct {
	out    *bufio.Writer
	format Format
	n      int64  // records written
	rec    []byte // the record being encoded
	subj   subjectFormatter
	closed bool
	err    error // what Close returned
}

var errClosed = errors.New("audit: writer closed")

// NewWriter starts a report in format f on w (the JSON array's opening
// bracket or the CSV header). Nothing reaches w before the buffer fills or
// Close.
func NewWriter(w io.Writer, f Format) (*Writer, error) {
	if f != JSON && f != CSV {
		return nil, fmt.Errorf("audit: unknown format %q", f)
	}
	aw := &Writer{out: bufio.NewWriterSize(w, 64<<10), format: f, rec: make([]byte, 0, 1024)}
	if f == JSON {
		aw.out.WriteByte('[')
	} else {
		aw.out.WriteString(csvHeader)
	}
	return aw, nil
}

// Write adds one record. A record that cannot be encoded is rejected with an
// error and nothing of it is written, so the report stays well formed; an
// error from the underlying writer is final.
func (w *Writer) Write(r Record) error {
	if w.closed {
		return errClosed
	}
	var err error
	if w.format == JSON {
		w.rec, err = w.appendJSON(w.rec[:0], r)
	} else {
		w.rec, err = w.appendCSV(w.rec[:0], r)
	}
	if err != nil {
		return fmt.Errorf("audit: record %q: %w", r.CertificateArn, err)
	}
	if _, err := w.out.Write(w.rec); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	w.n++
	return nil
}

// Close ends the report (the JSON array's closing bracket) and flushes it.
// It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.format == JSON {
		w.out.WriteByte(']')
	}
	if err := w.out.Flush(); err != nil {
		w.err = fmt.Errorf("audit: %w", err)
	}
	return w.err
}

// validate checks the fields the formats cannot do without.
func validate(r *Record) error {
	switch {
	case r.AccountID == "":
		return errors.New("no account ID")
	case r.CertificateArn == "":
		return errors.New("no certificate ARN")
	case r.NotBefore.IsZero() || r.NotAfter.IsZero() || r.IssuedAt.IsZero():
		return errors.New("missing notBefore, notAfter or issuedAt")
	}
	return nil
}

func reason(r *Record) string {
	if r.RevocationReason == "" {
		return "UNSPECIFIED"
	}
	return r.RevocationReason
}

func (w *Writer) appendJSON(b []byte, r Record) ([]byte, error) {
	if err := validate(&r); err != nil {
		return b, err
	}
	if w.n > 0 {
		b = append(b, ',')
	}
	b = append(b, `{"awsAccountId":`...)
	b = appendJSONString(b, r.AccountID)
	if r.RequestedByServicePrincipal != "" {
		b = append(b, `,"requestedByServicePrincipal":`...)
		b = appendJSONString(b, r.RequestedByServicePrincipal)
	}
	b = append(b, `,"certificateArn":`...)
	b = appendJSONString(b, r.CertificateArn)
	b = append(b, `,"serial":"`...)
	b, err := appendSerial(b, r.Serial)
	if err != nil {
		return b, err
	}
	b = append(b, `","subject":`...)
	subj, err := w.subj.format(r.Subject)
	if err != nil {
		return b, err
	}
	b = appendJSONString(b, subj)
	b = append(b, `,"notBefore":"`...)
	b = appendTime(b, r.NotBefore)
	b = append(b, `","notAfter":"`...)
	b = appendTime(b, r.NotAfter)
	b = append(b, `","issuedAt":"`...)
	b = appendTime(b, r.IssuedAt)
	b = append(b, '"')
	if !r.RevokedAt.IsZero() {
		b = append(b, `,"revokedAt":"`...)
		b = appendTime(b, r.RevokedAt)
		b = append(b, `","revocationReason":`...)
		b = appendJSONString(b, reason(&r))
	}
	if r.TemplateArn != "" {
		b = append(b, `,"templateArn":`...)
		b = appendJSONString(b, r.TemplateArn)
	}
	return append(b, '}'), nil
}

func (w *Writer) appendCSV(b []byte, r Record) ([]byte, error) {
	if err := validate(&r); err != nil {
		return b, err
	}
	b = appendCSVField(b, r.AccountID, false)
	b = append(b, ',')
	b = appendCSVField(b, r.RequestedByServicePrincipal, false)
	b = append(b, ',')
	b = appendCSVField(b, r.CertificateArn, false)
	b = append(b, ',')
	b, err := appendSerial(b, r.Serial)
	if err != nil {
		return b, err
	}
	b = append(b, ',')
	subj, err := w.subj.format(r.Subject)
	if err != nil {
		return b, err
	}
	b = appendCSVField(b, subj, true)
	b = append(b, ',')
	b = appendTime(b, r.NotBefore)
	b = append(b, ',')
	b = appendTime(b, r.NotAfter)
	b = append(b, ',')
	b = appendTime(b, r.IssuedAt)
	b = append(b, ',')
	if !r.RevokedAt.IsZero() {
		b = appendTime(b, r.RevokedAt)
		b = append(b, ',')
		b = appendCSVField(b, reason(&r), false)
	} else {
		b = append(b, ',')
	}
	b = append(b, ',')
	b = appendCSVField(b, r.TemplateArn, false)
	return append(b, '\n'), nil
}
