// Package webhook delivers openpca's events (package events) to their
// operators.
//
// Every event is logged as one structured line. With a webhook configured
// it is also POSTed there as the full EventBridge envelope, from a bounded
// queue that one goroutine (Run) drains. Delivery is best effort, as on
// AWS: Emit never waits for the network, a full queue drops the event, and
// a webhook that keeps failing loses events rather than slowing the CA.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/openpca/openpca/internal/events"
)

// Config sets up an Emitter; zero values mean the defaults.
type Config struct {
	// Account and Region fill the envelope's account and region.
	Account, Region string
	// WebhookURL receives every event as a JSON POST; "" only logs events.
	WebhookURL string
	// QueueSize is how many events wait for delivery before new ones are
	// dropped (default 1024).
	QueueSize int
	// MaxAttempts is how many times one event is POSTed, the first attempt
	// included, before it counts as failed (default 5).
	MaxAttempts int
	// Backoff is the delay before the first retry; it doubles for each
	// further retry, up to 30 s (default 500 ms).
	Backoff time.Duration
	// Timeout bounds each POST, reading the response included (default 5 s).
	Timeout time.Duration
	// Client sends the POSTs (default: a client of its own with Go's default
	// transport).
	Client *http.Client
	// Now stamps events (default time.Now).
	Now func() time.Time
}

const maxBackoff = 30 * time.Second

// Emitter logs events and delivers them to the webhook.
type Emitter struct {
	cfg    Config
	log    *slog.Logger
	client *http.Client
	now    func() time.Time
	queue  chan delivery // nil without a webhook

	// mu orders Emit's enqueueing against Run's final drain, so that no
	// event is left in the queue uncounted.
	mu      sync.RWMutex
	stopped bool

	delivered, failed, dropped prometheus.Counter
}

type delivery struct {
	id, detailType string
	body           []byte
}

// envelope is an EventBridge event, its fields in AWS's order.
type envelope struct {
	Version    string         `json:"version"`
	ID         string         `json:"id"`
	DetailType string         `json:"detail-type"`
	Source     string         `json:"source"`
	Account    string         `json:"account"`
	Time       string         `json:"time"`
	Region     string         `json:"region"`
	Resources  []string       `json:"resources"`
	Detail     map[string]any `json:"detail"`
}

// New returns an Emitter. A nil log discards the log lines; a nil reg
// leaves the metrics unregistered.
func New(cfg Config, log *slog.Logger, reg prometheus.Registerer) *Emitter {
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 1024
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 500 * time.Millisecond
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Emitter{cfg: cfg, log: log, client: cfg.Client, now: cfg.Now}
	if e.client == nil {
		e.client = &http.Client{}
	}
	if e.now == nil {
		e.now = time.Now
	}
	if cfg.WebhookURL != "" {
		e.queue = make(chan delivery, cfg.QueueSize)
	}
	e.delivered = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "openpca_events_delivered_total", Help: "Events the webhook accepted (2xx).",
	})
	e.failed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "openpca_events_failed_total", Help: "Events the webhook refused (4xx) or kept failing until the last attempt.",
	})
	e.dropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "openpca_events_dropped_total", Help: "Events never delivered because the queue was full or the server was shutting down.",
	})
	if reg != nil {
		reg.MustRegister(e.delivered, e.failed, e.dropped)
	}
	return e
}

// Emit logs ev and queues it for the webhook. It never waits: when the
// queue is full, or Run has ended, the event is dropped and counted.
func (e *Emitter) Emit(ev events.Event) {
	env := envelope{
		Version:    "0",
		ID:         uuid.NewString(),
		DetailType: ev.DetailType,
		Source:     events.Source,
		Account:    e.cfg.Account,
		Time:       e.now().UTC().Format("2006-01-02T15:04:05Z"),
		Region:     e.cfg.Region,
		Resources:  ev.Resources,
		Detail:     ev.Detail,
	}
	if env.Resources == nil {
		env.Resources = []string{}
	}
	if env.Detail == nil {
		env.Detail = map[string]any{}
	}
	e.log.Info("event", "id", env.ID, "detail-type", ev.DetailType, "resources", env.Resources, "detail", env.Detail)
	if e.queue == nil {
		return
	}
	// Marshalled now, not at delivery, so the caller may reuse Detail.
	body, err := json.Marshal(env)
	if err != nil {
		e.failed.Inc()
		e.log.Error("event not sent", "id", env.ID, "detail-type", ev.DetailType, "err", err)
		return
	}
	if !e.enqueue(delivery{id: env.ID, detailType: ev.DetailType, body: body}) {
		e.dropped.Inc()
		e.log.Warn("event dropped", "id", env.ID, "detail-type", ev.DetailType)
	}
}

func (e *Emitter) enqueue(d delivery) bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.stopped {
		return false
	}
	select {
	case e.queue <- d:
		return true
	default:
		return false
	}
}

// Run delivers queued events, one at a time, until ctx ends; call it once.
// Events still queued or in flight when ctx ends are counted as dropped,
// as are events emitted afterwards. Without a webhook Run only waits.
func (e *Emitter) Run(ctx context.Context) {
	if e.queue == nil {
		<-ctx.Done()
		return
	}
	defer e.stop()
	for {
		select {
		case <-ctx.Done():
			return
		case d := <-e.queue:
			e.deliver(ctx, d)
		}
	}
}

func (e *Emitter) stop() {
	e.mu.Lock()
	e.stopped = true
	e.mu.Unlock()
	n := 0
	for len(e.queue) > 0 {
		<-e.queue
		n++
	}
	if n > 0 {
		e.dropped.Add(float64(n))
		e.log.Warn("events dropped at shutdown", "count", n)
	}
}

// deliver POSTs one event, retrying network errors, 5xx and 429.
func (e *Emitter) deliver(ctx context.Context, d delivery) {
	for attempt := 1; ; attempt++ {
		retry, err := e.post(ctx, d.body)
		if err == nil {
			e.delivered.Inc()
			return
		}
		if ctx.Err() != nil {
			e.dropped.Inc()
			e.log.Warn("event dropped at shutdown", "id", d.id, "detail-type", d.detailType, "attempts", attempt)
			return
		}
		if !retry || attempt >= e.cfg.MaxAttempts {
			e.failed.Inc()
			e.log.Warn("event delivery failed", "id", d.id, "detail-type", d.detailType, "attempts", attempt, "err", err)
			return
		}
		wait := backoff(e.cfg.Backoff, attempt)
		e.log.Debug("event delivery retry", "id", d.id, "attempt", attempt, "in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			e.dropped.Inc()
			e.log.Warn("event dropped at shutdown", "id", d.id, "detail-type", d.detailType, "attempts", attempt)
			return
		case <-t.C:
		}
	}
}

// backoff is the delay after the given failed attempt (1 for the first):
// base, doubling, capped at 30 s.
func backoff(base time.Duration, attempt int) time.Duration {
	d := min(base, maxBackoff)
	for i := 1; i < attempt && d < maxBackoff; i++ {
		d = min(2*d, maxBackoff)
	}
	return d
}

// post makes one attempt. It reports whether a failure is worth retrying.
func (e *Emitter) post(ctx context.Context, body []byte) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.cfg.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("events: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		return true, fmt.Errorf("events: %w", err)
	}
	// Draining lets the connection be reused; the limit stops a webhook
	// that talks too much.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return false, nil
	case c >= 500 || c == http.StatusTooManyRequests:
		return true, fmt.Errorf("events: webhook answered %s", resp.Status)
	default:
		return false, fmt.Errorf("events: webhook answered %s", resp.Status)
	}
}
