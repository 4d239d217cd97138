package server

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openpca/openpca/internal/awsproto"
)

// DefaultMaxInflightBytes is the memory requests in flight may take on a
// node unless configured: room for 8 requests with the largest bodies at
// once, or a thousand small ones.
const DefaultMaxInflightBytes = 128 << 20

// A request is counted as what it may cost before its operation runs: its
// body, the value tree decoded from it (within its budget, a small multiple
// of the body) and the typed input, plus a fixed part for the rest.
const (
	decodeFactor    = 4
	requestOverhead = 64 << 10
)

// inflight bounds the memory of the API requests in flight. A request that
// does not fit is refused at once with ThrottlingException, before its body
// is read, rather than queued: SDKs and the CLI retry it with backoff, and a
// queue would hold the connections and bodies the limit is there to bound.
type inflight struct {
	max int64

	mu   sync.Mutex
	used int64

	bytes prometheus.Gauge
	shed  prometheus.Counter
}

func newInflight(max int64, reg prometheus.Registerer) *inflight {
	l := &inflight{
		max: max,
		bytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "openpca_api_inflight_bytes",
			Help: "Memory reserved by the API requests in flight: body size times the decode factor, plus a fixed overhead each.",
		}),
		shed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "openpca_api_requests_shed_total",
			Help: "API requests refused with ThrottlingException because the in-flight memory limit was reached.",
		}),
	}
	reg.MustRegister(l.bytes, l.shed)
	return l
}

// cost is what a request whose body takes at most size bytes is counted as.
func cost(size int64) int64 { return requestOverhead + size*decodeFactor }

// admit reserves a request's cost, or refuses it. A request alone is always
// admitted, so a limit below the largest request slows that request's
// callers to one at a time instead of locking them out.
func (l *inflight) admit(_ *http.Request, _ string, size int64) (func(), error) {
	n := cost(size)
	l.mu.Lock()
	if l.used > 0 && l.used+n > l.max {
		l.mu.Unlock()
		l.shed.Inc()
		return nil, awsproto.NewError(awsproto.CodeThrottling, "Rate exceeded")
	}
	l.used += n
	l.bytes.Set(float64(l.used))
	l.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			l.used -= n
			l.bytes.Set(float64(l.used))
			l.mu.Unlock()
		})
	}, nil
}
