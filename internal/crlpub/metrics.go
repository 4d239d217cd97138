package crlpub

import "github.com/prometheus/client_golang/prometheus"

// metrics mirror AWS Private CA's CloudWatch metrics CRLGenerated and
// MisconfiguredCRLBucket, plus what an operator needs to watch freshness.
type metrics struct {
	generated, misconfigured, failed *prometheus.CounterVec
	latency                          prometheus.Histogram
	size, entries                    *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) metrics {
	m := metrics{
		generated: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openpca_crl_generated_total", Help: "CRLs generated and written to their bucket (AWS: CRLGenerated).",
		}, []string{"ca"}),
		misconfigured: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openpca_misconfigured_crl_bucket_total", Help: "CRL writes the bucket refused (AWS: MisconfiguredCRLBucket).",
		}, []string{"ca"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openpca_crl_generation_failures_total", Help: "CRL generations that failed for any reason; each is retried with backoff.",
		}, []string{"ca"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "openpca_crl_publication_latency_seconds",
			Help:    "Time from the oldest unpublished revocation to the CRL that contains it being written.",
			Buckets: []float64{0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30, 60, 300, 900, 3600},
		}),
		size: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "openpca_crl_size_bytes", Help: "Size of the latest CRL.",
		}, []string{"ca", "partition"}),
		entries: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "openpca_crl_entries", Help: "Revoked certificates listed in the latest CRL.",
		}, []string{"ca", "partition"}),
	}
	reg.MustRegister(m.generated, m.misconfigured, m.failed, m.latency, m.size, m.entries)
	return m
}

// Generated returns the openpca_crl_generated_total counter of a CA.
func (p *Publisher) Generated(caID string) prometheus.Counter {
	return p.m.generated.WithLabelValues(caID)
}

// Misconfigured returns the openpca_misconfigured_crl_bucket_total counter of a CA.
func (p *Publisher) Misconfigured(caID string) prometheus.Counter {
	return p.m.misconfigured.WithLabelValues(caID)
}
