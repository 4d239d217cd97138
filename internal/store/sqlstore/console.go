package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/openpca/openpca/internal/pca"
)

// Reads for the web console, beyond what pca.Store needs.

// ConsoleScanLimit is the most rows one CertificatePage reads, so that a
// page costs the same bounded work at a million certificates as at ten,
// however few of them match.
const ConsoleScanLimit = 5000

// CertificatePage returns up to limit certificates of a CA in serial order
// (as text), after the serial after ("" for the first page), whose serial
// starts with prefix (lowercase hex, "" for any), one of whose names
// (subject common name or alternative names, see pca.Certificate.Names)
// contains name (case-insensitive, "" for any), and whose state at now is
// status: "" for any, "valid", "expired" (and not revoked) or "revoked".
// It walks the (ca_id, serial) primary key from after, reading at most
// ConsoleScanLimit rows, and returns the serial the next page starts after,
// "" when no rows remain.
func (s *Store) CertificatePage(ctx context.Context, caID, prefix, name, status, after string, now time.Time, limit int) ([]*pca.Certificate, string, error) {
	match, err := statusMatcher(status, millis(now))
	if err != nil {
		return nil, "", err
	}
	query := `SELECT serial, revoked_at, not_after, names FROM certificates WHERE ca_id = ? AND serial > ?`
	args := []any{caID, after}
	name = strings.ToLower(name)
	if prefix != "" {
		// Every hex string that starts with prefix sorts in [prefix, prefix+"g").
		query += ` AND serial >= ? AND serial < ?`
		args = append(args, prefix, prefix+"g")
	}
	query += ` ORDER BY serial LIMIT ?`
	args = append(args, ConsoleScanLimit)
	rows, err := s.query(ctx, nil, query, args...)
	if err != nil {
		return nil, "", fmt.Errorf("sqlstore: certificate page: %w", err)
	}
	var serials []string
	var last, next string
	scanned := 0
	for rows.Next() {
		var serial, names string
		var revoked, notAfter int64
		if err := rows.Scan(&serial, &revoked, &notAfter, &names); err != nil {
			rows.Close()
			return nil, "", err
		}
		scanned++
		last = serial
		// Names are matched here, not in SQL, so the scan stays bounded.
		if !match(revoked, notAfter) || name != "" && !strings.Contains(names, name) {
			continue
		}
		if len(serials) == limit {
			next = serials[limit-1]
			break
		}
		serials = append(serials, serial)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("sqlstore: certificate page: %w", err)
	}
	if next == "" && scanned == ConsoleScanLimit {
		next = last
	}
	// The full rows (with their DER) only for the page itself.
	page := make([]*pca.Certificate, 0, len(serials))
	for _, serial := range serials {
		c, err := s.GetCertificate(ctx, caID, serial)
		if errors.Is(err, pca.ErrNotFound) {
			continue // its CA was purged meanwhile
		}
		if err != nil {
			return nil, "", err
		}
		page = append(page, c)
	}
	return page, next, nil
}

func statusMatcher(status string, now int64) (func(revoked, notAfter int64) bool, error) {
	switch status {
	case "":
		return func(int64, int64) bool { return true }, nil
	case "valid":
		return func(revoked, notAfter int64) bool { return revoked == 0 && notAfter >= now }, nil
	case "expired":
		return func(revoked, notAfter int64) bool { return revoked == 0 && notAfter < now }, nil
	case "revoked":
		return func(revoked, _ int64) bool { return revoked > 0 }, nil
	}
	return nil, fmt.Errorf("sqlstore: unknown certificate status %q", status)
}

// AuditReports returns a CA's most recent audit reports, newest first.
func (s *Store) AuditReports(ctx context.Context, caID string, limit int) ([]*pca.AuditReport, error) {
	return s.auditReports(ctx, `SELECT `+auditColumns+` WHERE r.ca_id = ? ORDER BY r.created_at DESC, r.id LIMIT ?`, caID, limit)
}
