package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/openpca/openpca/internal/pca"
)

const auditColumns = `c.account, r.ca_id, r.id, r.bucket, r.object_key, r.format, r.status, r.created_at
	FROM audit_reports r JOIN certificate_authorities c ON c.id = r.ca_id`

// CreateAuditReport implements pca.Store.
func (s *Store) CreateAuditReport(ctx context.Context, r *pca.AuditReport, notBefore time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := s.queryRow(ctx, tx, `SELECT COUNT(*) FROM audit_reports WHERE ca_id = ? AND created_at > ?`, []any{r.CAID, millis(notBefore)}, &n); err != nil {
			return err
		}
		if n > 0 {
			return pca.ErrConflict
		}
		_, err := s.exec(ctx, tx, `INSERT INTO audit_reports (ca_id, id, bucket, object_key, format, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			r.CAID, r.ID, r.Bucket, r.Key, r.Format, r.Status, millis(r.CreatedAt))
		return err
	})
}

// GetAuditReport implements pca.Store.
func (s *Store) GetAuditReport(ctx context.Context, caID, id string) (*pca.AuditReport, error) {
	reports, err := s.auditReports(ctx, `SELECT `+auditColumns+` WHERE r.ca_id = ? AND r.id = ?`, caID, id)
	if err != nil {
		return nil, err
	}
	if len(reports) == 0 {
		return nil, pca.ErrNotFound
	}
	return reports[0], nil
}

// AuditReportsInStatus implements pca.Store.
func (s *Store) AuditReportsInStatus(ctx context.Context, status string) ([]*pca.AuditReport, error) {
	return s.auditReports(ctx, `SELECT `+auditColumns+` WHERE r.status = ?`, status)
}

// SetAuditReportStatus implements pca.Store.
func (s *Store) SetAuditReportStatus(ctx context.Context, caID, id, status string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, `UPDATE audit_reports SET status = ? WHERE ca_id = ? AND id = ?`, status, caID, id)
		return err
	})
}

func (s *Store) auditReports(ctx context.Context, query string, args ...any) ([]*pca.AuditReport, error) {
	rows, err := s.query(ctx, nil, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: audit reports: %w", err)
	}
	defer rows.Close()
	var out []*pca.AuditReport
	for rows.Next() {
		r := &pca.AuditReport{}
		var created int64
		if err := rows.Scan(&r.Account, &r.CAID, &r.ID, &r.Bucket, &r.Key, &r.Format, &r.Status, &created); err != nil {
			return nil, err
		}
		r.CreatedAt = fromMillis(created)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	return out, nil
}
