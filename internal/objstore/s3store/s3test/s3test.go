// Package s3test gives tests a real S3-compatible server (versitygw) and the
// means to make a bucket writable or not for one user, as an operator's
// bucket policy would.
//
// Start uses the server named by the environment that
// scripts/test-services/versitygw.sh start prints:
//
//	OPENPCA_TEST_S3_ENDPOINT, OPENPCA_TEST_S3_ACCESS_KEY,
//	OPENPCA_TEST_S3_SECRET_KEY (root credentials), OPENPCA_TEST_S3_REGION
//
// Without it, Start runs that script itself when versitygw is already built
// in its cache, and skips the test otherwise. User management speaks
// versitygw's admin API, so only versitygw qualifies as that server.
package s3test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/openpca/openpca/internal/objstore/s3store"
)

const script = "scripts/test-services/versitygw.sh"

// Server is a running S3-compatible server and its root credentials. Root
// bypasses bucket policies, so denial tests act as a user made by
// CreateUser.
type Server struct {
	Endpoint        string
	Region          string
	AccessKeyID     string
	SecretAccessKey string
}

// Start returns the server to test against; see the package comment.
func Start(t testing.TB) *Server {
	t.Helper()
	if ep := os.Getenv("OPENPCA_TEST_S3_ENDPOINT"); ep != "" {
		s := &Server{
			Endpoint:        ep,
			Region:          os.Getenv("OPENPCA_TEST_S3_REGION"),
			AccessKeyID:     os.Getenv("OPENPCA_TEST_S3_ACCESS_KEY"),
			SecretAccessKey: os.Getenv("OPENPCA_TEST_S3_SECRET_KEY"),
		}
		if s.AccessKeyID == "" || s.SecretAccessKey == "" {
			t.Fatal("s3test: OPENPCA_TEST_S3_ENDPOINT is set but OPENPCA_TEST_S3_ACCESS_KEY or OPENPCA_TEST_S3_SECRET_KEY is not")
		}
		if s.Region == "" {
			s.Region = "us-east-1"
		}
		return s
	}
	return startScript(t)
}

func startScript(t testing.TB) *Server {
	t.Helper()
	path, err := findScript()
	if err != nil {
		t.Skipf("s3test: no S3 server: OPENPCA_TEST_S3_ENDPOINT is unset and %v", err)
	}
	cmd := exec.Command("bash", path, "start")
	// A test must not spend minutes compiling versitygw; CI builds it first.
	cmd.Env = append(os.Environ(), "OPENPCA_TEST_NO_BUILD=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) && ee.ExitCode() == 3 {
		t.Skipf("s3test: no S3 server: OPENPCA_TEST_S3_ENDPOINT is unset and versitygw is not built; "+
			"run `%s build` once, or `eval \"$(%s start)\"` before go test", script, script)
	}
	if err != nil {
		t.Fatalf("s3test: %s start: %v\n%s", script, err, stderr.Bytes())
	}
	env := parseExports(out)
	t.Cleanup(func() {
		stop := exec.Command("bash", path, "stop", env["OPENPCA_TEST_VERSITYGW_PID"], env["OPENPCA_TEST_VERSITYGW_DIR"])
		if out, err := stop.CombinedOutput(); err != nil {
			t.Errorf("s3test: %s stop: %v\n%s", script, err, out)
		}
	})
	s := &Server{
		Endpoint:        env["OPENPCA_TEST_S3_ENDPOINT"],
		Region:          env["OPENPCA_TEST_S3_REGION"],
		AccessKeyID:     env["OPENPCA_TEST_S3_ACCESS_KEY"],
		SecretAccessKey: env["OPENPCA_TEST_S3_SECRET_KEY"],
	}
	if s.Endpoint == "" || s.AccessKeyID == "" || s.Region == "" {
		t.Fatalf("s3test: %s start printed no environment:\n%s", script, out)
	}
	return s
}

// findScript looks for the script in the enclosing directories, so that
// tests in any package of the module find it.
func findScript() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, filepath.FromSlash(script))
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%s was not found above the test's directory", script)
		}
		dir = parent
	}
}

// parseExports reads the script's `export NAME=VALUE` lines, whose values
// are printed with bash's %q (backslash escapes only for the values it
// prints).
func parseExports(out []byte) map[string]string {
	env := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		name, value, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "=")
		if !ok {
			continue
		}
		var b strings.Builder
		for i := 0; i < len(value); i++ {
			if value[i] == '\\' && i+1 < len(value) {
				i++
			}
			b.WriteByte(value[i])
		}
		env[name] = b.String()
	}
	return env
}

// Config is the s3store configuration for the root user.
func (s *Server) Config() s3store.Config {
	return s.UserConfig(s.AccessKeyID, s.SecretAccessKey)
}

// UserConfig is the s3store configuration for a user made by CreateUser.
func (s *Server) UserConfig(accessKeyID, secret string) s3store.Config {
	return s3store.Config{
		Endpoint:        s.Endpoint,
		Region:          s.Region,
		AccessKeyID:     accessKeyID,
		SecretAccessKey: secret,
		PathStyle:       true,
	}
}

// UniqueName returns prefix followed by random hex, fit for a bucket or a
// user; tests sharing one server across packages must not collide.
func UniqueName(prefix string) string {
	var b [6]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// NewBucket creates a bucket owned by root with a unique name and returns
// the name.
func (s *Server) NewBucket(t testing.TB) string {
	t.Helper()
	name := UniqueName("openpca-test-")
	if err := s.CreateBucket(t.Context(), name); err != nil {
		t.Fatal(err)
	}
	return name
}

// CreateBucket creates a bucket owned by root.
func (s *Server) CreateBucket(ctx context.Context, bucket string) error {
	if _, err := s.client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return fmt.Errorf("s3test: create bucket %s: %w", bucket, err)
	}
	return nil
}

// CreateUser adds an ordinary user (role "user"), like `versitygw admin
// create-user -a accessKeyID -s secret -r user`. A new user may do nothing
// in root's buckets until a bucket policy allows it.
func (s *Server) CreateUser(ctx context.Context, accessKeyID, secret string) error {
	type account struct { // the gateway's auth.Account, as its admin CLI sends it
		XMLName   xml.Name `xml:"Account"`
		Access    string
		Secret    string
		Role      string
		UserID    int
		GroupID   int
		ProjectID int
	}
	body, err := xml.Marshal(account{Access: accessKeyID, Secret: secret, Role: "user"})
	if err != nil {
		return err
	}
	if err := s.admin(ctx, "/create-user", body); err != nil {
		return fmt.Errorf("s3test: create user %s: %w", accessKeyID, err)
	}
	return nil
}

// DeleteUser removes a user made by CreateUser.
func (s *Server) DeleteUser(ctx context.Context, accessKeyID string) error {
	if err := s.admin(ctx, "/delete-user?access="+url.QueryEscape(accessKeyID), nil); err != nil {
		return fmt.Errorf("s3test: delete user %s: %w", accessKeyID, err)
	}
	return nil
}

// admin sends a SigV4-signed PATCH to the gateway's admin API, which shares
// the S3 port unless the gateway runs with --admin-port.
func (s *Server) admin(ctx context.Context, path string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, strings.TrimSuffix(s.Endpoint, "/")+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	creds := aws.Credentials{AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hash, "s3", s.Region, time.Now()); err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("admin API: %s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

// SetUserWritable replaces bucket's policy with one that lets the user read
// the bucket and, when writable, also put objects with an ACL: the S3
// permissions AWS Private CA needs for a CRL bucket. Toggling it mid-test
// is how a bucket "becomes unwritable" for that user.
func (s *Server) SetUserWritable(ctx context.Context, bucket, accessKeyID string, writable bool) error {
	actions := []string{"s3:GetObject", "s3:ListBucket"}
	if writable {
		actions = append(actions, "s3:PutObject", "s3:PutObjectAcl")
	}
	policy := map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Effect":    "Allow",
			"Principal": map[string]any{"AWS": []string{accessKeyID}},
			"Action":    actions,
			"Resource":  []string{"arn:aws:s3:::" + bucket, "arn:aws:s3:::" + bucket + "/*"},
		}},
	}
	doc, err := json.Marshal(policy)
	if err != nil {
		return err
	}
	return s.SetBucketPolicy(ctx, bucket, string(doc))
}

// SetBucketPolicy sets bucket's policy document as root.
func (s *Server) SetBucketPolicy(ctx context.Context, bucket, policy string) error {
	_, err := s.client().PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(policy)})
	if err != nil {
		return fmt.Errorf("s3test: put bucket policy %s: %w", bucket, err)
	}
	return nil
}

// DeleteBucketPolicy removes bucket's policy, so users other than root lose
// all access to it.
func (s *Server) DeleteBucketPolicy(ctx context.Context, bucket string) error {
	if _, err := s.client().DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(bucket)}); err != nil {
		return fmt.Errorf("s3test: delete bucket policy %s: %w", bucket, err)
	}
	return nil
}

// client is a root S3 client for the calls s3store does not offer.
func (s *Server) client() *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint:               aws.String(s.Endpoint),
		Region:                     s.Region,
		Credentials:                credentials.NewStaticCredentialsProvider(s.AccessKeyID, s.SecretAccessKey, ""),
		UsePathStyle:               true,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}
