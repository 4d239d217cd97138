package sigv4

import (
	"strconv"
	"testing"
)

// Every temporary credential has a secret of its own: the signers kept per
// secret stay bounded however many there are.
func TestSignerCacheBounded(t *testing.T) {
	var v Verifier
	for i := range maxSigners + 5 {
		v.signer("secret-" + strconv.Itoa(i))
	}
	n := 0
	v.signers.Range(func(any, any) bool { n++; return true })
	if n == 0 || n > maxSigners {
		t.Fatalf("%d signers kept, want at most %d", n, maxSigners)
	}
	if a, b := v.signer("same"), v.signer("same"); a != b {
		t.Fatal("a secret's signer is not reused")
	}
}
