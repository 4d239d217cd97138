// Package crlpub publishes CRLs: a revocation schedules a rebuild of just
// the CRL it affects after a short debounce, so a burst of revocations costs
// one signature; every CRL is also rebuilt before its nextUpdate; failed
// writes are retried with backoff and never block RevokeCertificate.
package crlpub

import (
	"bufio"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openpca/openpca/internal/crl"
	"github.com/openpca/openpca/internal/events"
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
	// Node names this publisher in CRL leases (default: random).
	Node string
}

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
	m       metrics

	mu      sync.Mutex
	pending map[key]*job
	// spacing holds, per CRL, the earliest time its next rebuild may start:
	// rebuilds of a CRL are spaced by nine times the last one's duration, so
	// a huge CRL under a stream of revocations takes at most a tenth of the
	// publisher's time and small CRLs still follow every revocation at once.
	spacing map[key]time.Time
	// failures counts consecutive failed publications, for the backoff.
	failures map[key]int
	// publishing serialises Publish; caches and cacheBytes belong to it.
	publishing sync.Mutex
	caches     map[key]*entryCache
	cacheBytes int
	wake       chan struct{}
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
	if cfg.Node == "" {
		b := make([]byte, 8)
		rand.Read(b)
		cfg.Node = hex.EncodeToString(b)
	}
	now := time.Now
	if domain.Now != nil {
		now = domain.Now
	}
	return &Publisher{
		domain: domain, store: domain.Store, keys: domain.Keys, objects: objects, cfg: cfg, log: log, now: now,
		m: newMetrics(reg), pending: map[key]*job{}, spacing: map[key]time.Time{}, failures: map[key]int{}, caches: map[key]*entryCache{}, wake: make(chan struct{}, 1),
	}
}

// Schedule implements pca.CRLScheduler: the CRL is rebuilt after the debounce.
func (p *Publisher) Schedule(account, caID, partition string) {
	p.scheduleAt(key{account, caID, partition}, p.now().Add(p.cfg.Debounce))
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
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run publishes due CRLs until ctx ends.
func (p *Publisher) Run(ctx context.Context) {
	p.scan(ctx)
	scan := time.NewTicker(p.cfg.Scan)
	defer scan.Stop()
	for {
		k, wait, ok := p.next()
		if ok && wait <= 0 {
			p.publishJob(ctx, k)
			continue
		}
		if !ok {
			wait = time.Hour
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-p.wake:
		case <-timer.C:
		case <-scan.C:
			p.scan(ctx)
		}
		timer.Stop()
	}
}

// next returns the job due first and how long until it is due.
func (p *Publisher) next() (key, time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var first key
	var due time.Time
	found := false
	for k, j := range p.pending {
		if !found || j.due.Before(due) {
			first, due, found = k, j.due, true
		}
	}
	return first, due.Sub(p.now()), found
}

func (p *Publisher) publishJob(ctx context.Context, k key) {
	p.mu.Lock()
	delete(p.pending, k) // revocations from now on schedule the next rebuild
	p.mu.Unlock()
	// The build's duration comes from the monotonic clock: the domain
	// clock may step (or a test may move it) while a CRL is built.
	began := time.Now()
	err := p.publish(ctx, k, false)
	took := time.Since(began)
	p.mu.Lock()
	defer p.mu.Unlock()
	end := p.now()
	if errors.Is(err, errLeased) {
		// The node holding it publishes every revocation it can see; look
		// again once it should be done, in case ours came too late for it.
		if j, ok := p.pending[k]; !ok || j.due.After(end.Add(p.cfg.Lease/3)) {
			p.pending[k] = &job{due: end.Add(p.cfg.Lease / 3)}
		}
		return
	}
	p.spacing[k] = end.Add(9 * took)
	if j, ok := p.pending[k]; ok && j.due.Before(p.spacing[k]) {
		j.due = p.spacing[k] // revoked while this build ran
	}
	if err == nil {
		delete(p.failures, k)
		return
	}
	j, ok := p.pending[k]
	if !ok {
		j = &job{}
		p.pending[k] = j
	}
	p.failures[k]++
	backoff := min(p.cfg.RetryMin<<min(p.failures[k]-1, 20), p.cfg.RetryMax)
	j.due = end.Add(backoff)
	p.log.Warn("CRL publication failed; will retry", "ca", k.caID, "partition", k.partition, "retry_in", backoff, "err", err)
}

// scan schedules every CRL that is due: those never published (a
// certificate naming them was issued), those with unpublished revocations
// and those past the midpoint of their validity.
func (p *Publisher) scan(ctx context.Context) {
	states, err := p.store.CRLStates(ctx, "")
	if err != nil {
		p.log.Error("listing CRLs", "err", err)
		return
	}
	now := p.now()
	for _, st := range states {
		if due(st, now) {
			p.scheduleAt(key{st.Account, st.CAID, st.Partition}, now)
		}
	}
}

// Publish builds, checks and uploads one CRL now, unless another node is
// publishing it.
func (p *Publisher) Publish(ctx context.Context, account, caID, partition string) error {
	return p.publish(ctx, key{account, caID, partition}, true)
}

// publish publishes a CRL under its lease. Unless force, a CRL that
// another node published since the job was scheduled is left alone.
func (p *Publisher) publish(ctx context.Context, k key, force bool) (err error) {
	p.publishing.Lock()
	defer p.publishing.Unlock()
	account, caID, partition := k.account, k.caID, k.partition
	ca, err := p.store.GetCA(ctx, account, caID)
	if errors.Is(err, pca.ErrNotFound) {
		p.dropCache(key{account, caID, partition})
		return nil // deleted: nothing to publish
	}
	if err != nil {
		return err
	}
	if st := ca.Reported(p.now()); !ca.Revocation.CRL.Enabled || (st != pca.StatusActive && st != pca.StatusDisabled) {
		p.dropCache(key{account, caID, partition})
		return nil // AWS generates CRLs only for ACTIVE and DISABLED CAs with CRLs on
	}
	cfg := ca.Revocation.CRL
	reason := "Failed to generate CRL. Internal failure."
	defer func() {
		// Another node publishing the CRL is no failure.
		if err != nil && !errors.Is(err, errLeased) {
			p.m.failed.WithLabelValues(caID).Inc()
			p.emit(p.domain.CAArn(ca), map[string]any{"result": "failure", "reason": reason})
		}
	}()
	issuer, err := parseCertificate(ca.Certificate)
	if err != nil {
		return fmt.Errorf("CA certificate: %w", err)
	}
	signer, err := p.keys.Signer(ctx, ca.Key)
	if err != nil {
		return fmt.Errorf("CA key: %w", err)
	}
	ctx, release, err := p.lease(ctx, k)
	if err != nil {
		return err
	}
	defer release()
	prev, err := p.state(ctx, caID, partition)
	if err != nil {
		return err
	}
	// Where the CRL goes and the URL it names itself by (a partition's
	// IDP): when either changed, the CRL is published again.
	location := cfg.S3BucketName + "/" + pca.CRLKey(ca, partition) + " " + p.domain.CRLURL(ca, partition)
	if !force && !due(prev, p.now()) && prev.Location == location {
		return nil // published since this job was scheduled, by another node perhaps
	}
	now := p.now().UTC().Truncate(time.Second)
	// CRL Numbers are generation times in milliseconds, as AWS's are, and
	// never repeat or go backwards.
	number := max(prev.Number+1, now.UnixMilli())
	tmpl := crl.Template{
		Issuer: issuer, Number: big.NewInt(number),
		ThisUpdate: now, NextUpdate: now.AddDate(0, 0, cfg.ExpirationInDays),
	}
	if partition != "" {
		tmpl.IssuingDistributionPoint = p.domain.CRLURL(ca, partition)
	}
	// The CRL is written to a temporary file and mapped back for checking,
	// so a 50 MB CRL does not sit on the heap.
	file, err := os.CreateTemp(p.domain.TempDir, "crl-*")
	if err != nil {
		return err
	}
	defer os.Remove(file.Name())
	defer file.Close()
	out := bufio.NewWriterSize(file, 256<<10)
	var stats crl.Stats
	// Entries of certificates that expired before the previous CRL have
	// appeared in one CRL after their expiry and are left out from now on.
	cache, err := p.readEntries(ctx, key{account, caID, partition}, prev.ThisUpdate)
	if err != nil {
		return fmt.Errorf("read revocations: %w", err)
	}
	stats, err = crl.Create(out, rand.Reader, tmpl, cache.each, signer, ca.Config.SigningAlgorithm)
	if err == nil {
		err = out.Flush()
	}
	if err != nil {
		return fmt.Errorf("build CRL: %w", err)
	}
	var previous *big.Int
	if prev.Number > 0 {
		previous = big.NewInt(prev.Number)
	}
	check := crl.Check // parse back, verify, lint
	if stats.Entries > crl.FullCheckLimit {
		check = crl.Verify // the same in bounded memory, without re-decoding every entry
	}
	der, err := syscall.Mmap(int(file.Fd()), 0, int(stats.Bytes), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("map CRL: %w", err)
	}
	err = check(der, issuer, previous)
	syscall.Munmap(der)
	if err != nil {
		return fmt.Errorf("check CRL: %w", err)
	}
	// Only the lease holder may upload: a node that lost its lease while
	// building would overwrite a newer CRL with an older one.
	if ok, err := p.store.LeaseCRL(ctx, caID, partition, p.cfg.Node, p.now(), p.now().Add(p.cfg.Lease), true); err != nil || !ok {
		return cmp.Or(err, pca.ErrLeaseLost)
	}
	if err := p.objects.PutStream(ctx, cfg.S3BucketName, pca.CRLKey(ca, partition), file, objstore.ACL(cfg.S3ObjectACL)); err != nil {
		reason = "Failed to write CRL to S3. Internal failure."
		if errors.Is(err, objstore.ErrAccessDenied) || errors.Is(err, objstore.ErrNotFound) {
			reason = "Failed to write CRL to S3. Check your S3 bucket permissions."
			p.m.misconfigured.WithLabelValues(caID).Inc()
		}
		return fmt.Errorf("write CRL: %w", err)
	}
	published := p.now()
	if err := p.store.SaveCRLPublished(ctx, pca.CRLState{CAID: caID, Partition: partition, Number: number,
		ThisUpdate: tmpl.ThisUpdate, NextUpdate: tmpl.NextUpdate, PublishedAt: published,
		SizeBytes: stats.Bytes, Entries: stats.Entries, Location: location}, cache.revision, p.cfg.Node); err != nil {
		return err
	}
	p.m.generated.WithLabelValues(caID).Inc()
	p.m.size.WithLabelValues(caID, partition).Set(float64(stats.Bytes))
	p.m.entries.WithLabelValues(caID, partition).Set(float64(stats.Entries))
	if !prev.DirtySince.IsZero() {
		p.m.latency.Observe(published.Sub(prev.DirtySince).Seconds())
	}
	p.log.Info("CRL generated", "ca", p.domain.CAArn(ca), "partition", partition, "number", number, "entries", stats.Entries, "bytes", stats.Bytes)
	p.emit(p.domain.CAArn(ca), map[string]any{"result": "success"})
	return nil
}

func (p *Publisher) emit(caArn string, detail map[string]any) {
	if p.domain.Events != nil {
		p.domain.Events.Emit(events.Event{DetailType: events.CRLGeneration, Resources: []string{caArn}, Detail: detail})
	}
}

// lease takes the CRL's lease and renews it in the background until
// release is called; ctx is cancelled if a renewal fails, so a node that
// lost the lease stops building.
func (p *Publisher) lease(ctx context.Context, k key) (context.Context, func(), error) {
	now := p.now()
	ok, err := p.store.LeaseCRL(ctx, k.caID, k.partition, p.cfg.Node, now, now.Add(p.cfg.Lease), false)
	switch {
	case err != nil:
		return nil, nil, err
	case !ok:
		return nil, nil, errLeased
	}
	ctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(p.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			ok, err := p.store.LeaseCRL(ctx, k.caID, k.partition, p.cfg.Node, p.now(), p.now().Add(p.cfg.Lease), true)
			if err != nil || !ok {
				cancel(cmp.Or(err, pca.ErrLeaseLost))
				return
			}
		}
	}()
	release := func() {
		close(done)
		cancel(nil)
		// Saving a CRL releases the lease; after a failure it is released
		// here, so another node need not wait for it to run out.
		if err := p.store.ReleaseCRL(context.WithoutCancel(ctx), k.caID, k.partition, p.cfg.Node); err != nil {
			p.log.Warn("releasing CRL lease", "ca", k.caID, "partition", k.partition, "err", err)
		}
	}
	return ctx, release, nil
}

// due says a CRL needs publishing: it has unpublished revocations, was
// never published, or is past the midpoint of its validity.
func due(st pca.CRLState, now time.Time) bool {
	midpoint := st.ThisUpdate.Add(st.NextUpdate.Sub(st.ThisUpdate) / 2)
	return !st.DirtySince.IsZero() || st.PublishedAt.IsZero() || !now.Before(midpoint)
}

func (p *Publisher) state(ctx context.Context, caID, partition string) (pca.CRLState, error) {
	states, err := p.store.CRLStates(ctx, caID)
	if err != nil {
		return pca.CRLState{}, err
	}
	for _, st := range states {
		if st.Partition == partition {
			return st, nil
		}
	}
	return pca.CRLState{}, fmt.Errorf("no CRL row for %s/%q", caID, partition)
}

func parseCertificate(s string) (*x509.Certificate, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("no PEM certificate")
	}
	return x509.ParseCertificate(block.Bytes)
}

func evenHex(s string) string {
	if len(s)%2 == 1 {
		return "0" + s
	}
	return s
}

// maxCacheBytes bounds the revoked entries a publisher keeps between
// builds, all CRLs together: about ten million entries.
const maxCacheBytes = 384 << 20

// readEntries brings a CRL's entry cache up to date with the store, reading
// only the revocations since the revision it holds (all of them the first
// time), so rebuilding a large CRL does not re-read a million rows.
func (p *Publisher) readEntries(ctx context.Context, k key, cutoff time.Time) (*entryCache, error) {
	c := p.caches[k]
	p.dropCache(k) // re-added below once up to date
	if c == nil {
		c = &entryCache{revision: -1}
	}
	err := p.store.ReadCRL(ctx, k.caID, k.partition, c.revision, func(revision int64, rows func(func(pca.RevokedEntry) error) error) error {
		if err := rows(c.add); err != nil {
			return err
		}
		c.revision = revision
		return nil
	})
	if err != nil {
		return nil, err // partly read: start over next time
	}
	c.compact(cutoff)
	if p.cacheBytes+len(c.data) <= maxCacheBytes {
		// Kept for the next build; over budget, this CRL is read whole next time.
		p.caches[k] = c
		p.cacheBytes += len(c.data)
	}
	return c, nil
}

func (p *Publisher) dropCache(k key) {
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
