//go:build cgo

package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openpca/openpca/internal/keys/pkcs11key/softhsmtest"
)

// openpca serve with its key in a SoftHSM2 token given by a PKCS#11 URI
// whose PIN is in a file: a CA created with the AWS CLI gets its key there,
// and neither a good nor a wrong PIN ever reaches the logs.
func TestServePKCS11URI(t *testing.T) {
	tok := softhsmtest.New(t, "openpca-cli")
	bin := buildBinary(t)
	dir := t.TempDir()
	pinFile := filepath.Join(dir, "pin")
	os.WriteFile(pinFile, []byte(softhsmtest.PIN+"\n"), 0o600)
	uri := "pkcs11:token=" + tok.Label + "?module-path=" + tok.Module + "&pin-source=file:" + pinFile

	// A wrong PIN stops the server at once with a clear error.
	wrong := exec.Command(bin, "serve", "--addr", freeAddr(t), "--pkcs11-uri", "pkcs11:token="+tok.Label+"?module-path="+tok.Module)
	wrong.Dir = dir
	wrong.Env = append(os.Environ(), "OPENPCA_PKCS11_PIN=wrong-pin-0000")
	out, err := wrong.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "refused the PIN") || strings.Contains(string(out), "wrong-pin-0000") {
		t.Fatalf("wrong PIN: %v\n%s", err, out)
	}

	addr := freeAddr(t)
	cmd := exec.Command(bin, "serve", "--addr", addr, "--pkcs11-uri", uri)
	cmd.Dir = dir
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	}()
	waitHealthy(t, addr)
	credFile := filepath.Join(dir, "openpca-data", "credentials")
	cfg := filepath.Join(dir, "cfg.json")
	os.WriteFile(cfg, []byte(`{"KeyAlgorithm":"EC_prime256v1","SigningAlgorithm":"SHA256WITHECDSA","Subject":{"CommonName":"hsm"}}`), 0o600)
	var created struct{ CertificateAuthorityArn string }
	if err := json.Unmarshal(awsCLI(t, addr, credFile, "create-certificate-authority", "--certificate-authority-type", "ROOT",
		"--certificate-authority-configuration", "file://"+cfg), &created); err != nil {
		t.Fatal(err)
	}
	var desc struct {
		CertificateAuthority struct{ Status, KeyStorageSecurityStandard string }
	}
	for range 100 {
		json.Unmarshal(awsCLI(t, addr, credFile, "describe-certificate-authority", "--certificate-authority-arn", created.CertificateAuthorityArn), &desc)
		if desc.CertificateAuthority.Status != "CREATING" {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if d := desc.CertificateAuthority; d.Status != "PENDING_CERTIFICATE" || d.KeyStorageSecurityStandard != "FIPS_140_2_LEVEL_3_OR_HIGHER" {
		t.Fatalf("CA: %+v", d)
	}
	if out, err := tok.Tool(t, "--list-objects", "--type", "privkey"); err != nil || !strings.Contains(out, "openpca-") {
		t.Fatalf("no openpca key in the token: %v\n%s", err, out)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	if !strings.Contains(logs.String(), "PKCS#11 token") || strings.Contains(logs.String(), softhsmtest.PIN) {
		t.Fatalf("logs should name the token and never the PIN:\n%s", logs.String())
	}
}

func waitHealthy(t *testing.T, addr string) {
	t.Helper()
	for range 600 {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server did not become healthy on %s", addr)
}
