//go:build cgo

package server

import (
	"net/http"
	"testing"

	"github.com/openpca/openpca/internal/keys/pkcs11key"
	"github.com/openpca/openpca/internal/keys/pkcs11key/softhsmtest"
)

// With a PKCS#11 token, /readyz checks it: ready while it answers, 503
// once it no longer does (here: its session closed under the server).
func TestReadyzPKCS11(t *testing.T) {
	tok := softhsmtest.New(t, "openpca-ready")
	e := newTestEnvWith(t, nil, func(c *Config) {
		c.PKCS11 = &pkcs11key.Config{Module: tok.Module, TokenLabel: tok.Label, PIN: softhsmtest.PIN}
	})
	url := e.ts.URL + "/readyz"
	waitReady(t, url, http.StatusOK, "database: ok\nkeys: ok\n")
	e.srv.keys.Close() // Close runs again at cleanup; both backends allow it
	waitReady(t, url, http.StatusServiceUnavailable, "database: ok\nkeys: unusable\n")
	if code, body := getBody(t, e.ts.URL+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz with the token gone: %d %q", code, body)
	}
}
