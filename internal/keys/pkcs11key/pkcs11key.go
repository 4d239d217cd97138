//go:build cgo

package pkcs11key

import (
	"context"
	"crypto"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/ThalesGroup/crypto11"
	"github.com/miekg/pkcs11"

	"github.com/openpca/openpca/internal/keys"
)

// labelPrefix starts every key's CKA_LABEL, so an operator listing the
// token can tell openpca's keys apart.
const labelPrefix = "openpca-"

// Manager creates and uses CA keys in one PKCS#11 token. It is safe for
// concurrent use.
type Manager struct {
	cfg Config // PIN cleared after login
	ctx *crypto11.Context
	// signers caches the crypto.Signer of each key ID: finding a key
	// costs a PKCS#11 object search.
	signers sync.Map
	// closeOnce guards ctx.Close, which panics when called twice.
	closeOnce sync.Once
	closeErr  error
}

var _ keys.Manager = (*Manager)(nil)

// Open loads the module and logs in to the token.
func Open(cfg Config) (*Manager, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	c := &crypto11.Config{Path: cfg.Module, Pin: cfg.PIN}
	switch {
	case cfg.TokenSerial != "":
		c.TokenSerial = cfg.TokenSerial
	case cfg.SlotID != nil:
		c.SlotNumber = cfg.SlotID
	default:
		c.TokenLabel = cfg.TokenLabel
	}
	ctx, err := crypto11.Configure(c)
	if err != nil {
		var p11 pkcs11.Error
		if errors.As(err, &p11) && (p11 == pkcs11.CKR_PIN_INCORRECT || p11 == pkcs11.CKR_PIN_LOCKED || p11 == pkcs11.CKR_PIN_LEN_RANGE) {
			return nil, fmt.Errorf("pkcs11key: %s refused the PIN: %w", cfg, err)
		}
		return nil, fmt.Errorf("pkcs11key: open %s: %w", cfg, err)
	}
	cfg.PIN = ""
	return &Manager{cfg: cfg, ctx: ctx}, nil
}

// CreateKey generates a key pair in the token. The private key is a
// sensitive, non-extractable token object that can only sign.
func (m *Manager) CreateKey(ctx context.Context, algorithm string) (keys.Handle, crypto.PublicKey, error) {
	if err := ctx.Err(); err != nil {
		return keys.Handle{}, nil, err
	}
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return keys.Handle{}, nil, fmt.Errorf("pkcs11key: key id: %w", err)
	}
	h := keys.Handle{Backend: keys.BackendPKCS11, ID: hex.EncodeToString(id[:])}
	pub, priv, err := attributes(id[:], labelPrefix+h.ID)
	if err != nil {
		return keys.Handle{}, nil, err
	}
	var signer crypto.Signer
	switch algorithm {
	case keys.RSA2048, keys.RSA3072, keys.RSA4096:
		// A CA key signs; it never decrypts.
		pub.Set(crypto11.CkaEncrypt, false)
		priv.Set(crypto11.CkaDecrypt, false)
		var s crypto11.SignerDecrypter
		s, err = m.ctx.GenerateRSAKeyPairWithAttributes(pub, priv, rsaBits(algorithm))
		signer = rsaSigner{s}
	case keys.ECPrime256v1, keys.ECSecp384r1, keys.ECSecp521r1:
		signer, err = m.ctx.GenerateECDSAKeyPairWithAttributes(pub, priv, curve(algorithm))
	case keys.MLDSA44, keys.MLDSA65, keys.MLDSA87:
		return keys.Handle{}, nil, fmt.Errorf("%w: %s keys cannot be made in a PKCS#11 token yet (SoftHSM2 and most HSMs offer no ML-DSA); use an RSA or EC key algorithm", keys.ErrUnsupportedAlgorithm, algorithm)
	default:
		return keys.Handle{}, nil, keys.CheckAlgorithm(algorithm)
	}
	if err != nil {
		return keys.Handle{}, nil, fmt.Errorf("pkcs11key: generate %s key in %s: %w", algorithm, m.cfg, err)
	}
	m.signers.Store(h.ID, signer)
	return h, signer.Public(), nil
}

// attributes are the templates of a new key pair. crypto11 adds the key
// type, CKA_SIGN and CKA_VERIFY; the rest is spelt out here rather than
// left to its defaults, because it is the security of the CA key.
func attributes(id []byte, label string) (pub, priv crypto11.AttributeSet, err error) {
	if pub, err = crypto11.NewAttributeSetWithIDAndLabel(id, []byte(label)); err != nil {
		return nil, nil, err
	}
	if priv, err = crypto11.NewAttributeSetWithIDAndLabel(id, []byte(label)); err != nil {
		return nil, nil, err
	}
	for _, a := range []struct {
		set crypto11.AttributeSet
		typ crypto11.AttributeType
		val bool
	}{
		{pub, crypto11.CkaToken, true},
		{priv, crypto11.CkaToken, true},
		{priv, crypto11.CkaPrivate, true},
		{priv, crypto11.CkaSensitive, true},
		{priv, crypto11.CkaExtractable, false},
	} {
		if err := a.set.Set(a.typ, a.val); err != nil {
			return nil, nil, err
		}
	}
	return pub, priv, nil
}

func rsaBits(algorithm string) int {
	switch algorithm {
	case keys.RSA3072:
		return 3072
	case keys.RSA4096:
		return 4096
	}
	return 2048
}

func curve(algorithm string) elliptic.Curve {
	switch algorithm {
	case keys.ECSecp384r1:
		return elliptic.P384()
	case keys.ECSecp521r1:
		return elliptic.P521()
	}
	return elliptic.P256()
}

// Signer finds the key h names in the token.
func (m *Manager) Signer(ctx context.Context, h keys.Handle) (crypto.Signer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	id, err := keyID(h)
	if err != nil {
		return nil, err
	}
	if s, ok := m.signers.Load(h.ID); ok {
		return s.(crypto.Signer), nil
	}
	pairs, err := m.ctx.FindKeyPairs(id, nil)
	if err != nil {
		return nil, fmt.Errorf("pkcs11key: find key %s in %s: %w", h.ID, m.cfg, err)
	}
	if len(pairs) == 0 {
		return nil, fmt.Errorf("pkcs11key: key %s is not in %s (was the token replaced or the key deleted?)", h.ID, m.cfg)
	}
	s := pairs[0]
	signer := crypto.Signer(s)
	if _, ok := s.Public().(*rsa.PublicKey); ok {
		signer = rsaSigner{s}
	}
	m.signers.Store(h.ID, signer)
	return signer, nil
}

// keyID is the CKA_ID of the key pair h names.
func keyID(h keys.Handle) ([]byte, error) {
	if h.Backend != keys.BackendPKCS11 {
		return nil, fmt.Errorf("pkcs11key: key %s belongs to backend %q", h.ID, h.Backend)
	}
	id, err := hex.DecodeString(h.ID)
	if err != nil || len(id) == 0 {
		return nil, fmt.Errorf("pkcs11key: malformed key id %q", h.ID)
	}
	return id, nil
}

// DestroyKey destroys h's key pair in the token.
func (m *Manager) DestroyKey(ctx context.Context, h keys.Handle) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	id, err := keyID(h)
	if err != nil {
		return err
	}
	m.signers.Delete(h.ID)
	pairs, err := m.ctx.FindKeyPairs(id, nil)
	if err != nil {
		return fmt.Errorf("pkcs11key: find key %s in %s: %w", h.ID, m.cfg, err)
	}
	for _, s := range pairs {
		// Delete destroys the private key object, then the public one.
		if err := s.Delete(); err != nil {
			return fmt.Errorf("pkcs11key: destroy key %s in %s: %w", h.ID, m.cfg, err)
		}
	}
	return nil
}

// Close logs out and releases the module. Later calls do nothing.
func (m *Manager) Close() error {
	m.closeOnce.Do(func() {
		m.signers.Clear()
		m.closeErr = m.ctx.Close()
	})
	return m.closeErr
}

// rsaSigner accepts rsa.PSSSaltLengthAuto, which crypto11 refuses: a salt
// as long as the hash is one valid choice, and the one crypto/x509 makes.
type rsaSigner struct{ crypto.Signer }

func (s rsaSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if o, ok := opts.(*rsa.PSSOptions); ok && o.SaltLength == rsa.PSSSaltLengthAuto {
		opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: o.Hash}
	}
	return s.Signer.Sign(r, digest, opts)
}
