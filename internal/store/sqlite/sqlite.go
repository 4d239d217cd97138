// Package sqlite opens openpca's embedded database: a SQLite file in WAL mode
// with full fsync on commit, so an acknowledged write survives a crash or a
// power loss.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/openpca/openpca/internal/store/sqlstore"
)

// Open opens (creating if needed) the database file at path. A new file is
// created with mode 0600.
func Open(ctx context.Context, path string) (*sqlstore.Store, error) {
	// SQLite creates a database file 0644, and its -wal and -shm files with
	// the mode of the database file (unix VFS: robust_open fchmods them to
	// it, whatever the umask). An empty file is an empty database, so
	// creating it here first makes all three private; a file that already
	// exists keeps the mode its owner gave it.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	f.Close()
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	// Write transactions take the write lock up front, so two of them never
	// deadlock upgrading from a read lock.
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// Keep every connection idle-able: a new one re-runs the pragmas and loses
	// its prepared statements.
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s, err := sqlstore.New(ctx, db, sqlstore.Dialect{
		Name:              "sqlite",
		Rebind:            func(q string) string { return q },
		Exclusive:         true, // the file belongs to this process
		IsUniqueViolation: isUniqueViolation,
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func isUniqueViolation(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && (e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE)
}
