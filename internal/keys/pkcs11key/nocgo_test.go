//go:build !cgo

package pkcs11key

import (
	"strings"
	"testing"
)

func TestOpenWithoutCgo(t *testing.T) {
	_, err := Open(Config{Module: "/m.so", TokenLabel: "ca"})
	if err == nil || !strings.Contains(err.Error(), "built without cgo") {
		t.Fatalf("err = %v", err)
	}
}
