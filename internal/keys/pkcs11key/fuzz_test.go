package pkcs11key

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// escapeAttr percent-encodes every byte but the unreserved ones, so the
// value survives in either part of a PKCS#11 URI.
func escapeAttr(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// formatURI writes c as a PKCS#11 URI, the PIN as pin-value.
func formatURI(c Config) string {
	var path, query []string
	if c.TokenLabel != "" {
		path = append(path, "token="+escapeAttr(c.TokenLabel))
	}
	if c.TokenSerial != "" {
		path = append(path, "serial="+escapeAttr(c.TokenSerial))
	}
	if c.SlotID != nil {
		path = append(path, fmt.Sprintf("slot-id=%d", *c.SlotID))
	}
	if c.Module != "" {
		query = append(query, "module-path="+escapeAttr(c.Module))
	}
	if c.PIN != "" {
		query = append(query, "pin-value="+escapeAttr(c.PIN))
	}
	return "pkcs11:" + strings.Join(path, ";") + "?" + strings.Join(query, "&")
}

// pinSources returns the pin-source values of uri, read as ParseURI reads them.
func pinSources(uri string) []string {
	rest, ok := strings.CutPrefix(uri, "pkcs11:")
	if !ok {
		return nil
	}
	_, query, _ := strings.Cut(rest, "?")
	var out []string
	for attr := range strings.SplitSeq(query, "&") {
		if k, v, ok := strings.Cut(attr, "="); ok && k == "pin-source" {
			dv, err := url.PathUnescape(v)
			if err != nil {
				dv = v
			}
			out = append(out, strings.TrimPrefix(dv, "file:"))
		}
	}
	return out
}

// FuzzParseURI: a parsed URI formats back to a URI that parses to the same
// Config; a slot id is never negative; the Config's String never shows the
// PIN; and a refused URI is refused again with the same error. "PINFILE" in
// the input stands for a PIN file the test writes; the parser may read no
// other file.
func FuzzParseURI(f *testing.F) {
	pinFile := filepath.Join(f.TempDir(), "pin")
	if err := os.WriteFile(pinFile, []byte("s3cret\r\n"), 0o600); err != nil {
		f.Fatal(err)
	}
	f.Add("pkcs11:token=openpca%20ca;object=ignored?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234")
	f.Add("pkcs11:serial=0123abcd;slot-id=3?module-path=/m.so&pin-source=file:PINFILE")
	f.Add("pkcs11:slot-id=-1")
	f.Add("pkcs11:token=x?pin-value=1&pin-source=PINFILE")
	f.Fuzz(func(t *testing.T, uri string) {
		uri = strings.ReplaceAll(uri, "PINFILE", pinFile)
		for _, src := range pinSources(uri) {
			if src != pinFile {
				t.Skip("pin-source names a file other than the test's")
			}
		}
		c, err := ParseURI(uri)
		if err != nil {
			if _, again := ParseURI(uri); again == nil || again.Error() != err.Error() {
				t.Fatalf("refused with %v, then %v", err, again)
			}
			return
		}
		if c.SlotID != nil && *c.SlotID < 0 {
			t.Fatalf("negative slot id %d", *c.SlotID)
		}
		noPIN := c
		noPIN.PIN = ""
		if c.String() != noPIN.String() {
			t.Fatalf("String depends on the PIN: %q", c.String())
		}
		again, err := ParseURI(formatURI(c))
		if err != nil {
			t.Fatalf("%q parsed to %+v, formatted as %q, which is refused: %v", uri, c, formatURI(c), err)
		}
		if !reflect.DeepEqual(again, c) {
			t.Fatalf("%q parsed to %+v, formatted as %q, which parses to %+v", uri, c, formatURI(c), again)
		}
	})
}
