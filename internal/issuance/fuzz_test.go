package issuance

import (
	"crypto/rsa"
	"crypto/x509"
	"net/mail"
	"strings"
	"testing"
)

// The checks of names.go and key.go judge what callers send; no input may
// panic them, every refusal is typed, and what they accept has the shape
// they promise. Seeds are in testdata/fuzz.

func FuzzCheckDNSName(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		err := checkDNSName("DnsName", s)
		errKind(t, err)
		if err != nil {
			return
		}
		if len(s) > maxDNSNameLen || strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-*") != "" {
			t.Fatalf("accepted %q", s)
		}
		if i := strings.LastIndex(s, "*"); i > 0 || i == 0 && !strings.HasPrefix(s, "*.") {
			t.Fatalf("accepted misplaced wildcard %q", s)
		}
		if checkDNSName("DnsName", strings.ToUpper(s)) != nil {
			t.Fatalf("accepted %q but not its upper case", s)
		}
	})
}

func FuzzCheckRFC822Name(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		err := checkRFC822Name("Rfc822Name", s)
		errKind(t, err)
		if err != nil {
			return
		}
		// An independent parser agrees: a bare addr-spec, unchanged.
		a, perr := mail.ParseAddress(s)
		if perr != nil || a.Address != s || a.Name != "" {
			t.Fatalf("accepted %q, which net/mail reads as %v, %v", s, a, perr)
		}
	})
}

func FuzzCheckSAN(f *testing.F) {
	f.Fuzz(func(t *testing.T, der []byte) {
		errKind(t, checkSAN(der))
	})
}

func FuzzCheckPublicKey(f *testing.F) {
	f.Fuzz(func(t *testing.T, spki []byte) {
		pub, err := x509.ParsePKIXPublicKey(spki)
		if err != nil {
			return
		}
		eeErr, caErr := CheckPublicKey(pub, false), CheckPublicKey(pub, true)
		errKind(t, eeErr)
		errKind(t, caErr)
		if caErr == nil && eeErr != nil {
			t.Fatalf("accepted for a CA but not an end entity: %v", eeErr)
		}
		if k, ok := pub.(*rsa.PublicKey); ok && eeErr == nil {
			if b := k.N.BitLen(); b < 2048 || b > 4096 || b%8 != 0 || k.E%2 == 0 || k.E < 65537 {
				t.Fatalf("accepted a %d-bit RSA key with exponent %d", b, k.E)
			}
		}
	})
}
