package server

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"
)

const dataDirWarning = "data directory is accessible to other users"

// Whatever the umask and however the operator made the data directory,
// what openpca writes there is its user's alone: files 0600, directories
// 0700. A directory others can enter is worth one warning.
func TestDataFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })

	for _, tc := range []struct {
		name     string
		premade  bool // the operator made the directory, 0755
		wantWarn int
	}{
		{"directory made 0755 beforehand", true, 1},
		{"directory made by openpca", false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if tc.premade {
				if err := os.Mkdir(dir, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			logs := &lockedBuffer{}
			e := newTestEnvWith(t, logs, func(c *Config) { c.DataDir = dir })
			// A CA and its key: writes to the database and its WAL; its CRL
			// bucket: an object in the embedded store.
			c := e.rootClient(protocols[0].opt)
			out, err := c.CreateCertificateAuthority(context.Background(), &acmpca.CreateCertificateAuthorityInput{
				CertificateAuthorityType:          types.CertificateAuthorityTypeRoot,
				CertificateAuthorityConfiguration: ecConfig("private files"),
				RevocationConfiguration:           crlConfig("crl-bucket", ""),
			})
			if err != nil {
				t.Fatal(err)
			}
			waitCreated(t, c, *out.CertificateAuthorityArn)

			want := []string{"credentials", "objects", "objects/crl-bucket/acm-pca-permission-test-key", "tmp"}
			if e.srv.cfg.MasterKey == "" {
				want = append(want, "master.key")
			}
			if e.srv.cfg.DatabaseURL == "" {
				want = append(want, "openpca.db", "openpca.db-wal", "openpca.db-shm")
			}
			for _, name := range want {
				if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
					t.Errorf("%s: %v", name, err)
				}
			}
			filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					t.Fatal(err)
				}
				fi, err := d.Info()
				if err != nil {
					t.Fatal(err)
				}
				wantMode := fs.FileMode(0o600)
				if d.IsDir() {
					wantMode = 0o700
				}
				if path == dir && tc.premade {
					wantMode = 0o755 // the operator's choice, warned about
				}
				if got := fi.Mode().Perm(); got != wantMode {
					t.Errorf("%s: mode %04o, want %04o", path, got, wantMode)
				}
				return nil
			})
			if n := strings.Count(logs.String(), dataDirWarning); n != tc.wantWarn {
				t.Errorf("%d warnings about the data directory, want %d:\n%s", n, tc.wantWarn, logs.String())
			}
		})
	}
}
