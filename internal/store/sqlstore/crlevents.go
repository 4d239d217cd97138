package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/openpca/openpca/internal/pca"
)

// CRLHistory is how long the history of CRL publications is kept.
const CRLHistory = 24 * time.Hour

// pruneEvery spaces the deletions of expired CRL events, so that each
// deletes about a minute's worth of rows instead of one row per event.
const pruneEvery = time.Minute

// maxDetail bounds the error text kept with a failed publication.
const maxDetail = 1000

// RecordCRLEvent adds a publication or failed publication to the CRL
// history (the publisher calls it after each one), and at most once a
// pruneEvery (of event time) deletes the events more than CRLHistory
// older than ev.
func (s *Store) RecordCRLEvent(ctx context.Context, ev pca.CRLEvent) error {
	detail := ev.Detail
	if len(detail) > maxDetail {
		detail = strings.ToValidUTF8(detail[:maxDetail], "")
	}
	// Spaced by the events' own clock (the publisher's); a clock stepped
	// back prunes at once rather than after the step.
	at, every := millis(ev.At), pruneEvery.Milliseconds()
	last := s.eventsPruned.Load()
	prune := (at-last >= every || last-at >= every) && s.eventsPruned.CompareAndSwap(last, at)
	return s.write(ctx, func(tx *sql.Tx) error {
		if prune {
			if _, err := s.exec(ctx, tx, `DELETE FROM crl_events WHERE at < ?`, millis(ev.At.Add(-CRLHistory))); err != nil {
				return fmt.Errorf("sqlstore: prune CRL events: %w", err)
			}
		}
		_, err := s.exec(ctx, tx, `INSERT INTO crl_events (ca_id, crl_partition, at, number, latency_ms, failure, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			ev.CAID, ev.Partition, at, ev.Number, ev.Latency.Milliseconds(), ev.Failure, detail)
		if err != nil {
			return fmt.Errorf("sqlstore: record CRL event: %w", err)
		}
		return nil
	})
}

// CRLEvents returns a CA's CRL events at or after since, oldest first: the
// newest limit of them, read from the (ca_id, at) index.
func (s *Store) CRLEvents(ctx context.Context, caID string, since time.Time, limit int) ([]pca.CRLEvent, error) {
	rows, err := s.query(ctx, nil, `SELECT crl_partition, at, number, latency_ms, failure, detail FROM crl_events
		WHERE ca_id = ? AND at >= ? ORDER BY at DESC LIMIT ?`, caID, millis(since), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: CRL events: %w", err)
	}
	defer rows.Close()
	var out []pca.CRLEvent
	for rows.Next() {
		ev := pca.CRLEvent{CAID: caID}
		var at, latency int64
		if err := rows.Scan(&ev.Partition, &at, &ev.Number, &latency, &ev.Failure, &ev.Detail); err != nil {
			return nil, fmt.Errorf("sqlstore: CRL events: %w", err)
		}
		ev.At, ev.Latency = fromMillis(at), time.Duration(latency)*time.Millisecond
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: CRL events: %w", err)
	}
	slices.Reverse(out)
	return out, nil
}

// RevocationsPerHour counts a CA's revocations in each of the hours hours
// from since: element i counts those in [since+i h, since+(i+1) h). It
// reads the revocations of that span only, from the (ca_id, revoked_at)
// index.
func (s *Store) RevocationsPerHour(ctx context.Context, caID string, since time.Time, hours int) ([]int64, error) {
	from := millis(since)
	const hour = int64(time.Hour / time.Millisecond)
	// revoked_at > 0 names the partial index's condition, which a bound
	// parameter cannot be shown to imply.
	rows, err := s.query(ctx, nil, `SELECT (revoked_at - ?) / 3600000, COUNT(*) FROM certificates
		WHERE ca_id = ? AND revoked_at > 0 AND revoked_at >= ? AND revoked_at < ? GROUP BY 1`,
		from, caID, from, from+int64(hours)*hour)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: revocations per hour: %w", err)
	}
	defer rows.Close()
	counts := make([]int64, hours)
	for rows.Next() {
		var i, n int64
		if err := rows.Scan(&i, &n); err != nil {
			return nil, fmt.Errorf("sqlstore: revocations per hour: %w", err)
		}
		if i >= 0 && i < int64(hours) {
			counts[i] = n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: revocations per hour: %w", err)
	}
	return counts, nil
}
