package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/openpca/openpca/internal/pca"
)

// RevokeCertificate implements pca.Store.
func (s *Store) RevokeCertificate(ctx context.Context, caID, serial string, at time.Time, reason string, limit int64) (*pca.Certificate, error) {
	var cert *pca.Certificate
	err := s.write(ctx, func(tx *sql.Tx) error {
		var revoked, notAfter int64
		var partition string
		// The row lock makes one of several nodes revoking the same
		// certificate at once win, and the others see it revoked.
		err := s.queryRow(ctx, tx, `SELECT revoked_at, not_after, crl_partition FROM certificates WHERE ca_id = ? AND serial = ?`+s.d.ForUpdate,
			[]any{caID, serial}, &revoked, &notAfter, &partition)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return pca.ErrNotFound
		case err != nil:
			return err
		case revoked != 0:
			return pca.ErrAlreadyRevoked
		case notAfter <= millis(at):
			return pca.ErrExpired
		}
		// Counting first and checking after holds the CRL row's lock, so
		// concurrent revocations cannot overshoot the limit together.
		var count, revision int64
		if err := s.queryRow(ctx, tx, `INSERT INTO crls (ca_id, crl_partition, dirty_since, unpublished_since, revoked_count, revision) VALUES (?, ?, ?, ?, 1, 1)
			ON CONFLICT (ca_id, crl_partition) DO UPDATE SET revoked_count = crls.revoked_count + 1, revision = crls.revision + 1,
			dirty_since = CASE WHEN crls.dirty_since = 0 THEN excluded.dirty_since ELSE crls.dirty_since END,
			unpublished_since = CASE WHEN crls.unpublished_since = 0 THEN excluded.unpublished_since ELSE crls.unpublished_since END
			RETURNING revoked_count, revision`,
			[]any{caID, partition, millis(at), millis(at)}, &count, &revision); err != nil {
			return err
		}
		if limit > 0 && count > limit {
			return pca.ErrLimit // the savepoint's rollback undoes the count
		}
		if _, err := s.exec(ctx, tx, `UPDATE certificates SET revoked_at = ?, revocation_reason = ?, revoked_seq = ? WHERE ca_id = ? AND serial = ?`,
			millis(at), reason, revision, caID, serial); err != nil {
			return err
		}
		cert = &pca.Certificate{CAID: caID, Serial: serial, RevokedAt: at, RevocationReason: reason, Partition: partition, NotAfter: fromMillis(notAfter)}
		return nil
	})
	return cert, err
}

// ReservePartition implements pca.Store.
func (s *Store) ReservePartition(ctx context.Context, caID, newID string, size int64, at time.Time) (string, error) {
	var id string
	err := s.write(ctx, func(tx *sql.Tx) error {
		err := s.queryRow(ctx, tx, `SELECT id FROM crl_partitions WHERE ca_id = ? AND issued < ? ORDER BY created_at, id LIMIT 1`, []any{caID, size}, &id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			id = newID
			if _, err := s.exec(ctx, tx, `INSERT INTO crl_partitions (ca_id, id, issued, created_at) VALUES (?, ?, 1, ?)`, caID, id, millis(at)); err != nil {
				return err
			}
			// The partition's first CRL is due from now on, so a restart
			// cannot forget to publish it.
			_, err = s.exec(ctx, tx, `INSERT INTO crls (ca_id, crl_partition, dirty_since) VALUES (?, ?, ?) ON CONFLICT (ca_id, crl_partition) DO NOTHING`, caID, id, millis(at))
			return err
		case err != nil:
			return err
		}
		_, err = s.exec(ctx, tx, `UPDATE crl_partitions SET issued = issued + 1 WHERE ca_id = ? AND id = ?`, caID, id)
		return err
	})
	return id, err
}

const crlColumns = `c.account, r.ca_id, r.crl_partition, r.number, r.dirty_since, r.unpublished_since, r.revoked_count, r.revision, r.this_update, r.next_update,
	r.published_at, r.size_bytes, r.entries, r.location, r.base_number, r.base_revision, r.base_this_update FROM crls r JOIN certificate_authorities c ON c.id = r.ca_id`

// CRLStates implements pca.Store.
func (s *Store) CRLStates(ctx context.Context, caID string) ([]pca.CRLState, error) {
	query, args := `SELECT `+crlColumns+` ORDER BY r.ca_id, r.crl_partition`, []any{}
	if caID != "" {
		query, args = `SELECT `+crlColumns+` WHERE r.ca_id = ? ORDER BY r.crl_partition`, []any{caID}
	}
	rows, err := s.query(ctx, nil, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: CRL states: %w", err)
	}
	defer rows.Close()
	var out []pca.CRLState
	for rows.Next() {
		var st pca.CRLState
		var dirty, unpublished, this, next, published, baseThis int64
		if err := rows.Scan(&st.Account, &st.CAID, &st.Partition, &st.Number, &dirty, &unpublished, &st.RevokedCount, &st.Revision, &this, &next, &published,
			&st.SizeBytes, &st.Entries, &st.Location, &st.BaseNumber, &st.BaseRevision, &baseThis); err != nil {
			return nil, err
		}
		st.DirtySince, st.UnpublishedSince = fromMillis(dirty), fromMillis(unpublished)
		st.ThisUpdate, st.NextUpdate, st.PublishedAt, st.BaseThisUpdate = fromMillis(this), fromMillis(next), fromMillis(published), fromMillis(baseThis)
		out = append(out, st)
	}
	return out, rows.Err()
}

// LeaseCRL implements pca.Store.
func (s *Store) LeaseCRL(ctx context.Context, caID, partition, holder string, now, until time.Time, renew bool) (bool, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		var res sql.Result
		var err error
		if renew {
			res, err = s.exec(ctx, tx, `UPDATE crls SET lease_until = ? WHERE ca_id = ? AND crl_partition = ? AND lease_holder = ?`,
				millis(until), caID, partition, holder)
		} else {
			res, err = s.exec(ctx, tx, `INSERT INTO crls (ca_id, crl_partition, dirty_since, lease_holder, lease_until) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (ca_id, crl_partition) DO UPDATE SET lease_holder = excluded.lease_holder, lease_until = excluded.lease_until
				WHERE crls.lease_holder = excluded.lease_holder OR crls.lease_holder = '' OR crls.lease_until <= ?`,
				caID, partition, millis(now), holder, millis(until), millis(now))
		}
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n == 1, err
}

// ReleaseCRL implements pca.Store.
func (s *Store) ReleaseCRL(ctx context.Context, caID, partition, holder string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, `UPDATE crls SET lease_holder = '', lease_until = 0 WHERE ca_id = ? AND crl_partition = ? AND lease_holder = ?`,
			caID, partition, holder)
		return err
	})
}

// ReadCRL implements pca.Store. The read transaction is the snapshot; rows
// are scanned one at a time, so memory does not grow with the CRL.
func (s *Store) ReadCRL(ctx context.Context, caID, partition string, afterRevision int64,
	fn func(revision int64, entries func(yield func(pca.RevokedEntry) error) error) error) error {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: s.d.Snapshot})
	if err != nil {
		return fmt.Errorf("sqlstore: read CRL: %w", err)
	}
	defer tx.Rollback()
	var revision int64
	err = s.queryRow(ctx, tx, `SELECT revision FROM crls WHERE ca_id = ? AND crl_partition = ?`, []any{caID, partition}, &revision)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	entries := func(yield func(pca.RevokedEntry) error) error {
		rows, err := s.query(ctx, tx, `SELECT serial, revoked_at, not_after, revocation_reason, revoked_seq FROM certificates
			WHERE ca_id = ? AND crl_partition = ? AND revoked_at > 0 AND revoked_seq > ?`, caID, partition, afterRevision)
		if err != nil {
			return fmt.Errorf("sqlstore: revoked entries: %w", err)
		}
		defer rows.Close()
		var e pca.RevokedEntry
		var at, notAfter int64
		for rows.Next() {
			if err := rows.Scan(&e.Serial, &at, &notAfter, &e.Reason, &e.Revision); err != nil {
				return err
			}
			e.RevokedAt, e.NotAfter = fromMillis(at), fromMillis(notAfter)
			if err := yield(e); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	return fn(revision, entries)
}

// SaveCRLPublished implements pca.Store.
func (s *Store) SaveCRLPublished(ctx context.Context, st pca.CRLState, revision int64, holder string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		// Revocations after the snapshot keep the row due, from the oldest
		// of them (read through the revocations index). Should one commit
		// after this statement's snapshot yet before its row lock, the
		// publication time stands in: the row must never look current
		// while a revocation is missing from its CRL. The quota count
		// restarts from what the CRL holds plus those revocations, so
		// expired entries drop out of it.
		const unpublished = `CASE WHEN revision = ? THEN 0 ELSE COALESCE((SELECT MIN(c.revoked_at) FROM certificates c
			WHERE c.ca_id = crls.ca_id AND c.crl_partition = crls.crl_partition AND c.revoked_at > 0 AND c.revoked_seq > ?), ?) END`
		res, err := s.exec(ctx, tx, `UPDATE crls SET number = ?, this_update = ?, next_update = ?, published_at = ?, size_bytes = ?,
			entries = ?, location = ?, base_number = ?, base_revision = ?, base_this_update = ?,
			unpublished_since = `+unpublished+`, dirty_since = `+unpublished+`,
			revoked_count = ? + revision - ?, lease_holder = '', lease_until = 0
			WHERE ca_id = ? AND crl_partition = ? AND lease_holder = ? AND number < ?`,
			st.Number, millis(st.ThisUpdate), millis(st.NextUpdate), millis(st.PublishedAt), st.SizeBytes, st.Entries, st.Location,
			st.BaseNumber, st.BaseRevision, millis(st.BaseThisUpdate),
			revision, revision, millis(st.PublishedAt), revision, revision, millis(st.PublishedAt),
			st.Entries, revision, st.CAID, st.Partition, holder, st.Number)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return cmp.Or(err, pca.ErrLeaseLost)
		}
		return nil
	})
}
