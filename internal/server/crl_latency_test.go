package server

import (
	"bytes"
	"context"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// crlWatcher polls a CRL as a relying party would and records when each
// CRL Number and each revoked serial was first seen.
type crlWatcher struct {
	t     testing.TB
	fetch func() ([]byte, error) // nil, nil: no CRL yet
	stop  chan struct{}
	done  chan struct{}

	mu      sync.Mutex
	seen    map[string]time.Time // serial → first listed
	raw     map[string]bool      // the serials seen, as big-endian bytes
	crls    []seenCRL
	numbers []*big.Int // every CRL Number seen, in order; a decrease fails the test
}

type seenCRL struct {
	number  *big.Int
	at      time.Time
	serials []string // listed for the first time in this CRL
}

func httpCRL(url string) func() ([]byte, error) {
	return func() ([]byte, error) {
		resp, err := http.Get(url)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound {
			return nil, nil
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		return io.ReadAll(resp.Body)
	}
}

func watchCRL(t testing.TB, fetch func() ([]byte, error)) *crlWatcher {
	w := &crlWatcher{t: t, fetch: fetch, stop: make(chan struct{}), done: make(chan struct{}), seen: map[string]time.Time{}, raw: map[string]bool{}}
	go w.run()
	t.Cleanup(w.close)
	return w
}

func (w *crlWatcher) run() {
	defer close(w.done)
	var last *big.Int
	for {
		select {
		case <-w.stop:
			return
		case <-time.After(10 * time.Millisecond):
		}
		der, err := w.fetch()
		if err != nil || der == nil {
			continue // the object store may be down: that is what drills do
		}
		at := time.Now()
		number, serials, err := walkCRL(der)
		if err != nil {
			w.t.Errorf("a relying party got a CRL that does not parse: %v", err)
			return
		}
		if last != nil && number.Cmp(last) == 0 {
			continue
		}
		w.mu.Lock()
		if last != nil && number.Cmp(last) < 0 {
			w.t.Errorf("CRL Number went back from %v to %v", last, number)
		}
		last = number
		w.numbers = append(w.numbers, number)
		c := seenCRL{number: number, at: at}
		for _, raw := range serials {
			if !w.raw[string(raw)] {
				w.raw[string(raw)] = true
				s := new(big.Int).SetBytes(raw).Text(16)
				w.seen[s] = at
				c.serials = append(c.serials, s)
			}
		}
		w.crls = append(w.crls, c)
		w.mu.Unlock()
	}
}

// walkCRL reads a CRL's number and its entries' serial numbers without
// decoding the rest, so that polling a CRL of a million entries costs the
// client tens of milliseconds, not the seconds x509.ParseRevocationList
// takes: the client's own cost must not show up as publication latency.
func walkCRL(der []byte) (*big.Int, [][]byte, error) {
	input := cryptobyte.String(der)
	var outer, tbs cryptobyte.String
	if !input.ReadASN1(&outer, cbasn1.SEQUENCE) || !outer.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return nil, nil, errors.New("malformed CertificateList")
	}
	var version int
	tbs.ReadOptionalASN1Integer(&version, cbasn1.INTEGER, 0)
	var skipped cryptobyte.String
	for range 3 { // signature, issuer, thisUpdate
		if !tbs.ReadAnyASN1(&skipped, nil) {
			return nil, nil, errors.New("malformed TBSCertList")
		}
	}
	if tbs.PeekASN1Tag(cbasn1.UTCTime) || tbs.PeekASN1Tag(cbasn1.GeneralizedTime) {
		tbs.ReadAnyASN1(&skipped, nil) // nextUpdate
	}
	var serials [][]byte
	if tbs.PeekASN1Tag(cbasn1.SEQUENCE) {
		var revoked cryptobyte.String
		tbs.ReadASN1(&revoked, cbasn1.SEQUENCE)
		for !revoked.Empty() {
			var entry, serial cryptobyte.String
			if !revoked.ReadASN1(&entry, cbasn1.SEQUENCE) || !entry.ReadASN1(&serial, cbasn1.INTEGER) {
				return nil, nil, errors.New("malformed revoked certificate")
			}
			serials = append(serials, bytes.TrimLeft(serial, "\x00"))
		}
	}
	var exts cryptobyte.String
	if !tbs.ReadASN1(&exts, cbasn1.Tag(0).ContextSpecific().Constructed()) || !exts.ReadASN1(&exts, cbasn1.SEQUENCE) {
		return nil, nil, errors.New("no CRL extensions")
	}
	for !exts.Empty() {
		var ext cryptobyte.String
		var oid asn1.ObjectIdentifier
		if !exts.ReadASN1(&ext, cbasn1.SEQUENCE) || !ext.ReadASN1ObjectIdentifier(&oid) {
			return nil, nil, errors.New("malformed extension")
		}
		if !oid.Equal(asn1.ObjectIdentifier{2, 5, 29, 20}) {
			continue
		}
		ext.SkipOptionalASN1(cbasn1.BOOLEAN)
		var value cryptobyte.String
		number := new(big.Int)
		if !ext.ReadASN1(&value, cbasn1.OCTET_STRING) || !value.ReadASN1Integer(number) {
			return nil, nil, errors.New("malformed CRL number")
		}
		return number, serials, nil
	}
	return nil, nil, errors.New("no CRL number")
}

func (w *crlWatcher) close() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

// listed reports whether every serial has been seen in a CRL.
func (w *crlWatcher) listed(serials ...string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range serials {
		if _, ok := w.seen[s]; !ok {
			return false
		}
	}
	return true
}

// waitListed waits until every serial is in a CRL a relying party fetched.
func (w *crlWatcher) waitListed(limit time.Duration, serials ...string) time.Duration {
	w.t.Helper()
	start := time.Now()
	for !w.listed(serials...) {
		if time.Since(start) > limit {
			w.t.Fatalf("revocations not in the CRL after %v", limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

// latencies returns, from the client's side, each revocation's time from
// its RevokeCertificate call to the CRL listing it, and each CRL's time
// from the oldest revocation it was first to list; started holds the
// calls' start times.
func (w *crlWatcher) latencies(started map[string]time.Time) (perRevocation, perCRL []float64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range w.crls {
		oldest := time.Time{}
		for _, s := range c.serials {
			at, ok := started[s]
			if !ok {
				continue
			}
			perRevocation = append(perRevocation, c.at.Sub(at).Seconds())
			if oldest.IsZero() || at.Before(oldest) {
				oldest = at
			}
		}
		if !oldest.IsZero() {
			perCRL = append(perCRL, c.at.Sub(oldest).Seconds())
		}
	}
	slices.Sort(perRevocation)
	slices.Sort(perCRL)
	return perRevocation, perCRL
}

func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	return sorted[min(int(q*float64(len(sorted))), len(sorted)-1)]
}

func mean(xs []float64) float64 {
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

// histogram reads a histogram of the registry.
func histogram(t testing.TB, reg prometheus.Gatherer, name string) *dto.Histogram {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return f.GetMetric()[0].GetHistogram()
		}
	}
	t.Fatalf("no metric %s", name)
	return nil
}

// histogramDelta is what was observed between before and after: count,
// sum, and the quantile function Prometheus' histogram_quantile computes.
func histogramDelta(before, after *dto.Histogram) (count uint64, sum float64, q func(float64) float64) {
	count = after.GetSampleCount() - before.GetSampleCount()
	sum = after.GetSampleSum() - before.GetSampleSum()
	type bucket struct {
		upper float64
		n     float64
	}
	var buckets []bucket
	for i, b := range after.GetBucket() {
		buckets = append(buckets, bucket{b.GetUpperBound(), float64(b.GetCumulativeCount() - before.GetBucket()[i].GetCumulativeCount())})
	}
	q = func(phi float64) float64 {
		rank := phi * float64(count)
		lower, prev := 0.0, 0.0
		for _, b := range buckets {
			if b.n >= rank {
				if b.n == prev {
					return b.upper
				}
				return lower + (b.upper-lower)*(rank-prev)/(b.n-prev)
			}
			lower, prev = b.upper, b.n
		}
		return lower
	}
	return count, sum, q
}

// revokeAtRate revokes serials at rate per second from many clients, so a
// slow call does not slow the others, and returns each call's start time.
func revokeAtRate(t testing.TB, c *acmpca.Client, caArn string, serials []string, rate float64) map[string]time.Time {
	started := make([]time.Time, len(serials))
	work := make(chan int)
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				started[i] = time.Now()
				if err := revoke(c, caArn, serials[i], types.RevocationReasonKeyCompromise); err != nil {
					t.Errorf("revoke %s: %v", serials[i], err)
				}
			}
		}()
	}
	begin := time.Now()
	for i := range serials {
		time.Sleep(time.Until(begin.Add(time.Duration(float64(i) / rate * float64(time.Second)))))
		work <- i
	}
	close(work)
	wg.Wait()
	out := make(map[string]time.Time, len(serials))
	for i, s := range serials {
		out[s] = started[i]
	}
	return out
}

// openpca_crl_publication_latency_seconds measures what a relying party
// sees: for each CRL, from the oldest revocation it is first to list to
// its being written. Revocations arrive while CRLs are being built, so a
// CRL that missed some is followed by one whose latency starts at those.
func TestCRLPublicationLatencyMetric(t *testing.T) {
	e := newTestEnv(t)
	c := e.rootClient(protocols[0].opt)
	caArn, _ := bootstrapRootWithCRL(t, c, crlConfig("crl-bucket", ""))
	caID := caArn[strings.LastIndex(caArn, "/")+1:]
	serials := preload(t, e, caArn, 60, false)
	w := watchCRL(t, httpCRL(e.srv.cfg.PublicURL+"/crl-bucket/crl/"+caID+".crl"))
	before := histogram(t, e.srv.Registry, "openpca_crl_publication_latency_seconds")
	started := revokeAtRate(t, c, caArn, serials, 20)
	w.waitListed(30*time.Second, serials...)
	// The last CRL is written a moment before a client can see it.
	waitFor(t, 5*time.Second, func() bool {
		return histogram(t, e.srv.Registry, "openpca_crl_publication_latency_seconds").GetSampleCount() > before.GetSampleCount()
	})
	w.close()
	_, perCRL := w.latencies(started)
	count, sum, q := histogramDelta(before, histogram(t, e.srv.Registry, "openpca_crl_publication_latency_seconds"))
	client, metric := mean(perCRL), sum/float64(count)
	t.Logf("%d CRLs seen by the client, mean %.3f s, p99 %.3f s; histogram: %d CRLs, mean %.3f s, p99 %.3f s",
		len(perCRL), client, quantile(perCRL, 0.99), count, metric, q(0.99))
	if int(count) < len(perCRL) {
		t.Fatalf("the histogram counts %d CRLs; the client saw %d", count, len(perCRL))
	}
	// The client polls every 10 ms and measures from before its call.
	if math.Abs(metric-client) > 0.2*client+0.05 {
		t.Fatalf("histogram mean %.3f s, client's %.3f s: they must agree within 20%%", metric, client)
	}
}

// BenchmarkRevocationToCRL revokes at a steady rate and measures, as a
// relying party polling the CDP URL sees it, the time from each
// RevokeCertificate call to the CRL listing it (e2e), and per CRL from the
// oldest revocation it was first to list (crl), beside the quantiles of
// openpca_crl_publication_latency_seconds for the same run (hist), which
// must agree with crl within 20%. Default settings (1 s debounce),
// embedded store. Run with -benchtime=Nx: N revocations.
func BenchmarkRevocationToCRL(b *testing.B) {
	for _, tc := range []struct {
		already int
		rate    float64
	}{{0, 100}, {100_000, 100}, {1_000_000, 100}, {0, 1000}} {
		b.Run(fmt.Sprintf("revoked=%d/rate=%g", tc.already, tc.rate), func(b *testing.B) {
			e := newTestEnvWith(b, nil, func(c *Config) { c.CRLDebounce = 0; c.RevokedLimit = 10_000_000 })
			c := e.rootClient(protocols[1].opt)
			caArn, _ := bootstrapRootWithCRL(b, c, crlConfig("crl-bucket", ""))
			caID := caArn[strings.LastIndex(caArn, "/")+1:]
			if tc.already > 0 {
				preload(b, e, caArn, tc.already, true)
				if err := e.srv.crls.Publish(context.Background(), testAccount, caID, ""); err != nil {
					b.Fatal(err)
				}
			}
			serials := preload(b, e, caArn, b.N, false)
			w := watchCRL(b, httpCRL(e.srv.cfg.PublicURL+"/crl-bucket/crl/"+caID+".crl"))
			before := histogram(b, e.srv.Registry, "openpca_crl_publication_latency_seconds")
			b.ResetTimer()
			started := revokeAtRate(b, c, caArn, serials, tc.rate)
			w.waitListed(5*time.Minute, serials...)
			b.StopTimer()
			time.Sleep(100 * time.Millisecond) // the histogram of the last CRL
			w.close()
			perRevocation, perCRL := w.latencies(started)
			_, _, q := histogramDelta(before, histogram(b, e.srv.Registry, "openpca_crl_publication_latency_seconds"))
			b.ReportMetric(quantile(perRevocation, 0.5), "e2e-p50-s")
			b.ReportMetric(quantile(perRevocation, 0.99), "e2e-p99-s")
			b.ReportMetric(quantile(perCRL, 0.5), "crl-p50-s")
			b.ReportMetric(quantile(perCRL, 0.99), "crl-p99-s")
			b.ReportMetric(q(0.5), "hist-p50-s")
			b.ReportMetric(q(0.99), "hist-p99-s")
			b.ReportMetric(q(0.5)/quantile(perCRL, 0.5), "hist/crl-p50")
			b.ReportMetric(q(0.99)/quantile(perCRL, 0.99), "hist/crl-p99")
			b.ReportMetric(0, "ns/op")
		})
	}
}
