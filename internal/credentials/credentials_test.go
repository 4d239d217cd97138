package credentials

import (
	"os"
	"path/filepath"
	"testing"
)

func TestGenerateThenReuse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "credentials")
	k1, src, err := Load("", "", path)
	if err != nil || src != Generated {
		t.Fatalf("first load: %v, %s", err, src)
	}
	if len(k1.AccessKeyID) != 20 || len(k1.SecretAccessKey) != 40 {
		t.Fatalf("key shape: %d/%d characters", len(k1.AccessKeyID), len(k1.SecretAccessKey))
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file mode: %v, %v", st.Mode(), err)
	}
	k2, src, err := Load("", "", path)
	if err != nil || src != FromFile || k2 != k1 {
		t.Fatalf("second load: %v, %s, same=%v", err, src, k2 == k1)
	}
}

func TestEnvironmentWins(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credentials")
	k, src, err := Load("AKID", "SECRET", path)
	if err != nil || src != FromEnvironment || k.AccessKeyID != "AKID" {
		t.Fatalf("got %+v, %s, %v", k, src, err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("a file was written although the environment supplied the key")
	}
	if _, _, err := Load("AKID", "", path); err == nil {
		t.Fatal("half a key must be refused")
	}
}

func TestReadsOnlyItsProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credentials")
	os.WriteFile(path, []byte("[default]\naws_access_key_id = X\naws_secret_access_key = Y\n\n[openpca]\naws_access_key_id = A\naws_secret_access_key = B\n"), 0o600)
	k, _, err := Load("", "", path)
	if err != nil || k != (Key{"A", "B"}) {
		t.Fatalf("got %+v, %v", k, err)
	}
}
