//go:build !cgo

package pkcs11key

import (
	"context"
	"crypto"
	"errors"

	"github.com/openpca/openpca/internal/keys"
)

var errNoCgo = errors.New("pkcs11key: this openpca binary was built without cgo, so it cannot load a PKCS#11 module; rebuild with CGO_ENABLED=1")

// Manager is a stand-in: without cgo no token can be opened.
type Manager struct{}

var _ keys.Manager = (*Manager)(nil)

// Open always fails in a binary built without cgo.
func Open(Config) (*Manager, error) { return nil, errNoCgo }

func (*Manager) CreateKey(context.Context, string) (keys.Handle, crypto.PublicKey, error) {
	return keys.Handle{}, nil, errNoCgo
}

func (*Manager) Signer(context.Context, keys.Handle) (crypto.Signer, error) { return nil, errNoCgo }

func (*Manager) DestroyKey(context.Context, keys.Handle) error { return errNoCgo }

func (*Manager) Close() error { return nil }

func (*Manager) Check(context.Context) error { return errNoCgo }
