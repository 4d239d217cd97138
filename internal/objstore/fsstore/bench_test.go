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

// BenchmarkServeCRL serves a CRL of a million entries from the store's
// handler to 64 concurrent keep-alive clients over loopback, beside the
// ceiling of that setup: the same clients and server answering every
// request with a 200-octet body (limits.md, section 6). Client and server
// share the process and its CPUs, as they share the machine there.
//
// Each conditional run is paired with a ceiling run of as many requests
// just before it, so that the share of the ceiling holds even while the
// machine's other load drifts. Reported: req/s; ceiling-req/s and
// ceiling-% for the paired run; cpu-µs/req, the process's CPU time (client
// and server together) per request, and ceiling-cpu-µs/req; for full GETs
// MB/s via SetBytes.
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
	ceilingSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(tiny)
	}))
	defer ceilingSrv.Close()
	files := httptest.NewServer(s.Handler())
	defer files.Close()
	crlURL := files.URL + "/crl-bucket/crl/0123.crl"
	// One client per server, kept across runs, so that the timed runs
	// reuse warm connections.
	newClient := func() *http.Client {
		return &http.Client{Transport: &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients, DisableCompression: true}}
	}
	ceiling := load{client: newClient(), url: ceilingSrv.URL + "/", status: http.StatusOK}
	filesClient := newClient()

	head, err := http.Head(crlURL)
	if err != nil {
		b.Fatal(err)
	}
	head.Body.Close()
	lastModified := head.Header.Get("Last-Modified")

	for _, bc := range []struct {
		name   string
		load   load
		paired bool
	}{
		{"if-none-match", load{client: filesClient, url: crlURL, header: http.Header{"If-None-Match": {etag}}, status: http.StatusNotModified}, true},
		{"if-modified-since", load{client: filesClient, url: crlURL, header: http.Header{"If-Modified-Since": {lastModified}}, status: http.StatusNotModified}, true},
		{"full", load{client: filesClient, url: crlURL, status: http.StatusOK, size: crlSize}, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if bc.load.size > 0 {
				b.SetBytes(bc.load.size)
			}
			b.ReportAllocs()
			var ceilElapsed, ceilCPU time.Duration
			if bc.paired {
				b.StopTimer()
				var err error
				if ceilElapsed, ceilCPU, err = ceiling.run(b.N); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ResetTimer()
			elapsed, cpu, err := bc.load.run(b.N)
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			rate := float64(b.N) / elapsed.Seconds()
			b.ReportMetric(rate, "req/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/req")
			if bc.paired {
				ceilRate := float64(b.N) / ceilElapsed.Seconds()
				b.ReportMetric(ceilRate, "ceiling-req/s")
				b.ReportMetric(100*rate/ceilRate, "ceiling-%")
				b.ReportMetric(float64(ceilCPU.Microseconds())/float64(b.N), "ceiling-cpu-µs/req")
			}
		})
	}
}

// load is one kind of request, sent by 64 concurrent clients.
type load struct {
	client *http.Client
	url    string
	header http.Header
	status int
	size   int64
}

// run sends n requests and returns the wall-clock and process CPU time
// they took.
func (l load) run(n int) (elapsed, cpu time.Duration, err error) {
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	cpu0 := cpuTime()
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				if err := fetch(l.client, l.url, l.header, l.status, l.size); err != nil {
					failed.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed, cpu = time.Since(start), cpuTime()-cpu0
	err, _ = failed.Load().(error)
	return elapsed, cpu, err
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
