// Package crlpub publishes CRLs: a revocation schedules a rebuild of just
// the CRL it affects after a short debounce, so a burst of revocations costs
// one signature; every CRL is also rebuilt before its nextUpdate; failed
// writes are retried with backoff and never block RevokeCertificate.
//
// CRLs publish independently, on a small pool of workers, so one CRL stuck
// on its object store or huge to build never delays another. A node holds a
// CRL's lease only while its build makes progress; an upload is fenced by
// the object's ETag, so a node that lost its lease and finishes late cannot
// replace a newer CRL.
package crlpub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openpca/openpca/internal/objstore"
	"github.com/openpca/openpca/internal/pca"
)

// Config tunes a Publisher; zero values mean the defaults.
type Config struct {
	// Debounce is how long after a revocation the CRL is rebuilt (default 1 s).
	Debounce time.Duration
	// RetryMin and RetryMax bound the backoff after a failed publication
	// (defaults 2 s and AWS's 15 minutes).
	RetryMin, RetryMax time.Duration
	// Scan is how often every CRL is checked for being due (default 5 s):
	// it is how a node notices CRLs whose revocations another node took,
	// or whose publisher died.
	Scan time.Duration
	// Lease is how long a node may hold a CRL without renewing it (default
	// 6 s): when a node dies mid-build, another takes over after this.
	Lease time.Duration
	// Stall is how long a publication may go without progress (revocations
	// read, entries encoded, bytes uploaded) before the node gives it up,
	// lease included, so that another node can publish the CRL (default 5 s).
	Stall time.Duration
	// Workers is how many CRLs are published at once (default 4).
	Workers int
	// DeltaBase is how often a complete CRL is rebuilt when the domain
	// publishes delta CRLs (default 15 minutes); in between, only the
	// delta follows revocations.
	DeltaBase time.Duration
	// DeltaMax is how many revocations a delta CRL may list before the
	// complete CRL is rebuilt early (default 10,000).
	DeltaMax int64
	// Node names this publisher in CRL leases (default: random).
	Node string
}

// callTimeout bounds each database call outside the build itself, whose
// reads are bounded by Stall instead.
const callTimeout = 10 * time.Second

// errLeased says another node is publishing the CRL right now.
var errLeased = errors.New("crlpub: another node holds the CRL's lease")

// Publisher builds, checks and uploads CRLs. It implements pca.CRLScheduler.
type Publisher struct {
	domain  *pca.Service
	store   pca.Store
	keys    pca.KeyManager
	objects objstore.Store
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	m       *metrics

	mu      sync.Mutex
	changed *sync.Cond // a publication ended
	pending map[key]*job
	// inflight holds the CRLs being published: one publication per CRL.
	inflight map[key]bool
	// Jobs are timed by the wall clock (monotonic), never the domain's,
	// which may step. spacing holds, per CRL, the earliest time its next
	// rebuild may start: rebuilds of a CRL are spaced by the work the last
	// one took (not its waits on storage), so a huge CRL under a stream of
	// revocations takes at most half of one worker, the other workers
	// serve the other CRLs, and small CRLs follow every revocation at once.
	spacing map[key]time.Time
	// failures counts consecutive failed publications, for the backoff.
	failures map[key]int
	// caches hold the CRLs' revoked entries between builds; a CRL being
	// built has taken its cache out.
	caches     map[key]*entryCache
	cacheBytes int
	// unfenced lists the buckets whose objects openpca may not read, so
	// their uploads cannot be fenced; each is logged once.
	unfenced map[string]bool
	// bucketOf is each CRL's bucket as of its last publication; a bucket
	// whose last call timed out or failed is suspect, and its CRLs get one
	// worker at a time (busy counts them), so a dead bucket cannot hold
	// every worker while other buckets' CRLs wait.
	bucketOf map[key]string
	suspect  map[string]bool
	busy     map[string]int
	wake     chan struct{}
}

type key struct{ account, caID, partition string }

type job struct {
	due time.Time
}

var _ pca.CRLScheduler = (*Publisher)(nil)

// New returns a Publisher; Run does the work.
func New(domain *pca.Service, objects objstore.Store, cfg Config, reg prometheus.Registerer, log *slog.Logger) *Publisher {
	if cfg.Debounce == 0 {
		cfg.Debounce = time.Second
	}
	if cfg.RetryMin == 0 {
		cfg.RetryMin = 2 * time.Second
	}
	if cfg.RetryMax == 0 {
		cfg.RetryMax = 15 * time.Minute
	}
	if cfg.Scan == 0 {
		cfg.Scan = 5 * time.Second
	}
	if cfg.Lease == 0 {
		cfg.Lease = 6 * time.Second
	}
	if cfg.Stall == 0 {
		cfg.Stall = 5 * time.Second
	}
	if cfg.Workers == 0 {
		cfg.Workers = 4
	}
	if cfg.DeltaBase == 0 {
		cfg.DeltaBase = 15 * time.Minute
	}
	if cfg.DeltaMax == 0 {
		cfg.DeltaMax = 10_000
	}
	if cfg.Node == "" {
		b := make([]byte, 8)
		rand.Read(b)
		cfg.Node = hex.EncodeToString(b)
	}
	now := time.Now
	if domain.Now != nil {
		now = domain.Now
	}
	p := &Publisher{
		domain: domain, store: domain.Store, keys: domain.Keys, objects: objects, cfg: cfg, log: log, now: now,
		m: newMetrics(reg, now), pending: map[key]*job{}, inflight: map[key]bool{}, spacing: map[key]time.Time{},
		failures: map[key]int{}, caches: map[key]*entryCache{}, unfenced: map[string]bool{},
		bucketOf: map[key]string{}, suspect: map[string]bool{}, busy: map[string]int{}, wake: make(chan struct{}, 1),
	}
	p.changed = sync.NewCond(&p.mu)
	return p
}

// Schedule implements pca.CRLScheduler: the CRL is rebuilt after the debounce.
func (p *Publisher) Schedule(account, caID, partition string) {
	p.scheduleAt(key{account, caID, partition}, time.Now().Add(p.cfg.Debounce))
}

// Revoked implements pca.CRLScheduler.
func (p *Publisher) Revoked(account, caID, partition string, at time.Time) {
	k := key{account, caID, partition}
	p.m.revoked(k, at)
	p.scheduleAt(k, time.Now().Add(p.cfg.Debounce))
}

func (p *Publisher) scheduleAt(k key, due time.Time) {
	p.mu.Lock()
	if earliest := p.spacing[k]; due.Before(earliest) {
		due = earliest
	}
	if j, ok := p.pending[k]; !ok || due.Before(j.due) {
		if !ok {
			j = &job{}
			p.pending[k] = j
		}
		j.due = due
	}
	p.mu.Unlock()
	p.poke()
}

func (p *Publisher) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run publishes due CRLs until ctx ends, then waits for the publications
// it started.
func (p *Publisher) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() { defer wg.Done(); p.scanLoop(ctx) }()
	workers := make(chan struct{}, p.cfg.Workers)
	for {
		wait := time.Hour
		if k, w, ok := p.next(); ok && w > 0 {
			wait = w
		} else if ok {
			select {
			case workers <- struct{}{}:
				p.claim(k)
				wg.Add(1)
				go func() {
					defer wg.Done()
					p.publishJob(ctx, k)
					<-workers
					p.poke()
				}()
				continue
			default: // every worker is busy: the first to finish wakes us
			}
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-p.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// next returns the job due first, of the CRLs not being published, and
// how long until it is due.
func (p *Publisher) next() (key, time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var first key
	var due time.Time
	found := false
	for k, j := range p.pending {
		if b, ok := p.bucketOf[k]; ok && p.suspect[b] && p.busy[b] > 0 {
			continue
		}
		if !p.inflight[k] && (!found || j.due.Before(due)) {
			first, due, found = k, j.due, true
		}
	}
	return first, due.Sub(time.Now()), found
}

// claim marks a CRL as being published; revocations from now on schedule
// its next rebuild.
func (p *Publisher) claim(k key) {
	p.mu.Lock()
	delete(p.pending, k)
	p.inflight[k] = true
	if b, ok := p.bucketOf[k]; ok {
		p.busy[b]++
	}
	p.mu.Unlock()
}

func (p *Publisher) publishJob(ctx context.Context, k key) {
	work, bucket, err := p.publish(ctx, k, false)
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.inflight, k)
	if b, ok := p.bucketOf[k]; ok {
		p.busy[b]--
	}
	if bucket != "" {
		p.bucketOf[k] = bucket
	}
	p.changed.Broadcast()
	end := time.Now()
	switch {
	case ctx.Err() != nil:
		return // shutting down: the CRL is still due, for the next start or node
	case errors.Is(err, errLeased):
		// The node holding it publishes every revocation it can see; look
		// again once it should be done, in case ours came too late for it,
		// and soon enough to take over first when it fails.
		if j, ok := p.pending[k]; !ok || j.due.After(end.Add(p.cfg.Lease/6)) {
			p.pending[k] = &job{due: end.Add(p.cfg.Lease / 6)}
		}
		return
	}
	p.spacing[k] = end.Add(work)
	if j, ok := p.pending[k]; ok && j.due.Before(p.spacing[k]) {
		j.due = p.spacing[k] // revoked while this build ran
	}
	if err == nil {
		delete(p.failures, k)
		delete(p.suspect, bucket)
		return
	}
	j, ok := p.pending[k]
	if !ok {
		j = &job{}
		p.pending[k] = j
	}
	p.failures[k]++
	backoff := min(p.cfg.RetryMin<<min(p.failures[k]-1, 20), p.cfg.RetryMax)
	if reason := failureReason(err); transient(reason) {
		backoff = min(backoff, p.cfg.RetryMin)
		if bucket != "" && (reason == reasonTimeout || reason == reasonUnavailable) {
			p.suspect[bucket] = true
		}
	}
	j.due = end.Add(backoff)
	p.log.Warn("CRL publication failed; will retry", "ca", k.caID, "partition", k.partition, "retry_in", backoff, "err", err)
}

// Publish builds, checks and uploads one CRL now, unless another node is
// publishing it; it waits for a publication of the same CRL already
// running here.
func (p *Publisher) Publish(ctx context.Context, account, caID, partition string) error {
	k := key{account, caID, partition}
	p.mu.Lock()
	for p.inflight[k] {
		p.changed.Wait()
	}
	p.inflight[k] = true
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.inflight, k)
		p.changed.Broadcast()
		p.mu.Unlock()
		p.poke()
	}()
	_, _, err := p.publish(ctx, k, true)
	return err
}

func (p *Publisher) scanLoop(ctx context.Context) {
	t := time.NewTicker(p.cfg.Scan)
	defer t.Stop()
	for {
		p.scan(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// scan schedules every CRL that is due: those never published (a
// certificate naming them was issued), those with unpublished revocations
// and those past the midpoint of their validity. It also brings the
// metrics' list of CRL-publishing CAs up to date.
func (p *Publisher) scan(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	now := p.now()
	list, err := p.domain.OperationalCAs(ctx)
	if err != nil {
		p.log.Error("listing CAs", "err", err)
		return
	}
	cas := map[string]bool{}
	for _, ca := range list {
		if ca.PublishesCRLs(now) {
			cas[ca.ID] = true
		}
	}
	states, err := p.store.CRLStates(ctx, "")
	if err != nil {
		p.log.Error("listing CRLs", "err", err)
		return
	}
	p.m.track(cas, states)
	for _, st := range states {
		if due(st, now) {
			p.scheduleAt(key{st.Account, st.CAID, st.Partition}, time.Now())
		}
	}
}

// due says a CRL needs publishing: it has unpublished revocations, was
// never published, or is past the midpoint of its validity.
func due(st pca.CRLState, now time.Time) bool {
	midpoint := st.ThisUpdate.Add(st.NextUpdate.Sub(st.ThisUpdate) / 2)
	return !st.DirtySince.IsZero() || st.PublishedAt.IsZero() || !now.Before(midpoint)
}
