package softkey

import (
	"errors"
	"fmt"
)

// secretLabel takes the algorithm's place in the header of a sealed secret,
// so a secret blob can never pass for a wrapped key, nor the reverse.
const secretLabel = "secret"

// SealSecret encrypts a secret that must be recoverable, such as a SigV4
// secret access key (verification recomputes the signature with it), in the
// same format as CA keys. id is authenticated with it: the blob opens only
// under the same id.
func (m *Manager) SealSecret(id string, secret []byte) ([]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.aead == nil {
		return nil, errClosed
	}
	return m.wrap(id, secretLabel, secret)
}

// OpenSecret decrypts what SealSecret sealed under id.
func (m *Manager) OpenSecret(id string, sealed []byte) ([]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.aead == nil {
		return nil, errClosed
	}
	_, secret, err := m.open(id, sealed, func(label string) error {
		if label != secretLabel {
			return errors.New("not a sealed secret")
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("softkey: open secret: %w", err)
	}
	return secret, nil
}
