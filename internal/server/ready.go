package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openpca/openpca/internal/keys"
)

// GET /readyz says whether this node can serve requests: whether the
// database answers and the key backend still works. It is unauthenticated,
// so it reports the last result of checks run by a background loop and a
// request never costs a database round trip. GET /healthz only says that
// the process is alive.

const (
	// readyInterval is how often the checks run.
	readyInterval = time.Second
	// readyTimeout bounds each check, so a stuck database or token makes
	// the node unready instead of stalling the loop.
	readyTimeout = 2 * time.Second
)

// pinger is what the readiness check needs of the database.
type pinger interface {
	Ping(ctx context.Context) error
}

// readiness runs the checks and serves their last result.
type readiness struct {
	checks []*readyCheck
	log    *slog.Logger
	// report is the body of the last round and whether every check
	// passed; nil until the first round has finished.
	report atomic.Pointer[readyReport]
	// probes counts the checks still running, which may outlive their
	// round when they ignore its deadline.
	probes sync.WaitGroup
}

type readyReport struct {
	ok   bool
	body []byte
}

// readyCheck is one line of the report: "name: ok" or "name: failure".
type readyCheck struct {
	name, failure string
	probe         func(context.Context) error
	// running is set while a probe runs: one that outlived its deadline
	// fails the next rounds until it returns, rather than piling up.
	running atomic.Bool
	// failing is the state last logged, so only changes are logged.
	failing bool
}

// newReadiness checks db and, when the key backend can be checked, km.
// Software keys are always usable, so the line stays "keys: ok".
func newReadiness(db pinger, km keys.Manager, log *slog.Logger) *readiness {
	probeKeys := func(context.Context) error { return nil }
	if c, ok := km.(keys.Checker); ok {
		probeKeys = c.Check
	}
	return &readiness{log: log, checks: []*readyCheck{
		{name: "database", failure: "unreachable", probe: db.Ping},
		{name: "keys", failure: "unusable", probe: probeKeys},
	}}
}

// run checks every readyInterval until ctx ends, then waits for probes
// still running.
func (r *readiness) run(ctx context.Context) {
	defer r.probes.Wait()
	t := time.NewTicker(readyInterval)
	defer t.Stop()
	for {
		r.round(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// round runs every check at once and publishes the report.
func (r *readiness) round(ctx context.Context) {
	errs := make([]error, len(r.checks))
	var wg sync.WaitGroup
	for i, c := range r.checks {
		wg.Go(func() { errs[i] = r.check(ctx, c) })
	}
	wg.Wait()
	if ctx.Err() != nil {
		// Shutting down: the failures are ours, not the backends'.
		return
	}
	rep := &readyReport{ok: true}
	var b strings.Builder
	for i, c := range r.checks {
		state := "ok"
		if errs[i] != nil {
			rep.ok = false
			state = c.failure
		}
		b.WriteString(c.name + ": " + state + "\n")
		switch {
		case errs[i] != nil && !c.failing:
			r.log.Warn("not ready", "check", c.name, "err", errs[i])
		case errs[i] == nil && c.failing:
			r.log.Info("ready again", "check", c.name)
		}
		c.failing = errs[i] != nil
	}
	rep.body = []byte(b.String())
	r.report.Store(rep)
}

// check runs c's probe under readyTimeout, returning at the deadline even
// when the probe ignores it (PKCS#11 calls take no context).
func (r *readiness) check(ctx context.Context, c *readyCheck) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("the previous check has not returned yet")
	}
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	done := make(chan error, 1)
	r.probes.Go(func() {
		defer c.running.Store(false)
		done <- c.probe(ctx)
	})
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ServeHTTP answers 200 when the last round passed, else 503, with one
// line per check. The lines are fixed words: errors, which may name hosts
// and users, go to the log only.
func (r *readiness) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	rep := r.report.Load()
	if rep == nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		for _, c := range r.checks {
			w.Write([]byte(c.name + ": not checked yet\n"))
		}
		return
	}
	if !rep.ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	w.Write(rep.body)
}
