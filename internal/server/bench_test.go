package server

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// BenchmarkDescribeCA measures DescribeCertificateAuthority over loopback HTTP
// with SigV4 verification from 32 concurrent clients, next to the same
// clients against a handler that does nothing: the machine's ceiling.
// Requests are signed once and replayed, so the clients cost the same in
// both runs and the difference is the server's own work.
func BenchmarkDescribeCA(b *testing.B) {
	srv, ts := newTestServer(b)
	arn := createTestCA(b, srv, ts.URL)
	body := []byte(`{"CertificateAuthorityArn":"` + arn + `"}`)

	noop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Write([]byte(`{}`))
	}))
	defer noop.Close()

	b.Run("ceiling-noop-handler", func(b *testing.B) {
		runClients(b, signedRequest(b, srv, noop.URL, body))
	})
	b.Run("describe-sigv4", func(b *testing.B) {
		runClients(b, signedRequest(b, srv, ts.URL, body))
	})
	// A principal other than the root: its key and identity policy come from
	// the principal cache, and iam evaluates the policy on every request.
	creds, err := srv.principals.Create(context.Background(), testAccount, "bench")
	if err != nil {
		b.Fatal(err)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"acm-pca:DescribeCertificateAuthority","Resource":"` + arn + `"}]}`
	if err := srv.principals.AttachPolicy(context.Background(), testAccount, "bench", "describe", policy); err != nil {
		b.Fatal(err)
	}
	b.Run("describe-sigv4-principal", func(b *testing.B) {
		runClients(b, signedRequestAs(b, aws.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey}, ts.URL, "DescribeCertificateAuthority", body))
	})
}

type replay struct {
	url    string
	header http.Header
	body   []byte
}

func signedRequest(b *testing.B, srv *Server, url string, body []byte) replay {
	return signedRequestTarget(b, srv, url, "DescribeCertificateAuthority", body)
}

// runClients sends b.N requests from 32 goroutines and reports requests/s and p99.
func runClients(b *testing.B, r replay) {
	const clients = 32
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var mu sync.Mutex
	var latencies []time.Duration
	b.SetParallelism((clients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, r.url, bytes.NewReader(r.body))
			req.Header = r.header.Clone()
			t0 := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			mine = append(mine, time.Since(t0))
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
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
	b.ReportMetric(float64(len(latencies))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
}
