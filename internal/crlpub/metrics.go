package crlpub

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openpca/openpca/internal/crl"
	"github.com/openpca/openpca/internal/pca"
)

// metrics mirror AWS Private CA's CloudWatch metrics CRLGenerated and
// MisconfiguredCRLBucket, plus what an operator needs to watch freshness.
// Every counter of a CA publishing CRLs exists from the scan that first
// sees it, at 0, so alerts on them can be tested and increase() sees the
// first failure; a CA's series go when it stops publishing.
type metrics struct {
	generated, misconfigured, failed *prometheus.CounterVec
	latency                          prometheus.Histogram
	size, entries                    *prometheus.GaugeVec
	age                              *prometheus.Desc
	now                              func() time.Time

	mu sync.Mutex
	// cas are the CAs publishing CRLs, as of the last scan.
	cas map[string]bool
	// since holds each CRL's oldest unpublished revocation (zero: none).
	since map[key]time.Time
}

func newMetrics(reg prometheus.Registerer, now func() time.Time) *metrics {
	m := &metrics{
		generated: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openpca_crl_generated_total", Help: "CRLs generated and written to their bucket (AWS: CRLGenerated).",
		}, []string{"ca"}),
		misconfigured: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openpca_misconfigured_crl_bucket_total", Help: "CRL writes the bucket refused or whose bucket does not exist (AWS: MisconfiguredCRLBucket).",
		}, []string{"ca"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openpca_crl_generation_failures_total",
			Help: "CRL generations that failed, by reason (access_denied, no_such_bucket, timeout, unavailable, conflict, lease_lost, internal); each is retried with backoff.",
		}, []string{"ca", "reason"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "openpca_crl_publication_latency_seconds",
			Help: "For each CRL written: time from the oldest revocation it lists that no earlier CRL listed to the CRL being written.",
			Buckets: []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.75, 2, 2.5, 3, 4, 5, 7.5, 10,
				15, 20, 30, 60, 120, 300, 900, 3600},
		}),
		size: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "openpca_crl_size_bytes", Help: "Size of the latest CRL.",
		}, []string{"ca", "partition"}),
		entries: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "openpca_crl_entries", Help: "Revoked certificates listed in the latest CRL.",
		}, []string{"ca", "partition"}),
		age: prometheus.NewDesc("openpca_crl_unpublished_revocation_age_seconds",
			"Age of the oldest revocation that no published CRL lists yet (0 when none), per CRL.", []string{"ca", "partition"}, nil),
		now: now,
		cas: map[string]bool{}, since: map[key]time.Time{},
	}
	reg.MustRegister(m.generated, m.misconfigured, m.failed, m.latency, m.size, m.entries, freshness{m})
	return m
}

// track makes the series of the CAs publishing CRLs, at 0, deletes those
// of CAs no longer publishing, and takes the CRLs' freshness from states.
func (m *metrics) track(cas map[string]bool, states []pca.CRLState) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id := range cas {
		if !m.cas[id] {
			m.generated.WithLabelValues(id)
			m.misconfigured.WithLabelValues(id)
			for _, r := range reasons {
				m.failed.WithLabelValues(id, r)
			}
		}
	}
	for id := range m.cas {
		if !cas[id] {
			m.generated.DeleteLabelValues(id)
			m.misconfigured.DeleteLabelValues(id)
			m.failed.DeletePartialMatch(prometheus.Labels{"ca": id})
			m.size.DeletePartialMatch(prometheus.Labels{"ca": id})
			m.entries.DeletePartialMatch(prometheus.Labels{"ca": id})
		}
	}
	m.cas = cas
	clear(m.since)
	for _, st := range states {
		if cas[st.CAID] {
			m.since[key{st.Account, st.CAID, st.Partition}] = st.UnpublishedSince
		}
	}
}

// revoked notes a revocation this node made, until a scan or a publication
// knows better.
func (m *metrics) revoked(k key, at time.Time) {
	m.mu.Lock()
	if m.since[k].IsZero() {
		m.since[k] = at
	}
	m.mu.Unlock()
}

func (m *metrics) unpublished(k key, since time.Time) {
	m.mu.Lock()
	m.since[k] = since
	m.mu.Unlock()
}

// published records a CRL written at published whose oldest revocation no
// earlier CRL listed is since (zero: none); stats is zero for a delta CRL.
func (m *metrics) published(k key, since, published time.Time, stats crl.Stats) {
	m.generated.WithLabelValues(k.caID).Inc()
	if stats.Bytes > 0 {
		m.size.WithLabelValues(k.caID, k.partition).Set(float64(stats.Bytes))
		m.entries.WithLabelValues(k.caID, k.partition).Set(float64(stats.Entries))
	}
	if !since.IsZero() {
		m.latency.Observe(published.Sub(since).Seconds())
	}
}

// freshness collects openpca_crl_unpublished_revocation_age_seconds at
// scrape time, so the age grows between scans.
type freshness struct{ m *metrics }

func (f freshness) Describe(ch chan<- *prometheus.Desc) { ch <- f.m.age }

func (f freshness) Collect(ch chan<- prometheus.Metric) {
	now := f.m.now()
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	for k, since := range f.m.since {
		age := 0.0
		if !since.IsZero() {
			age = max(now.Sub(since).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(f.m.age, prometheus.GaugeValue, age, k.caID, k.partition)
	}
}

// Generated returns the openpca_crl_generated_total counter of a CA.
func (p *Publisher) Generated(caID string) prometheus.Counter {
	return p.m.generated.WithLabelValues(caID)
}

// Misconfigured returns the openpca_misconfigured_crl_bucket_total counter of a CA.
func (p *Publisher) Misconfigured(caID string) prometheus.Counter {
	return p.m.misconfigured.WithLabelValues(caID)
}

// Failures returns the openpca_crl_generation_failures_total counter of a
// CA for one reason.
func (p *Publisher) Failures(caID, reason string) prometheus.Counter {
	return p.m.failed.WithLabelValues(caID, reason)
}
