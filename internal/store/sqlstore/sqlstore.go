// Package sqlstore implements pca.Store with portable SQL over database/sql.
// One implementation serves every backend; a Dialect carries the few
// differences (placeholders, row locks, migrations).
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	// Types renames the column types of the migrations (written for SQLite)
	// to the backend's own, e.g. BLOB to BYTEA; nil keeps them.
	Types *strings.Replacer
	// Snapshot is the isolation level that gives a read transaction one
	// consistent view (SQLite's default already does in WAL mode).
	Snapshot sql.IsolationLevel
	// Exclusive says this process is the database's only writer (an
	// embedded file), so CA rows may be cached between reads.
	Exclusive bool
	// IsUniqueViolation reports whether err is a primary-key or unique clash.
	IsUniqueViolation func(error) bool
	// IsRetryable reports errors after which a write may simply run again
	// (deadlocks with another node); nil means none are.
	IsRetryable func(error) bool
}

// migrations is the schema, NNNN_name.sql files applied in order, the same
// for every backend but for column type names (Dialect.Types).
//
//go:embed migrations/*.sql
var migrations embed.FS

// Store is a pca.Store on a SQL database.
type Store struct {
	db *sql.DB
	d  Dialect
	// stmts caches prepared statements by query text: parsing SQL costs
	// more than running these small queries.
	stmts sync.Map
	// cas caches CA rows when the dialect is Exclusive (see cache.go).
	cas caCache
	// crlRows remembers the CRL rows (CA id + "/" + partition) known to
	// be committed. Only purging a CA deletes them, and CA ids are never
	// reused, so the memory never goes stale.
	crlRows sync.Map
	// eventsPruned is the time (Unix milliseconds) of the CRL event whose
	// recording last pruned the history (crlevents.go).
	eventsPruned atomic.Int64
	// writes feeds the group-commit writer (writer.go); quit asks it to
	// stop and stopped closes when it has.
	writes  chan writeReq
	quit    chan struct{}
	stopped chan struct{}

	closeOnce sync.Once
	closeErr  error
}

var _ pca.Store = (*Store)(nil)

// New migrates db to the latest schema and returns a Store over it.
func New(ctx context.Context, db *sql.DB, d Dialect) (*Store, error) {
	s := &Store{db: db, d: d, writes: make(chan writeReq), quit: make(chan struct{}), stopped: make(chan struct{})}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	go s.writer()
	return s, nil
}

// Close stops the writer, then closes the prepared statements and the
// database, once. Writes after Close fail; reads after Close are the caller's bug.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.quit)
		<-s.stopped
		s.stmts.Range(func(_, st any) bool {
			st.(*sql.Stmt).Close()
			return true
		})
		s.closeErr = s.db.Close()
	})
	return s.closeErr
}

// DB exposes the database for backend-specific maintenance such as checkpoints.
func (s *Store) DB() *sql.DB { return s.db }

func (s *Store) q(query string) string { return s.d.Rebind(query) }

// stmt returns the prepared form of query, bound to tx when tx is not nil.
func (s *Store) stmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	st, ok := s.stmts.Load(query)
	if !ok {
		p, err := s.db.PrepareContext(ctx, s.q(query))
		if err != nil {
			return nil, err
		}
		if st, ok = s.stmts.LoadOrStore(query, p); ok {
			p.Close()
		}
	}
	if tx != nil {
		return tx.StmtContext(ctx, st.(*sql.Stmt)), nil
	}
	return st.(*sql.Stmt), nil
}

func (s *Store) exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	st, err := s.stmt(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (s *Store) query(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	st, err := s.stmt(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// queryRow scans the single row of query into dest.
func (s *Store) queryRow(ctx context.Context, tx *sql.Tx, query string, args []any, dest ...any) error {
	st, err := s.stmt(ctx, tx, query)
	if err != nil {
		return err
	}
	return st.QueryRowContext(ctx, args...).Scan(dest...)
}

// migrate applies the embedded migrations not yet recorded, each in its own transaction.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)`); err != nil {
		return fmt.Errorf("sqlstore: create schema_migrations: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		version, err := strconv.Atoi(strings.SplitN(path.Base(name), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("sqlstore: migration %s: name must start with a number", name)
		}
		body, err := fs.ReadFile(migrations, name)
		if err != nil {
			return err
		}
		if s.d.Types != nil {
			body = []byte(s.d.Types.Replace(string(body)))
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
	last_state_change_at, restorable_until, serial, not_before, not_after, key_storage, usage_mode, config, revocation, tags,
	key_handle, csr, certificate, certificate_chain, policy`

// CreateCA implements pca.Store.
func (s *Store) CreateCA(ctx context.Context, ca *pca.CA, idem *pca.Idempotency) (*pca.CA, error) {
	row, err := toRow(ca)
	if err != nil {
		return nil, err
	}
	existing, err := s.insertOnce(ctx, idem, ca.ID, ca.CreatedAt, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, `INSERT INTO certificate_authorities (`+caColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, row.args()...)
		return err
	})
	switch {
	case err != nil:
		return nil, fmt.Errorf("sqlstore: create CA: %w", err)
	case existing != "":
		return s.GetCA(ctx, idem.Account, existing)
	}
	return ca, nil
}

// CreateCertificate implements pca.Store.
func (s *Store) CreateCertificate(ctx context.Context, c *pca.Certificate, idem *pca.Idempotency, limit int64) (*pca.Certificate, error) {
	crlRow := c.CAID + "/" + c.Partition
	existing, err := s.insertOnce(ctx, idem, c.Serial, c.IssuedAt, func(tx *sql.Tx) error {
		// Counting first holds the counter row's lock until commit, so
		// concurrent issuance on several nodes cannot overshoot the limit.
		var issued int64
		if err := s.queryRow(ctx, tx, `INSERT INTO ca_counters (ca_id, issued) VALUES (?, 1)
			ON CONFLICT (ca_id) DO UPDATE SET issued = ca_counters.issued + 1 RETURNING issued`, []any{c.CAID}, &issued); err != nil {
			return err
		}
		if limit > 0 && issued > limit {
			return pca.ErrLimit // the savepoint's rollback undoes the count
		}
		if _, err := s.exec(ctx, tx, `INSERT INTO certificates (ca_id, serial, der, issued_at, not_before, not_after, crl_partition, template_arn, names) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.CAID, c.Serial, c.DER, millis(c.IssuedAt), millis(c.NotBefore), millis(c.NotAfter), c.Partition, c.TemplateArn, c.Names); err != nil || !c.NamesCRL {
			return err
		}
		// Look before inserting (in memory, then in the table): an insert,
		// even one that does nothing, waits for the row lock revocations
		// and CRL leases take, and in batches that mix them with issuance
		// on other nodes that wait is a deadlock.
		if _, ok := s.crlRows.Load(crlRow); ok {
			return nil
		}
		var one int
		err := s.queryRow(ctx, tx, `SELECT 1 FROM crls WHERE ca_id = ? AND crl_partition = ?`, []any{c.CAID, c.Partition}, &one)
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err = s.exec(ctx, tx, `INSERT INTO crls (ca_id, crl_partition) VALUES (?, ?) ON CONFLICT (ca_id, crl_partition) DO NOTHING`, c.CAID, c.Partition)
		return err
	})
	switch {
	case errors.Is(err, pca.ErrLimit):
		return nil, err
	case err != nil && s.d.IsUniqueViolation(err):
		return nil, pca.ErrConflict
	case err != nil:
		return nil, fmt.Errorf("sqlstore: create certificate: %w", err)
	case existing != "":
		return s.GetCertificate(ctx, c.CAID, existing)
	}
	if c.NamesCRL {
		s.crlRows.Store(crlRow, true) // committed with the certificate
	}
	return c, nil
}

// GetCertificate implements pca.Store.
func (s *Store) GetCertificate(ctx context.Context, caID, serial string) (*pca.Certificate, error) {
	var r certRow
	err := s.queryRow(ctx, nil, `SELECT `+certColumns+` FROM certificates WHERE ca_id = ? AND serial = ?`, []any{caID, serial}, r.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pca.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: get certificate: %w", err)
	}
	return r.toCertificate(), nil
}

const certColumns = `ca_id, serial, der, issued_at, not_before, not_after, revoked_at, revocation_reason, crl_partition, template_arn`

type certRow struct {
	c                       pca.Certificate
	issued, nb, na, revoked int64
}

func (r *certRow) dest() []any {
	return []any{&r.c.CAID, &r.c.Serial, &r.c.DER, &r.issued, &r.nb, &r.na, &r.revoked, &r.c.RevocationReason, &r.c.Partition, &r.c.TemplateArn}
}

func (r *certRow) toCertificate() *pca.Certificate {
	c := r.c
	c.IssuedAt, c.NotBefore, c.NotAfter, c.RevokedAt = fromMillis(r.issued), fromMillis(r.nb), fromMillis(r.na), fromMillis(r.revoked)
	return &c
}

// Certificates implements pca.Store, one row at a time.
func (s *Store) Certificates(ctx context.Context, caID string, yield func(*pca.Certificate) error) error {
	rows, err := s.query(ctx, nil, `SELECT `+certColumns+` FROM certificates WHERE ca_id = ? ORDER BY issued_at, serial`, caID)
	if err != nil {
		return fmt.Errorf("sqlstore: certificates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r certRow
		if err := rows.Scan(r.dest()...); err != nil {
			return err
		}
		if err := yield(r.toCertificate()); err != nil {
			return err
		}
	}
	return rows.Err()
}

// insertOnce runs insert in a transaction, guarded by an idempotency token
// when idem is not nil: if the token was used after idem.Since, nothing is
// inserted and the result recorded for it is returned.
func (s *Store) insertOnce(ctx context.Context, idem *pca.Idempotency, result string, at time.Time, insert func(*sql.Tx) error) (string, error) {
	var existing string
	err := s.write(ctx, func(tx *sql.Tx) error {
		if idem != nil {
			var created int64
			err := s.queryRow(ctx, tx, `SELECT result, created_at FROM idempotency_tokens WHERE account = ? AND operation = ? AND token = ?`+s.d.ForUpdate,
				[]any{idem.Account, idem.Operation, idem.Token}, &existing, &created)
			switch {
			case err == nil && created > millis(idem.Since):
				return nil
			case err == nil:
				existing = ""
				if _, err := s.exec(ctx, tx, `DELETE FROM idempotency_tokens WHERE account = ? AND operation = ? AND token = ?`, idem.Account, idem.Operation, idem.Token); err != nil {
					return err
				}
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
			if _, err := s.exec(ctx, tx, `INSERT INTO idempotency_tokens (account, operation, token, result, created_at) VALUES (?, ?, ?, ?, ?)`,
				idem.Account, idem.Operation, idem.Token, result, millis(at)); err != nil {
				return err
			}
		}
		return insert(tx)
	})
	if err != nil && idem != nil && s.d.IsUniqueViolation(err) {
		// Either a concurrent call with the same token won, or the insert
		// itself clashed: look for the token to tell which.
		var created int64
		if e := s.queryRow(ctx, nil, `SELECT result, created_at FROM idempotency_tokens WHERE account = ? AND operation = ? AND token = ?`,
			[]any{idem.Account, idem.Operation, idem.Token}, &existing, &created); e == nil && created > millis(idem.Since) {
			return existing, nil
		}
	}
	return existing, err
}

// GetCA implements pca.Store.
func (s *Store) GetCA(ctx context.Context, account, id string) (*pca.CA, error) {
	if !s.d.Exclusive {
		return s.getCA(ctx, nil, account, id, "")
	}
	key := account + "/" + id
	if ca, ok := s.cas.get(key); ok {
		c := *ca
		return &c, nil
	}
	gen := s.cas.generation()
	ca, err := s.getCA(ctx, nil, account, id, "")
	if err != nil {
		return nil, err
	}
	s.cas.put(key, ca, gen)
	c := *ca
	return &c, nil
}

func (s *Store) getCA(ctx context.Context, tx *sql.Tx, account, id, lock string) (*pca.CA, error) {
	r, err := s.getRow(ctx, tx, account, id, lock)
	if err != nil {
		return nil, err
	}
	return r.toCA()
}

func (s *Store) getRow(ctx context.Context, tx *sql.Tx, account, id, lock string) (*caRow, error) {
	var r caRow
	err := s.queryRow(ctx, tx, `SELECT `+caColumns+` FROM certificate_authorities WHERE account = ? AND id = ?`+lock, []any{account, id}, r.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pca.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: get CA: %w", err)
	}
	return &r, nil
}

// CAsInStatus implements pca.Store.
func (s *Store) CAsInStatus(ctx context.Context, status pca.Status) ([]*pca.CA, error) {
	return s.listCAs(ctx, `SELECT `+caColumns+` FROM certificate_authorities WHERE status = ?`, string(status))
}

// ListCAs implements pca.Store.
func (s *Store) ListCAs(ctx context.Context, account string, after pca.ListPosition, limit int) ([]*pca.CA, error) {
	return s.listCAs(ctx, `SELECT `+caColumns+` FROM certificate_authorities
		WHERE account = ? AND (created_at > ? OR (created_at = ? AND id > ?))
		ORDER BY created_at, id LIMIT ?`, account, millis(after.CreatedAt), millis(after.CreatedAt), after.ID, limit)
}

// ListSharedCAs implements pca.Store.
func (s *Store) ListSharedCAs(ctx context.Context, notAccount string, after pca.ListPosition, limit int) ([]*pca.CA, error) {
	return s.listCAs(ctx, `SELECT `+caColumns+` FROM certificate_authorities
		WHERE policy <> '' AND account <> ? AND (created_at > ? OR (created_at = ? AND id > ?))
		ORDER BY created_at, id LIMIT ?`, notAccount, millis(after.CreatedAt), millis(after.CreatedAt), after.ID, limit)
}

func (s *Store) listCAs(ctx context.Context, query string, args ...any) ([]*pca.CA, error) {
	rows, err := s.query(ctx, nil, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list CAs: %w", err)
	}
	defer rows.Close()
	var cas []*pca.CA
	for rows.Next() {
		var r caRow
		if err := rows.Scan(r.dest()...); err != nil {
			return nil, err
		}
		ca, err := r.toCA()
		if err != nil {
			return nil, err
		}
		cas = append(cas, ca)
	}
	return cas, rows.Err()
}

// UpdateCA implements pca.Store.
func (s *Store) UpdateCA(ctx context.Context, account, id string, mutate func(*pca.CA) error) (*pca.CA, error) {
	var out *pca.CA
	err := s.write(ctx, func(tx *sql.Tx) error {
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
		if _, err := s.exec(ctx, tx, `UPDATE certificate_authorities SET type = ?, status = ?, status_before_deletion = ?,
			failure_reason = ?, created_at = ?, last_state_change_at = ?, restorable_until = ?, serial = ?, not_before = ?,
			not_after = ?, key_storage = ?, usage_mode = ?, config = ?, revocation = ?, tags = ?,
			key_handle = ?, csr = ?, certificate = ?, certificate_chain = ?, policy = ? WHERE account = ? AND id = ?`, args...); err != nil {
			return err
		}
		out = ca
		return nil
	})
	s.cas.invalidate(account + "/" + id)
	return out, err
}

// PurgeCA implements pca.Store.
func (s *Store) PurgeCA(ctx context.Context, account, id string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, `DELETE FROM certificate_authorities WHERE account = ? AND id = ?`, account, id)
		return err
	})
	s.cas.invalidate(account + "/" + id)
	return err
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
