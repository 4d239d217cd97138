package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/openpca/openpca/internal/pca"
	"github.com/openpca/openpca/internal/store/sqlite"
	"github.com/openpca/openpca/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) pca.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "openpca.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// Reopening runs the migrations again; they must be skipped, not re-applied.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "openpca.db")
	for range 2 {
		s, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
}
