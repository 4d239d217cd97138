package softkey

import (
	"bytes"
	"encoding/base64"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadKEKGeneratesOnceThenReuses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))

	first, err := LoadKEK("", "", dir, log)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != KEKSize {
		t.Fatalf("generated %d bytes", len(first))
	}
	if !strings.Contains(logs.String(), "OPENPCA_MASTER_KEY") || !strings.Contains(logs.String(), "--master-key-file") {
		t.Fatalf("missing production warning, logs: %s", logs.String())
	}
	if strings.Contains(logs.String(), base64.StdEncoding.EncodeToString(first)) {
		t.Fatal("log contains the key")
	}
	fi, err := os.Stat(filepath.Join(dir, MasterKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("master.key mode = %v, want 0600", fi.Mode().Perm())
	}

	logs.Reset()
	second, err := LoadKEK("", "", dir, log)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Fatal("second load generated a different key")
	}
	if logs.Len() != 0 {
		t.Fatalf("reuse logged: %s", logs.String())
	}
}

func TestLoadKEKPrecedence(t *testing.T) {
	envKEK, fileKEK, dirKEK := testKEK(1), testKEK(2), testKEK(3)
	dir := t.TempDir()
	writeKey(t, filepath.Join(dir, MasterKeyFile), base64.StdEncoding.EncodeToString(dirKEK))
	file := filepath.Join(t.TempDir(), "kek")
	writeKey(t, file, "  "+base64.StdEncoding.EncodeToString(fileKEK)+"\n\n")
	env := base64.StdEncoding.EncodeToString(envKEK)

	tests := []struct {
		name      string
		env, file string
		want      []byte
	}{
		{"env beats file and data dir", env, file, envKEK},
		{"file beats data dir", "", file, fileKEK},
		{"data dir last", "", "", dirKEK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadKEK(tt.env, tt.file, dir, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Fatal("loaded the wrong key")
			}
		})
	}
}

func TestLoadKEKRefuses(t *testing.T) {
	short := base64.StdEncoding.EncodeToString(make([]byte, 16))
	long := base64.StdEncoding.EncodeToString(make([]byte, 33))
	dir := t.TempDir()
	shortFile := filepath.Join(dir, "short")
	writeKey(t, shortFile, base64.StdEncoding.EncodeToString(make([]byte, 31)))
	badDir := t.TempDir()
	writeKey(t, filepath.Join(badDir, MasterKeyFile), "not base64!")

	tests := []struct {
		name               string
		env, file, dataDir string
		want               string
	}{
		{"env too short", short, "", dir, "decodes to 16 bytes"},
		{"env too long", long, "", dir, "decodes to 33 bytes"},
		{"env not base64", "@@@@", "", dir, "not valid standard base64"},
		{"file too short", "", shortFile, dir, "decodes to 31 bytes"},
		{"file missing", "", filepath.Join(dir, "absent"), dir, "no such file"},
		{"data dir key corrupt", "", "", badDir, "not valid standard base64"},
		{"no source", "", "", "", "no key-encryption key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadKEK(tt.env, tt.file, tt.dataDir, slog.New(slog.DiscardHandler))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
	if data, _ := os.ReadFile(filepath.Join(badDir, MasterKeyFile)); string(data) != "not base64!" {
		t.Fatal("a corrupt master.key was overwritten")
	}
}

func writeKey(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
