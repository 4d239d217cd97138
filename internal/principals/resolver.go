package principals

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/openpca/openpca/internal/iam"
)

// Identity is what the server needs about the signer of a request.
type Identity struct {
	Secret    string // the secret access key, for SigV4
	Account   string
	Name      string
	ARN       string
	Policies  []*iam.Policy
	AccessKey string
}

// DefaultTTL is how long the Resolver trusts what it read: changes made by
// the operator commands reach running servers within this time.
const DefaultTTL = 2 * time.Second

// maxCached bounds the Resolver's cache; it starts over when full.
const maxCached = 10000

// Resolver looks up access keys for the server, caching each answer
// (unknown keys included) for TTL.
type Resolver struct {
	Store  Store
	Sealer Sealer
	TTL    time.Duration // 0 means DefaultTTL; negative disables the cache
	Log    *slog.Logger

	mu      sync.Mutex
	entries map[string]cached
}

type cached struct {
	id      *Identity // nil for an unknown key
	expires time.Time
}

// Lookup returns the identity of an access key, or nil when no principal
// has it.
func (r *Resolver) Lookup(ctx context.Context, accessKeyID string) (*Identity, error) {
	ttl := r.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	now := time.Now()
	if ttl > 0 {
		r.mu.Lock()
		e, ok := r.entries[accessKeyID]
		r.mu.Unlock()
		if ok && now.Before(e.expires) {
			return e.id, nil
		}
	}
	id, err := r.read(ctx, accessKeyID)
	if err != nil {
		return nil, err
	}
	if ttl > 0 {
		r.mu.Lock()
		if r.entries == nil || len(r.entries) >= maxCached {
			r.entries = map[string]cached{}
		}
		r.entries[accessKeyID] = cached{id: id, expires: now.Add(ttl)}
		r.mu.Unlock()
	}
	return id, nil
}

func (r *Resolver) read(ctx context.Context, accessKeyID string) (*Identity, error) {
	key, p, err := r.Store.LookupAccessKey(ctx, accessKeyID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	secret, err := r.Sealer.OpenSecret(key.ID, key.SealedSecret)
	if err != nil {
		return nil, err
	}
	id := &Identity{Secret: string(secret), Account: p.Account, Name: p.Name, ARN: p.ARN(), AccessKey: key.ID}
	for _, np := range p.Policies {
		parsed, err := iam.Parse(np.Document)
		if err != nil {
			// Attach checked it; an engine that now refuses it grants nothing.
			if r.Log != nil {
				r.Log.Warn("identity policy no longer parses; it grants nothing", "principal", id.ARN, "policy", np.Name, "err", err)
			}
			continue
		}
		id.Policies = append(id.Policies, parsed)
	}
	return id, nil
}
