package sqlite_test

import (
	"context"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
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

// A new database is 0600 whatever the umask, and SQLite gives its -wal and
// -shm files the database file's mode: they are private too, and a file
// the operator made keeps (and lends) the mode they gave it.
func TestFileModes(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
	for _, tc := range []struct {
		name    string
		premade fs.FileMode // 0: Open creates the file
		want    fs.FileMode
	}{
		{"created by Open", 0, 0o600},
		{"made by the operator", 0o640, 0o640},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "openpca.db")
			if tc.premade != 0 {
				if err := os.WriteFile(path, nil, tc.premade); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tc.premade); err != nil {
					t.Fatal(err)
				}
			}
			s, err := sqlite.Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			// The migrations have written through the WAL by now.
			for _, name := range []string{path, path + "-wal", path + "-shm"} {
				fi, err := os.Stat(name)
				if err != nil {
					t.Fatal(err)
				}
				if got := fi.Mode().Perm(); got != tc.want {
					t.Errorf("%s: mode %04o, want %04o", filepath.Base(name), got, tc.want)
				}
			}
		})
	}
}

// Durability rests on every connection running with synchronous=FULL
// (kill -9 tests cannot tell, since the page cache survives a killed
// process) and WAL, foreign keys and a busy timeout: each connection of
// the pool is asked.
func TestConnectionPragmas(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "openpca.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db := s.DB()
	var conns []*sql.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range 8 { // the pool's size: every connection at once
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		for pragma, want := range map[string]string{"synchronous": "2", "journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "10000"} {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("connection %d: PRAGMA %s = %s, want %s", len(conns), pragma, got, want)
			}
		}
	}
}
