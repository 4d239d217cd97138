// Package postgres opens openpca's shared database: PostgreSQL through pgx,
// for several openpca nodes serving one deployment.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/openpca/openpca/internal/store/sqlstore"
)

// migrationLock is the advisory lock key nodes take while migrating, so two
// nodes starting together do not both apply a migration.
const migrationLock = 0x6f70656e706361 // "openpca"

// Open connects to the database at url (postgres://... or a key=value DSN)
// and migrates it to the latest schema.
func Open(ctx context.Context, url string) (*sqlstore.Store, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: migration lock: %w", err)
	}
	s, err := sqlstore.New(ctx, db, sqlstore.Dialect{
		Name:              "postgres",
		Rebind:            Rebind,
		ForUpdate:         " FOR UPDATE",
		Types:             strings.NewReplacer(" BLOB ", " BYTEA ", " BLOB,", " BYTEA,"),
		Snapshot:          sql.LevelRepeatableRead,
		IsUniqueViolation: func(err error) bool { return code(err) == "23505" },
		// Deadlocks between nodes' batches, and serialization failures,
		// abort only the write that hit them; it can simply run again.
		IsRetryable: func(err error) bool { c := code(err); return c == "40P01" || c == "40001" },
	})
	_, unlockErr := conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock)
	if err == nil && unlockErr != nil {
		s.Close()
		return nil, fmt.Errorf("postgres: migration unlock: %w", unlockErr)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func code(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Rebind turns '?' placeholders into $1, $2, ...; a '?' inside a quoted
// string or identifier is left alone.
func Rebind(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
