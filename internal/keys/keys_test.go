package keys

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/cloudflare/circl/sign/mldsa/mldsa87"
)

func TestCheckAlgorithm(t *testing.T) {
	for _, alg := range Algorithms() {
		t.Run(alg, func(t *testing.T) {
			if err := CheckAlgorithm(alg); err != nil {
				t.Fatal(err)
			}
		})
	}
	for _, alg := range []string{SM2, "", "RSA_1024", "EC_secp256k1"} {
		t.Run("refuses "+alg, func(t *testing.T) {
			err := CheckAlgorithm(alg)
			if !errors.Is(err, ErrUnsupportedAlgorithm) {
				t.Fatalf("err = %v, want ErrUnsupportedAlgorithm", err)
			}
			if alg == SM2 && !strings.Contains(err.Error(), "SM2") {
				t.Fatalf("SM2 error does not say so: %v", err)
			}
		})
	}
}

func TestAlgorithmOf(t *testing.T) {
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	mldsa, _, err := mldsa87.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		pub  any
		want string
	}{
		{"P-384", &p384.PublicKey, ECSecp384r1},
		{"ML-DSA-87", mldsa, MLDSA87},
		{"P-224", &p224.PublicKey, ""},
		{"Ed25519", edPub, ""},
		{"curveless EC", &ecdsa.PublicKey{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AlgorithmOf(tt.pub)
			if tt.want == "" {
				if !errors.Is(err, ErrUnsupportedAlgorithm) {
					t.Fatalf("got %q, %v; want ErrUnsupportedAlgorithm", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %s", got, err, tt.want)
			}
		})
	}
}
