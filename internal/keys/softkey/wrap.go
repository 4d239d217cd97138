package softkey

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"

	"golang.org/x/crypto/cryptobyte"

	"github.com/openpca/openpca/internal/keys"
)

// Wrapped blob, version 1:
//
//	version (1) || kcv (4) || len(algorithm) (1) || algorithm || nonce (12) || AES-256-GCM ciphertext and tag
//
// The header travels in the clear because Handle has no algorithm field and
// unwrapping needs it; it is authenticated, together with the key ID, as
// GCM additional data, so a blob cannot be moved to another ID or relabelled.
const (
	version1  = 1
	kcvSize   = 4
	nonceSize = 12
)

func (m *Manager) wrap(id, algorithm string, plaintext []byte) ([]byte, error) {
	var b cryptobyte.Builder
	b.AddUint8(version1)
	b.AddBytes(m.kcv[:])
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(algorithm)) })
	header, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("softkey: wrap header: %w", err)
	}
	nonce := make([]byte, nonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("softkey: nonce: %w", err)
	}
	out := append(header, nonce...)
	return m.aead.Seal(out, nonce, plaintext, additionalData(header, id)), nil
}

func (m *Manager) unwrap(id string, wrapped []byte) (string, []byte, error) {
	algorithm, plaintext, err := m.open(id, wrapped, keys.CheckAlgorithm)
	return algorithm, plaintext, err
}

// open checks the header, lets checkLabel vet the label (the algorithm of a
// key, or secretLabel) and decrypts.
func (m *Manager) open(id string, wrapped []byte, checkLabel func(string) error) (string, []byte, error) {
	s := cryptobyte.String(wrapped)
	var (
		version    uint8
		kcv, nonce []byte
		algorithm  cryptobyte.String
	)
	if !s.ReadUint8(&version) || version != version1 {
		return "", nil, fmt.Errorf("softkey: key %s: unknown wrapped-key format", id)
	}
	if !s.ReadBytes(&kcv, kcvSize) || !s.ReadUint8LengthPrefixed(&algorithm) ||
		!s.ReadBytes(&nonce, nonceSize) || len(s) < m.aead.Overhead() {
		return "", nil, fmt.Errorf("softkey: key %s: truncated wrapped key", id)
	}
	if subtle.ConstantTimeCompare(kcv, m.kcv[:]) != 1 {
		return "", nil, fmt.Errorf("softkey: key %s was wrapped under a different key-encryption key", id)
	}
	if err := checkLabel(string(algorithm)); err != nil {
		return "", nil, fmt.Errorf("softkey: key %s: %w", id, err)
	}
	header := wrapped[:len(wrapped)-len(s)-nonceSize]
	plaintext, err := m.aead.Open(nil, nonce, s, additionalData(header, id))
	if err != nil {
		return "", nil, fmt.Errorf("softkey: key %s failed authentication: the wrapped key was altered or belongs to another key id", id)
	}
	return string(algorithm), plaintext, nil
}

// additionalData binds the header (version, kcv, algorithm) and the key ID.
// The header is self-delimiting, so appending the ID is unambiguous.
func additionalData(header []byte, id string) []byte {
	return append(append([]byte(nil), header...), id...)
}
