package softkey

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"
	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/cloudflare/circl/sign/mldsa/mldsa87"

	"github.com/openpca/openpca/internal/keys"
)

// ML-DSA keys are stored as their 32-byte seed (FIPS 204 ξ): it is the
// smallest form and every other form derives from it.
const seedSize = mldsa65.SeedSize

// generate returns a new signer and its plaintext encoding: PKCS#8 DER for
// RSA and EC, the seed for ML-DSA. The caller clears the plaintext.
func generate(algorithm string) (crypto.Signer, []byte, error) {
	var (
		key crypto.Signer
		err error
	)
	switch algorithm {
	case keys.RSA2048:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	case keys.RSA3072:
		key, err = rsa.GenerateKey(rand.Reader, 3072)
	case keys.RSA4096:
		key, err = rsa.GenerateKey(rand.Reader, 4096)
	case keys.ECPrime256v1:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case keys.ECSecp384r1:
		key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case keys.ECSecp521r1:
		key, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case keys.MLDSA44, keys.MLDSA65, keys.MLDSA87:
		seed := make([]byte, seedSize)
		if _, err := rand.Read(seed); err != nil {
			return nil, nil, fmt.Errorf("softkey: seed: %w", err)
		}
		signer, err := mldsaFromSeed(algorithm, seed)
		if err != nil {
			clear(seed)
			return nil, nil, err
		}
		return signer, seed, nil
	default:
		return nil, nil, keys.CheckAlgorithm(algorithm)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("softkey: generate %s: %w", algorithm, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("softkey: encode %s: %w", algorithm, err)
	}
	return key, der, nil
}

// parse is the inverse of generate. It checks that the key really is of
// the given algorithm.
func parse(algorithm string, plaintext []byte) (crypto.Signer, error) {
	var signer crypto.Signer
	switch algorithm {
	case keys.MLDSA44, keys.MLDSA65, keys.MLDSA87:
		s, err := mldsaFromSeed(algorithm, plaintext)
		if err != nil {
			return nil, err
		}
		signer = s
	default:
		k, err := x509.ParsePKCS8PrivateKey(plaintext)
		if err != nil {
			return nil, fmt.Errorf("decode private key: %w", err)
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("decoded %T, which cannot sign", k)
		}
		signer = s
	}
	got, err := keys.AlgorithmOf(signer.Public())
	if err != nil {
		return nil, err
	}
	if got != algorithm {
		return nil, fmt.Errorf("key is %s, labelled %s", got, algorithm)
	}
	return signer, nil
}

func mldsaFromSeed(algorithm string, seed []byte) (crypto.Signer, error) {
	if len(seed) != seedSize {
		return nil, fmt.Errorf("ML-DSA seed is %d bytes, want %d", len(seed), seedSize)
	}
	var s [seedSize]byte
	copy(s[:], seed)
	defer clear(s[:])
	switch algorithm {
	case keys.MLDSA44:
		pk, sk := mldsa44.NewKeyFromSeed(&s)
		return &mldsaSigner{pub: pk, size: mldsa44.SignatureSize, signTo: func(msg, sig []byte) error {
			return mldsa44.SignTo(sk, msg, nil, true, sig)
		}}, nil
	case keys.MLDSA65:
		pk, sk := mldsa65.NewKeyFromSeed(&s)
		return &mldsaSigner{pub: pk, size: mldsa65.SignatureSize, signTo: func(msg, sig []byte) error {
			return mldsa65.SignTo(sk, msg, nil, true, sig)
		}}, nil
	case keys.MLDSA87:
		pk, sk := mldsa87.NewKeyFromSeed(&s)
		return &mldsaSigner{pub: pk, size: mldsa87.SignatureSize, signTo: func(msg, sig []byte) error {
			return mldsa87.SignTo(sk, msg, nil, true, sig)
		}}, nil
	}
	return nil, keys.CheckAlgorithm(algorithm)
}

// mldsaSigner signs in pure ML-DSA mode with an empty context, like circl's
// PrivateKey.Sign, but hedged (fresh randomness per signature) as FIPS 204
// recommends, rather than deterministic.
type mldsaSigner struct {
	pub    crypto.PublicKey
	size   int
	signTo func(msg, sig []byte) error
}

func (s *mldsaSigner) Public() crypto.PublicKey { return s.pub }

// Sign signs the whole message; opts.HashFunc() must be 0. The randomness
// comes from crypto/rand, not from the rand argument.
func (s *mldsaSigner) Sign(_ io.Reader, msg []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts != nil && opts.HashFunc() != 0 {
		return nil, errors.New("softkey: ML-DSA signs the whole message; opts.HashFunc() must be 0")
	}
	sig := make([]byte, s.size)
	if err := s.signTo(msg, sig); err != nil {
		return nil, fmt.Errorf("softkey: ML-DSA sign: %w", err)
	}
	return sig, nil
}
