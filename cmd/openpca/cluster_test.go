package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"

	"github.com/openpca/openpca/internal/objstore/s3store/s3test"
	"github.com/openpca/openpca/internal/store/postgres/pgtest"
)

// Three nodes share one PostgreSQL database and one bucket. 10,000
// revocations are spread across them and one node is killed mid-run: every
// revocation answered 200 must reach the published CRL, CRL Numbers must
// only grow, and the CRL must catch up within seconds of the last revoke.
func TestThreeNodesKill9(t *testing.T) {
	if os.Getenv("OPENPCA_TEST_STORE") != "postgres" {
		t.Skip("runs with the PostgreSQL pass of the suite (OPENPCA_TEST_STORE=postgres)")
	}
	cl := startCluster(t, 3)
	clients, caArn, caCert, s3, bucket := cl.clients, cl.caArn, cl.caCert, cl.s3, cl.bucket
	ctx := context.Background()

	const n = 10_000
	serials := cl.issue(t, n, 32)

	// A watcher fetches the CRL throughout, as a relying party would.
	url := fmt.Sprintf("%s/%s/crl/%s.crl", s3.Endpoint, bucket, caArn[strings.LastIndex(caArn, "/")+1:])
	watch := &crlWatcher{t: t, url: url, issuer: caCert}
	stopWatch := make(chan struct{})
	watched := make(chan struct{})
	go func() { defer close(watched); watch.run(stopWatch) }()

	// Revocations go round-robin to the nodes; when a node is gone, the
	// client tries the next one, as behind a load balancer.
	var alive [3]atomic.Bool
	for i := range alive {
		alive[i].Store(true)
	}
	var acked atomic.Int64
	var mu sync.Mutex
	revoked := make([]bool, n)
	var lastAck atomic.Int64
	killed := make(chan struct{})
	go func() {
		for acked.Load() < n/3 {
			time.Sleep(time.Millisecond)
		}
		alive[2].Store(false)
		cl.nodes[2].Process.Signal(syscall.SIGKILL)
		cl.nodes[2].Wait()
		close(killed)
	}()
	each(n, 24, func(i int) error {
		var err error
		for try := range 3 {
			node := (i + try) % 3
			if !alive[node].Load() && try < 2 {
				continue
			}
			_, err = clients[node].RevokeCertificate(ctx, &acmpca.RevokeCertificateInput{CertificateAuthorityArn: &caArn,
				CertificateSerial: aws.String(serials[i]), RevocationReason: types.RevocationReasonKeyCompromise})
			var again *types.RequestAlreadyProcessedException
			if err == nil || errors.As(err, &again) {
				// A retry after a lost answer finds the first attempt done.
				mu.Lock()
				revoked[i] = true
				mu.Unlock()
				acked.Add(1)
				lastAck.Store(time.Now().UnixNano())
				return nil
			}
		}
		return err
	}, t)
	<-killed
	last := time.Unix(0, lastAck.Load())
	t.Logf("%d revocations acknowledged; node 3 was killed after %d", acked.Load(), n/3)

	want := map[string]bool{}
	for i, ok := range revoked {
		if ok {
			want[serials[i]] = true
		}
	}
	var fresh time.Duration
	for {
		if list := watch.latest(); list != nil && containsAll(list, want) {
			fresh = time.Since(last)
			break
		}
		if time.Since(last) > 30*time.Second {
			list := watch.latest()
			t.Fatalf("30 s after the last revocation the CRL lists %d of %d acknowledged revocations", countListed(list, want), len(want))
		}
		time.Sleep(50 * time.Millisecond)
	}
	close(stopWatch)
	<-watched
	t.Logf("the CRL listed every acknowledged revocation %v after the last one; %d distinct CRLs seen", fresh.Round(time.Millisecond), watch.distinct)
	if fresh > 15*time.Second {
		t.Errorf("the CRL took %v to catch up; want seconds", fresh)
	}
	// Finding another node publishing a CRL is no failure.
	for _, addr := range cl.addrs[:2] {
		if n := metric(t, addr, "openpca_crl_generation_failures_total"); n != 0 {
			t.Errorf("node %s counted %v failed CRL generations", addr, n)
		}
	}
}

// metric sums the samples of a Prometheus counter a node exports.
func metric(t *testing.T, addr, name string) float64 {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var sum float64
	for _, line := range strings.Split(string(body), "\n") {
		if rest, ok := strings.CutPrefix(line, name); ok && (strings.HasPrefix(rest, "{") || strings.HasPrefix(rest, " ")) {
			var v float64
			fmt.Sscan(rest[strings.LastIndex(rest, " ")+1:], &v)
			sum += v
		}
	}
	return sum
}

// cluster is n openpca nodes on one PostgreSQL database and one bucket,
// with a root CA whose COMPLETE CRL goes to that bucket.
type cluster struct {
	nodes   []*exec.Cmd
	addrs   []string
	clients []*acmpca.Client
	caArn   string
	caCert  *x509.Certificate
	s3      *s3test.Server
	bucket  string
}

func startCluster(t testing.TB, n int) *cluster {
	cl := &cluster{}
	dbURL := pgtest.URL(t)
	bin := buildBinary(t)
	cl.s3 = s3test.Start(t)
	cl.bucket = cl.s3.NewBucket(t)
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::%s/*"]}]}`, cl.bucket)
	if err := cl.s3.SetBucketPolicy(context.Background(), cl.bucket, policy); err != nil {
		t.Fatal(err)
	}
	master := make([]byte, 32)
	rand.Read(master)
	const accessKey, secret = "OPCACLUSTERTESTKEY01", "cluster-test-secret-key-0123456789abcdef"
	env := []string{"OPENPCA_DATABASE_URL=" + dbURL, "OPENPCA_MASTER_KEY=" + base64.StdEncoding.EncodeToString(master),
		"OPENPCA_ACCESS_KEY_ID=" + accessKey, "OPENPCA_SECRET_ACCESS_KEY=" + secret,
		"OPENPCA_S3_ENDPOINT=" + cl.s3.Endpoint, "OPENPCA_S3_ACCESS_KEY_ID=" + cl.s3.AccessKeyID, "OPENPCA_S3_SECRET_ACCESS_KEY=" + cl.s3.SecretAccessKey}
	for range n {
		addr := freeAddr(t)
		cl.addrs = append(cl.addrs, addr)
		cl.nodes = append(cl.nodes, start(t, bin, t.TempDir(), addr, append(env, "OPENPCA_ADDR="+addr, "OPENPCA_LOG_FORMAT=json")))
		cl.clients = append(cl.clients, acmpca.New(acmpca.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://" + addr),
			Credentials: credentials.NewStaticCredentialsProvider(accessKey, secret, ""), RetryMaxAttempts: 1}))
	}
	cl.caArn = rootWithCRL(t, cl.clients[0], cl.bucket)
	out, err := cl.clients[n-1].GetCertificateAuthorityCertificate(context.Background(), &acmpca.GetCertificateAuthorityCertificateInput{CertificateAuthorityArn: &cl.caArn})
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode([]byte(*out.Certificate))
	if cl.caCert, err = x509.ParseCertificate(block.Bytes); err != nil {
		t.Fatal(err)
	}
	return cl
}

// issue issues n certificates spread over the nodes and returns their serials.
func (cl *cluster) issue(t testing.TB, n, workers int) []string {
	serials := make([]string, n)
	csr := leafCSR(t)
	each(n, workers, func(i int) error {
		out, err := cl.clients[i%len(cl.clients)].IssueCertificate(context.Background(), &acmpca.IssueCertificateInput{CertificateAuthorityArn: &cl.caArn, Csr: csr,
			SigningAlgorithm: types.SigningAlgorithmSha256withecdsa, Validity: &types.Validity{Type: types.ValidityPeriodTypeDays, Value: aws.Int64(30)}})
		if err == nil {
			serials[i] = (*out.CertificateArn)[strings.LastIndex(*out.CertificateArn, "/")+1:]
		}
		return err
	}, t)
	return serials
}

// each runs fn for 0..n-1 on workers goroutines and fails t on the first error.
func each(n, workers int, fn func(i int) error, t testing.TB) {
	t.Helper()
	next := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := range n {
		select {
		case next <- i:
		case err := <-errs:
			close(next)
			wg.Wait()
			t.Fatal(err)
		}
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
}

// crlWatcher polls a CRL, checks every version it sees, and keeps the latest.
type crlWatcher struct {
	t        *testing.T
	url      string
	issuer   *x509.Certificate
	mu       sync.Mutex
	last     *x509.RevocationList
	distinct int
}

func (w *crlWatcher) run(stop chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := http.Get(w.url)
		if err != nil {
			continue
		}
		der, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			continue
		}
		list, err := x509.ParseRevocationList(der)
		if err != nil {
			w.t.Errorf("the published CRL does not parse: %v", err)
			continue
		}
		if err := list.CheckSignatureFrom(w.issuer); err != nil {
			w.t.Errorf("CRL %v: %v", list.Number, err)
		}
		w.mu.Lock()
		if w.last == nil || !bytes.Equal(w.last.Raw, list.Raw) {
			if w.last != nil && list.Number.Cmp(w.last.Number) <= 0 {
				w.t.Errorf("CRL Number went from %v to %v", w.last.Number, list.Number)
			}
			w.distinct++
		}
		w.last = list
		w.mu.Unlock()
	}
}

func (w *crlWatcher) latest() *x509.RevocationList {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last
}

func countListed(list *x509.RevocationList, want map[string]bool) int {
	if list == nil {
		return 0
	}
	n := 0
	for _, e := range list.RevokedCertificateEntries {
		if want[fmt.Sprintf("%x", e.SerialNumber)] {
			n++
		}
	}
	return n
}

func containsAll(list *x509.RevocationList, want map[string]bool) bool {
	return countListed(list, want) == len(want)
}
