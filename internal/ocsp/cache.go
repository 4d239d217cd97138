package ocsp

import (
	"context"
	"crypto"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// key names a cached response. The hash is the CertID's: the CertID is
// inside the signed data, so each CertID hash algorithm needs its own
// signature.
type key struct {
	ca, serial string
	hash       crypto.Hash
}

// entry is one pre-signed response. Only asked and the list links change
// after it is stored; a re-signed response is a new entry.
type entry struct {
	key    key
	is     *issuer // the CA state that signed it; any other means stale
	serial []byte  // the CertID serial, to re-sign without a request
	der    []byte
	out    outcome

	thisUpdate, nextUpdate, refreshAt time.Time
	// Header values, formatted once.
	etag, lastModified, expires, length []string

	asked atomic.Bool // requested since it was signed; Run re-signs only those

	prev, next *entry // LRU list, guarded by the shard's mutex
}

func (e *entry) size() int64 {
	// The DER plus a rough allowance for the entry, key and headers.
	return int64(len(e.der)) + 256 + int64(len(e.key.ca)+len(e.key.serial))
}

// call is one signature in flight for a key; concurrent misses wait for it.
type call struct {
	done  chan struct{}
	e     *entry
	err   error
	stale bool // Revoked ran meanwhile: the result must not be stored
}

const shardCount = 16

// cache is a byte-bounded LRU, sharded to keep lock contention low.
type cache struct {
	seed   maphash.Seed
	shards [shardCount]shard
	bytes  atomic.Int64
}

type shard struct {
	mu       sync.Mutex
	m        map[key]*entry
	inflight map[key]*call
	lru      entry // sentinel: lru.next is the most recently used
	bytes    int64
	max      int64
}

func newCache(maxBytes int64) *cache {
	c := &cache{seed: maphash.MakeSeed()}
	for i := range c.shards {
		s := &c.shards[i]
		s.m = map[key]*entry{}
		s.inflight = map[key]*call{}
		s.lru.next, s.lru.prev = &s.lru, &s.lru
		s.max = max(maxBytes/shardCount, 1)
	}
	return c
}

func (c *cache) shard(k key) *shard {
	return &c.shards[maphash.Comparable(c.seed, k)%shardCount]
}

// get returns the entry for k, marking it most recently used.
func (c *cache) get(k key) *entry {
	s := c.shard(k)
	s.mu.Lock()
	e := s.m[k]
	if e != nil && s.lru.next != e {
		s.unlink(e)
		s.pushFront(e)
	}
	s.mu.Unlock()
	return e
}

// load returns the entry sign makes for k, with one sign call in flight per
// key at a time: concurrent callers wait for it. The result is stored
// unless drop ran for k meanwhile. sign runs detached from ctx, since other
// callers may be waiting for it; ctx bounds only this caller's wait.
func (c *cache) load(ctx context.Context, k key, sign func(context.Context) (*entry, error)) (*entry, error) {
	s := c.shard(k)
	s.mu.Lock()
	cl := s.inflight[k]
	if cl == nil {
		cl = &call{done: make(chan struct{})}
		s.inflight[k] = cl
		go c.run(s, k, cl, context.WithoutCancel(ctx), sign)
	}
	s.mu.Unlock()
	select {
	case <-cl.done:
		return cl.e, cl.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// signTimeout bounds a detached signature (Backend read included).
const signTimeout = 30 * time.Second

func (c *cache) run(s *shard, k key, cl *call, ctx context.Context, sign func(context.Context) (*entry, error)) {
	ctx, cancel := context.WithTimeout(ctx, signTimeout)
	defer cancel()
	e, err := sign(ctx)
	s.mu.Lock()
	if s.inflight[k] == cl {
		delete(s.inflight, k)
	}
	if err == nil && !cl.stale {
		c.put(s, e)
	}
	cl.e, cl.err = e, err
	s.mu.Unlock()
	close(cl.done)
}

// put stores e, replacing any entry for its key, and evicts the least
// recently used entries beyond the shard's budget. s.mu is held.
func (c *cache) put(s *shard, e *entry) {
	if old := s.m[e.key]; old != nil {
		s.remove(c, old)
	}
	s.m[e.key] = e
	s.pushFront(e)
	s.bytes += e.size()
	c.bytes.Add(e.size())
	for s.bytes > s.max && s.lru.prev != e {
		s.remove(c, s.lru.prev)
	}
}

// drop removes k's entry and makes a signature in flight for k unstorable,
// so a response signed from a status read before the drop is never cached.
func (c *cache) drop(k key) {
	s := c.shard(k)
	s.mu.Lock()
	if e := s.m[k]; e != nil {
		s.remove(c, e)
	}
	if cl := s.inflight[k]; cl != nil {
		cl.stale = true
		delete(s.inflight, k) // later callers start a fresh signature
	}
	s.mu.Unlock()
}

// sweep removes the entries expired or drop returns true for, and returns
// those due says should be re-signed.
func (c *cache) sweep(drop, due func(*entry) bool) []*entry {
	var out []*entry
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		for e := s.lru.next; e != &s.lru; {
			next := e.next
			switch {
			case drop(e):
				s.remove(c, e)
			case due(e):
				out = append(out, e)
			}
			e = next
		}
		s.mu.Unlock()
	}
	return out
}

func (s *shard) remove(c *cache, e *entry) {
	s.unlink(e)
	delete(s.m, e.key)
	s.bytes -= e.size()
	c.bytes.Add(-e.size())
}

func (s *shard) unlink(e *entry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (s *shard) pushFront(e *entry) {
	e.prev, e.next = &s.lru, s.lru.next
	s.lru.next.prev = e
	s.lru.next = e
}
