package fsstore_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/openpca/openpca/internal/objstore"
	"github.com/openpca/openpca/internal/objstore/fsstore"
)

// crlSize is a 1,000,000-entry CRL: 49 octets per entry (BenchmarkCreate1M
// in internal/crl) and a few hundred for the rest. The handler never parses
// what it serves, so random octets of that size stand in for one.
const crlSize = 49_000_000 + 400

const clients = 64

// ceilingRate is the loopback ceiling measured last in this process, so that
// the sub-benchmarks after it can report their share of it.
var ceilingRate float64

// BenchmarkServeCRL serves a CRL of a million entries from the store's
// handler to 64 concurrent keep-alive clients over loopback, beside the
// ceiling of that setup: the same clients and server answering every
// request with a 200-octet body (limits.md, section 6). Client and server
// share the process and its CPUs, as they share the machine there.
//
// Reported: req/s; ceiling-% (req/s as a percentage of the ceiling
// sub-benchmark run before it); cpu-µs/req, the process's CPU time (client
// and server together) per request; and for full GETs MB/s via SetBytes.
func BenchmarkServeCRL(b *testing.B) {
	s, err := fsstore.New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	crl := make([]byte, crlSize)
	rand.Read(crl)
	etag, err := s.PutIf(b.Context(), "crl-bucket", "crl/0123.crl", bytes.NewReader(crl), objstore.PutOptions{ACL: objstore.ACLPublicRead})
	if err != nil {
		b.Fatal(err)
	}
	crl = nil

	tiny := bytes.Repeat([]byte("x"), 200)
	ceiling := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(tiny)
	}))
	defer ceiling.Close()
	files := httptest.NewServer(s.Handler())
	defer files.Close()
	crlURL := files.URL + "/crl-bucket/crl/0123.crl"

	head, err := http.Head(crlURL)
	if err != nil {
		b.Fatal(err)
	}
	head.Body.Close()
	lastModified := head.Header.Get("Last-Modified")

	for _, bc := range []struct {
		name    string
		url     string
		header  http.Header
		status  int
		bytes   int64
		ceiling bool
	}{
		{name: "ceiling", url: ceiling.URL + "/", status: http.StatusOK, ceiling: true},
		{name: "if-none-match", url: crlURL, header: http.Header{"If-None-Match": {etag}}, status: http.StatusNotModified},
		{name: "if-modified-since", url: crlURL, header: http.Header{"If-Modified-Since": {lastModified}}, status: http.StatusNotModified},
		{name: "full", url: crlURL, status: http.StatusOK, bytes: crlSize},
	} {
		// One client per sub-benchmark, kept across its runs, so that
		// the timed runs reuse warm connections.
		tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients, DisableCompression: true}
		client := &http.Client{Transport: tr}
		b.Run(bc.name, func(b *testing.B) {
			if bc.bytes > 0 {
				b.SetBytes(bc.bytes)
			}
			b.ReportAllocs()
			var next atomic.Int64
			var failed atomic.Value
			var wg sync.WaitGroup
			cpu0 := cpuTime()
			b.ResetTimer()
			start := time.Now()
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						if err := fetch(client, bc.url, bc.header, bc.status, bc.bytes); err != nil {
							failed.CompareAndSwap(nil, err)
							return
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			if err, _ := failed.Load().(error); err != nil {
				b.Fatal(err)
			}
			rate := float64(b.N) / elapsed.Seconds()
			b.ReportMetric(rate, "req/s")
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/req")
			if bc.ceiling {
				ceilingRate = rate
			} else if ceilingRate > 0 {
				b.ReportMetric(100*rate/ceilingRate, "ceiling-%")
			}
		})
		tr.CloseIdleConnections()
	}
}

// fetch GETs url and reads the whole response.
func fetch(client *http.Client, url string, header http.Header, status int, size int64) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header = header
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	switch {
	case err != nil:
		return err
	case resp.StatusCode != status:
		return fmt.Errorf("GET %s: status %d, want %d", url, resp.StatusCode, status)
	case size > 0 && n != size:
		return fmt.Errorf("GET %s: %d bytes, want %d", url, n, size)
	}
	return nil
}

// cpuTime is the CPU time, user and system, the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
