package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/openpca/openpca/internal/pca"
)

// CreatePermission implements pca.Store.
func (s *Store) CreatePermission(ctx context.Context, p *pca.Permission) error {
	actions, err := json.Marshal(p.Actions)
	if err != nil {
		return err
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, `INSERT INTO ca_permissions (ca_id, principal, source_account, actions, created_at) VALUES (?, ?, ?, ?, ?)`,
			p.CAID, p.Principal, p.SourceAccount, string(actions), millis(p.CreatedAt))
		return err
	})
	switch {
	case err != nil && s.d.IsUniqueViolation(err):
		return pca.ErrConflict
	case err != nil:
		return fmt.Errorf("sqlstore: create permission: %w", err)
	}
	return nil
}

// ListPermissions implements pca.Store.
func (s *Store) ListPermissions(ctx context.Context, caID, afterPrincipal, afterSourceAccount string, limit int) ([]*pca.Permission, error) {
	rows, err := s.query(ctx, nil, `SELECT principal, source_account, actions, created_at FROM ca_permissions
		WHERE ca_id = ? AND (principal > ? OR (principal = ? AND source_account > ?))
		ORDER BY principal, source_account LIMIT ?`, caID, afterPrincipal, afterPrincipal, afterSourceAccount, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list permissions: %w", err)
	}
	defer rows.Close()
	var out []*pca.Permission
	for rows.Next() {
		p := &pca.Permission{CAID: caID}
		var actions string
		var created int64
		if err := rows.Scan(&p.Principal, &p.SourceAccount, &actions, &created); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(actions), &p.Actions); err != nil {
			return nil, fmt.Errorf("sqlstore: decode permission actions: %w", err)
		}
		p.CreatedAt = fromMillis(created)
		out = append(out, p)
	}
	return out, rows.Err()
}

// DeletePermission implements pca.Store.
func (s *Store) DeletePermission(ctx context.Context, caID, principal, sourceAccount string) error {
	return s.deleteOne(ctx, `DELETE FROM ca_permissions WHERE ca_id = ? AND principal = ? AND source_account = ?`, pca.ErrNotFound, caID, principal, sourceAccount)
}

// deleteOne runs a DELETE and returns notFound when it removed nothing.
func (s *Store) deleteOne(ctx context.Context, query string, notFound error, args ...any) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, query, args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return notFound
		}
		return nil
	})
}
