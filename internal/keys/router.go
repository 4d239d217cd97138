package keys

import (
	"context"
	"crypto"
	"errors"
	"fmt"
)

// Router is a Manager over several backends: new keys go to one of them,
// and each existing key goes back to the backend named in its Handle. So
// CAs whose keys were made in software keep signing after the operator
// moves new keys to an HSM.
type Router struct {
	create   Manager
	backends map[string]Manager
}

var (
	_ Manager = (*Router)(nil)
	_ Checker = (*Router)(nil)
)

// NewRouter returns a Router that creates keys with backends[create].
// The Router owns the backends: Close closes them all.
func NewRouter(create string, backends map[string]Manager) (*Router, error) {
	m, ok := backends[create]
	if !ok {
		return nil, fmt.Errorf("keys: no backend %q to create keys with", create)
	}
	return &Router{create: m, backends: backends}, nil
}

// CreateKey creates the key in the backend chosen for new keys.
func (r *Router) CreateKey(ctx context.Context, algorithm string) (Handle, crypto.PublicKey, error) {
	return r.create.CreateKey(ctx, algorithm)
}

// Signer asks the backend that created h.
func (r *Router) Signer(ctx context.Context, h Handle) (crypto.Signer, error) {
	m, ok := r.backends[h.Backend]
	if !ok {
		return nil, fmt.Errorf("keys: key %s is held by backend %q, which is not configured", h.ID, h.Backend)
	}
	return m.Signer(ctx, h)
}

// DestroyKey asks the backend that created h.
func (r *Router) DestroyKey(ctx context.Context, h Handle) error {
	m, ok := r.backends[h.Backend]
	if !ok {
		return fmt.Errorf("keys: key %s is held by backend %q, which is not configured", h.ID, h.Backend)
	}
	return m.DestroyKey(ctx, h)
}

// Check checks every backend that is a Checker.
func (r *Router) Check(ctx context.Context) error {
	var errs []error
	for _, m := range r.backends {
		if c, ok := m.(Checker); ok {
			errs = append(errs, c.Check(ctx))
		}
	}
	return errors.Join(errs...)
}

// Close closes every backend.
func (r *Router) Close() error {
	var errs []error
	for _, m := range r.backends {
		errs = append(errs, m.Close())
	}
	return errors.Join(errs...)
}
