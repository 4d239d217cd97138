// Package softkey is the default keys.Manager. Private keys live in the
// caller's database inside keys.Handle.Wrapped, encrypted with AES-256-GCM
// under a key-encryption key (KEK), and are decrypted only in memory when a
// signer is first needed.
package softkey

import (
	"bytes"
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"github.com/openpca/openpca/internal/keys"
)

// KEKSize is the length in bytes of the key-encryption key.
const KEKSize = 32

var errClosed = errors.New("softkey: manager is closed")

// Manager keeps CA keys encrypted at rest. It is safe for concurrent use.
type Manager struct {
	mu   sync.RWMutex
	aead cipher.AEAD // nil once closed
	kcv  [kcvSize]byte

	// cache maps a key ID to a *cachedSigner, so repeated signing does
	// not decrypt and parse the key again.
	cache sync.Map
}

type cachedSigner struct {
	wrapped []byte
	signer  crypto.Signer
}

var _ keys.Manager = (*Manager)(nil)

// New returns a Manager that wraps keys under kek, which must be KEKSize
// bytes. The manager does not keep a reference to kek.
func New(kek []byte) (*Manager, error) {
	if len(kek) != KEKSize {
		return nil, fmt.Errorf("softkey: key-encryption key must be %d bytes, got %d", KEKSize, len(kek))
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, fmt.Errorf("softkey: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("softkey: %w", err)
	}
	m := &Manager{aead: aead}
	// The check value lets Signer tell "wrong KEK" from "tampered blob",
	// which GCM alone cannot; 4 bytes of an HMAC reveal nothing useful.
	mac := hmac.New(sha256.New, kek)
	mac.Write([]byte("openpca softkey key check value"))
	copy(m.kcv[:], mac.Sum(nil))
	return m, nil
}

// CreateKey generates a key and returns its handle, whose Wrapped field the
// caller must persist.
func (m *Manager) CreateKey(ctx context.Context, algorithm string) (keys.Handle, crypto.PublicKey, error) {
	if err := ctx.Err(); err != nil {
		return keys.Handle{}, nil, err
	}
	if err := keys.CheckAlgorithm(algorithm); err != nil {
		return keys.Handle{}, nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.aead == nil {
		return keys.Handle{}, nil, errClosed
	}
	var rawID [16]byte
	if _, err := rand.Read(rawID[:]); err != nil {
		return keys.Handle{}, nil, fmt.Errorf("softkey: key id: %w", err)
	}
	id := hex.EncodeToString(rawID[:])
	signer, plaintext, err := generate(algorithm)
	if err != nil {
		return keys.Handle{}, nil, err
	}
	defer clear(plaintext)
	wrapped, err := m.wrap(id, algorithm, plaintext)
	if err != nil {
		return keys.Handle{}, nil, err
	}
	m.cache.Store(id, &cachedSigner{wrapped: bytes.Clone(wrapped), signer: signer})
	return keys.Handle{Backend: keys.BackendSoft, ID: id, Wrapped: wrapped}, signer.Public(), nil
}

// Signer returns a signer for h, decrypting the key on first use.
func (m *Manager) Signer(ctx context.Context, h keys.Handle) (crypto.Signer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if h.Backend != keys.BackendSoft {
		return nil, fmt.Errorf("softkey: key %s belongs to backend %q", h.ID, h.Backend)
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.aead == nil {
		return nil, errClosed
	}
	// Comparing the blob keeps a tampered handle from riding on a cached
	// signer that shares its ID.
	if v, ok := m.cache.Load(h.ID); ok {
		if c := v.(*cachedSigner); bytes.Equal(c.wrapped, h.Wrapped) {
			return c.signer, nil
		}
	}
	algorithm, plaintext, err := m.unwrap(h.ID, h.Wrapped)
	if err != nil {
		return nil, err
	}
	defer clear(plaintext)
	signer, err := parse(algorithm, plaintext)
	if err != nil {
		return nil, fmt.Errorf("softkey: key %s: %w", h.ID, err)
	}
	m.cache.Store(h.ID, &cachedSigner{wrapped: bytes.Clone(h.Wrapped), signer: signer})
	return signer, nil
}

// DestroyKey forgets h's cached signer. The key itself exists only in the
// handle's encrypted blob, so it is gone once the caller drops the handle.
func (m *Manager) DestroyKey(ctx context.Context, h keys.Handle) error {
	if h.Backend != keys.BackendSoft {
		return fmt.Errorf("softkey: key %s belongs to backend %q", h.ID, h.Backend)
	}
	m.cache.Delete(h.ID)
	return nil
}

// Close drops the KEK cipher and every cached signer.
func (m *Manager) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.aead = nil
	m.cache.Clear()
	return nil
}
