package sqlstore

import (
	"sync"

	"github.com/openpca/openpca/internal/pca"
)

// caCache keeps decoded CAs between reads for a store that is its
// database's only writer. GetCA hands out shallow copies: the domain changes
// CAs only inside UpdateCA, on a fresh read, so nested values stay shared
// and unchanged.
//
// A read may race with a write: it loads the row, the write commits and
// invalidates, then the read would cache the old row. The generation makes
// the read's put a no-op if any invalidation happened since it began.
type caCache struct {
	mu   sync.Mutex
	gen  uint64
	rows map[string]*pca.CA
}

func (c *caCache) get(key string) (*pca.CA, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.rows[key]
	return r, ok
}

func (c *caCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *caCache) put(key string, r *pca.CA, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.rows == nil {
		c.rows = map[string]*pca.CA{}
	}
	c.rows[key] = r
}

// invalidate drops key, or everything when key is "", after a write committed.
func (c *caCache) invalidate(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if key == "" {
		c.rows = nil
		return
	}
	delete(c.rows, key)
}
