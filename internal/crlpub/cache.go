package crlpub

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/openpca/openpca/internal/crl"
	"github.com/openpca/openpca/internal/pca"
)

// maxCacheBytes bounds the revoked entries a publisher keeps between
// builds, all CRLs together: about ten million entries.
const maxCacheBytes = 384 << 20

// progressEvery is how many entries are read or encoded between two
// reports of progress.
const progressEvery = 4096

// readEntries brings a CRL's entry cache up to date with the store, reading
// only the revocations since the revision it holds (all of them the first
// time), so rebuilding a large CRL does not re-read a million rows. It
// also returns the time of the oldest revocation read that came after
// revision known (zero when none).
func (p *Publisher) readEntries(ctx context.Context, k key, cutoff time.Time, known int64, prog *progress) (*entryCache, time.Time, error) {
	p.mu.Lock()
	c := p.caches[k]
	p.dropCacheLocked(k) // re-added below once up to date
	p.mu.Unlock()
	if c == nil {
		c = &entryCache{revision: -1}
	}
	n := 0
	var oldest time.Time
	add := func(e pca.RevokedEntry) error {
		if n++; n%progressEvery == 0 {
			prog.touch()
		}
		if e.Revision > known && (oldest.IsZero() || e.RevokedAt.Before(oldest)) {
			oldest = e.RevokedAt
		}
		return c.add(e)
	}
	err := p.store.ReadCRL(ctx, k.caID, k.partition, c.revision, func(revision int64, rows func(func(pca.RevokedEntry) error) error) error {
		if err := rows(add); err != nil {
			return err
		}
		c.revision = revision
		return nil
	})
	if err != nil {
		return nil, time.Time{}, err // partly read: start over next time
	}
	prog.touch()
	c.compact(cutoff)
	p.mu.Lock()
	if p.cacheBytes+len(c.data) <= maxCacheBytes {
		// Kept for the next build; over budget, this CRL is read whole next time.
		p.caches[k] = c
		p.cacheBytes += len(c.data)
	}
	p.mu.Unlock()
	return c, oldest, nil
}

func (p *Publisher) dropCache(k key) {
	p.mu.Lock()
	p.dropCacheLocked(k)
	p.mu.Unlock()
}

func (p *Publisher) dropCacheLocked(k key) {
	if c := p.caches[k]; c != nil {
		p.cacheBytes -= len(c.data)
		delete(p.caches, k)
	}
}

// entryCache holds a CRL's revoked entries, 35 bytes each:
// length, serial, revokedAt, notAfter (Unix seconds) and reason.
type entryCache struct {
	revision int64
	data     []byte
}

func (c *entryCache) add(e pca.RevokedEntry) error {
	start := len(c.data)
	c.data = append(c.data, 0)
	serial, err := hex.AppendDecode(c.data, []byte(evenHex(e.Serial)))
	if err != nil || len(serial)-start-1 > 255 {
		c.data = c.data[:start]
		return fmt.Errorf("stored serial %q is not a serial number", e.Serial)
	}
	c.data = serial
	c.data[start] = byte(len(c.data) - start - 1)
	c.data = binary.BigEndian.AppendUint64(c.data, uint64(e.RevokedAt.Unix()))
	c.data = binary.BigEndian.AppendUint64(c.data, uint64(e.NotAfter.Unix()))
	c.data = append(c.data, byte(pca.ReasonCodes[e.Reason]))
	return nil
}

func evenHex(s string) string {
	if len(s)%2 == 1 {
		return "0" + s
	}
	return s
}

// compact drops entries that expired by cutoff: cutoffs only grow, so they
// will never be listed again.
func (c *entryCache) compact(cutoff time.Time) {
	keep := c.data[:0]
	for d := c.data; len(d) > 0; {
		size := int(d[0]) + 18
		if notAfter := int64(binary.BigEndian.Uint64(d[size-9:])); notAfter > cutoff.Unix() {
			keep = append(keep, d[:size]...)
		}
		d = d[size:]
	}
	c.data = keep
}

// each yields the entries, as crl.Entries (it can run any number of times).
func (c *entryCache) each(yield func(crl.Entry) error) error {
	for d := c.data; len(d) > 0; {
		n := int(d[0])
		e := crl.Entry{Serial: d[1 : 1+n], RevokedAt: time.Unix(int64(binary.BigEndian.Uint64(d[1+n:])), 0).UTC(), Reason: int(d[17+n])}
		if err := yield(e); err != nil {
			return err
		}
		d = d[18+n:]
	}
	return nil
}

// listed is each as the entries of a CRL issued at thisUpdate, reporting
// progress as they are encoded. A revocation dated after thisUpdate (the
// clock stepped back since) is listed as of thisUpdate: the CRL must still
// list it, and a CRL dated in the future would be refused by relying
// parties.
func (c *entryCache) listed(thisUpdate time.Time, prog *progress) crl.Entries {
	return func(yield func(crl.Entry) error) error {
		n := 0
		return c.each(func(e crl.Entry) error {
			if n++; n%progressEvery == 0 {
				prog.touch()
			}
			if e.RevokedAt.After(thisUpdate) {
				e.RevokedAt = thisUpdate
			}
			return yield(e)
		})
	}
}
