package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"time"
)

// maxBatch bounds how many writes share one transaction.
const maxBatch = 256

// maxTries bounds how often a batch that lost a deadlock runs again.
const maxTries = 5

// writeReq is one write waiting for the group commit.
type writeReq struct {
	ctx  context.Context
	fn   func(*sql.Tx) error
	done chan error
}

var errClosed = errors.New("sqlstore: store is closed")

// write runs fn in a transaction and returns once it is durably committed.
//
// All writes go through one goroutine, which commits whatever has queued up
// in a single transaction: N concurrent writes cost one fsync instead of N,
// and the database never sees two writers, so nobody waits in a lock retry
// loop. Each write runs inside its own savepoint, so one failing write rolls
// back alone and the others still commit.
func (s *Store) write(ctx context.Context, fn func(*sql.Tx) error) error {
	req := writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.writes <- req:
	case <-s.stopped:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-req.done
}

// writer is the single goroutine that commits batches of writes, until
// quit is closed. writes is never closed, so a late write gets errClosed
// instead of a panic.
func (s *Store) writer() {
	defer close(s.stopped)
	for {
		var batch []writeReq
		select {
		case r := <-s.writes:
			batch = append(batch, r)
		case <-s.quit:
			return
		}
	drain:
		for len(batch) < maxBatch {
			select {
			case r := <-s.writes:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		s.commit(batch)
	}
}

func (s *Store) commit(batch []writeReq) {
	var results []error
	for try := 1; ; try++ {
		var retry bool
		results, retry = s.commitOnce(batch)
		if !retry || try == maxTries {
			break
		}
		// Another node's transaction deadlocked with this one: the whole
		// batch was rolled back, which lets the other go on, and runs again.
		time.Sleep(time.Duration(mrand.Int64N(int64(time.Duration(try) * 5 * time.Millisecond))))
	}
	for i, r := range batch {
		r.done <- results[i]
	}
}

// commitOnce runs batch in one transaction. It reports retry, having rolled
// everything back, when a write hit an error the dialect calls retryable.
func (s *Store) commitOnce(batch []writeReq) (results []error, retry bool) {
	results = make([]error, len(batch))
	tx, err := s.db.Begin()
	if err != nil {
		for i := range results {
			results[i] = fmt.Errorf("sqlstore: begin: %w", err)
		}
		return results, false
	}
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		results[i] = s.inSavepoint(r.ctx, tx, r.fn)
		if results[i] != nil && s.d.IsRetryable != nil && s.d.IsRetryable(results[i]) {
			tx.Rollback()
			return results, true
		}
	}
	if err := tx.Commit(); err != nil {
		for i := range results {
			if results[i] == nil {
				results[i] = fmt.Errorf("sqlstore: commit: %w", err)
			}
		}
	}
	return results, false
}

func (s *Store) inSavepoint(ctx context.Context, tx *sql.Tx, fn func(*sql.Tx) error) error {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT write"); err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT write"); rerr != nil {
			return errors.Join(err, rerr)
		}
		_, rerr := tx.ExecContext(ctx, "RELEASE SAVEPOINT write")
		return errors.Join(err, rerr)
	}
	_, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT write")
	return err
}
