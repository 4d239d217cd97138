package main

import (
	"bytes"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/openpca/openpca/internal/store/postgres/pgtest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// buildBinary compiles openpca once per test run.
func buildBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "openpca-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "openpca")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// start runs `openpca serve args...` in dir and waits for /healthz.
func start(t testing.TB, bin, dir, addr string, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	cmd.Dir = dir
	// The test's own settings come last, so they win over the store's.
	cmd.Env = append(append(os.Environ(), storeEnv(t)...), env...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return cmd
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server did not become healthy on %s", addr)
	return nil
}

var (
	storesMu sync.Mutex
	stores   = map[testing.TB][]string{}
)

// storeEnv points a test's servers at PostgreSQL when OPENPCA_TEST_STORE is
// "postgres": one fresh schema per test, kept across restarts, and the
// master key every node sharing it needs.
func storeEnv(t testing.TB) []string {
	if os.Getenv("OPENPCA_TEST_STORE") != "postgres" {
		return nil
	}
	storesMu.Lock()
	defer storesMu.Unlock()
	if env, ok := stores[t]; ok {
		return env
	}
	key := make([]byte, 32)
	rand.Read(key)
	env := []string{"OPENPCA_DATABASE_URL=" + pgtest.URL(t), "OPENPCA_MASTER_KEY=" + base64.StdEncoding.EncodeToString(key)}
	stores[t] = env
	return env
}

// databaseFiles lists the files holding the database of the server started
// in dir: the embedded SQLite file and its WAL, or every file of the test
// PostgreSQL cluster, checkpointed so the tables hold what the WAL does.
func databaseFiles(t *testing.T, dir string) []string {
	t.Helper()
	env := storeEnv(t)
	if env == nil {
		files, _ := filepath.Glob(filepath.Join(dir, "openpca-data", "openpca.db*"))
		return files
	}
	cluster := os.Getenv("OPENPCA_TEST_POSTGRES_DIR")
	if cluster == "" {
		t.Skip("OPENPCA_TEST_POSTGRES_DIR is not set: the PostgreSQL cluster's files are not reachable")
	}
	db, err := sql.Open("pgx", strings.TrimPrefix(env[0], "OPENPCA_DATABASE_URL="))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CHECKPOINT`); err != nil {
		t.Fatal(err)
	}
	var files []string
	filepath.WalkDir(cluster, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, path)
		}
		return nil
	})
	return files
}

func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// awsCLI runs the AWS CLI against addr with the server's generated credentials.
func awsCLI(t *testing.T, addr, credFile string, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI is not installed")
	}
	cmd := exec.Command("aws", append([]string{"--endpoint-url", "http://" + addr, "--region", "us-east-1", "--output", "json", "acm-pca"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_SHARED_CREDENTIALS_FILE="+credFile, "AWS_PROFILE=openpca",
		"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_CONFIG_FILE=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// The README's quickstart: no flags, default address, generated credentials,
// the AWS CLI answers.
func TestServeDefaultsWithAWSCLI(t *testing.T) {
	if c, err := net.DialTimeout("tcp", "127.0.0.1:8420", 200*time.Millisecond); err == nil {
		c.Close()
		t.Skip("127.0.0.1:8420 is in use")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	cmd := start(t, bin, dir, "127.0.0.1:8420", nil)
	credFile := filepath.Join(dir, "openpca-data", "credentials")
	st, err := os.Stat(credFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v", st, err)
	}
	var list struct{ CertificateAuthorities []any }
	if err := json.Unmarshal(awsCLI(t, "127.0.0.1:8420", credFile, "list-certificate-authorities"), &list); err != nil {
		t.Fatal(err)
	}
	// Graceful shutdown on SIGTERM.
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no exit within 20 s of SIGTERM")
	}
}

// A CA acknowledged with 200 survives kill -9.
func TestCreateSurvivesKill9(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	env := []string{"OPENPCA_ADDR=" + addr}
	cmd := start(t, bin, dir, addr, env)
	credFile := filepath.Join(dir, "openpca-data", "credentials")
	cfg := filepath.Join(dir, "cfg.json")
	os.WriteFile(cfg, []byte(`{"KeyAlgorithm":"EC_prime256v1","SigningAlgorithm":"SHA256WITHECDSA","Subject":{"CommonName":"kill9"}}`), 0o600)
	var created struct{ CertificateAuthorityArn string }
	out := awsCLI(t, addr, credFile, "create-certificate-authority", "--certificate-authority-type", "ROOT",
		"--certificate-authority-configuration", "file://"+cfg)
	if err := json.Unmarshal(out, &created); err != nil || created.CertificateAuthorityArn == "" {
		t.Fatalf("create: %v %s", err, out)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	start(t, bin, dir, addr, env)
	var desc struct{ CertificateAuthority struct{ Arn, Status string } }
	out = awsCLI(t, addr, credFile, "describe-certificate-authority", "--certificate-authority-arn", created.CertificateAuthorityArn)
	if err := json.Unmarshal(out, &desc); err != nil || desc.CertificateAuthority.Arn != created.CertificateAuthorityArn {
		t.Fatalf("after kill -9: %v %s", err, out)
	}
}

// Root CA bootstrap with the AWS CLI alone, following AWS's documented steps.
func TestRootBootstrapWithAWSCLI(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	start(t, bin, dir, addr, []string{"OPENPCA_ADDR=" + addr})
	creds := filepath.Join(dir, "openpca-data", "credentials")
	cli := func(args ...string) []byte { return awsCLI(t, addr, creds, args...) }
	cfg := filepath.Join(dir, "cfg.json")
	os.WriteFile(cfg, []byte(`{"KeyAlgorithm":"RSA_2048","SigningAlgorithm":"SHA256WITHRSA","Subject":{"CommonName":"CLI Root","Organization":"openpca"}}`), 0o600)

	var created struct{ CertificateAuthorityArn string }
	json.Unmarshal(cli("create-certificate-authority", "--certificate-authority-type", "ROOT",
		"--certificate-authority-configuration", "file://"+cfg, "--idempotency-token", "cli-root"), &created)
	arn := created.CertificateAuthorityArn
	cli("wait", "certificate-authority-csr-created", "--certificate-authority-arn", arn)
	csr := filepath.Join(dir, "ca.csr")
	os.WriteFile(csr, cli("get-certificate-authority-csr", "--certificate-authority-arn", arn, "--output", "text"), 0o600)

	var issued struct{ CertificateArn string }
	json.Unmarshal(cli("issue-certificate", "--certificate-authority-arn", arn, "--csr", "fileb://"+csr,
		"--signing-algorithm", "SHA256WITHRSA", "--template-arn", "arn:aws:acm-pca:::template/RootCACertificate/V1",
		"--validity", "Value=10,Type=YEARS"), &issued)
	cli("wait", "certificate-issued", "--certificate-authority-arn", arn, "--certificate-arn", issued.CertificateArn)
	certFile := filepath.Join(dir, "ca.pem")
	os.WriteFile(certFile, cli("get-certificate", "--certificate-authority-arn", arn, "--certificate-arn", issued.CertificateArn,
		"--output", "text", "--query", "Certificate"), 0o600)
	cli("import-certificate-authority-certificate", "--certificate-authority-arn", arn, "--certificate", "fileb://"+certFile)

	var desc struct{ CertificateAuthority struct{ Status string } }
	json.Unmarshal(cli("describe-certificate-authority", "--certificate-authority-arn", arn), &desc)
	if desc.CertificateAuthority.Status != "ACTIVE" {
		t.Fatalf("after the documented steps the CA is %s, want ACTIVE", desc.CertificateAuthority.Status)
	}
	out, err := exec.Command("openssl", "x509", "-in", certFile, "-noout", "-subject", "-ext", "basicConstraints").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "CA:TRUE") {
		t.Fatalf("openssl reads the root: %v\n%s", err, out)
	}
}
