package server

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// cleanAWSEnv is the environment without any AWS_ setting of the machine's.
func cleanAWSEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return env
}

// TestBoto3Smoke drives the server with boto3, which speaks AWS JSON 1.1.
func TestBoto3Smoke(t *testing.T) {
	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		t.Skip("boto3 is not installed")
	}
	e := newTestEnv(t)
	cmd := exec.Command("python3", "testdata/boto3_smoke.py")
	cmd.Env = append(cleanAWSEnv(),
		"OPENPCA_ENDPOINT="+e.ts.URL,
		"AWS_ACCESS_KEY_ID="+e.srv.Key.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+e.srv.Key.SecretAccessKey,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("boto3 smoke test failed: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
