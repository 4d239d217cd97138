package crl

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openpca/openpca/internal/x509util"
)

const million = 1_000_000

// BenchmarkCreate1M builds a 1,000,000-entry CRL (49 octets per entry, a
// reasonCode on each) signed with P-256, to io.Discard. The entries are
// generated on the fly, twice (once per pass); BenchmarkEntries1M measures
// that generation alone.
func BenchmarkCreate1M(b *testing.B) {
	ca := newCA(b, x509util.SHA256WithECDSA)
	tmpl := template(ca, testNow, "")
	entries := genEntries(million)
	b.ReportAllocs()
	var st Stats
	for b.Loop() {
		var err error
		st, err = Create(io.Discard, rand.Reader, tmpl, entries, ca.signer, ca.sigAlg)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(st.Bytes)
}

// BenchmarkCreate1MMLDSA65 is BenchmarkCreate1M signed with ML-DSA-65,
// which buffers the TBSCertList.
func BenchmarkCreate1MMLDSA65(b *testing.B) {
	ca := newCA(b, x509util.MLDSA65)
	tmpl := template(ca, testNow, "")
	entries := genEntries(million)
	b.ReportAllocs()
	var st Stats
	for b.Loop() {
		var err error
		st, err = Create(io.Discard, rand.Reader, tmpl, entries, ca.signer, ca.sigAlg)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(st.Bytes)
}

// BenchmarkEntries1M is the cost of generating the entries for both passes
// of BenchmarkCreate1M, to subtract from it.
func BenchmarkEntries1M(b *testing.B) {
	entries := genEntries(million)
	var sink byte
	for b.Loop() {
		for range 2 {
			_ = entries(func(e Entry) error { sink ^= e.Serial[0]; return nil })
		}
	}
	_ = sink
}

// peakHeap runs f while sampling the heap in use every millisecond, and
// returns the peak above the heap in use before f, and the bytes f
// allocated in all.
func peakHeap(f func()) (peak, allocated uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, totalBefore := ms.HeapInuse, ms.TotalAlloc
	var (
		wg   sync.WaitGroup
		max  uint64
		done = make(chan struct{})
	)
	wg.Go(func() {
		var ms runtime.MemStats
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > max {
					max = ms.HeapInuse
				}
			}
		}
	})
	f()
	close(done)
	wg.Wait()
	runtime.ReadMemStats(&ms)
	if ms.HeapInuse > max {
		max = ms.HeapInuse
	}
	if max < base {
		max = base
	}
	return max - base, ms.TotalAlloc - totalBefore
}

// vmHWM returns the process's peak resident set size in bytes (Linux), or 0.
func vmHWM() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// TestPeakMemory1M builds 1,000,000-entry CRLs and checks the heap stays
// within 100 MiB of where it started: constant for RSA and ECDSA, the
// TBSCertList's size for ML-DSA.
func TestPeakMemory1M(t *testing.T) {
	if testing.Short() {
		t.Skip("1M entries")
	}
	for _, alg := range []string{x509util.SHA256WithECDSA, x509util.MLDSA65} {
		ca := newCA(t, alg)
		tmpl := template(ca, testNow, "")
		var (
			st  Stats
			err error
			d   time.Duration
		)
		hwm := vmHWM()
		peak, allocated := peakHeap(func() {
			start := time.Now()
			st, err = Create(io.Discard, rand.Reader, tmpl, genEntries(million), ca.signer, ca.sigAlg)
			d = time.Since(start)
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d entries, %d bytes in %v; heap in use peaked %.1f MiB above the start, %.1f MiB allocated in all; VmHWM grew %.1f MiB",
			alg, st.Entries, st.Bytes, d, float64(peak)/(1<<20), float64(allocated)/(1<<20), float64(vmHWM()-hwm)/(1<<20))
		if peak > 100<<20 {
			t.Errorf("%s: heap peaked %d bytes above the start, want < 100 MiB", alg, peak)
		}
		if alg == x509util.SHA256WithECDSA && allocated > 1<<20 {
			t.Errorf("%s: allocated %d bytes, want the streaming encoder to stay under 1 MiB", alg, allocated)
		}
	}
}

// TestLarge1M writes a 1,000,000-entry CRL to a file and has crypto/x509
// read it back. (Check on it takes seconds: see BenchmarkCheck1M.)
func TestLarge1M(t *testing.T) {
	if testing.Short() {
		t.Skip("1M entries")
	}
	ca := newCA(t, x509util.SHA256WithECDSA)
	tmpl := template(ca, testNow, "http://crl.example.com/crl/big.crl")
	path := filepath.Join(t.TempDir(), "big.crl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	st, err := Create(f, rand.Reader, tmpl, genEntries(million), ca.signer, ca.sigAlg)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("Create to a file: %v, %d bytes", time.Since(start), st.Bytes)
	der, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(der)) != st.Bytes || st.Entries != million {
		t.Fatalf("stats %+v, file %d bytes", st, len(der))
	}
	rl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := rl.CheckSignatureFrom(ca.cert); err != nil {
		t.Fatal(err)
	}
	if len(rl.RevokedCertificateEntries) != million {
		t.Fatalf("%d entries parsed", len(rl.RevokedCertificateEntries))
	}
}

// TestCheck100k runs Check on a 100,000-entry CRL.
func TestCheck100k(t *testing.T) {
	if testing.Short() {
		t.Skip("100k entries")
	}
	ca := newCA(t, x509util.SHA256WithECDSA)
	var buf bytes.Buffer
	if _, err := Create(&buf, rand.Reader, template(ca, testNow, ""), genEntries(100_000), ca.signer, ca.sigAlg); err != nil {
		t.Fatal(err)
	}
	var err error
	start := time.Now()
	peak, _ := peakHeap(func() { err = Check(buf.Bytes(), ca.cert, big.NewInt(1)) })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Check, 100k entries: %v, heap in use peaked %.0f MiB above the start", time.Since(start), float64(peak)/(1<<20))
}

// BenchmarkCheck1M runs Check on a 1,000,000-entry CRL.
func BenchmarkCheck1M(b *testing.B) {
	ca := newCA(b, x509util.SHA256WithECDSA)
	var buf bytes.Buffer
	if _, err := Create(&buf, rand.Reader, template(ca, testNow, ""), genEntries(million), ca.signer, ca.sigAlg); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := Check(buf.Bytes(), ca.cert, big.NewInt(1)); err != nil {
			b.Fatal(err)
		}
	}
}
