package softkey

import (
	"bytes"
	"context"
	"testing"
)

func TestSealSecret(t *testing.T) {
	kek := bytes.Repeat([]byte{7}, KEKSize)
	m, err := New(kek)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := m.SealSecret("AKID1", []byte("the secret"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("the secret")) {
		t.Fatal("the sealed blob holds the plaintext")
	}
	got, err := m.OpenSecret("AKID1", sealed)
	if err != nil || string(got) != "the secret" {
		t.Fatalf("OpenSecret = %q, %v", got, err)
	}
	t.Run("bound to its id", func(t *testing.T) {
		if _, err := m.OpenSecret("AKID2", sealed); err == nil {
			t.Fatal("a secret opened under another id")
		}
	})
	t.Run("other master key", func(t *testing.T) {
		other, _ := New(bytes.Repeat([]byte{8}, KEKSize))
		if _, err := other.OpenSecret("AKID1", sealed); err == nil {
			t.Fatal("a secret opened under another master key")
		}
	})
	t.Run("not a key", func(t *testing.T) {
		h, _, err := m.CreateKey(context.Background(), "EC_prime256v1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.OpenSecret(h.ID, h.Wrapped); err == nil {
			t.Fatal("a wrapped CA key opened as a secret")
		}
		if _, _, err := m.unwrap("AKID1", sealed); err == nil {
			t.Fatal("a secret unwrapped as a key")
		}
	})
}
