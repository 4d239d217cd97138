package crlpub

import (
	"bufio"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/openpca/openpca/internal/crl"
	"github.com/openpca/openpca/internal/events"
	"github.com/openpca/openpca/internal/objstore"
	"github.com/openpca/openpca/internal/pca"
)

// numberMeta is the object metadata that carries a CRL's number, so a
// publisher learns the number of a CRL that landed without being recorded
// (a late upload) and numbers its own above it.
const numberMeta = "crl-number"

// publish publishes a CRL under its lease and returns how long the work of
// building and checking it took, and the bucket it went to. Unless force,
// a CRL that another node published since the job was scheduled is left
// alone.
func (p *Publisher) publish(ctx context.Context, k key, force bool) (work time.Duration, bucket string, err error) {
	var ca *pca.CA
	err = p.call(ctx, func(ctx context.Context) (err error) {
		ca, err = p.store.GetCA(ctx, k.account, k.caID)
		return err
	})
	if errors.Is(err, pca.ErrNotFound) || err == nil && !ca.PublishesCRLs(p.now()) {
		p.dropCache(k)
		return 0, bucket, nil // deleted, or not publishing CRLs: nothing to do
	}
	if err != nil {
		return 0, bucket, err
	}
	cfg := ca.Revocation.CRL
	bucket = cfg.S3BucketName
	defer func() {
		// Another node publishing the CRL, or this one stopping, is no failure.
		if err != nil && !errors.Is(err, errLeased) && ctx.Err() == nil {
			reason := failureReason(err)
			p.m.failed.WithLabelValues(k.caID, reason).Inc()
			text := "Failed to generate CRL. Internal failure."
			switch {
			case reason == reasonAccessDenied || reason == reasonNoSuchBucket:
				p.m.misconfigured.WithLabelValues(k.caID).Inc()
				text = "Failed to write CRL to S3. Check your S3 bucket permissions."
			case reason != reasonInternal:
				text = "Failed to write CRL to S3. Internal failure."
			}
			p.emit(p.domain.CAArn(ca), map[string]any{"result": "failure", "reason": text})
			p.record(ctx, pca.CRLEvent{CAID: k.caID, Partition: k.partition, At: p.now(), Failure: reason, Detail: err.Error()})
		}
	}()
	issuer, err := parseCertificate(ca.Certificate)
	if err != nil {
		return 0, bucket, fmt.Errorf("CA certificate: %w", err)
	}
	signer, err := p.keys.Signer(ctx, ca.Key)
	if err != nil {
		return 0, bucket, fmt.Errorf("CA key: %w", err)
	}
	leased, prog, release, err := p.lease(ctx, k)
	if err != nil {
		return 0, bucket, err
	}
	defer release()
	// Errors from here on name the reason the lease was given up, if it was.
	defer func() {
		if cause := context.Cause(leased); err != nil && cause != nil && ctx.Err() == nil {
			err = fmt.Errorf("%w: %w", cause, err)
		}
	}()
	var prev pca.CRLState
	err = p.call(leased, func(ctx context.Context) (err error) {
		prev, err = p.state(ctx, k.caID, k.partition)
		return err
	})
	if err != nil {
		return 0, bucket, err
	}
	objectKey := pca.CRLKey(ca, k.partition)
	// Where the CRL goes and the URL it names itself by (a partition's
	// IDP): when either changed, the CRL is published again.
	location := bucket + "/" + objectKey + " " + p.domain.CRLURL(ca, k.partition)
	if !force && !due(prev, p.now()) && prev.Location == location {
		return 0, bucket, nil // published since this job was scheduled, by another node perhaps
	}
	deltas := p.domain.PublishesDeltas(ca) && k.partition == ""
	// The complete CRL is rebuilt on its cadence, when its delta would grow
	// past DeltaMax, or when the CRL moved; otherwise only the delta.
	if deltas && !force && prev.BaseNumber > 0 && prev.Location == location &&
		p.now().Sub(prev.BaseThisUpdate) < p.cfg.DeltaBase && prev.Revision-prev.BaseRevision <= p.cfg.DeltaMax {
		work, err := p.publishDelta(leased, prog, k, ca, issuer, signer, prev, location)
		return work, bucket, err
	}
	put, onObject, err := p.fence(leased, bucket, objectKey)
	if err != nil {
		return 0, bucket, err
	}
	put.ACL = objstore.ACL(cfg.S3ObjectACL)
	began := time.Now() // monotonic: the domain clock may step while a CRL is built
	now := p.now().UTC().Truncate(time.Second)
	// CRL Numbers are generation times in milliseconds, as AWS's are, and
	// never repeat or go backwards, even past a CRL that landed unrecorded.
	number := max(prev.Number+1, now.UnixMilli(), onObject+1)
	put.Metadata = map[string]string{numberMeta: strconv.FormatInt(number, 10)}
	tmpl := crl.Template{
		Issuer: issuer, Number: big.NewInt(number),
		ThisUpdate: now, NextUpdate: now.AddDate(0, 0, cfg.ExpirationInDays),
	}
	if k.partition != "" {
		tmpl.IssuingDistributionPoint = p.domain.CRLURL(ca, k.partition)
	}
	if deltas {
		tmpl.FreshestCRL = p.domain.DeltaCRLURL(ca)
	}
	// Entries of certificates that expired before the previous CRL have
	// appeared in one CRL after their expiry and are left out from now on.
	// Revocations after prev was read are in this CRL too: the latency of
	// the CRL starts at the oldest revocation no published CRL lists.
	cache, newer, err := p.readEntries(leased, k, prev.ThisUpdate, prev.Revision, prog)
	if err != nil {
		return 0, bucket, fmt.Errorf("read revocations: %w", err)
	}
	read := time.Since(began)
	stats, work, err := p.upload(leased, prog, k, objectKey, put, tmpl, cache.listed(tmpl.ThisUpdate, prog), ca, signer, prev.Number)
	work += read
	if err != nil {
		return work, bucket, err
	}
	saved := pca.CRLState{CAID: k.caID, Partition: k.partition, Number: number,
		ThisUpdate: tmpl.ThisUpdate, NextUpdate: tmpl.NextUpdate,
		SizeBytes: stats.Bytes, Entries: stats.Entries, Location: location}
	revision := cache.revision
	if deltas {
		// A fresh delta against the new complete CRL, so that the two
		// published never disagree about their base.
		d, err := p.delta(leased, prog, ca, issuer, signer, number, cache.revision, number+1, number, prev.Revision)
		work += d.work
		if err != nil {
			return work, bucket, err
		}
		saved.Number, saved.BaseNumber, saved.BaseRevision, saved.BaseThisUpdate = d.number, number, cache.revision, tmpl.ThisUpdate
		revision = d.revision
		newer = earliest(newer, d.newer)
	}
	if err := p.save(leased, k, prev, saved, revision, newer, stats); err != nil {
		return work, bucket, err
	}
	p.log.Info("CRL generated", "ca", p.domain.CAArn(ca), "partition", k.partition, "number", number, "entries", stats.Entries, "bytes", stats.Bytes)
	p.emit(p.domain.CAArn(ca), map[string]any{"result": "success"})
	return work, bucket, nil
}

// publishDelta publishes only the delta CRL of a CA whose complete CRL is
// recent: the revocations since that CRL, numbered in the same sequence.
func (p *Publisher) publishDelta(ctx context.Context, prog *progress, k key, ca *pca.CA, issuer *x509.Certificate, signer crypto.Signer,
	prev pca.CRLState, location string) (time.Duration, error) {
	d, err := p.delta(ctx, prog, ca, issuer, signer, prev.BaseNumber, prev.BaseRevision, prev.Number+1, prev.Number, prev.Revision)
	if err != nil {
		return d.work, err
	}
	// The quota keeps counting what the complete CRL and its delta list.
	saved := pca.CRLState{CAID: k.caID, Number: d.number, ThisUpdate: d.thisUpdate, NextUpdate: d.nextUpdate,
		SizeBytes: prev.SizeBytes, Entries: prev.RevokedCount + d.revision - prev.Revision, Location: location,
		BaseNumber: prev.BaseNumber, BaseRevision: prev.BaseRevision, BaseThisUpdate: prev.BaseThisUpdate}
	// The size gauges keep describing the complete CRL.
	if err := p.save(ctx, k, prev, saved, d.revision, d.newer, crl.Stats{}); err != nil {
		return d.work, err
	}
	p.log.Info("delta CRL generated", "ca", p.domain.CAArn(ca), "number", d.number, "base", prev.BaseNumber, "entries", d.stats.Entries)
	p.emit(p.domain.CAArn(ca), map[string]any{"result": "success"})
	return d.work, nil
}

// deltaCRL is a delta CRL uploaded.
type deltaCRL struct {
	number, revision       int64
	thisUpdate, nextUpdate time.Time
	newer                  time.Time
	stats                  crl.Stats
	work                   time.Duration
}

// delta builds and uploads the delta CRL of ca against the complete CRL
// numbered base, built from revision baseRevision: the revocations after
// it. Its number is at least minNumber and above previous; newer is the
// oldest of its revocations after revision known.
func (p *Publisher) delta(ctx context.Context, prog *progress, ca *pca.CA, issuer *x509.Certificate, signer crypto.Signer,
	base, baseRevision, minNumber, previous, known int64) (deltaCRL, error) {
	cfg := ca.Revocation.CRL
	objectKey := pca.DeltaCRLKey(ca)
	put, onObject, err := p.fence(ctx, cfg.S3BucketName, objectKey)
	if err != nil {
		return deltaCRL{}, err
	}
	began := time.Now()
	now := p.now().UTC().Truncate(time.Second)
	d := deltaCRL{number: max(minNumber, now.UnixMilli(), onObject+1), thisUpdate: now, nextUpdate: now.AddDate(0, 0, cfg.ExpirationInDays)}
	put.ACL, put.Metadata = objstore.ACL(cfg.S3ObjectACL), map[string]string{numberMeta: strconv.FormatInt(d.number, 10)}
	entries := &entryCache{}
	err = p.store.ReadCRL(ctx, ca.ID, "", baseRevision, func(revision int64, rows func(func(pca.RevokedEntry) error) error) error {
		d.revision = revision
		return rows(func(e pca.RevokedEntry) error {
			if e.Revision > known && (d.newer.IsZero() || e.RevokedAt.Before(d.newer)) {
				d.newer = e.RevokedAt
			}
			return entries.add(e)
		})
	})
	if err != nil {
		return d, fmt.Errorf("read revocations: %w", err)
	}
	read := time.Since(began)
	tmpl := crl.Template{Issuer: issuer, Number: big.NewInt(d.number), ThisUpdate: now, NextUpdate: d.nextUpdate, DeltaOf: big.NewInt(base)}
	d.stats, d.work, err = p.upload(ctx, prog, key{ca.Account, ca.ID, ""}, objectKey, put, tmpl, entries.listed(now, prog), ca, signer, previous)
	d.work += read
	return d, err
}

// upload builds a CRL into a temporary file, checks it, and uploads it to
// the CA's bucket under put, as long as this node holds the CRL's lease.
// work is the time building and checking took.
func (p *Publisher) upload(ctx context.Context, prog *progress, k key, objectKey string, put objstore.PutOptions, tmpl crl.Template,
	entries crl.Entries, ca *pca.CA, signer crypto.Signer, previousNumber int64) (stats crl.Stats, work time.Duration, err error) {
	began := time.Now()
	// The CRL is written to a temporary file and mapped back for checking,
	// so a 50 MB CRL does not sit on the heap.
	file, err := os.CreateTemp(p.domain.TempDir, "crl-*")
	if err != nil {
		return stats, 0, err
	}
	defer os.Remove(file.Name())
	defer file.Close()
	out := bufio.NewWriterSize(file, 256<<10)
	stats, err = crl.Create(out, rand.Reader, tmpl, entries, signer, ca.Config.SigningAlgorithm)
	if err == nil {
		err = out.Flush()
	}
	if err != nil {
		return stats, time.Since(began), fmt.Errorf("build CRL: %w", err)
	}
	var previous *big.Int
	if previousNumber > 0 {
		previous = big.NewInt(previousNumber)
	}
	check := crl.Check // parse back, verify, lint
	if stats.Entries > crl.FullCheckLimit {
		check = crl.Verify // the same in bounded memory, without re-decoding every entry
	}
	der, err := syscall.Mmap(int(file.Fd()), 0, int(stats.Bytes), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return stats, time.Since(began), fmt.Errorf("map CRL: %w", err)
	}
	err = check(der, tmpl.Issuer, previous)
	syscall.Munmap(der)
	work = time.Since(began)
	if err != nil {
		return stats, work, fmt.Errorf("check CRL: %w", err)
	}
	prog.touch()
	// Only the lease holder may upload. The lease may still run out while
	// the upload is on its way; the ETag condition then stops it from
	// replacing whatever the next holder wrote.
	err = p.call(ctx, func(ctx context.Context) error {
		ok, err := p.store.LeaseCRL(ctx, k.caID, k.partition, p.cfg.Node, p.now(), p.now().Add(p.cfg.Lease), true)
		if err == nil && !ok {
			err = pca.ErrLeaseLost
		}
		return err
	})
	if err != nil {
		return stats, work, err
	}
	if _, err := p.objects.PutIf(ctx, ca.Revocation.CRL.S3BucketName, objectKey, &progressReader{file, prog}, put); err != nil {
		return stats, work, fmt.Errorf("write CRL: %w", err)
	}
	return stats, work, nil
}

// save records a publication (saved, from the snapshot at revision) and
// its metrics: its latency starts at the oldest revocation no earlier CRL
// listed, which prev knew of or the build read (newer).
func (p *Publisher) save(ctx context.Context, k key, prev, saved pca.CRLState, revision int64, newer time.Time, stats crl.Stats) error {
	saved.PublishedAt = p.now()
	err := p.call(ctx, func(ctx context.Context) error {
		return p.store.SaveCRLPublished(ctx, saved, revision, p.cfg.Node)
	})
	if err != nil {
		return err
	}
	since := earliest(prev.UnpublishedSince, newer)
	p.m.published(k, since, saved.PublishedAt, stats)
	ev := pca.CRLEvent{CAID: k.caID, Partition: k.partition, At: saved.PublishedAt, Number: saved.Number}
	if !since.IsZero() {
		ev.Latency = saved.PublishedAt.Sub(since)
	}
	p.record(ctx, ev)
	p.refresh(ctx, k)
	return nil
}

// History keeps the publications and failures of CRLs for operators to
// look at; a store that implements it gets every one.
type History interface {
	RecordCRLEvent(ctx context.Context, ev pca.CRLEvent) error
}

// record adds ev to the store's history, if it keeps one; a failure to
// record is logged, never a failed publication.
func (p *Publisher) record(ctx context.Context, ev pca.CRLEvent) {
	h, ok := p.store.(History)
	if !ok {
		return
	}
	if err := p.call(context.WithoutCancel(ctx), func(ctx context.Context) error { return h.RecordCRLEvent(ctx, ev) }); err != nil {
		p.log.Warn("recording a CRL event", "ca", ev.CAID, "partition", ev.Partition, "err", err)
	}
}

// earliest is the earlier of two times, zero meaning none.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || !b.IsZero() && b.Before(a) {
		return b
	}
	return a
}

// fence returns the condition under which the CRL object may be replaced:
// that it is still the object there now, whose number (if it carries one)
// is also returned. A bucket whose objects openpca may not read (AWS's
// documented CRL bucket policy grants PutObject only) is written
// unconditionally.
func (p *Publisher) fence(ctx context.Context, bucket, objectKey string) (objstore.PutOptions, int64, error) {
	info, err := p.objects.Head(ctx, bucket, objectKey)
	switch {
	case err == nil:
		number, _ := strconv.ParseInt(info.Metadata[numberMeta], 10, 64)
		return objstore.PutOptions{IfMatch: info.ETag}, number, nil
	case errors.Is(err, objstore.ErrNotFound):
		return objstore.PutOptions{IfNoneMatch: true}, 0, nil
	case errors.Is(err, objstore.ErrAccessDenied):
		p.mu.Lock()
		first := !p.unfenced[bucket]
		p.unfenced[bucket] = true
		p.mu.Unlock()
		if first {
			p.log.Warn("cannot read CRL objects, so a late upload from a node that lost its lease could replace a newer CRL; allow s3:GetObject on the bucket",
				"bucket", bucket, "err", err)
		}
		return objstore.PutOptions{}, 0, nil
	}
	return objstore.PutOptions{}, 0, fmt.Errorf("read CRL object: %w", err)
}

// call runs a database call with a deadline.
func (p *Publisher) call(ctx context.Context, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	return fn(ctx)
}

// refresh reads a CRL's state again after publishing it, so the freshness
// gauge learns about revocations the CRL missed.
func (p *Publisher) refresh(ctx context.Context, k key) {
	err := p.call(ctx, func(ctx context.Context) error {
		st, err := p.state(ctx, k.caID, k.partition)
		if err == nil {
			p.m.unpublished(k, st.UnpublishedSince)
		}
		return err
	})
	if err != nil {
		p.log.Warn("reading CRL state", "ca", k.caID, "partition", k.partition, "err", err)
	}
}

func (p *Publisher) emit(caArn string, detail map[string]any) {
	if p.domain.Events != nil {
		p.domain.Events.Emit(events.Event{DetailType: events.CRLGeneration, Resources: []string{caArn}, Detail: detail})
	}
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

// Failure reasons, the reason label of openpca_crl_generation_failures_total.
const (
	reasonAccessDenied = "access_denied"
	reasonNoSuchBucket = "no_such_bucket"
	reasonTimeout      = "timeout"
	reasonUnavailable  = "unavailable"
	reasonConflict     = "conflict"
	reasonLeaseLost    = "lease_lost"
	reasonInternal     = "internal"
)

var reasons = []string{reasonAccessDenied, reasonNoSuchBucket, reasonTimeout, reasonUnavailable, reasonConflict, reasonLeaseLost, reasonInternal}

// transient says a failure is an outage or a race, not a configuration
// error: it is retried within seconds, however long it lasts, so that the
// CRL follows within seconds of recovery.
func transient(reason string) bool {
	switch reason {
	case reasonTimeout, reasonUnavailable, reasonConflict, reasonLeaseLost:
		return true
	}
	return false
}

// failureReason tells outages (timeout, unavailable) from misconfiguration
// (access denied, no such bucket) and from losing the CRL to another node
// (conflict: another upload landed first; lease lost).
func failureReason(err error) string {
	switch {
	case errors.Is(err, objstore.ErrAccessDenied):
		return reasonAccessDenied
	case errors.Is(err, objstore.ErrNotFound):
		return reasonNoSuchBucket
	case errors.Is(err, errStalled), errors.Is(err, objstore.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return reasonTimeout
	case errors.Is(err, objstore.ErrUnavailable):
		return reasonUnavailable
	case errors.Is(err, objstore.ErrPreconditionFailed):
		return reasonConflict
	case errors.Is(err, pca.ErrLeaseLost):
		return reasonLeaseLost
	}
	return reasonInternal
}
