// Package pgtest gives tests a fresh PostgreSQL schema of their own on the
// server OPENPCA_TEST_DATABASE_URL names (scripts/test-services/postgres.sh
// starts one).
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/openpca/openpca/internal/store/postgres"
	"github.com/openpca/openpca/internal/store/sqlstore"
)

// EnvURL names the environment variable holding the test server's URL.
const EnvURL = "OPENPCA_TEST_DATABASE_URL"

// URL creates an empty schema, dropped when t ends, and returns a database
// URL whose connections use it. Without EnvURL the test is skipped.
func URL(t testing.TB) string {
	t.Helper()
	return newSchema(t, true)
}

// KeptURL is URL for a schema that outlives t, for servers a test restarts
// from its subtests; the throwaway cluster takes it away at the end.
func KeptURL(t testing.TB) string {
	t.Helper()
	return newSchema(t, false)
}

func newSchema(t testing.TB, drop bool) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		t.Skip(EnvURL + " is not set; scripts/test.sh starts a throwaway PostgreSQL")
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	if drop {
		t.Cleanup(func() {
			db, err := sql.Open("pgx", base)
			if err != nil {
				return
			}
			defer db.Close()
			db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		})
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open opens a store on a fresh schema and closes it when t ends.
func Open(t testing.TB) *sqlstore.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
