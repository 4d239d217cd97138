package credentials

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReadFile: a credentials file read with readFile gives a complete key
// whose parts are trimmed single lines, or an error; Load returns the same
// key from that file; and the key, written back with writeFile, reads back
// unchanged.
func FuzzReadFile(f *testing.F) {
	f.Add("[openpca]\naws_access_key_id = OPCAAAAAAAAAAAAAAAAA\naws_secret_access_key = c2VjcmV0\n")
	f.Add("[default]\naws_access_key_id=a\naws_secret_access_key=b\n[openpca]\r\naws_access_key_id=k=v\r\naws_secret_access_key=  s  \r\n")
	f.Add("[openpca]\naws_access_key_id = x\n")
	f.Add("[openpca]\naws_access_key_id = " + strings.Repeat("x", 70000) + "\naws_secret_access_key = y\n")
	dir := f.TempDir()
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	f.Fuzz(func(t *testing.T, content string) {
		if err := os.WriteFile(in, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		k, err := readFile(in)
		if err != nil {
			if _, again := readFile(in); again == nil || again.Error() != err.Error() {
				t.Fatalf("refused with %v, then %v", err, again)
			}
			if strings.Contains(err.Error(), "aws_secret_access_key =") {
				t.Fatalf("error quotes the file: %v", err)
			}
			return
		}
		for _, v := range []string{k.AccessKeyID, k.SecretAccessKey} {
			if v == "" || strings.TrimSpace(v) != v || strings.ContainsAny(v, "\n") {
				t.Fatalf("key part %q is not a trimmed, non-empty line", v)
			}
		}
		loaded, src, err := Load("", "", in)
		if err != nil || src != FromFile || loaded != k {
			t.Fatalf("Load = %+v, %s, %v; readFile = %+v", loaded, src, err, k)
		}
		if env, src, err := Load("id", "secret", in); err != nil || src != FromEnvironment || env != (Key{"id", "secret"}) {
			t.Fatalf("Load with the environment set = %+v, %s, %v", env, src, err)
		}
		os.Remove(out)
		if err := writeFile(out, k); err != nil {
			t.Fatal(err)
		}
		back, err := readFile(out)
		if err != nil || back != k {
			t.Fatalf("wrote %+v, read back %+v, %v", k, back, err)
		}
	})
}
