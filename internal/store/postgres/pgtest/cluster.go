package pgtest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Cluster is a PostgreSQL server of one test's own, which the test may
// stop, hang and start again (the shared server of EnvURL must stay up for
// the other tests). scripts/test-services/postgres.sh runs it.
type Cluster struct {
	URL    string // the postgres database, as superuser
	dir    string
	script string
}

// NewCluster starts a throwaway cluster, removed when t ends. Without
// PostgreSQL installed the test is skipped, unless OPENPCA_TEST_STORE is
// "postgres", where it fails.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	script, err := scriptPath()
	if err != nil {
		t.Fatal(err)
	}
	if exec.Command(script, "installed").Run() != nil {
		if os.Getenv("OPENPCA_TEST_STORE") == "postgres" {
			t.Fatal("PostgreSQL is not installed (scripts/test-services/postgres.sh installs it as root)")
		}
		t.Skip("PostgreSQL is not installed")
	}
	// start prints export lines; the shell reads them back.
	out, err := exec.Command("bash", "-c", `out=$("$0" start) || exit 1; eval "$out"; printf '%s\n%s\n' "$OPENPCA_TEST_DATABASE_URL" "$OPENPCA_TEST_POSTGRES_DIR"`, script).Output()
	if err != nil {
		t.Fatalf("postgres.sh start: %v\n%s", err, stderr(err))
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		t.Fatalf("postgres.sh start printed %q", out)
	}
	c := &Cluster{URL: lines[0], dir: lines[1], script: script}
	t.Cleanup(func() { c.run(t, "stop") })
	return c
}

// Pause stops the server; Resume starts it again on the same port.
func (c *Cluster) Pause(t testing.TB)  { t.Helper(); c.run(t, "pause") }
func (c *Cluster) Resume(t testing.TB) { t.Helper(); c.run(t, "resume") }

// Freeze stops the server's processes with SIGSTOP, so connections and
// queries hang rather than fail; Thaw lets them go on.
func (c *Cluster) Freeze(t testing.TB) { t.Helper(); c.run(t, "freeze") }
func (c *Cluster) Thaw(t testing.TB)   { t.Helper(); c.run(t, "thaw") }

func (c *Cluster) run(t testing.TB, cmd string) {
	t.Helper()
	if out, err := exec.Command(c.script, cmd, c.dir).CombinedOutput(); err != nil {
		t.Fatalf("postgres.sh %s: %v\n%s", cmd, err, out)
	}
}

// scriptPath finds postgres.sh from the test's directory, inside the module.
func scriptPath() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "scripts", "test-services", "postgres.sh"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("pgtest: no go.mod above the test's directory")
		}
		dir = parent
	}
}

func stderr(err error) []byte {
	var e *exec.ExitError
	if errors.As(err, &e) {
		return e.Stderr
	}
	return nil
}
