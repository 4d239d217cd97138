package ocsp

import "github.com/prometheus/client_golang/prometheus"

// outcome is what a response said: a certificate status for successful
// responses, the OCSPResponseStatus otherwise.
type outcome int

const (
	outGood outcome = iota
	outRevoked
	outUnknown
	outMultiple // a successful response about several certificates
	outMalformedRequest
	outInternalError
	outTryLater
	outUnauthorized
	numOutcomes
)

var outcomeNames = [numOutcomes]string{
	"good", "revoked", "unknown", "multiple", "malformedRequest", "internalError", "tryLater", "unauthorized",
}

// Why a response was signed.
const (
	signMiss     = iota // a cached response was missing or due
	signRefresh         // Run re-signed a busy entry ahead of time
	signUncached        // a nonce or several certificates: signed for one request
	numSignPurposes
)

var signPurposeNames = [numSignPurposes]string{"cache_miss", "refresh", "uncached"}

// metrics holds counters resolved once, so the request path costs one
// atomic add per counter and no label lookup.
type metrics struct {
	responses  [numOutcomes]prometheus.Counter
	signatures [numSignPurposes]prometheus.Counter
	hits       prometheus.Counter
	misses     prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, c *cache) metrics {
	responses := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "openpca_ocsp_responses_total",
		Help: "OCSP responses sent, by certificate status (good, revoked, unknown, multiple) or by OCSP error status.",
	}, []string{"status"})
	signatures := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "openpca_ocsp_signatures_total",
		Help: "OCSP responses signed, by purpose: cache_miss, refresh (ahead of expiry) or uncached (nonce or several certificates).",
	}, []string{"purpose"})
	lookups := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "openpca_ocsp_cache_lookups_total",
		Help: "Lookups of pre-signed OCSP responses, by result (hit or miss; a miss includes a response due for re-signing).",
	}, []string{"result"})
	size := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "openpca_ocsp_cache_bytes",
		Help: "Approximate memory held by cached OCSP responses.",
	}, func() float64 { return float64(c.bytes.Load()) })
	reg.MustRegister(responses, signatures, lookups, size)
	var m metrics
	for i, name := range outcomeNames {
		m.responses[i] = responses.WithLabelValues(name)
	}
	for i, name := range signPurposeNames {
		m.signatures[i] = signatures.WithLabelValues(name)
	}
	m.hits = lookups.WithLabelValues("hit")
	m.misses = lookups.WithLabelValues("miss")
	return m
}
