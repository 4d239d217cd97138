package s3test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Own is a versitygw of the test's own, which the test may freeze, stop
// and start again (on the same port and data), as an object store that
// misbehaves would.
type Own struct {
	Server
	t    testing.TB
	bin  string
	dir  string
	addr string
	cmd  *exec.Cmd
}

// StartOwn starts a private versitygw, built beforehand by the script, and
// skips the test when there is none.
func StartOwn(t testing.TB) *Own {
	t.Helper()
	path, err := findScript()
	if err != nil {
		t.Skipf("s3test: %v", err)
	}
	out, err := exec.Command("bash", path, "bin").Output()
	if err != nil {
		t.Fatalf("s3test: %s bin: %v", script, err)
	}
	bin := strings.TrimSpace(string(out))
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("OPENPCA_TEST_S3_ENDPOINT") != "" {
			t.Fatalf("s3test: versitygw is not at %s", bin)
		}
		t.Skipf("s3test: versitygw is not built; run `%s build` once", script)
	}
	dir := t.TempDir()
	for _, d := range []string{"data", "iam", "meta"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// A free port, released for versitygw to bind.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	o := &Own{t: t, bin: bin, dir: dir, addr: addr, Server: Server{
		Endpoint: "http://" + addr, Region: "us-east-1", AccessKeyID: "own-root", SecretAccessKey: "own-root-secret",
	}}
	t.Cleanup(func() { o.Stop() })
	o.Start()
	return o
}

// Start runs the server (again) and waits until it answers.
func (o *Own) Start() {
	o.t.Helper()
	cmd := exec.Command(o.bin, "--port", o.addr, "--iam-dir", filepath.Join(o.dir, "iam"), "--health", "/health", "--quiet",
		"posix", "--sidecar", filepath.Join(o.dir, "meta"), filepath.Join(o.dir, "data"))
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+o.AccessKeyID, "ROOT_SECRET_KEY="+o.SecretAccessKey)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		o.t.Fatal(err)
	}
	o.cmd = cmd
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(o.Endpoint + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
	}
	o.t.Fatalf("s3test: versitygw on %s did not start: %s", o.addr, logs.Bytes())
}

// Stop kills the server; its data stays for Start.
func (o *Own) Stop() {
	if o.cmd == nil {
		return
	}
	o.cmd.Process.Signal(syscall.SIGCONT) // a frozen process must die too
	o.cmd.Process.Kill()
	o.cmd.Wait()
	o.cmd = nil
}

// Freeze stops the process (SIGSTOP): connections are accepted by the
// kernel and never answered, as from a hung server.
func (o *Own) Freeze() { o.signal(syscall.SIGSTOP) }

// Thaw resumes a frozen server.
func (o *Own) Thaw() { o.signal(syscall.SIGCONT) }

func (o *Own) signal(sig os.Signal) {
	o.t.Helper()
	if o.cmd == nil {
		o.t.Fatal("s3test: the server is not running")
	}
	if err := o.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		o.t.Fatal(fmt.Errorf("s3test: signal %v: %w", sig, err))
	}
}

// DeleteBucket empties a bucket and deletes it, as an operator cleaning up
// the wrong bucket would.
func (s *Server) DeleteBucket(ctx context.Context, bucket string) error {
	c := s.client()
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		return fmt.Errorf("s3test: list %s: %w", bucket, err)
	}
	for _, o := range list.Contents {
		if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: o.Key}); err != nil {
			return fmt.Errorf("s3test: delete %s/%s: %w", bucket, *o.Key, err)
		}
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return fmt.Errorf("s3test: delete bucket %s: %w", bucket, err)
	}
	return nil
}
