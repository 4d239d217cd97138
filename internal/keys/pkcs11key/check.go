//go:build cgo

package pkcs11key

import (
	"context"
	"fmt"

	"github.com/openpca/openpca/internal/keys"
)

// probeLabel labels no key: every key's label is labelPrefix and a hex id.
const probeLabel = labelPrefix + "readiness-probe"

var _ keys.Checker = (*Manager)(nil)

// Check searches the token for a key that does not exist: the object
// search Signer makes, which every token supports (C_GenerateRandom is
// optional), on a session from the pool. It fails when the module, the
// token or its sessions no longer answer. The search takes no context: a
// caller that needs a deadline runs Check in a goroutine of its own.
func (m *Manager) Check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := m.ctx.FindKeyPairs(nil, []byte(probeLabel)); err != nil {
		return fmt.Errorf("pkcs11key: check %s: %w", m.cfg, err)
	}
	return nil
}
