// Package sqlstore implements pca.Store with portable SQL over database/sql.
// One implementation serves every backend; a Dialect carries the few
// differences (placeholders, row locks, migrations).
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/openpca/openpca/internal/pca"
)

// Dialect describes what differs between SQL backends.
type Dialect struct {
	Name string
	// Rebind turns the '?' placeholders of a query into the backend's own.
	Rebind func(query string) string
	// ForUpdate is appended to a SELECT that must lock its rows until commit
	// ("" where a write transaction already excludes other writers).
	ForUpdate string
	// Migrations holds NNNN_name.sql files applied in order.
	Migrations fs.FS
	// IsUniqueViolation reports whether err is a primary-key or unique clash.
	IsUniqueViolation func(error) bool
}

// Store is a pca.Store on a SQL database.
type Store struct {
	db *sql.DB
	d  Dialect
}

var _ pca.Store = (*Store)(nil)

// New migrates db to the latest schema and returns a Store over it.
func New(ctx context.Context, db *sql.DB, d Dialect) (*Store, error) {
	s := &Store{db: db, d: d}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// DB exposes the database for backend-specific maintenance such as checkpoints.
func (s *Store) DB() *sql.DB { return s.db }

func (s *Store) q(query string) string { return s.d.Rebind(query) }

// migrate applies the embedded migrations not yet recorded, each in its own transaction.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)`); err != nil {
		return fmt.Errorf("sqlstore: create schema_migrations: %w", err)
	}
	names, err := fs.Glob(s.d.Migrations, "*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		version, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("sqlstore: migration %s: name must start with a number", name)
		}
		body, err := fs.ReadFile(s.d.Migrations, name)
		if err != nil {
			return err
		}
		err = s.withTx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), version).Scan(&n); err != nil || n > 0 {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version) VALUES (?)`), version)
			return err
		})
		if err != nil {
			return fmt.Errorf("sqlstore: migration %s: %w", name, err)
		}
	}
	return nil
}

// withTx runs fn in a transaction, committing when it returns nil.
func (s *Store) withTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

const caColumns = `id, account, type, status, status_before_deletion, failure_reason, created_at,
	last_state_change_at, restorable_until, serial, not_before, not_after, key_storage, usage_mode, config, revocation`

// CreateCA implements pca.Store.
func (s *Store) CreateCA(ctx context.Context, ca *pca.CA, idem *pca.Idempotency) (*pca.CA, error) {
	var existing string
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		if idem != nil {
			var created int64
			err := tx.QueryRowContext(ctx, s.q(`SELECT result, created_at FROM idempotency_tokens WHERE account = ? AND operation = ? AND token = ?`+s.d.ForUpdate),
				idem.Account, idem.Operation, idem.Token).Scan(&existing, &created)
			switch {
			case err == nil && created > millis(idem.Since):
				return nil
			case err == nil:
				existing = ""
				if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM idempotency_tokens WHERE account = ? AND operation = ? AND token = ?`), idem.Account, idem.Operation, idem.Token); err != nil {
					return err
				}
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO idempotency_tokens (account, operation, token, result, created_at) VALUES (?, ?, ?, ?, ?)`),
				idem.Account, idem.Operation, idem.Token, ca.ID, millis(ca.CreatedAt)); err != nil {
				return err
			}
		}
		row, err := toRow(ca)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO certificate_authorities (`+caColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), row.args()...); err != nil {
			return err
		}
		return s.writeTags(ctx, tx, ca.ID, ca.Tags)
	})
	if err != nil && idem != nil && s.d.IsUniqueViolation(err) {
		// A concurrent call with the same token won; answer with its CA.
		return s.CreateCA(ctx, ca, idem)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: create CA: %w", err)
	}
	if existing != "" {
		return s.GetCA(ctx, idem.Account, existing)
	}
	return ca, nil
}

// GetCA implements pca.Store.
func (s *Store) GetCA(ctx context.Context, account, id string) (*pca.CA, error) {
	return s.getCA(ctx, s.db, account, id, "")
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (s *Store) getCA(ctx context.Context, q queryer, account, id, lock string) (*pca.CA, error) {
	var r caRow
	err := q.QueryRowContext(ctx, s.q(`SELECT `+caColumns+` FROM certificate_authorities WHERE account = ? AND id = ?`+lock), account, id).Scan(r.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pca.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: get CA: %w", err)
	}
	ca, err := r.toCA()
	if err != nil {
		return nil, err
	}
	if ca.Tags, err = s.readTags(ctx, q, id); err != nil {
		return nil, err
	}
	return ca, nil
}

// ListCAs implements pca.Store.
func (s *Store) ListCAs(ctx context.Context, account string, after pca.ListPosition, limit int) ([]*pca.CA, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+caColumns+` FROM certificate_authorities
		WHERE account = ? AND (created_at > ? OR (created_at = ? AND id > ?))
		ORDER BY created_at, id LIMIT ?`), account, millis(after.CreatedAt), millis(after.CreatedAt), after.ID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list CAs: %w", err)
	}
	var cas []*pca.CA
	for rows.Next() {
		var r caRow
		if err := rows.Scan(r.dest()...); err != nil {
			rows.Close()
			return nil, err
		}
		ca, err := r.toCA()
		if err != nil {
			rows.Close()
			return nil, err
		}
		cas = append(cas, ca)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, ca := range cas {
		if ca.Tags, err = s.readTags(ctx, s.db, ca.ID); err != nil {
			return nil, err
		}
	}
	return cas, nil
}

// UpdateCA implements pca.Store.
func (s *Store) UpdateCA(ctx context.Context, account, id string, mutate func(*pca.CA) error) (*pca.CA, error) {
	var out *pca.CA
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		ca, err := s.getCA(ctx, tx, account, id, s.d.ForUpdate)
		if err != nil {
			return err
		}
		if err := mutate(ca); err != nil {
			return err
		}
		row, err := toRow(ca)
		if err != nil {
			return err
		}
		args := append(row.args()[2:], account, id)
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE certificate_authorities SET type = ?, status = ?, status_before_deletion = ?,
			failure_reason = ?, created_at = ?, last_state_change_at = ?, restorable_until = ?, serial = ?, not_before = ?,
			not_after = ?, key_storage = ?, usage_mode = ?, config = ?, revocation = ? WHERE account = ? AND id = ?`), args...); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM ca_tags WHERE ca_id = ?`), id); err != nil {
			return err
		}
		out = ca
		return s.writeTags(ctx, tx, id, ca.Tags)
	})
	return out, err
}

// PurgeCA implements pca.Store.
func (s *Store) PurgeCA(ctx context.Context, account, id string) error {
	return s.withTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM ca_tags WHERE ca_id = ?`), id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`DELETE FROM certificate_authorities WHERE account = ? AND id = ?`), account, id)
		return err
	})
}

// PurgeDeletedBefore implements pca.Store.
func (s *Store) PurgeDeletedBefore(ctx context.Context, t time.Time) (int, error) {
	var n int64
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		const expired = `SELECT id FROM certificate_authorities WHERE status = 'DELETED' AND restorable_until > 0 AND restorable_until <= ?`
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM ca_tags WHERE ca_id IN (`+expired+`)`), millis(t)); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM certificate_authorities WHERE id IN (`+expired+`)`), millis(t))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

func (s *Store) readTags(ctx context.Context, q queryer, caID string) ([]pca.Tag, error) {
	rows, err := q.QueryContext(ctx, s.q(`SELECT tag_key, tag_value FROM ca_tags WHERE ca_id = ? ORDER BY position`), caID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: read tags: %w", err)
	}
	defer rows.Close()
	var tags []pca.Tag
	for rows.Next() {
		var t pca.Tag
		var v sql.NullString
		if err := rows.Scan(&t.Key, &v); err != nil {
			return nil, err
		}
		if v.Valid {
			t.Value = &v.String
		}
		tags = append(tags, t)
	}
	return tags, rows.Err()
}

func (s *Store) writeTags(ctx context.Context, tx *sql.Tx, caID string, tags []pca.Tag) error {
	for i, t := range tags {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO ca_tags (ca_id, position, tag_key, tag_value) VALUES (?, ?, ?, ?)`), caID, i, t.Key, t.Value); err != nil {
			return err
		}
	}
	return nil
}

// millis stores a time as Unix milliseconds, 0 for the zero time.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
