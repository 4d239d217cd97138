package ocsp

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/openpca/openpca/internal/x509util"
)

// BenchmarkResponder measures the responder over loopback HTTP from 64
// concurrent clients, next to the same clients against a handler that
// does nothing but answer a response-sized body: the machine's ceiling.
// "cached" requests are answered from the pre-signed response; "nonce"
// requests are signed one by one (and read the status each time).
func BenchmarkResponder(b *testing.B) {
	type target struct {
		ca  *testCA
		env *env
		der []byte // without a nonce
	}
	targets := map[string]target{}
	for _, alg := range []string{x509util.SHA256WithECDSA, x509util.MLDSA65} {
		ca := newCA(b, "bench", alg)
		e := newEnv(b, Config{}, ca) // the fake clock stands still: the cached response never comes due
		leaf := ca.leaf(b, big.NewInt(0x5eed))
		e.b.issue(ca, leaf.SerialNumber)
		der := encodeRequest(request{certs: []certID{certIDOf(b, leaf, ca, crypto.SHA1)}})
		if resp, body := e.post(b, der); resp.StatusCode != http.StatusOK || decode(b, body).status != statusSuccessful {
			b.Fatal("warm-up request failed")
		}
		targets[alg] = target{ca, e, der}
	}
	withNonce := func(t target) []byte {
		var req request
		req.certs = []certID{certIDOf(b, &x509.Certificate{SerialNumber: big.NewInt(0x5eed)}, t.ca, crypto.SHA1)}
		req.nonce = nonceValue(bytes.Repeat([]byte{0x42}, 32))
		return encodeRequest(req)
	}
	p256, mldsa := targets[x509util.SHA256WithECDSA], targets[x509util.MLDSA65]

	body := make([]byte, 300) // about an ECDSA response
	noop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.Write(body)
	}))
	defer noop.Close()

	get := func(e *env, der []byte) string {
		return e.srv.URL + "/ocsp/" + url.PathEscape(base64.StdEncoding.EncodeToString(der))
	}
	b.Run("ceiling-noop-handler", func(b *testing.B) {
		runClients(b, http.MethodPost, noop.URL+"/ocsp", p256.der)
	})
	b.Run("cached-POST-P256", func(b *testing.B) {
		runClients(b, http.MethodPost, p256.env.srv.URL+"/ocsp", p256.der)
	})
	b.Run("cached-GET-P256", func(b *testing.B) {
		runClients(b, http.MethodGet, get(p256.env, p256.der), nil)
	})
	b.Run("cached-POST-ML-DSA-65", func(b *testing.B) {
		runClients(b, http.MethodPost, mldsa.env.srv.URL+"/ocsp", mldsa.der)
	})
	b.Run("nonce-POST-P256", func(b *testing.B) {
		runClients(b, http.MethodPost, p256.env.srv.URL+"/ocsp", withNonce(p256))
	})
	b.Run("nonce-POST-ML-DSA-65", func(b *testing.B) {
		runClients(b, http.MethodPost, mldsa.env.srv.URL+"/ocsp", withNonce(mldsa))
	})
}

// runClients sends b.N requests from 64 goroutines and reports responses/s
// and the 99th percentile latency.
func runClients(b *testing.B, method, target string, body []byte) {
	const clients = 64
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	do := func() (time.Duration, int, error) {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, _ := http.NewRequest(method, target, rd)
		if body != nil {
			req.Header.Set("Content-Type", "application/ocsp-request")
		}
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return time.Since(t0), resp.StatusCode, nil
	}
	// Open every connection before timing, so the first sub-benchmark
	// does not pay for them.
	var warm sync.WaitGroup
	for range clients {
		warm.Go(func() { do() })
	}
	warm.Wait()
	var mu sync.Mutex
	var latencies []time.Duration
	b.SetParallelism((clients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			d, status, err := do()
			if err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, d)
			if status != http.StatusOK {
				b.Errorf("status %d", status)
				return
			}
		}
		mu.Lock()
		latencies = append(latencies, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(latencies) == 0 {
		return
	}
	slices.Sort(latencies)
	p99 := latencies[len(latencies)*99/100]
	b.ReportMetric(float64(len(latencies))/elapsed.Seconds(), "resp/s")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
}
