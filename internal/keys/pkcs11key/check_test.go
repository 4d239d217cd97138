//go:build cgo

package pkcs11key

import (
	"bytes"
	"context"
	"testing"

	"github.com/openpca/openpca/internal/keys"
	"github.com/openpca/openpca/internal/keys/softkey"
)

func TestCheck(t *testing.T) {
	m, _ := open(t)
	soft, err := softkey.New(bytes.Repeat([]byte{7}, softkey.KEKSize))
	if err != nil {
		t.Fatal(err)
	}
	r, err := keys.NewRouter(keys.BackendPKCS11, map[string]keys.Manager{keys.BackendSoft: soft, keys.BackendPKCS11: m})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := r.Check(ctx); err != nil {
		t.Fatalf("open token: %v", err)
	}
	m.Close()
	if err := r.Check(ctx); err == nil {
		t.Fatal("Check succeeds on a closed token")
	}
}
