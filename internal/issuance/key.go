package issuance

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"math/big"
	"sync"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"
	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/cloudflare/circl/sign/mldsa/mldsa87"
)

// CheckPublicKey reports, as a *MalformedError, a subject public key a CA
// should not certify. ca is true when the certificate will be a CA
// certificate.
//
// Accepted are the key types AWS Private CA has: RSA, EC on P-256, P-384 and
// P-521, and ML-DSA-44, -65 and -87; Ed25519, other curves and other types
// are refused. RSA moduli must have 2048 to 4096 bits and a whole number of
// bytes (some clients mishandle other lengths), exactly 2048, 3072 or 4096
// bits for a CA, the sizes of AWS's RSA_* key algorithms. Beyond what AWS
// documents, the checks follow Let's Encrypt's goodkey, which a CA's own key
// rules are best modelled on:
//
//   - the RSA public exponent must be odd and at least 65537 (2^16+1, as the
//     CA/Browser Forum recommends and FIPS 186-5 requires), and at most
//     2^31-1, the largest crypto/rsa uses, so the key works with Go clients;
//   - the modulus must have no prime factor below 752, must not resist
//     Fermat's factorisation for 100 rounds (its primes too close together),
//     and must not carry the fingerprint of the Infineon RSA library
//     (ROCA, CVE-2017-15361), whose keys can be factored;
//   - an EC point must be on its curve and not the point at infinity; the
//     three curves have prime order, so such a point also has the right
//     order.
//
// Not checked, unlike goodkey: lists of known compromised keys (Debian's
// weak keys, operator block lists), which need data openpca does not ship.
// Every ML-DSA public key of the right size is a valid key (FIPS 204
// pkDecode), and the parser has already checked the size.
func CheckPublicKey(pub crypto.PublicKey, ca bool) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return checkRSAKey(k, ca)
	case *ecdsa.PublicKey:
		return checkECKey(k)
	case *mldsa44.PublicKey, *mldsa65.PublicKey, *mldsa87.PublicKey:
		return nil
	case ed25519.PublicKey:
		return malformedf("the public key is an Ed25519 key; AWS Private CA certifies RSA, EC (P-256, P-384, P-521) and ML-DSA keys")
	}
	return malformedf("the public key is of unsupported type %T; AWS Private CA certifies RSA, EC (P-256, P-384, P-521) and ML-DSA keys", pub)
}

const (
	minRSABits  = 2048
	maxRSABits  = 4096
	minRSAE     = 1<<16 + 1
	maxRSAE     = 1<<31 - 1
	fermatTries = 100 // the CA/Browser Forum Baseline Requirements' minimum, section 6.1.1.3
)

func checkRSAKey(k *rsa.PublicKey, ca bool) error {
	if k.N == nil || k.N.Sign() <= 0 {
		return malformedf("the RSA public key has no positive modulus")
	}
	bits := k.N.BitLen()
	switch {
	case ca && bits != 2048 && bits != 3072 && bits != 4096:
		return malformedf("the public key is a %d-bit RSA key; a CA certificate's RSA key must have 2048, 3072 or 4096 bits", bits)
	case bits < minRSABits || bits > maxRSABits || bits%8 != 0:
		return malformedf("the public key is a %d-bit RSA key; AWS Private CA certifies RSA keys of 2048 to 4096 bits, a multiple of 8", bits)
	case k.E%2 == 0 || k.E < minRSAE || k.E > maxRSAE:
		return malformedf("the RSA public exponent is %d; it must be odd, at least 65537 and below 2^31", k.E)
	case hasSmallFactor(k.N):
		return malformedf("the RSA modulus has a prime factor below 752")
	case fermatFactors(k.N, fermatTries):
		return malformedf("the RSA modulus has prime factors so close together that Fermat's method finds them")
	case rocaFingerprint(k.N):
		return malformedf("the RSA key has the fingerprint of the Infineon RSA library (ROCA, CVE-2017-15361) and can be factored")
	}
	return nil
}

func checkECKey(k *ecdsa.PublicKey) error {
	switch k.Curve {
	case elliptic.P256(), elliptic.P384(), elliptic.P521():
	default:
		name := "with no curve"
		if k.Curve != nil {
			name = "on curve " + k.Curve.Params().Name
		}
		return malformedf("the public key is an EC key %s; AWS Private CA certifies EC keys on P-256, P-384 and P-521", name)
	}
	// Bytes fails for a point off the curve or at infinity.
	if _, err := k.Bytes(); err != nil {
		return malformedf("the EC public key is not a point of its curve %s", k.Curve.Params().Name)
	}
	return nil
}

// smallPrimes is the product of the primes below 752, the bound of the
// CA/Browser Forum Baseline Requirements section 6.1.6.
var smallPrimes = sync.OnceValue(func() *big.Int {
	p := big.NewInt(1)
	for n := int64(2); n < 752; n++ {
		if big.NewInt(n).ProbablyPrime(0) {
			p.Mul(p, big.NewInt(n))
		}
	}
	return p
})

func hasSmallFactor(n *big.Int) bool {
	return new(big.Int).GCD(nil, nil, n, smallPrimes()).Cmp(big.NewInt(1)) != 0
}

// fermatFactors reports whether Fermat's method factors n within rounds
// steps: n = a² - b² = (a+b)(a-b) for the first a ≥ √n, which succeeds at
// once when n's two factors are close.
func fermatFactors(n *big.Int, rounds int) bool {
	a := new(big.Int).Sqrt(n)
	if new(big.Int).Mul(a, a).Cmp(n) < 0 {
		a.Add(a, big.NewInt(1))
	}
	b2 := new(big.Int).Mul(a, a)
	b2.Sub(b2, n)
	step := new(big.Int).Lsh(a, 1) // (a+1)² - a² = 2a + 1
	step.Add(step, big.NewInt(1))
	b, sq := new(big.Int), new(big.Int)
	two := big.NewInt(2)
	for range rounds {
		if b2.Sign() == 0 || maybeSquare(b2) {
			b.Sqrt(b2)
			if sq.Mul(b, b).Cmp(b2) == 0 {
				return true
			}
		}
		b2.Add(b2, step)
		step.Add(step, two)
	}
	return false
}

// maybeSquare is false when x's residue mod 64, 63 or 65 is no square's,
// which spares the square root for 97% of the candidates.
func maybeSquare(x *big.Int) bool {
	return squareMod[0][x.Bits()[0]%64] && // x > 0, so Bits has a word
		squareMod[1][new(big.Int).Mod(x, big.NewInt(63)).Int64()] &&
		squareMod[2][new(big.Int).Mod(x, big.NewInt(65)).Int64()]
}

var squareMod = func() (t [3][]bool) {
	for i, m := range []int{64, 63, 65} {
		t[i] = make([]bool, m)
		for r := range m {
			t[i][r*r%m] = true
		}
	}
	return t
}()

// rocaPrimes are the small primes the ROCA test uses. The vulnerable
// library makes every prime p ≡ 65537^a (mod M), M the product of the
// primes up to at least 167; so n mod r lies in the subgroup 65537
// generates modulo each of them (Nemec et al., CCS 2017), which a random
// modulus does for all of them with probability 2^-28.
var rocaPrimes = []int64{3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89,
	97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167}

// rocaGroups[i][x] is true when x is a power of 65537 modulo rocaPrimes[i].
var rocaGroups = func() [][]bool {
	out := make([][]bool, len(rocaPrimes))
	for i, r := range rocaPrimes {
		in := make([]bool, r)
		g := 65537 % r
		for x := int64(1); !in[x]; x = x * g % r {
			in[x] = true
		}
		out[i] = in
	}
	return out
}()

func rocaFingerprint(n *big.Int) bool {
	m := new(big.Int)
	for i, r := range rocaPrimes {
		if !rocaGroups[i][m.Mod(n, big.NewInt(r)).Int64()] {
			return false
		}
	}
	return true
}
