package pkcs11key

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseURI(t *testing.T) {
	pinFile := filepath.Join(t.TempDir(), "pin")
	if err := os.WriteFile(pinFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	slot := 3
	for _, tc := range []struct {
		uri  string
		want Config
	}{
		{"pkcs11:token=openpca%20ca;object=ignored?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234",
			Config{Module: "/usr/lib/softhsm/libsofthsm2.so", TokenLabel: "openpca ca", PIN: "1234"}},
		{"pkcs11:serial=0123abcd;slot-id=3?module-path=/m.so&pin-source=file:" + pinFile,
			Config{Module: "/m.so", TokenSerial: "0123abcd", SlotID: &slot, PIN: "s3cret"}},
		{"pkcs11:token=x?module-path=/m.so&pin-source=" + pinFile,
			Config{Module: "/m.so", TokenLabel: "x", PIN: "s3cret"}},
	} {
		got, err := ParseURI(tc.uri)
		if err != nil {
			t.Fatalf("%s: %v", tc.uri, err)
		}
		if got.Module != tc.want.Module || got.TokenLabel != tc.want.TokenLabel || got.TokenSerial != tc.want.TokenSerial ||
			got.PIN != tc.want.PIN || (got.SlotID == nil) != (tc.want.SlotID == nil) || (got.SlotID != nil && *got.SlotID != *tc.want.SlotID) {
			t.Fatalf("%s: got %+v", tc.uri, got)
		}
	}
	for _, bad := range []string{
		"token=x",
		"pkcs11:slot-id=first",
		"pkcs11:token=x?pin-value=1&pin-source=/p",
		"pkcs11:token=x?pin-source=/nonexistent/pin",
		"pkcs11:token?pin-value=1",
		"pkcs11:token=x?pin-value=12%zz",
	} {
		if _, err := ParseURI(bad); err == nil {
			t.Errorf("%s: no error", bad)
		} else if strings.Contains(err.Error(), "12%zz") {
			t.Errorf("%s: error reveals the PIN: %v", bad, err)
		}
	}
}

func TestConfigStringHidesPIN(t *testing.T) {
	c := Config{Module: "/m.so", TokenLabel: "ca", PIN: "s3cret"}
	if s := fmt.Sprintf("%v %+v %s", c, c, c); strings.Contains(s, "s3cret") {
		t.Fatalf("%q reveals the PIN", s)
	}
}
