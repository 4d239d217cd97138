package server

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/openpca/openpca/internal/objstore"
	"github.com/openpca/openpca/internal/objstore/s3fault"
	"github.com/openpca/openpca/internal/objstore/s3store"
	"github.com/openpca/openpca/internal/objstore/s3store/s3test"
	"github.com/openpca/openpca/internal/store/postgres/pgtest"
)

// Drills: the object store misbehaves the way real ones do, and every
// acknowledged revocation still reaches its CRL, within seconds of the
// store's recovery.

// s3CRL reads a CRL straight from the S3 server, as a relying party would,
// whatever path openpca's own writes take.
func s3CRL(t testing.TB, s3 *s3test.Server, bucket, caArn string) func() ([]byte, error) {
	t.Helper()
	cfg := s3.Config()
	cfg.RequestTimeout = time.Second
	reader, err := s3store.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	key := "crl/" + caArn[strings.LastIndex(caArn, "/")+1:] + ".crl"
	return func() ([]byte, error) {
		der, err := reader.Get(context.Background(), bucket, key)
		if errors.Is(err, objstore.ErrNotFound) {
			return nil, nil
		}
		return der, err
	}
}

// crlCA makes a CA publishing a COMPLETE CRL to bucket and returns it with
// serials of certificates it issued.
func crlCA(t testing.TB, e *testEnv, bucket string, certificates int) (caArn, caID string, serials []string) {
	t.Helper()
	caArn, _ = bootstrapRootWithCRL(t, e.rootClient(protocols[0].opt), crlConfig(bucket, ""))
	return caArn, caArn[strings.LastIndex(caArn, "/")+1:], preload(t, e, caArn, certificates, false)
}

// S3 frozen for 20 s (SIGSTOP), then resumed: revocations are accepted
// throughout, and one made after resumption is in the CRL within 3 s.
func TestCRLDrillFrozenS3(t *testing.T) {
	s3 := s3test.StartOwn(t)
	bucket := s3.NewBucket(t)
	cfg := s3.Config()
	e := newTestEnvWith(t, nil, func(c *Config) { c.S3 = &cfg })
	c := e.rootClient(protocols[0].opt)
	caArn, _, serials := crlCA(t, e, bucket, 3)
	w := watchCRL(t, s3CRL(t, &s3.Server, bucket, caArn))
	if err := revoke(c, caArn, serials[0], "KEY_COMPROMISE"); err != nil {
		t.Fatal(err)
	}
	w.waitListed(10*time.Second, serials[0])

	s3.Freeze()
	if err := revoke(c, caArn, serials[1], "KEY_COMPROMISE"); err != nil {
		t.Fatalf("revocation while S3 is frozen: %v", err)
	}
	time.Sleep(20 * time.Second)
	s3.Thaw()
	if err := revoke(c, caArn, serials[2], "KEY_COMPROMISE"); err != nil {
		t.Fatal(err)
	}
	took := w.waitListed(3*time.Second, serials...)
	t.Logf("after 20 s frozen, a new revocation reached the CRL in %v", took)
}

// S3 stopped, then started again: revocations are accepted throughout, the
// failures are counted as the store being unavailable, and the CRL follows
// within 5 s of the store's return.
func TestCRLDrillS3Restart(t *testing.T) {
	s3 := s3test.StartOwn(t)
	bucket := s3.NewBucket(t)
	cfg := s3.Config()
	e := newTestEnvWith(t, nil, func(c *Config) { c.S3 = &cfg })
	c := e.rootClient(protocols[0].opt)
	caArn, caID, serials := crlCA(t, e, bucket, 4)
	w := watchCRL(t, s3CRL(t, &s3.Server, bucket, caArn))
	if err := revoke(c, caArn, serials[0], "KEY_COMPROMISE"); err != nil {
		t.Fatal(err)
	}
	w.waitListed(10*time.Second, serials[0])

	s3.Stop()
	for _, s := range serials[1:3] {
		if err := revoke(c, caArn, s, "KEY_COMPROMISE"); err != nil {
			t.Fatalf("revocation while S3 is down: %v", err)
		}
	}
	waitFor(t, 30*time.Second, func() bool { return testutil.ToFloat64(e.srv.crls.Failures(caID, "unavailable")) >= 2 })
	if err := revoke(c, caArn, serials[3], "KEY_COMPROMISE"); err != nil {
		t.Fatal(err)
	}
	s3.Start()
	took := w.waitListed(5*time.Second, serials...)
	t.Logf("CRL published %v after S3 came back", took)
	if n := testutil.ToFloat64(e.srv.crls.Misconfigured(caID)); n != 0 {
		t.Fatalf("an outage counted as a misconfigured bucket %v times", n)
	}
}

// A bucket deleted under a CA is a misconfigured bucket, as in AWS, and
// its failures say so.
func TestCRLDrillDeletedBucket(t *testing.T) {
	s3 := s3test.StartOwn(t)
	bucket := s3.NewBucket(t)
	cfg := s3.Config()
	e := newTestEnvWith(t, nil, func(c *Config) { c.S3 = &cfg })
	c := e.rootClient(protocols[0].opt)
	caArn, caID, serials := crlCA(t, e, bucket, 2)
	w := watchCRL(t, s3CRL(t, &s3.Server, bucket, caArn))
	if err := revoke(c, caArn, serials[0], "KEY_COMPROMISE"); err != nil {
		t.Fatal(err)
	}
	w.waitListed(10*time.Second, serials[0])
	if err := s3.DeleteBucket(t.Context(), bucket); err != nil {
		t.Fatal(err)
	}
	if err := revoke(c, caArn, serials[1], "KEY_COMPROMISE"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, func() bool { return testutil.ToFloat64(e.srv.crls.Misconfigured(caID)) >= 1 })
	if n := testutil.ToFloat64(e.srv.crls.Failures(caID, "no_such_bucket")); n < 1 {
		t.Fatalf("failures with reason no_such_bucket: %v", n)
	}
	if err := s3.CreateBucket(t.Context(), bucket); err != nil {
		t.Fatal(err)
	}
	w.waitListed(30*time.Second, serials...)
}

// The counters alarms are written against exist, at 0, for every CA
// publishing CRLs from the moment it is ACTIVE, before any certificate or
// failure; the freshness gauge follows each CRL.
func TestCRLMetricsFromActive(t *testing.T) {
	e := newTestEnvWith(t, nil, func(c *Config) { c.crlScan = 100 * time.Millisecond })
	c := e.rootClient(protocols[0].opt)
	caArn, _ := bootstrapRootWithCRL(t, c, crlConfig("crl-bucket", ""))
	id := caArn[strings.LastIndex(caArn, "/")+1:]
	series := []string{
		`openpca_crl_generated_total{ca="` + id + `"} 0`,
		`openpca_misconfigured_crl_bucket_total{ca="` + id + `"} 0`,
	}
	for _, r := range []string{"access_denied", "no_such_bucket", "timeout", "unavailable", "conflict", "lease_lost", "internal"} {
		series = append(series, `openpca_crl_generation_failures_total{ca="`+id+`",reason="`+r+`"} 0`)
	}
	waitFor(t, 5*time.Second, func() bool { return containsAll(scrape(t, e), series) })

	serials := preload(t, e, caArn, 1, false)
	w := watchCRL(t, httpCRL(e.srv.cfg.PublicURL+"/crl-bucket/crl/"+id+".crl"))
	e.srv.files.SetReadOnly("crl-bucket", true)
	if err := revoke(c, caArn, serials[0], "KEY_COMPROMISE"); err != nil {
		t.Fatal(err)
	}
	// A revocation that cannot be published ages, whatever the reason.
	age := `openpca_crl_unpublished_revocation_age_seconds{ca="` + id + `",partition=""} `
	waitFor(t, 10*time.Second, func() bool { return metricValue(scrape(t, e), age) >= 2 })
	e.srv.files.SetReadOnly("crl-bucket", false)
	w.waitListed(10*time.Second, serials...)
	waitFor(t, 5*time.Second, func() bool { return metricValue(scrape(t, e), age) == 0 })
}

func scrape(t testing.TB, e *testEnv) string {
	t.Helper()
	body, err := httpCRL(e.ts.URL + "/metrics")()
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

func containsAll(text string, lines []string) bool {
	for _, l := range lines {
		if !strings.Contains(text, "\n"+l+"\n") {
			return false
		}
	}
	return true
}

// metricValue is the value on the line starting with prefix, -1 when none.
func metricValue(text, prefix string) float64 {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			var f float64
			if _, err := fmt.Sscan(v, &f); err == nil {
				return f
			}
		}
	}
	return -1
}

// proxied is an S3 configuration through a fault-injecting proxy in front
// of s3.
func proxied(t testing.TB, s3 *s3test.Server) (*s3fault.Proxy, s3store.Config) {
	t.Helper()
	proxy, err := s3fault.New(s3.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	cfg := s3.Config()
	cfg.Endpoint = proxy.URL
	return proxy, cfg
}

// One CA's bucket is a black hole (connections accepted, never answered)
// while another CA's bucket is healthy: the healthy CA's CRL keeps
// following its revocations, and the other's appears within 10 s of the
// black hole ending.
func TestCRLDrillBlackHoleOneBucket(t *testing.T) {
	s3 := s3test.Start(t)
	good, bad := s3.NewBucket(t), s3.NewBucket(t)
	proxy, cfg := proxied(t, s3)
	e := newTestEnvWith(t, nil, func(c *Config) { c.S3 = &cfg; c.S3PublicURL = s3.Endpoint })
	c := e.rootClient(protocols[0].opt)
	goodArn, _, goodSerials := crlCA(t, e, good, 8)
	badArn, _, badSerials := crlCA(t, e, bad, 4)
	goodCRL, badCRL := watchCRL(t, s3CRL(t, s3, good, goodArn)), watchCRL(t, s3CRL(t, s3, bad, badArn))
	for _, r := range []struct {
		ca, serial string
		w          *crlWatcher
	}{{goodArn, goodSerials[0], goodCRL}, {badArn, badSerials[0], badCRL}} {
		if err := revoke(c, r.ca, r.serial, "KEY_COMPROMISE"); err != nil {
			t.Fatal(err)
		}
		r.w.waitListed(10*time.Second, r.serial)
	}

	proxy.Set(bad, s3fault.BlackHole)
	for i := 1; i < len(goodSerials); i++ {
		if i < len(badSerials) {
			if err := revoke(c, badArn, badSerials[i], "KEY_COMPROMISE"); err != nil {
				t.Fatalf("revocation with a black-holed bucket: %v", err)
			}
		}
		if err := revoke(c, goodArn, goodSerials[i], "KEY_COMPROMISE"); err != nil {
			t.Fatal(err)
		}
		took := goodCRL.waitListed(3*time.Second, goodSerials[i])
		t.Logf("healthy bucket: revocation %d in the CRL after %v", i, took)
		time.Sleep(time.Second)
	}
	if badCRL.listed(badSerials[1]) {
		t.Fatal("a CRL reached the black-holed bucket")
	}
	proxy.Set(bad, s3fault.Pass)
	took := badCRL.waitListed(10*time.Second, badSerials...)
	t.Logf("black-holed bucket: CRL %v after the black hole ended", took)
	if n := testutil.ToFloat64(e.srv.crls.Failures(badArn[strings.LastIndex(badArn, "/")+1:], "timeout")); n < 1 {
		t.Fatalf("timeouts counted: %v", n)
	}
}

// sharedNodes starts nodes sharing one PostgreSQL database, each with its
// own path to the S3 server at public, where relying parties read CRLs.
func sharedNodes(t *testing.T, public string, s3 ...s3store.Config) []*testEnv {
	dbURL := pgtest.URL(t)
	var nodes []*testEnv
	for i := range s3 {
		nodes = append(nodes, newTestEnvWith(t, nil, func(c *Config) {
			c.DatabaseURL, c.MasterKey, c.S3, c.S3PublicURL = dbURL, testMasterKey, &s3[i], public
		}))
	}
	return nodes
}

// Three nodes share PostgreSQL; the node that takes a revocation is
// black-holed from S3: another node publishes the CRL within 15 s.
func TestCRLDrillThreeNodesOneBlackHoled(t *testing.T) {
	s3 := s3test.Start(t)
	bucket := s3.NewBucket(t)
	proxy, stuck := proxied(t, s3)
	nodes := sharedNodes(t, s3.Endpoint, stuck, s3.Config(), s3.Config())
	caArn, _, serials := crlCA(t, nodes[1], bucket, 2)
	w := watchCRL(t, s3CRL(t, s3, bucket, caArn))
	if err := revoke(nodes[1].rootClient(protocols[0].opt), caArn, serials[0], "KEY_COMPROMISE"); err != nil {
		t.Fatal(err)
	}
	w.waitListed(15*time.Second, serials[0])

	proxy.Set("", s3fault.BlackHole)
	if err := revoke(nodes[0].rootClient(protocols[0].opt), caArn, serials[1], "KEY_COMPROMISE"); err != nil {
		t.Fatal(err)
	}
	took := w.waitListed(15*time.Second, serials...)
	t.Logf("another node published the CRL %v after the black-holed node took the revocation", took)
}

// A node that lost its lease while its upload was on the way, and whose
// upload lands after another node has published, cannot replace the newer
// CRL: the upload is conditional on the object it replaces.
func TestCRLDrillLateUploadFenced(t *testing.T) {
	s3 := s3test.Start(t)
	bucket := s3.NewBucket(t)
	proxy, late := proxied(t, s3)
	nodes := sharedNodes(t, s3.Endpoint, late, s3.Config())
	caArn, _, serials := crlCA(t, nodes[1], bucket, 2)
	read := s3CRL(t, s3, bucket, caArn)
	w := watchCRL(t, read)
	if err := revoke(nodes[1].rootClient(protocols[0].opt), caArn, serials[0], "KEY_COMPROMISE"); err != nil {
		t.Fatal(err)
	}
	w.waitListed(15*time.Second, serials[0])

	// Node 0's uploads reach the proxy whole and wait there; node 0 gives
	// up and node 1 publishes.
	proxy.Set(bucket, s3fault.Hold)
	if err := revoke(nodes[0].rootClient(protocols[0].opt), caArn, serials[1], "KEY_COMPROMISE"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() bool { return proxy.Count(bucket, "PUT") > 0 })
	w.waitListed(20*time.Second, serials...)
	// Node 0 goes away, so only its late upload can change the bucket now;
	// the first upload it gave up on is older than node 1's CRL.
	nodes[0].stop()
	proxy.Set(bucket, s3fault.Pass)
	statuses, err := proxy.ReleaseFirst(1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the late upload was answered %v", statuses)
	// Whatever landed, the CRL there is the newest any client has seen.
	time.Sleep(500 * time.Millisecond)
	w.close()
	der, err := read()
	if err != nil || der == nil {
		t.Fatalf("reading the CRL: %v", err)
	}
	list, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatal(err)
	}
	highest := slices.MaxFunc(w.numbers, func(a, b *big.Int) int { return a.Cmp(b) })
	if list.Number.Cmp(highest) < 0 {
		t.Fatalf("the CRL in the bucket has number %v; clients had already seen %v", list.Number, highest)
	}
	if !slices.Contains(statuses, http.StatusPreconditionFailed) {
		t.Fatalf("no late upload was refused: %v", statuses)
	}
}
