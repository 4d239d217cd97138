package softkey

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"regexp"
	"strings"
	"testing"

	"github.com/openpca/openpca/internal/keys"
)

// fuzzKEK is the key-encryption key of the fuzz targets; the committed seeds
// carry its check value, so they reach the label check and GCM.
func fuzzKEK() []byte { return testKEK(7) }

// FuzzOpen: wrapped-key and sealed-secret blobs fail cleanly, whatever
// they hold: nothing panics, a blob yields only the key or the secret this
// target wraps under the fixed KEK (each process wraps its own, with fresh
// nonces, so a success proves the blob authentic), a blob opens under no
// other id, and a key blob never opens as a secret nor the reverse.
func FuzzOpen(f *testing.F) {
	m, err := New(fuzzKEK())
	if err != nil {
		f.Fatal(err)
	}
	key, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), bytes.Repeat([]byte{0x11}, 32))
	if err != nil {
		f.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		f.Fatal(err)
	}
	const keyID, secretID, otherID = "fuzz-key", "fuzz-secret", "other"
	wrapped, err := m.wrap(keyID, keys.ECPrime256v1, der)
	if err != nil {
		f.Fatal(err)
	}
	sealed, err := m.SealSecret(secretID, []byte("s3cret"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(wrapped)
	f.Add(sealed)
	f.Add(wrapped[:len(wrapped)-1])
	ctx := context.Background()
	handle := func(id string, blob []byte) keys.Handle {
		return keys.Handle{Backend: keys.BackendSoft, ID: id, Wrapped: blob}
	}
	f.Fuzz(func(t *testing.T, blob []byte) {
		signer, err := m.Signer(ctx, handle(keyID, blob))
		if bytes.Equal(blob, wrapped) && err != nil {
			t.Fatalf("the blob just wrapped does not open: %v", err)
		}
		if err == nil && !key.PublicKey.Equal(signer.Public()) {
			t.Fatalf("blob %x opened as another key", blob)
		}
		secret, err := m.OpenSecret(secretID, blob)
		if bytes.Equal(blob, sealed) && err != nil {
			t.Fatalf("the secret just sealed does not open: %v", err)
		}
		if err == nil && string(secret) != "s3cret" {
			t.Fatalf("blob %x opened as secret %q", blob, secret)
		}
		for _, id := range []string{keyID, otherID} {
			if _, err := m.OpenSecret(id, blob); err == nil {
				t.Fatalf("blob %x opened as a secret under id %s", blob, id)
			}
		}
		for _, id := range []string{secretID, otherID} {
			if _, err := m.Signer(ctx, handle(id, blob)); err == nil {
				t.Fatalf("blob %x opened as a key under id %s", blob, id)
			}
		}
	})
}

var kekError = regexp.MustCompile(`^(is not valid standard base64|decodes to [0-9]+ bytes, want 32)$`)

// FuzzDecodeKEK: a master key decodes to exactly KEKSize bytes or fails
// with an error that never quotes the input.
func FuzzDecodeKEK(f *testing.F) {
	f.Add("BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n")
	f.Add("BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBw")
	f.Add("BwcHBwcHBwcHBwcHBwcHBw==")
	f.Add("BwcHBwcHBwcHBwcHBwcHBwcHBwcH\r\nBwcHBwcHBwcHBwcHBwc=")
	f.Fuzz(func(t *testing.T, s string) {
		kek, err := decodeKEK(s)
		if err != nil {
			if !kekError.MatchString(err.Error()) {
				t.Fatalf("error %q", err)
			}
			return
		}
		if len(kek) != KEKSize {
			t.Fatalf("%d-byte key accepted", len(kek))
		}
		if _, err := New(kek); err != nil {
			t.Fatalf("decoded key refused by New: %v", err)
		}
		if strings.TrimSpace(s) == "" {
			t.Fatal("empty input accepted")
		}
	})
}
