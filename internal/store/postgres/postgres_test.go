package postgres_test

import (
	"context"
	"testing"

	"github.com/openpca/openpca/internal/pca"
	"github.com/openpca/openpca/internal/store/postgres"
	"github.com/openpca/openpca/internal/store/postgres/pgtest"
	"github.com/openpca/openpca/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) pca.Store {
		return pgtest.Open(t)
	})
}

func TestRebind(t *testing.T) {
	for in, want := range map[string]string{
		`SELECT a FROM t WHERE b = ? AND c = ?`: `SELECT a FROM t WHERE b = $1 AND c = $2`,
		`SELECT '?' FROM t WHERE "x?" = ?`:      `SELECT '?' FROM t WHERE "x?" = $1`,
		`INSERT INTO t VALUES (?, 'it''s', ?)`:  `INSERT INTO t VALUES ($1, 'it''s', $2)`,
		`SELECT 1`:                              `SELECT 1`,
	} {
		if got := postgres.Rebind(in); got != want {
			t.Errorf("Rebind(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestShared(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (pca.Store, pca.Store) {
		url := pgtest.URL(t)
		a, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		b, err := postgres.Open(context.Background(), url)
		if err != nil {
			a.Close()
			t.Fatal(err)
		}
		return a, b
	})
}
