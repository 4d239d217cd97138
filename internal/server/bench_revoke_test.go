package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openpca/openpca/internal/store/postgres"
	"github.com/openpca/openpca/internal/store/sqlstore"
)

// preload inserts certificates straight into the database, count of them
// already revoked when revoked is true, and returns their serials.
func preload(b testing.TB, e *testEnv, caArn string, count int, revoked bool) []string {
	b.Helper()
	db := e.srv.store.(*sqlstore.Store).DB()
	q := func(query string) string { return query }
	if e.srv.cfg.DatabaseURL != "" {
		q = postgres.Rebind
	}
	caID := caArn[strings.LastIndex(caArn, "/")+1:]
	now := time.Now()
	serials := make([]string, 0, count)
	for done := 0; done < count; {
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		// Each batch of revocations is one revision of the CRL row, as the
		// store's own revocations are.
		var seq int64
		if revoked {
			if _, err := tx.Exec(q(`INSERT INTO crls (ca_id, crl_partition, dirty_since, revision) VALUES (?, '', ?, 1)
				ON CONFLICT (ca_id, crl_partition) DO UPDATE SET revision = crls.revision + 1`), caID, now.UnixMilli()); err != nil {
				b.Fatal(err)
			}
			if err := tx.QueryRow(q(`SELECT revision FROM crls WHERE ca_id = ? AND crl_partition = ''`), caID).Scan(&seq); err != nil {
				b.Fatal(err)
			}
		}
		stmt, err := tx.Prepare(q(`INSERT INTO certificates (ca_id, serial, der, issued_at, not_before, not_after, revoked_at, revocation_reason, revoked_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`))
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < 50_000 && done < count; i, done = i+1, done+1 {
			raw := make([]byte, 16)
			rand.Read(raw)
			raw[0] |= 0x10
			serial := hex.EncodeToString(raw)
			var at int64
			if revoked {
				at = now.Add(-time.Hour).UnixMilli()
			}
			if _, err := stmt.Exec(caID, serial, []byte{0x30, 0x00}, now.UnixMilli(), now.UnixMilli(), now.AddDate(0, 1, 0).UnixMilli(), at, "KEY_COMPROMISE", seq); err != nil {
				b.Fatal(err)
			}
			serials = append(serials, serial)
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	return serials
}

// BenchmarkRevoke measures durable RevokeCertificate over the API from 64
// concurrent clients, on a CA with no revoked certificates and on one that
// already has 1,000,000. Run with -benchtime=Nx; requests are signed before
// the timer starts, so the clients' cost is sending only.
func BenchmarkRevoke(b *testing.B) {
	for _, already := range []int{0, 1_000_000} {
		b.Run(fmt.Sprintf("already-revoked=%d", already), func(b *testing.B) {
			e := newTestEnvWith(b, nil, func(c *Config) { c.RevokedLimit = 10_000_000; c.CRLDebounce = time.Second })
			c := e.rootClient(protocols[1].opt)
			caArn, _ := bootstrapRootWithCRL(b, c, crlConfig("crl-bucket", ""))
			if already > 0 {
				preload(b, e, caArn, already, true)
			}
			serials := preload(b, e, caArn, b.N, false)
			reqs := make([]replay, b.N)
			for i, s := range serials {
				body, _ := json.Marshal(map[string]string{"CertificateAuthorityArn": caArn, "CertificateSerial": s, "RevocationReason": "KEY_COMPROMISE"})
				reqs[i] = signedRequestTarget(b, e.srv, e.ts.URL, "RevokeCertificate", body)
			}
			runtime.GC()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			var next atomic.Int64
			lat := make([]time.Duration, b.N)
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for range 64 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1) - 1)
						if i >= len(reqs) {
							return
						}
						t0 := time.Now()
						if err := send(client, reqs[i], &struct{}{}); err != nil {
							b.Error(err)
							return
						}
						lat[i] = time.Since(t0)
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "revocations/s")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// BenchmarkCRL1M builds, checks and publishes a COMPLETE CRL of 1,000,000
// entries from the database: once cold (every row read), then per op a
// rebuild after one more revocation (the publisher keeps the entries and
// reads only new revocations). Reports the cold time and peak memory above
// idle.
func BenchmarkCRL1M(b *testing.B) {
	e := newTestEnvWith(b, nil, func(c *Config) { c.CRLDebounce = time.Hour; c.RevokedLimit = 10_000_000 })
	c := e.rootClient(protocols[1].opt)
	caArn, _ := bootstrapRootWithCRL(b, c, crlConfig("crl-bucket", ""))
	preload(b, e, caArn, 1_000_000, true)
	fresh := preload(b, e, caArn, b.N+1, false)
	caID := caArn[strings.LastIndex(caArn, "/")+1:]
	runtime.GC()
	idle := rss()
	var peak atomic.Int64
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
				if r := rss(); r > peak.Load() {
					peak.Store(r)
				}
			}
		}
	}()
	ctx := context.Background()
	start := time.Now()
	if err := e.srv.crls.Publish(ctx, testAccount, caID, ""); err != nil {
		b.Fatal(err)
	}
	cold := time.Since(start)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		if _, err := e.srv.store.RevokeCertificate(ctx, caID, fresh[i], e.clock.Now(), "SUPERSEDED", 0); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := e.srv.crls.Publish(ctx, testAccount, caID, ""); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	close(stop)
	b.ReportMetric(cold.Seconds(), "cold-s")
	b.ReportMetric(float64(max(peak.Load()-idle, 0))/(1<<20), "peak-MiB-above-idle")
	list, _ := fetchCRL(b, e.srv.cfg.PublicURL+"/crl-bucket/crl/"+caID+".crl")
	if len(list.RevokedCertificateEntries) != 1_000_000+b.N {
		b.Fatalf("CRL has %d entries, want %d", len(list.RevokedCertificateEntries), 1_000_000+b.N)
	}
}

// rss is the process's resident memory in bytes.
func rss() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(data))
	pages, _ := strconv.ParseInt(fields[1], 10, 64)
	return pages * int64(os.Getpagesize())
}
