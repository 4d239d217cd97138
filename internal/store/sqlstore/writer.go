package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"runtime"
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
// loop. One failing write rolls back alone and the others still commit (see
// commitBatch).
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
		// Yielding lets the request goroutines that are ready to run reach
		// their write before this batch commits: a busy server commits
		// larger batches, spending less CPU per write, while an idle one
		// commits at once because nothing else is runnable.
		for n := 0; n != len(batch) && len(batch) < maxBatch; {
			n = len(batch)
			runtime.Gosched()
		drain:
			for len(batch) < maxBatch {
				select {
				case r := <-s.writes:
					batch = append(batch, r)
				default:
					break drain
				}
			}
		}
		s.commit(batch)
	}
}

func (s *Store) commit(batch []writeReq) {
	results := s.commitBatch(batch)
	for i, r := range batch {
		r.done <- results[i]
	}
}

// outcome says how one attempt at a batch ended.
type outcome int

const (
	committed  outcome = iota // results hold each write's own outcome
	writeError                // a write failed and everything was rolled back
	deadlocked                // another node's transaction won; everything was rolled back
)

// commitBatch commits batch and returns each write's error. A savepoint
// costs two round trips per write, so a batch first runs without them; if
// a write fails, the batch runs again with a savepoint per write, so the
// failure rolls back alone. A deadlocked batch runs again from the start.
func (s *Store) commitBatch(batch []writeReq) []error {
	savepoints := false
	for try := 1; ; try++ {
		results, out := s.commitOnce(batch, savepoints)
		switch {
		case out == committed || (out == writeError && len(batch) == 1):
			return results
		case out == writeError && !savepoints:
			savepoints = true
		case out == deadlocked && try < maxTries:
			// Rolling back let the other transaction go on.
			time.Sleep(time.Duration(mrand.Int64N(int64(time.Duration(try) * 5 * time.Millisecond))))
		default:
			// Nothing of this batch was committed: no write may report success.
			err := fmt.Errorf("sqlstore: batch abandoned after %d attempts: %w", try, errors.Join(results...))
			for i := range results {
				results[i] = err
			}
			return results
		}
	}
}

// commitOnce runs batch in one transaction, each write in a savepoint of
// its own if savepoints is set.
func (s *Store) commitOnce(batch []writeReq, savepoints bool) ([]error, outcome) {
	results := make([]error, len(batch))
	tx, err := s.db.Begin()
	if err != nil {
		for i := range results {
			results[i] = fmt.Errorf("sqlstore: begin: %w", err)
		}
		return results, committed
	}
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if savepoints {
			results[i] = s.inSavepoint(r.ctx, tx, r.fn)
		} else {
			results[i] = r.fn(tx)
		}
		if results[i] == nil {
			continue
		}
		if s.d.IsRetryable != nil && s.d.IsRetryable(results[i]) {
			tx.Rollback()
			return results, deadlocked
		}
		if !savepoints {
			tx.Rollback()
			return results, writeError
		}
	}
	if err := tx.Commit(); err != nil {
		for i := range results {
			if results[i] == nil {
				results[i] = fmt.Errorf("sqlstore: commit: %w", err)
			}
		}
	}
	return results, committed
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
