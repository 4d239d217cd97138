//go:build cgo

package pkcs11key

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"strings"
	"testing"

	"github.com/ThalesGroup/crypto11"
	"github.com/miekg/pkcs11"

	"github.com/openpca/openpca/internal/keys"
	"github.com/openpca/openpca/internal/keys/pkcs11key/softhsmtest"
	"github.com/openpca/openpca/internal/keys/softkey"
)

func open(t testing.TB) (*Manager, Config) {
	t.Helper()
	tok := softhsmtest.New(t, "openpca-test")
	cfg := Config{Module: tok.Module, TokenLabel: tok.Label, PIN: softhsmtest.PIN}
	m, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, cfg
}

// checkSigns signs a digest every way the x509 code may ask and verifies
// each signature with the Go standard library.
func checkSigns(t *testing.T, s crypto.Signer) {
	t.Helper()
	digest := sha256.Sum256([]byte("to be signed"))
	switch pub := s.Public().(type) {
	case *ecdsa.PublicKey:
		sig, err := s.Sign(rand.Reader, digest[:], crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		if !ecdsa.VerifyASN1(pub, digest[:], sig) {
			t.Fatal("ECDSA signature does not verify")
		}
	case *rsa.PublicKey:
		sig, err := s.Sign(rand.Reader, digest[:], crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
			t.Fatalf("PKCS#1 v1.5: %v", err)
		}
		d512 := sha512.Sum512([]byte("to be signed"))
		for _, salt := range []int{rsa.PSSSaltLengthEqualsHash, rsa.PSSSaltLengthAuto} {
			opts := &rsa.PSSOptions{SaltLength: salt, Hash: crypto.SHA512}
			sig, err := s.Sign(rand.Reader, d512[:], opts)
			if err != nil {
				t.Fatalf("PSS salt %d: %v", salt, err)
			}
			if err := rsa.VerifyPSS(pub, crypto.SHA512, d512[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}); err != nil {
				t.Fatalf("PSS salt %d: %v", salt, err)
			}
		}
	default:
		t.Fatalf("unexpected public key %T", pub)
	}
}

var supported = []string{keys.RSA2048, keys.RSA3072, keys.RSA4096, keys.ECPrime256v1, keys.ECSecp384r1, keys.ECSecp521r1}

func TestCreateSignAndReopen(t *testing.T) {
	m, cfg := open(t)
	ctx := context.Background()
	handles := map[string]keys.Handle{}
	pubs := map[string]crypto.PublicKey{}
	for _, alg := range supported {
		t.Run(alg, func(t *testing.T) {
			h, pub, err := m.CreateKey(ctx, alg)
			if err != nil {
				t.Fatal(err)
			}
			if h.Backend != keys.BackendPKCS11 || len(h.ID) != 32 || len(h.Wrapped) != 0 {
				t.Fatalf("handle = %+v", h)
			}
			if got, err := keys.AlgorithmOf(pub); err != nil || got != alg {
				t.Fatalf("public key is %s (%v), want %s", got, err, alg)
			}
			s, err := m.Signer(ctx, h)
			if err != nil {
				t.Fatal(err)
			}
			checkSigns(t, s)
			handles[alg], pubs[alg] = h, pub
		})
	}

	// A restart: a new manager finds every key by its handle alone.
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	m2, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	for alg, h := range handles {
		s, err := m2.Signer(ctx, h)
		if err != nil {
			t.Fatalf("%s after reopening: %v", alg, err)
		}
		if !s.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(pubs[alg]) {
			t.Fatalf("%s: reopened key has another public key", alg)
		}
		checkSigns(t, s)
	}
	if _, err := m2.Signer(ctx, keys.Handle{Backend: keys.BackendPKCS11, ID: strings.Repeat("ab", 16)}); err == nil {
		t.Fatal("Signer found a key that was never made")
	}
}

func TestDestroyKey(t *testing.T) {
	m, cfg := open(t)
	ctx := context.Background()
	doomed, _, err := m.CreateKey(ctx, keys.ECPrime256v1)
	if err != nil {
		t.Fatal(err)
	}
	kept, _, err := m.CreateKey(ctx, keys.RSA2048)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Signer(ctx, doomed); err != nil {
		t.Fatal(err)
	}
	for range 2 { // destroying what is gone is not an error
		if err := m.DestroyKey(ctx, doomed); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.Signer(ctx, doomed); err == nil {
		t.Fatal("Signer still finds a destroyed key")
	}
	// A fresh session finds nothing of it either, and the other key intact.
	m2, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	if _, err := m2.Signer(ctx, doomed); err == nil {
		t.Fatal("a destroyed key is still in the token")
	}
	s, err := m2.Signer(ctx, kept)
	if err != nil {
		t.Fatal(err)
	}
	checkSigns(t, s)
	if err := m.DestroyKey(ctx, keys.Handle{Backend: keys.BackendSoft, ID: doomed.ID}); err == nil {
		t.Fatal("DestroyKey took another backend's handle")
	}
}

func TestKeysCannotBeExported(t *testing.T) {
	m, _ := open(t)
	ctx := context.Background()
	for _, alg := range []string{keys.RSA2048, keys.ECPrime256v1} {
		h, _, err := m.CreateKey(ctx, alg)
		if err != nil {
			t.Fatal(err)
		}
		m.signers.Clear() // look the key up as after a restart
		s, err := m.Signer(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		if r, ok := s.(rsaSigner); ok {
			s = r.Signer
		}
		attrs, err := m.ctx.GetAttributes(s, []crypto11.AttributeType{
			crypto11.CkaToken, crypto11.CkaSensitive, crypto11.CkaExtractable,
			crypto11.CkaAlwaysSensitive, crypto11.CkaNeverExtractable, crypto11.CkaPrivate,
		})
		if err != nil {
			t.Fatal(err)
		}
		want := map[crypto11.AttributeType]bool{
			crypto11.CkaToken: true, crypto11.CkaSensitive: true, crypto11.CkaExtractable: false,
			crypto11.CkaAlwaysSensitive: true, crypto11.CkaNeverExtractable: true, crypto11.CkaPrivate: true,
		}
		for typ, w := range want {
			a := attrs[typ]
			if a == nil || len(a.Value) != 1 || (a.Value[0] != 0) != w {
				t.Errorf("%s: attribute %#x = %v, want %v", alg, typ, a, w)
			}
		}
		// The token refuses to reveal the private value itself.
		secret := crypto11.CkaValue
		if alg == keys.RSA2048 {
			secret = crypto11.CkaPrivateExponent
		}
		_, err = m.ctx.GetAttribute(s, secret)
		var p11 pkcs11.Error
		if !errors.As(err, &p11) || p11 != pkcs11.CKR_ATTRIBUTE_SENSITIVE {
			t.Errorf("%s: reading the private value: err = %v, want CKR_ATTRIBUTE_SENSITIVE", alg, err)
		}
	}
}

func TestUnsupportedAlgorithms(t *testing.T) {
	m, _ := open(t)
	for _, alg := range []string{keys.MLDSA44, keys.MLDSA65, keys.MLDSA87, keys.SM2, "RSA_1024"} {
		_, _, err := m.CreateKey(context.Background(), alg)
		if !errors.Is(err, keys.ErrUnsupportedAlgorithm) {
			t.Fatalf("%s: err = %v, want ErrUnsupportedAlgorithm", alg, err)
		}
		if strings.HasPrefix(alg, "ML_DSA") && !strings.Contains(err.Error(), "PKCS#11") {
			t.Fatalf("%s: error does not say why: %v", alg, err)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	tok := softhsmtest.New(t, "openpca-test")
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"wrong PIN", Config{Module: tok.Module, TokenLabel: tok.Label, PIN: "987654"}, `token labelled "openpca-test" with module ` + tok.Module + " refused the PIN"},
		{"missing token", Config{Module: tok.Module, TokenLabel: "no-such-token", PIN: softhsmtest.PIN}, `open token labelled "no-such-token"`},
		{"missing module", Config{Module: "/nonexistent/libpkcs11.so", TokenLabel: tok.Label, PIN: softhsmtest.PIN}, "/nonexistent/libpkcs11.so: no such file"},
		{"no token", Config{Module: tok.Module, PIN: softhsmtest.PIN}, "no token given"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Open(tc.cfg)
			if err == nil {
				m.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), tc.cfg.PIN) {
				t.Fatalf("error reveals the PIN: %v", err)
			}
		})
	}
}

// TestRouter: keys made in software before the switch to the token keep
// signing, and new keys go to the token.
func TestRouter(t *testing.T) {
	hsm, _ := open(t)
	soft, err := softkey.New(bytes.Repeat([]byte{7}, softkey.KEKSize))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	old, _, err := soft.CreateKey(ctx, keys.ECPrime256v1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := keys.NewRouter(keys.BackendPKCS11, map[string]keys.Manager{keys.BackendSoft: soft, keys.BackendPKCS11: hsm})
	if err != nil {
		t.Fatal(err)
	}
	h, _, err := r.CreateKey(ctx, keys.ECPrime256v1)
	if err != nil {
		t.Fatal(err)
	}
	if h.Backend != keys.BackendPKCS11 {
		t.Fatalf("new key went to %q", h.Backend)
	}
	for _, h := range []keys.Handle{old, h} {
		s, err := r.Signer(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		checkSigns(t, s)
	}
	if _, err := r.Signer(ctx, keys.Handle{Backend: "cloudkms", ID: "x"}); err == nil || !strings.Contains(err.Error(), "not configured") {
		t.Fatalf("unknown backend: err = %v", err)
	}
	if err := r.DestroyKey(ctx, keys.Handle{Backend: "cloudkms", ID: "x"}); err == nil || !strings.Contains(err.Error(), "not configured") {
		t.Fatalf("DestroyKey on an unknown backend: err = %v", err)
	}
	if err := r.DestroyKey(ctx, h); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Signer(ctx, h); err == nil {
		t.Fatal("the router still signs with a destroyed token key")
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkSignP256 compares one ECDSA P-256 signature through the token
// with one in software.
func BenchmarkSignP256(b *testing.B) {
	hsm, _ := open(b)
	soft, err := softkey.New(bytes.Repeat([]byte{7}, softkey.KEKSize))
	if err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256([]byte("to be signed"))
	for name, m := range map[string]keys.Manager{"pkcs11": hsm, "soft": soft} {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			h, _, err := m.CreateKey(ctx, keys.ECPrime256v1)
			if err != nil {
				b.Fatal(err)
			}
			s, err := m.Signer(ctx, h)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := s.Sign(rand.Reader, digest[:], crypto.SHA256); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
		})
	}
}
