package softkey

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// MasterKeyFile is the file LoadKEK reads or creates in the data directory
// when no key is supplied.
const MasterKeyFile = "master.key"

// LoadKEK returns the key-encryption key from the first source that is set:
// envValue (the OPENPCA_MASTER_KEY variable, standard base64 of KEKSize
// bytes), then file (--master-key-file, holding the same encoding), then
// dataDir/master.key, which is created with a fresh random key if missing.
// A generated key is logged as a warning (never its value): production
// deployments should supply and back up their own key.
func LoadKEK(envValue, file, dataDir string, log *slog.Logger) ([]byte, error) {
	if log == nil {
		log = slog.Default()
	}
	switch {
	case envValue != "":
		kek, err := decodeKEK(envValue)
		if err != nil {
			return nil, fmt.Errorf("softkey: OPENPCA_MASTER_KEY %w", err)
		}
		return kek, nil
	case file != "":
		return readKEK(file, log)
	case dataDir == "":
		return nil, errors.New("softkey: no key-encryption key: set OPENPCA_MASTER_KEY, --master-key-file or a data directory")
	}
	path := filepath.Join(dataDir, MasterKeyFile)
	kek, err := readKEK(path, log)
	if !errors.Is(err, fs.ErrNotExist) {
		return kek, err
	}
	kek, err = createKEK(dataDir, path)
	if errors.Is(err, fs.ErrExist) {
		// Another process created it between our read and create.
		return readKEK(path, log)
	}
	if err != nil {
		return nil, fmt.Errorf("softkey: create master key: %w", err)
	}
	log.Warn("generated a new master key that encrypts CA private keys; production deployments should supply their own key via OPENPCA_MASTER_KEY or --master-key-file, and back it up: losing it loses every CA key",
		"path", path)
	return kek, nil
}

func readKEK(path string, log *slog.Logger) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("softkey: master key file: %w", err)
	}
	defer clear(data)
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		log.Warn("master key file is accessible to other users; restrict it to mode 0600", "path", path)
	}
	kek, err := decodeKEK(string(data))
	if err != nil {
		return nil, fmt.Errorf("softkey: master key file %s: %w", path, err)
	}
	return kek, nil
}

// decodeKEK's errors never quote the input.
func decodeKEK(s string) ([]byte, error) {
	kek, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("is not valid standard base64")
	}
	if len(kek) != KEKSize {
		clear(kek)
		return nil, fmt.Errorf("decodes to %d bytes, want %d", len(kek), KEKSize)
	}
	return kek, nil
}

// createKEK writes a new key with O_EXCL, so it never replaces an existing
// file, and syncs it before use: a key used to wrap CA keys but lost in a
// crash would make those keys unrecoverable.
func createKEK(dir, path string) ([]byte, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	kek := make([]byte, KEKSize)
	if _, err := rand.Read(kek); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	encoded := make([]byte, base64.StdEncoding.EncodedLen(len(kek))+1)
	base64.StdEncoding.Encode(encoded, kek)
	encoded[len(encoded)-1] = '\n'
	defer clear(encoded)
	_, err = f.Write(encoded)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: makes the new directory entry durable
		d.Close()
	}
	return kek, nil
}
