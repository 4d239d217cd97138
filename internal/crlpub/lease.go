package crlpub

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/openpca/openpca/internal/pca"
)

// errStalled says a publication made no progress for Config.Stall.
var errStalled = errors.New("crlpub: publication stalled")

// progress is when a publication last got on: a revocation read, an entry
// encoded, a byte of the upload sent. Times are monotonic.
type progress struct {
	start time.Time
	last  atomic.Int64 // since start
}

func newProgress() *progress {
	return &progress{start: time.Now()}
}

func (g *progress) touch() { g.last.Store(int64(time.Since(g.start))) }

func (g *progress) idle() time.Duration {
	return time.Since(g.start) - time.Duration(g.last.Load())
}

// progressReader is an upload body that counts as progress while the
// object store reads it.
type progressReader struct {
	io.ReadSeeker
	prog *progress
}

func (r *progressReader) Read(b []byte) (int, error) {
	n, err := r.ReadSeeker.Read(b)
	if n > 0 {
		r.prog.touch()
	}
	return n, err
}

// lease takes the CRL's lease and renews it in the background while the
// publication makes progress, until release is called. The returned
// context is cancelled, with the reason as its cause, when the lease is
// lost or the publication stalls: then the node stops renewing, gives up
// the build or upload, and another node can take the CRL over.
func (p *Publisher) lease(ctx context.Context, k key) (context.Context, *progress, func(), error) {
	var ok bool
	err := p.call(ctx, func(ctx context.Context) (err error) {
		now := p.now()
		ok, err = p.store.LeaseCRL(ctx, k.caID, k.partition, p.cfg.Node, now, now.Add(p.cfg.Lease), false)
		return err
	})
	switch {
	case err != nil:
		return nil, nil, nil, err
	case !ok:
		return nil, nil, nil, errLeased
	}
	prog := newProgress()
	leased, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(p.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			if idle := prog.idle(); idle > p.cfg.Stall {
				cancel(fmt.Errorf("%w: no progress for %v", errStalled, idle.Round(time.Millisecond)))
				return
			}
			renew, stop := context.WithTimeout(leased, p.cfg.Lease/3)
			ok, err := p.store.LeaseCRL(renew, k.caID, k.partition, p.cfg.Node, p.now(), p.now().Add(p.cfg.Lease), true)
			stop()
			if err != nil || !ok {
				cancel(cmp.Or(err, pca.ErrLeaseLost))
				return
			}
		}
	}()
	release := func() {
		close(done)
		<-stopped
		cancel(nil)
		// Saving a CRL releases the lease; after a failure it is released
		// here, so another node need not wait for it to run out.
		err := p.call(context.WithoutCancel(ctx), func(ctx context.Context) error {
			return p.store.ReleaseCRL(ctx, k.caID, k.partition, p.cfg.Node)
		})
		if err != nil {
			p.log.Warn("releasing CRL lease", "ca", k.caID, "partition", k.partition, "err", err)
		}
	}
	return leased, prog, release, nil
}
