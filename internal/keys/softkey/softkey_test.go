package softkey

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"
	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/cloudflare/circl/sign/mldsa/mldsa87"

	"github.com/openpca/openpca/internal/keys"
)

func testKEK(b byte) []byte { return bytes.Repeat([]byte{b}, KEKSize) }

func newManager(t *testing.T, kek []byte) *Manager {
	t.Helper()
	m, err := New(kek)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func TestEveryAlgorithm(t *testing.T) {
	ctx := context.Background()
	for _, alg := range keys.Algorithms() {
		t.Run(alg, func(t *testing.T) {
			creator := newManager(t, testKEK(1))
			h, pub, err := creator.CreateKey(ctx, alg)
			if err != nil {
				t.Fatal(err)
			}
			if h.Backend != keys.BackendSoft || len(h.ID) != 32 {
				t.Fatalf("handle = %q/%q, want soft and a 32-hex-digit id", h.Backend, h.ID)
			}
			if got, err := keys.AlgorithmOf(pub); err != nil || got != alg {
				t.Fatalf("public key is %q (%v), want %s", got, err, alg)
			}

			t.Run("signs after unwrap", func(t *testing.T) {
				m := newManager(t, testKEK(1))
				s, err := m.Signer(ctx, h)
				if err != nil {
					t.Fatal(err)
				}
				if !s.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(pub) {
					t.Fatal("unwrapped signer has a different public key")
				}
				again, err := m.Signer(ctx, h)
				if err != nil || again != s {
					t.Fatalf("second Signer = %p, %v; want the cached %p", again, err, s)
				}
				msg := []byte("to be signed by " + alg)
				sig, err := sign(s, msg)
				if err != nil {
					t.Fatal(err)
				}
				if err := verify(pub, msg, sig); err != nil {
					t.Fatal(err)
				}
			})

			t.Run("wrapped hides the key", func(t *testing.T) {
				_, plaintext, err := creator.unwrap(h.ID, h.Wrapped)
				if err != nil {
					t.Fatal(err)
				}
				s, err := creator.Signer(ctx, h)
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Contains(h.Wrapped, plaintext) {
					t.Fatal("wrapped blob contains the plaintext key encoding")
				}
				for i, secret := range append(rawSecrets(t, s, plaintext), plaintext) {
					for j := 0; j+16 <= len(secret); j++ {
						if bytes.Contains(h.Wrapped, secret[j:j+16]) {
							t.Fatalf("wrapped blob contains bytes %d..%d of secret %d", j, j+16, i)
						}
					}
				}
			})

			t.Run("wrong KEK", func(t *testing.T) {
				_, err := newManager(t, testKEK(2)).Signer(ctx, h)
				if err == nil || !strings.Contains(err.Error(), "different key-encryption key") {
					t.Fatalf("err = %v, want a different-KEK error", err)
				}
			})
		})
	}
}

func TestTamperedHandleRefused(t *testing.T) {
	ctx := context.Background()
	creator := newManager(t, testKEK(1))
	orig, _, err := creator.CreateKey(ctx, keys.MLDSA44)
	if err != nil {
		t.Fatal(err)
	}
	header := 1 + kcvSize + 1 + len(keys.MLDSA44)
	flip := func(i int) func(*keys.Handle) {
		return func(h *keys.Handle) { h.Wrapped[i] ^= 0x01 }
	}
	tests := []struct {
		name   string
		tamper func(*keys.Handle)
		want   string
	}{
		{"version", flip(0), "unknown wrapped-key format"},
		{"key check value", flip(1), "different key-encryption key"},
		{"algorithm relabelled", func(h *keys.Handle) {
			copy(h.Wrapped[1+kcvSize+1:], keys.MLDSA65)
		}, "failed authentication"},
		{"algorithm garbled", flip(header - 1), "unsupported key algorithm"},
		{"nonce", flip(header), "failed authentication"},
		{"ciphertext", flip(header + nonceSize + 5), "failed authentication"},
		{"tag", flip(len(orig.Wrapped) - 1), "failed authentication"},
		{"truncated", func(h *keys.Handle) { h.Wrapped = h.Wrapped[:header+nonceSize+3] }, "truncated"},
		{"empty", func(h *keys.Handle) { h.Wrapped = nil }, "unknown wrapped-key format"},
		{"other key id", func(h *keys.Handle) { h.ID = strings.Repeat("ab", 16) }, "failed authentication"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := orig
			h.Wrapped = bytes.Clone(orig.Wrapped)
			tt.tamper(&h)
			// The creator has the genuine key cached under orig.ID.
			for name, m := range map[string]*Manager{"cached": creator, "fresh": newManager(t, testKEK(1))} {
				_, err := m.Signer(ctx, h)
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("%s manager: err = %v, want %q", name, err, tt.want)
				}
			}
		})
	}
}

func TestCreateKeyRefusesAlgorithm(t *testing.T) {
	m := newManager(t, testKEK(1))
	for _, alg := range []string{keys.SM2, "", "RSA_1024", "ED25519", "ml_dsa_65"} {
		t.Run(fmt.Sprintf("%q", alg), func(t *testing.T) {
			_, _, err := m.CreateKey(context.Background(), alg)
			if !errors.Is(err, keys.ErrUnsupportedAlgorithm) {
				t.Fatalf("err = %v, want ErrUnsupportedAlgorithm", err)
			}
			if alg == keys.SM2 && !strings.Contains(err.Error(), "SM2 keys are not supported") {
				t.Fatalf("SM2 error is unclear: %v", err)
			}
		})
	}
}

func TestNewRefusesKEKLength(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			if _, err := New(make([]byte, n)); err == nil {
				t.Fatalf("New accepted a %d-byte KEK", n)
			}
		})
	}
}

func TestSignerRefusesOtherBackend(t *testing.T) {
	m := newManager(t, testKEK(1))
	h, _, err := m.CreateKey(context.Background(), keys.ECPrime256v1)
	if err != nil {
		t.Fatal(err)
	}
	h.Backend = keys.BackendPKCS11
	if _, err := m.Signer(context.Background(), h); err == nil {
		t.Fatal("Signer accepted a pkcs11 handle")
	}
}

func TestClosedManagerRefuses(t *testing.T) {
	ctx := context.Background()
	m := newManager(t, testKEK(1))
	h, _, err := m.CreateKey(ctx, keys.ECPrime256v1)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Signer(ctx, h); !errors.Is(err, errClosed) {
		t.Fatalf("Signer after Close: %v", err)
	}
	if _, _, err := m.CreateKey(ctx, keys.ECPrime256v1); !errors.Is(err, errClosed) {
		t.Fatalf("CreateKey after Close: %v", err)
	}
}

func TestConcurrentSigners(t *testing.T) {
	ctx := context.Background()
	h, _, err := newManager(t, testKEK(1)).CreateKey(ctx, keys.MLDSA65)
	if err != nil {
		t.Fatal(err)
	}
	m := newManager(t, testKEK(1))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			s, err := m.Signer(ctx, h)
			if err == nil {
				_, err = sign(s, []byte("concurrent"))
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func sign(s crypto.Signer, msg []byte) ([]byte, error) {
	switch s.Public().(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey:
		d := sha256.Sum256(msg)
		return s.Sign(rand.Reader, d[:], crypto.SHA256)
	}
	return s.Sign(rand.Reader, msg, crypto.Hash(0))
}

func verify(pub crypto.PublicKey, msg, sig []byte) error {
	d := sha256.Sum256(msg)
	ok := false
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, d[:], sig)
	case *ecdsa.PublicKey:
		ok = ecdsa.VerifyASN1(k, d[:], sig)
	case *mldsa44.PublicKey:
		ok = mldsa44.Verify(k, msg, nil, sig)
	case *mldsa65.PublicKey:
		ok = mldsa65.Verify(k, msg, nil, sig)
	case *mldsa87.PublicKey:
		ok = mldsa87.Verify(k, msg, nil, sig)
	default:
		return fmt.Errorf("unexpected key %T", pub)
	}
	if !ok {
		return errors.New("signature does not verify")
	}
	return nil
}

// rawSecrets returns the private key's raw values, beyond its encoding.
func rawSecrets(t *testing.T, s crypto.Signer, plaintext []byte) [][]byte {
	t.Helper()
	switch k := s.(type) {
	case *rsa.PrivateKey:
		out := [][]byte{k.D.Bytes()}
		for _, p := range k.Primes {
			out = append(out, p.Bytes())
		}
		return out
	case *ecdsa.PrivateKey:
		d, err := k.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return [][]byte{d, der}
	}
	var seed [seedSize]byte
	copy(seed[:], plaintext)
	var packed []byte
	switch s.Public().(type) {
	case *mldsa44.PublicKey:
		_, sk := mldsa44.NewKeyFromSeed(&seed)
		packed = sk.Bytes()
	case *mldsa65.PublicKey:
		_, sk := mldsa65.NewKeyFromSeed(&seed)
		packed = sk.Bytes()
	case *mldsa87.PublicKey:
		_, sk := mldsa87.NewKeyFromSeed(&seed)
		packed = sk.Bytes()
	default:
		t.Fatalf("unexpected signer %T", s)
	}
	return [][]byte{packed}
}
