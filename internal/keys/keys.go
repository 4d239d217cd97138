// Package keys is how the CA reaches its private keys. A Manager creates keys
// and hands out crypto.Signers for them, so signing code never handles key
// material and an HSM backend can replace the software one.
//
// Algorithms use AWS Private CA's KeyAlgorithm names. Which signature
// algorithms go with which key lives in x509util, not here.
package keys

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"
	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/cloudflare/circl/sign/mldsa/mldsa87"
)

// Key algorithms, named as AWS Private CA's KeyAlgorithm enum.
const (
	RSA2048      = "RSA_2048"
	RSA3072      = "RSA_3072"
	RSA4096      = "RSA_4096"
	ECPrime256v1 = "EC_prime256v1"
	ECSecp384r1  = "EC_secp384r1"
	ECSecp521r1  = "EC_secp521r1"
	MLDSA44      = "ML_DSA_44"
	MLDSA65      = "ML_DSA_65"
	MLDSA87      = "ML_DSA_87"
	SM2          = "SM2" // part of the AWS enum, never supported
)

// Backend names recorded in Handle.Backend.
const (
	BackendSoft   = "soft"
	BackendPKCS11 = "pkcs11"
)

// ErrUnsupportedAlgorithm is returned (wrapped) for key algorithms this
// build cannot create or use.
var ErrUnsupportedAlgorithm = errors.New("keys: unsupported key algorithm")

// Handle identifies a CA key. The caller persists it (in the database) and
// hands it back to Signer.
type Handle struct {
	Backend string // "soft" for softkey; "pkcs11" later
	ID      string // backend-specific key id (random, 16 bytes hex)
	Wrapped []byte // softkey: the private key encrypted under the key-encryption key; empty for HSM keys
}

// Manager creates CA keys and returns signers for them. Implementations
// must be safe for concurrent use.
type Manager interface {
	// CreateKey generates a key of the given algorithm and returns its
	// handle and public key.
	CreateKey(ctx context.Context, algorithm string) (Handle, crypto.PublicKey, error)
	// Signer returns a signer for the key h identifies.
	Signer(ctx context.Context, h Handle) (crypto.Signer, error)
	// DestroyKey destroys the key h identifies, so that nothing can sign
	// with it again. A key that is already gone is not an error.
	DestroyKey(ctx context.Context, h Handle) error
	// Close releases the backend; the manager is unusable afterwards.
	Close() error
}

// Checker is a Manager that can tell cheaply whether it can still sign, for
// readiness checks. A Manager without it (software keys) always can.
type Checker interface {
	// Check returns an error when the backend is unusable.
	Check(ctx context.Context) error
}

// Algorithms returns every supported key algorithm, in AWS's order.
func Algorithms() []string {
	return []string{RSA2048, RSA3072, RSA4096, ECPrime256v1, ECSecp384r1, ECSecp521r1, MLDSA44, MLDSA65, MLDSA87}
}

// CheckAlgorithm returns nil if algorithm is supported and an error wrapping
// ErrUnsupportedAlgorithm otherwise.
func CheckAlgorithm(algorithm string) error {
	switch algorithm {
	case RSA2048, RSA3072, RSA4096, ECPrime256v1, ECSecp384r1, ECSecp521r1, MLDSA44, MLDSA65, MLDSA87:
		return nil
	case SM2:
		return fmt.Errorf("%w: SM2 keys are not supported; use an RSA, EC or ML-DSA algorithm", ErrUnsupportedAlgorithm)
	}
	return fmt.Errorf("%w: %q", ErrUnsupportedAlgorithm, algorithm)
}

// AlgorithmOf names pub with its AWS KeyAlgorithm value.
func AlgorithmOf(pub crypto.PublicKey) (string, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		switch k.N.BitLen() {
		case 2048:
			return RSA2048, nil
		case 3072:
			return RSA3072, nil
		case 4096:
			return RSA4096, nil
		}
		return "", fmt.Errorf("%w: %d-bit RSA", ErrUnsupportedAlgorithm, k.N.BitLen())
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return ECPrime256v1, nil
		case elliptic.P384():
			return ECSecp384r1, nil
		case elliptic.P521():
			return ECSecp521r1, nil
		}
		if k.Curve == nil {
			return "", fmt.Errorf("%w: EC key without a curve", ErrUnsupportedAlgorithm)
		}
		return "", fmt.Errorf("%w: EC curve %s", ErrUnsupportedAlgorithm, k.Curve.Params().Name)
	case *mldsa44.PublicKey:
		return MLDSA44, nil
	case *mldsa65.PublicKey:
		return MLDSA65, nil
	case *mldsa87.PublicKey:
		return MLDSA87, nil
	}
	return "", fmt.Errorf("%w: public key type %T", ErrUnsupportedAlgorithm, pub)
}
