// Package credentials provides the root principal's access key: from the
// environment when set, otherwise from an AWS-format credentials file that is
// generated on first start.
package credentials

import (
	"bufio"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Profile is the profile name written to the generated credentials file.
const Profile = "openpca"

// Key is an access key pair.
type Key struct {
	AccessKeyID     string
	SecretAccessKey string
}

// Source says where a key came from, for the startup log.
type Source string

const (
	FromEnvironment Source = "environment"
	FromFile        Source = "file"
	Generated       Source = "generated"
)

// Load returns the key named by accessKeyID/secret when both are set;
// otherwise it reads path, generating and writing a new key (mode 0600) when
// the file does not exist.
func Load(accessKeyID, secret, path string) (Key, Source, error) {
	switch {
	case accessKeyID != "" && secret != "":
		return Key{accessKeyID, secret}, FromEnvironment, nil
	case accessKeyID != "" || secret != "":
		return Key{}, "", errors.New("credentials: set both OPENPCA_ACCESS_KEY_ID and OPENPCA_SECRET_ACCESS_KEY, or neither")
	}
	k, err := readFile(path)
	if err == nil {
		return k, FromFile, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return Key{}, "", err
	}
	k = newKey()
	if err := writeFile(path, k); err != nil {
		return Key{}, "", err
	}
	return k, Generated, nil
}

// newKey makes an AWS-shaped key: a 20-character uppercase id and a
// 40-character secret, both from crypto/rand.
func newKey() Key {
	id := make([]byte, 10)
	secret := make([]byte, 30)
	rand.Read(id)
	rand.Read(secret)
	return Key{
		AccessKeyID:     "OPCA" + base32.StdEncoding.EncodeToString(id)[:16],
		SecretAccessKey: base64.StdEncoding.EncodeToString(secret),
	}
}

func writeFile(path string, k Key) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	body := fmt.Sprintf("[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n", Profile, k.AccessKeyID, k.SecretAccessKey)
	// O_EXCL: never overwrite a key another process wrote a moment ago.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	if _, err := f.WriteString(body); err != nil {
		f.Close()
		return fmt.Errorf("credentials: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("credentials: %w", err)
	}
	return f.Close()
}

// readFile reads the openpca profile of an AWS credentials file.
func readFile(path string) (Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return Key{}, err
	}
	defer f.Close()
	var k Key
	inProfile := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			inProfile = line == "["+Profile+"]"
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !inProfile || !ok {
			continue
		}
		switch strings.TrimSpace(name) {
		case "aws_access_key_id":
			k.AccessKeyID = strings.TrimSpace(value)
		case "aws_secret_access_key":
			k.SecretAccessKey = strings.TrimSpace(value)
		}
	}
	if err := sc.Err(); err != nil {
		return Key{}, err
	}
	if k.AccessKeyID == "" || k.SecretAccessKey == "" {
		return Key{}, fmt.Errorf("credentials: %s has no complete [%s] profile", path, Profile)
	}
	return k, nil
}
