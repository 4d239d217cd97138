package server

import (
	"fmt"
	"log/slog"
	"os"
)

// openDataDir creates the data directory (mode 0700) and warns when it
// already exists and other users may enter it. openpca's own files there
// are 0600 (see privateDir for the object store's), but a directory others
// can list shows what is kept and lets them read whatever else lands in it.
func openDataDir(dir string, log *slog.Logger) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		log.Warn("data directory is accessible to other users; restrict it to mode 0700", "path", dir, "mode", fmt.Sprintf("%04o", perm))
	}
	return nil
}

// privateDir creates dir with mode 0700 unless it exists. The embedded
// object store creates its root 0755 and its files 0644; made here first,
// its tree is out of other users' reach whatever modes it gives what is
// inside.
func privateDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !os.IsExist(err) {
		return fmt.Errorf("data dir: %w", err)
	}
	return nil
}
