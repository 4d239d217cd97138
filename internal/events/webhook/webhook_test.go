package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openpca/openpca/internal/events"
)

const (
	caArn   = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555"
	certArn = caArn + "/certificate/e8cbd2bedb122329f97706bcfec990f8"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// webhook is an httptest.Server that records every request and answers
// with the next function of its script (the last one repeats).
type webhook struct {
	*httptest.Server
	mu           sync.Mutex
	bodies       [][]byte
	contentTypes []string
	hits         chan struct{}
}

func newWebhook(t *testing.T, script ...http.HandlerFunc) *webhook {
	t.Helper()
	h := &webhook{hits: make(chan struct{}, 100)}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		n := len(h.bodies)
		h.bodies = append(h.bodies, body)
		h.contentTypes = append(h.contentTypes, r.Method+" "+r.Header.Get("Content-Type"))
		h.mu.Unlock()
		h.hits <- struct{}{}
		script[min(n, len(script)-1)](w, r)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *webhook) requests() [][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([][]byte(nil), h.bodies...)
}

func status(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }
}

// hangUp closes the connection without an answer: a network error.
func hangUp(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

// stall answers only when the client gives up.
func stall(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

// start runs e until the test ends (or stop is called) and returns stop,
// which cancels Run and waits for it.
func start(t *testing.T, e *Emitter) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		e.Run(ctx)
		close(done)
	}()
	stop := func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after its context ended")
		}
	}
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return stop
}

// counts reads the three counters from the registry, by name.
func counts(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		got[mf.GetName()] = mf.GetMetric()[0].GetCounter().GetValue()
	}
	return got
}

func want(delivered, failed, dropped float64) map[string]float64 {
	return map[string]float64{
		"openpca_events_delivered_total": delivered,
		"openpca_events_failed_total":    failed,
		"openpca_events_dropped_total":   dropped,
	}
}

// waitCounts polls until the counters reach the wanted values; deliveries
// finish on Run's goroutine, after the webhook has answered.
func waitCounts(t *testing.T, reg *prometheus.Registry, w map[string]float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := counts(t, reg)
		if reflect.DeepEqual(got, w) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("counters %v, want %v", got, w)
		}
		time.Sleep(time.Millisecond)
	}
}

func waitHit(t *testing.T, h *webhook) {
	t.Helper()
	select {
	case <-h.hits:
	case <-time.After(10 * time.Second):
		t.Fatal("webhook got no request")
	}
}

func TestDetailTypes(t *testing.T) {
	// The strings AWS documents; rules in EventBridge match them exactly.
	tests := map[string]string{
		events.CAcreation:            "ACM Private CA Creation",
		events.CertificateIssuance:   "ACM Private CA Certificate Issuance",
		events.CertificateRevocation: "ACM Private CA Certificate Revocation",
		events.CRLGeneration:         "ACM Private CA CRL Generation",
		events.AuditReportGeneration: "ACM Private CA Audit Report Generation",
	}
	for got, want := range tests {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestEnvelope(t *testing.T) {
	tests := []struct {
		name      string
		ev        events.Event
		resources string
		detail    string
	}{
		{
			name:      "revocation",
			ev:        events.Event{DetailType: events.CertificateRevocation, Resources: []string{caArn, certArn}, Detail: map[string]any{"result": "success"}},
			resources: `["` + caArn + `","` + certArn + `"]`,
			detail:    `{"result":"success"}`,
		},
		{
			name: "CRL failure with a reason",
			ev: events.Event{DetailType: events.CRLGeneration, Resources: []string{caArn},
				Detail: map[string]any{"result": "failure", "reason": "Failed to write CRL to S3. Check your S3 bucket permissions."}},
			resources: `["` + caArn + `"]`,
			detail:    `{"reason":"Failed to write CRL to S3. Check your S3 bucket permissions.","result":"failure"}`,
		},
		{
			name:      "no resources, no detail",
			ev:        events.Event{DetailType: events.CAcreation},
			resources: `[]`,
			detail:    `{}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newWebhook(t, status(http.StatusOK))
			var logs bytes.Buffer
			reg := prometheus.NewRegistry()
			e := New(Config{
				Account: "123456789012", Region: "us-east-1", WebhookURL: h.URL,
				Now: func() time.Time { return time.Date(2019, 11, 5, 21, 25, 19, 987e6, time.FixedZone("", 3600)) },
			}, slog.New(slog.NewJSONHandler(&logs, nil)), reg)
			start(t, e)
			e.Emit(tc.ev)
			waitCounts(t, reg, want(1, 0, 0))

			h.mu.Lock()
			if got := h.contentTypes[0]; got != "POST application/json" {
				t.Errorf("got %q, want a POST of application/json", got)
			}
			h.mu.Unlock()
			reqs := h.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			var got map[string]json.RawMessage
			if err := json.Unmarshal(reqs[0], &got); err != nil {
				t.Fatal(err)
			}
			var id string
			if err := json.Unmarshal(got["id"], &id); err != nil || !uuidRE.MatchString(id) {
				t.Errorf("id %s is not a UUID", got["id"])
			}
			wantEnv := map[string]string{
				"version":     `"0"`,
				"id":          `"` + id + `"`,
				"detail-type": `"` + tc.ev.DetailType + `"`,
				"source":      `"aws.acm-pca"`,
				"account":     `"123456789012"`,
				"time":        `"2019-11-05T20:25:19Z"`,
				"region":      `"us-east-1"`,
				"resources":   tc.resources,
				"detail":      tc.detail,
			}
			gotEnv := map[string]string{}
			for k, v := range got {
				gotEnv[k] = string(v)
			}
			if !reflect.DeepEqual(gotEnv, wantEnv) {
				t.Errorf("envelope\n got %v\nwant %v", gotEnv, wantEnv)
			}

			var line map[string]any
			if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
				t.Fatalf("not one JSON log line: %q", logs.String())
			}
			var resources, detail any
			json.Unmarshal([]byte(tc.resources), &resources)
			json.Unmarshal([]byte(tc.detail), &detail)
			if line["msg"] != "event" || line["id"] != id || line["detail-type"] != tc.ev.DetailType ||
				!reflect.DeepEqual(line["resources"], resources) || !reflect.DeepEqual(line["detail"], detail) {
				t.Errorf("log line %v", line)
			}
		})
	}
}

func TestDelivery(t *testing.T) {
	tests := []struct {
		name        string
		script      []http.HandlerFunc
		maxAttempts int
		attempts    int
		delivered   float64
		failed      float64
	}{
		{"2xx delivered", []http.HandlerFunc{status(http.StatusNoContent)}, 0, 1, 1, 0},
		{"500s then success", []http.HandlerFunc{status(500), status(500), status(200)}, 0, 3, 1, 0},
		{"429 retried", []http.HandlerFunc{status(http.StatusTooManyRequests), status(202)}, 0, 2, 1, 0},
		{"network error retried", []http.HandlerFunc{hangUp, status(200)}, 0, 2, 1, 0},
		{"timeout retried", []http.HandlerFunc{stall, status(200)}, 0, 2, 1, 0},
		{"5xx until MaxAttempts", []http.HandlerFunc{status(503)}, 3, 3, 0, 1},
		{"default MaxAttempts is 5", []http.HandlerFunc{status(502)}, 0, 5, 0, 1},
		{"400 not retried", []http.HandlerFunc{status(400), status(200)}, 0, 1, 0, 1},
		{"403 not retried", []http.HandlerFunc{status(403), status(200)}, 0, 1, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newWebhook(t, tc.script...)
			reg := prometheus.NewRegistry()
			e := New(Config{WebhookURL: h.URL, MaxAttempts: tc.maxAttempts, Backoff: time.Millisecond, Timeout: 200 * time.Millisecond}, nil, reg)
			start(t, e)
			e.Emit(events.Event{DetailType: events.CertificateIssuance, Resources: []string{caArn, certArn}, Detail: map[string]any{"result": "success"}})
			waitCounts(t, reg, want(tc.delivered, tc.failed, 0))
			reqs := h.requests()
			if len(reqs) != tc.attempts {
				t.Fatalf("%d attempts, want %d", len(reqs), tc.attempts)
			}
			for _, r := range reqs[1:] {
				if !bytes.Equal(r, reqs[0]) {
					t.Errorf("a retry sent a different event:\n%s\n%s", reqs[0], r)
				}
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		base    time.Duration
		attempt int
		want    time.Duration
	}{
		{500 * time.Millisecond, 1, 500 * time.Millisecond},
		{500 * time.Millisecond, 2, time.Second},
		{500 * time.Millisecond, 4, 4 * time.Second},
		{500 * time.Millisecond, 7, 30 * time.Second}, // 32 s capped
		{500 * time.Millisecond, 1000, 30 * time.Second},
		{time.Minute, 1, 30 * time.Second},
	}
	for _, tc := range tests {
		if got := backoff(tc.base, tc.attempt); got != tc.want {
			t.Errorf("backoff(%v, %d) = %v, want %v", tc.base, tc.attempt, got, tc.want)
		}
	}
}

// TestBlockedWebhook checks that a webhook that never answers costs events,
// not Emit calls: with one event in flight and two queued, the rest drop.
func TestBlockedWebhook(t *testing.T) {
	release := make(chan struct{})
	h := newWebhook(t, func(http.ResponseWriter, *http.Request) { <-release })
	reg := prometheus.NewRegistry()
	e := New(Config{WebhookURL: h.URL, QueueSize: 2, Timeout: time.Minute}, nil, reg)
	start(t, e)
	t.Cleanup(func() { close(release) }) // before the server closes

	e.Emit(events.Event{DetailType: events.CAcreation, Resources: []string{caArn}})
	waitHit(t, h) // now in flight, holding Run

	done := make(chan struct{})
	go func() {
		for range 1000 {
			e.Emit(events.Event{DetailType: events.CAcreation, Resources: []string{caArn}})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Emit blocked on a stuck webhook")
	}
	if got := counts(t, reg); !reflect.DeepEqual(got, want(0, 0, 998)) {
		t.Errorf("counters %v, want 998 dropped", got)
	}
}

// TestShutdown checks that Run returns promptly when its context ends, in
// flight or idle, and that what it could not deliver is counted as dropped.
func TestShutdown(t *testing.T) {
	t.Run("in flight", func(t *testing.T) {
		h := newWebhook(t, stall)
		reg := prometheus.NewRegistry()
		e := New(Config{WebhookURL: h.URL, QueueSize: 4, Timeout: time.Minute}, nil, reg)
		stop := start(t, e)
		e.Emit(events.Event{DetailType: events.CAcreation})
		waitHit(t, h)
		e.Emit(events.Event{DetailType: events.CAcreation})
		e.Emit(events.Event{DetailType: events.CAcreation})
		stop()
		waitCounts(t, reg, want(0, 0, 3))
		e.Emit(events.Event{DetailType: events.CAcreation}) // after Run: dropped, not stranded
		waitCounts(t, reg, want(0, 0, 4))
	})
	t.Run("waiting to retry", func(t *testing.T) {
		h := newWebhook(t, status(500))
		reg := prometheus.NewRegistry()
		e := New(Config{WebhookURL: h.URL, Backoff: time.Hour}, nil, reg)
		stop := start(t, e)
		e.Emit(events.Event{DetailType: events.CAcreation})
		waitHit(t, h)
		stop()
		waitCounts(t, reg, want(0, 0, 1))
	})
	t.Run("idle", func(t *testing.T) {
		h := newWebhook(t, status(200))
		reg := prometheus.NewRegistry()
		e := New(Config{WebhookURL: h.URL}, nil, reg)
		stop := start(t, e)
		e.Emit(events.Event{DetailType: events.CAcreation})
		waitCounts(t, reg, want(1, 0, 0))
		stop()
		if got := counts(t, reg); !reflect.DeepEqual(got, want(1, 0, 0)) {
			t.Errorf("counters %v", got)
		}
	})
}

func TestLogsOnly(t *testing.T) {
	var logs bytes.Buffer
	reg := prometheus.NewRegistry()
	e := New(Config{Account: "123456789012", Region: "eu-west-1"}, slog.New(slog.NewJSONHandler(&logs, nil)), reg)
	stop := start(t, e)
	for range 3000 { // more than the default queue: nothing is queued
		e.Emit(events.Event{DetailType: events.CRLGeneration, Resources: []string{caArn}, Detail: map[string]any{"result": "success"}})
	}
	stop()
	if got := counts(t, reg); !reflect.DeepEqual(got, want(0, 0, 0)) {
		t.Errorf("counters %v", got)
	}
	if n := bytes.Count(logs.Bytes(), []byte(`"msg":"event"`)); n != 3000 {
		t.Errorf("%d event lines logged, want 3000", n)
	}
}

func TestNilLoggerAndRegisterer(t *testing.T) {
	e := New(Config{}, nil, nil)
	e.Emit(events.Event{DetailType: events.CAcreation})
}

func TestUnmarshallableDetail(t *testing.T) {
	h := newWebhook(t, status(200))
	reg := prometheus.NewRegistry()
	e := New(Config{WebhookURL: h.URL}, nil, reg)
	start(t, e)
	e.Emit(events.Event{DetailType: events.CAcreation, Detail: map[string]any{"f": func() {}}})
	e.Emit(events.Event{DetailType: events.CAcreation, Detail: map[string]any{"result": "success"}})
	waitCounts(t, reg, want(1, 1, 0))
	if n := len(h.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}
