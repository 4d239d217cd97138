package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"

	"github.com/openpca/openpca/internal/store/postgres/pgtest"
)

// readyWithin is how soon /readyz must follow the database.
const readyWithin = 5 * time.Second

// /readyz follows PostgreSQL while one `openpca serve` process keeps
// running: 503 soon after the database stops or hangs, 200 soon after it
// is back. /healthz, a liveness check, stays 200 throughout.
func TestReadyzFollowsPostgres(t *testing.T) {
	pg := pgtest.NewCluster(t)
	bin := buildBinary(t)
	addr := freeAddr(t)
	master := make([]byte, 32)
	rand.Read(master)
	const accessKey, secret = "OPCAREADYZTESTKEY001", "readyz-test-secret-key-0123456789abcdef"
	cmd := start(t, bin, t.TempDir(), addr, []string{"OPENPCA_ADDR=" + addr, "OPENPCA_DATABASE_URL=" + pg.URL,
		"OPENPCA_MASTER_KEY=" + base64.StdEncoding.EncodeToString(master),
		"OPENPCA_ACCESS_KEY_ID=" + accessKey, "OPENPCA_SECRET_ACCESS_KEY=" + secret})
	client := acmpca.New(acmpca.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://" + addr),
		Credentials: credentials.NewStaticCredentialsProvider(accessKey, secret, ""), RetryMaxAttempts: 1})

	// A prober asks for /healthz throughout, as a liveness probe would.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var unhealthy []string
	wg.Go(func() {
		for {
			if code, body := get(addr, "/healthz"); code != http.StatusOK {
				mu.Lock()
				unhealthy = append(unhealthy, body)
				mu.Unlock()
			}
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
	defer func() { close(stop); wg.Wait() }()

	waitReadyz(t, addr, http.StatusOK, "database: ok\nkeys: ok\n")
	for _, step := range []struct {
		name       string
		down, back func(testing.TB)
	}{
		{"stopped", pg.Pause, pg.Resume},
		{"hung", pg.Freeze, pg.Thaw},
	} {
		t.Run(step.name, func(t *testing.T) {
			step.down(t)
			took := waitReadyz(t, addr, http.StatusServiceUnavailable, "database: unreachable\nkeys: ok\n")
			t.Logf("503 %v after PostgreSQL %s", took.Round(time.Millisecond), step.name)
			step.back(t)
			took = waitReadyz(t, addr, http.StatusOK, "database: ok\nkeys: ok\n")
			t.Logf("200 %v after PostgreSQL came back", took.Round(time.Millisecond))
			// The API answers again too, on the same process.
			if _, err := client.ListCertificateAuthorities(context.Background(), &acmpca.ListCertificateAuthoritiesInput{}); err != nil {
				t.Fatalf("API after PostgreSQL came back: %v", err)
			}
		})
	}
	if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("the server process is gone: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(unhealthy) > 0 {
		t.Fatalf("/healthz failed %d times, first: %s", len(unhealthy), unhealthy[0])
	}
}

// waitReadyz polls /readyz until it answers code with body, and returns how
// long that took; it fails the test after readyWithin.
func waitReadyz(t *testing.T, addr string, code int, body string) time.Duration {
	t.Helper()
	begin := time.Now()
	var gotCode int
	var gotBody string
	for time.Since(begin) < readyWithin {
		if gotCode, gotBody = get(addr, "/readyz"); gotCode == code && gotBody == body {
			return time.Since(begin)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("/readyz after %v: %d %q, want %d %q", readyWithin, gotCode, gotBody, code, body)
	return 0
}

// get returns the status and body of GET path; the status is 0 when the
// request fails, with the error as the body.
func get(addr, path string) (int, string) {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get("http://" + addr + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
