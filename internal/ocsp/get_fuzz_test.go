package ocsp

import (
	"bytes"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
)

// getURL builds the URL a GET request for path arrives with.
func getURL(t *testing.T, path string) *url.URL {
	u, err := url.Parse("http://ocsp.example" + path)
	if err != nil {
		t.Fatalf("URL for %q: %v", path, err)
	}
	return u
}

// FuzzDecodeGET: decodeGET never returns more than maxRequestBytes; what it
// returns comes back unchanged from the canonical GET path for it; and a
// request (a DER SEQUENCE, as every OCSP request is) sent the ways clients
// send it (standard or URL-safe base64, padded or not, %-encoded or not,
// '+' turned into a space, under /ocsp/ or not) decodes to itself.
func FuzzDecodeGET(f *testing.F) {
	f.Add("/MEIwQDA%2BMDwwOjAJBgUrDgMCGgUABBQ%3D", []byte{0x30, 0x03, 0x02, 0x01, 0x01})
	f.Add("/ocsp/MAMCAQE=", []byte{0x30, 0xff, 0xfe})
	f.Add("/MAMCAQE", []byte{0x30})
	f.Add("/ocsp/%zz", []byte(nil))
	f.Fuzz(func(t *testing.T, path string, req []byte) {
		if u, err := url.Parse("http://ocsp.example" + path); err == nil {
			if der := decodeGET(u); der != nil {
				if len(der) > maxRequestBytes {
					t.Fatalf("decoded %d bytes", len(der))
				}
				canonical := "/" + url.PathEscape(base64.StdEncoding.EncodeToString(der))
				if again := decodeGET(getURL(t, canonical)); !bytes.Equal(again, der) {
					t.Fatalf("%q decoded to %x; its canonical path %q to %x", path, der, canonical, again)
				}
			}
		}
		if len(req) == 0 || req[0] != 0x30 || len(req) > maxRequestBytes {
			return
		}
		std := base64.StdEncoding.EncodeToString(req)
		forms := []string{
			url.PathEscape(std),
			std, // '/' and '+' unescaped
			strings.TrimRight(std, "="),
			base64.URLEncoding.EncodeToString(req),
			base64.RawURLEncoding.EncodeToString(req),
			url.QueryEscape(std),
			strings.ReplaceAll(url.PathEscape(std), "+", "%20"),
		}
		for _, form := range forms {
			for _, prefix := range []string{"/", "/ocsp/"} {
				u, err := url.Parse("http://ocsp.example" + prefix + form)
				if err != nil {
					t.Fatalf("%q: %v", prefix+form, err)
				}
				if got := decodeGET(u); !bytes.Equal(got, req) {
					t.Fatalf("%q decoded to %x, want %x", prefix+form, got, req)
				}
			}
		}
	})
}
