package issuance

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"math/big"
	"strings"
	"sync"
	"testing"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
)

// fakeModulus returns an odd number of exactly bits bits with no prime
// factor below 752 and no ROCA fingerprint. It is not an RSA modulus (its
// factors are unknown), but CheckPublicKey judges sizes the same way, and
// generating real 4096-bit keys would slow every run.
func fakeModulus(t *testing.T, bits int) *big.Int {
	t.Helper()
	for {
		n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), uint(bits)))
		if err != nil {
			t.Fatal(err)
		}
		n.SetBit(n, bits-1, 1).SetBit(n, 0, 1)
		if !hasSmallFactor(n) && !rocaFingerprint(n) {
			return n
		}
	}
}

// primeOver returns the smallest prime above n.
func primeOver(n *big.Int) *big.Int {
	p := new(big.Int).Add(n, big.NewInt(1))
	for !p.ProbablyPrime(20) {
		p.Add(p, big.NewInt(1))
	}
	return p
}

// rocaPrime returns a prime of bits bits, the top two set so that two of
// them make a modulus of twice the bits, built as the Infineon library
// built its primes: k·M + (65537^a mod M), M the product of the primes up
// to 167 (Nemec et al., section 2.2).
func rocaPrime(t *testing.T, bits int) *big.Int {
	t.Helper()
	m := big.NewInt(2)
	for _, r := range rocaPrimes {
		m.Mul(m, big.NewInt(r))
	}
	kMax := new(big.Int).Div(new(big.Int).Lsh(big.NewInt(1), uint(bits)), m)
	for {
		a, _ := rand.Int(rand.Reader, m)
		k, _ := rand.Int(rand.Reader, kMax)
		p := new(big.Int).Exp(big.NewInt(65537), a, m)
		p.Add(p, k.Mul(k, m))
		if p.BitLen() == bits && p.Bit(bits-2) == 1 && p.ProbablyPrime(20) {
			return p
		}
	}
}

var rsa2048 = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

func TestCheckPublicKey(t *testing.T) {
	real, err := rsa2048()
	if err != nil {
		t.Fatal(err)
	}
	rsaKey := func(n *big.Int, e int) *rsa.PublicKey { return &rsa.PublicKey{N: n, E: e} }
	ecKey := func(c elliptic.Curve) *ecdsa.PublicKey {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return &k.PublicKey
	}
	p, _ := rand.Prime(rand.Reader, 1024)
	closePrimes := new(big.Int).Mul(p, primeOver(new(big.Int).Add(p, big.NewInt(1<<20))))
	roca := new(big.Int).Mul(rocaPrime(t, 1024), rocaPrime(t, 1024))
	small := new(big.Int).Mul(fakeModulus(t, 2038), big.NewInt(751))
	for small.BitLen() != 2048 {
		small = new(big.Int).Mul(fakeModulus(t, 2038), big.NewInt(751))
	}
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	mlPub, _, _ := mldsa65.GenerateKey(rand.Reader)
	offCurve := &ecdsa.PublicKey{Curve: elliptic.P256(), X: big.NewInt(1), Y: big.NewInt(1)}
	infinity := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int), Y: new(big.Int)}

	tests := []struct {
		name   string
		pub    crypto.PublicKey
		ca, ok bool
		msg    string // in the refusal: proof of which check refused
	}{
		{"RSA 2048", &real.PublicKey, false, true, ""},
		{"RSA 2048 for a CA", &real.PublicKey, true, true, ""},
		{"RSA 3072 for a CA", rsaKey(fakeModulus(t, 3072), 65537), true, true, ""},
		{"RSA 4096", rsaKey(fakeModulus(t, 4096), 65537), false, true, ""},
		{"RSA 2056", rsaKey(fakeModulus(t, 2056), 65537), false, true, ""},
		{"RSA 2056 for a CA", rsaKey(fakeModulus(t, 2056), 65537), true, false, "2048, 3072 or 4096"},
		{"RSA 1024", rsaKey(fakeModulus(t, 1024), 65537), false, false, "1024-bit"},
		{"RSA 2040", rsaKey(fakeModulus(t, 2040), 65537), false, false, "2040-bit"},
		{"RSA 2049", rsaKey(fakeModulus(t, 2049), 65537), false, false, "2049-bit"},
		{"RSA 4104", rsaKey(fakeModulus(t, 4104), 65537), false, false, "4104-bit"},
		{"RSA 16384", rsaKey(fakeModulus(t, 16384), 65537), false, false, "16384-bit"},
		{"exponent 3", rsaKey(real.N, 3), false, false, "exponent is 3;"},
		{"exponent 65535", rsaKey(real.N, 65535), false, false, "exponent is 65535"},
		{"even exponent", rsaKey(real.N, 65538), false, false, "exponent is 65538"},
		{"exponent 65539", rsaKey(real.N, 65539), false, true, ""},
		{"exponent 2^31-1", rsaKey(real.N, 1<<31-1), false, true, ""},
		{"exponent 2^31+1", rsaKey(real.N, 1<<31+1), false, false, "exponent is 2147483649"},
		{"factor 751", rsaKey(small, 65537), false, false, "below 752"},
		{"even modulus", rsaKey(new(big.Int).Lsh(fakeModulus(t, 2047), 1), 65537), false, false, "below 752"},
		{"close primes", rsaKey(closePrimes, 65537), false, false, "Fermat"},
		{"ROCA", rsaKey(roca, 65537), false, false, "ROCA"},
		{"no modulus", &rsa.PublicKey{E: 65537}, false, false, "no positive modulus"},
		{"P-256", ecKey(elliptic.P256()), false, true, ""},
		{"P-384 for a CA", ecKey(elliptic.P384()), true, true, ""},
		{"P-521", ecKey(elliptic.P521()), false, true, ""},
		{"P-224", ecKey(elliptic.P224()), false, false, "curve P-224"},
		{"point off the curve", offCurve, false, false, "not a point"},
		{"point at infinity", infinity, false, false, "not a point"},
		{"no curve", &ecdsa.PublicKey{}, false, false, "with no curve"},
		{"ML-DSA-65", mlPub, false, true, ""},
		{"Ed25519", edPub, false, false, "Ed25519"},
		{"nil", nil, false, false, "unsupported type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPublicKey(tc.pub, tc.ca)
			if (err == nil) != tc.ok {
				t.Fatalf("CheckPublicKey = %v, want ok %v", err, tc.ok)
			}
			if err != nil && (errKind(t, err) != "malformed" || !strings.Contains(err.Error(), tc.msg)) {
				t.Fatalf("CheckPublicKey = %v (%T), want a *MalformedError containing %q", err, err, tc.msg)
			}
		})
	}
}

// TestWeakKeyChecksSpareRandomKeys: the Fermat and ROCA tests are
// heuristics; real keys must not trip them.
func TestWeakKeyChecksSpareRandomKeys(t *testing.T) {
	for range 3 {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		if fermatFactors(k.N, fermatTries) || rocaFingerprint(k.N) || hasSmallFactor(k.N) {
			t.Fatal("a random key looks weak")
		}
	}
	// Fermat finds the factors of a square at once.
	p, _ := rand.Prime(rand.Reader, 1024)
	if !fermatFactors(new(big.Int).Mul(p, p), 1) {
		t.Fatal("p² not found")
	}
}

func BenchmarkCheckPublicKeyRSA2048(b *testing.B) {
	k, err := rsa2048()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := CheckPublicKey(&k.PublicKey, false); err != nil {
			b.Fatal(err)
		}
	}
}
