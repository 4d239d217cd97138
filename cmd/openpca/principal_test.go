package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// openpca runs the binary in dir (so the default --data-dir is the server's)
// and returns its standard output.
func openpca(t *testing.T, bin, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), storeEnv(t)...) // the server's database
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openpca %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// awsCLIAs runs the AWS CLI with a profile of credFile and returns its
// output and error, for calls that are meant to fail.
func awsCLIAs(t *testing.T, addr, credFile, profile string, args ...string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI is not installed")
	}
	cmd := exec.Command("aws", append([]string{"--endpoint-url", "http://" + addr, "--region", "us-east-1", "--output", "json", "acm-pca"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_SHARED_CREDENTIALS_FILE="+credFile, "AWS_PROFILE="+profile,
		"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_CONFIG_FILE=/dev/null", "AWS_MAX_ATTEMPTS=1")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Acceptance (c): a principal made by `openpca principal create` next to a
// running server signs AWS CLI calls, limited to its attached policy.
func TestPrincipalCommandsWithAWSCLI(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	start(t, bin, dir, addr, []string{"OPENPCA_ADDR=" + addr})
	rootCreds := filepath.Join(dir, "openpca-data", "credentials")
	cfg := filepath.Join(dir, "cfg.json")
	os.WriteFile(cfg, []byte(`{"KeyAlgorithm":"EC_prime256v1","SigningAlgorithm":"SHA256WITHECDSA","Subject":{"CommonName":"principals"}}`), 0o600)
	var created struct{ CertificateAuthorityArn string }
	if err := json.Unmarshal(awsCLI(t, addr, rootCreds, "create-certificate-authority", "--certificate-authority-type", "ROOT",
		"--certificate-authority-configuration", "file://"+cfg), &created); err != nil {
		t.Fatal(err)
	}
	arn := created.CertificateAuthorityArn

	out := openpca(t, bin, dir, "principal", "create", "--name", "ci")
	profile := out[strings.Index(out, "[ci]"):]
	var keyID string
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "AccessKeyId: "); ok {
			keyID = v
		}
	}
	if keyID == "" || !strings.Contains(out, "arn:aws:iam::000000000000:user/ci") || !strings.Contains(profile, "aws_secret_access_key = ") {
		t.Fatalf("principal create printed:\n%s", out)
	}
	credFile := filepath.Join(dir, "ci-credentials")
	os.WriteFile(credFile, []byte(profile), 0o600)

	// The secret is not in the database in the clear.
	secret := profile[strings.Index(profile, "aws_secret_access_key = ")+len("aws_secret_access_key = "):]
	secret = strings.TrimSpace(strings.SplitN(secret, "\n", 2)[0])
	for _, f := range databaseFiles(t, dir) {
		if data, _ := os.ReadFile(f); strings.Contains(string(data), secret) {
			t.Fatalf("the secret access key is stored in plaintext in %s", f)
		}
	}

	// No policy yet: refused.
	if msg, err := awsCLIAs(t, addr, credFile, "ci", "describe-certificate-authority", "--certificate-authority-arn", arn); err == nil || !strings.Contains(msg, "AccessDeniedException") {
		t.Fatalf("describe without a policy: %v\n%s", err, msg)
	}
	policy := filepath.Join(dir, "describe.json")
	os.WriteFile(policy, []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"acm-pca:DescribeCertificateAuthority","Resource":"`+arn+`"}]}`), 0o600)
	openpca(t, bin, dir, "principal", "attach-policy", "--name", "ci", "--policy-name", "describe", "--policy-document", "file://"+policy)

	// The running server sees the policy within its cache lifetime.
	var msg string
	var err error
	deadline := time.Now().Add(15 * time.Second)
	for {
		if msg, err = awsCLIAs(t, addr, credFile, "ci", "describe-certificate-authority", "--certificate-authority-arn", arn); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("describe with the policy attached: %v\n%s", err, msg)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if !strings.Contains(msg, arn) {
		t.Fatalf("describe output: %s", msg)
	}
	msg, err = awsCLIAs(t, addr, credFile, "ci", "list-certificate-authorities")
	if err == nil || !strings.Contains(msg, "AccessDeniedException") || !strings.Contains(msg, "user/ci is not authorized to perform: acm-pca:ListCertificateAuthorities") {
		t.Fatalf("list without permission: %v\n%s", err, msg)
	}

	list := openpca(t, bin, dir, "principal", "list")
	if !strings.Contains(list, "arn:aws:iam::000000000000:user/ci") || !strings.Contains(list, keyID) || !strings.Contains(list, "describe") {
		t.Fatalf("principal list:\n%s", list)
	}
	if strings.Contains(list, secret) {
		t.Fatal("principal list shows the secret")
	}

	openpca(t, bin, dir, "principal", "delete", "--name", "ci")
	deadline = time.Now().Add(15 * time.Second)
	for {
		msg, err = awsCLIAs(t, addr, credFile, "ci", "describe-certificate-authority", "--certificate-authority-arn", arn)
		if err != nil && strings.Contains(msg, "UnrecognizedClientException") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a deleted principal still signs: %v\n%s", err, msg)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// The operator commands' refusals, run in-process.
func TestPrincipalCommandErrors(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) (string, error) {
		var out strings.Builder
		err := principalCmd(append(args, "--data-dir", dir), &out)
		return out.String(), err
	}
	if _, err := run("create", "--name", "ops"); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Perhaps","Action":"acm-pca:*","Resource":"*"}]}`), 0o600)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"duplicate", []string{"create", "--name", "ops"}, "already has a principal named ops"},
		{"bad name", []string{"create", "--name", "no spaces"}, "is not valid"},
		{"bad account", []string{"create", "--name", "x", "--account", "123"}, "12 digits"},
		{"no name", []string{"create"}, "--name is required"},
		{"invalid policy", []string{"attach-policy", "--name", "ops", "--policy-name", "p", "--policy-file", bad}, "policy p"},
		{"not JSON", []string{"attach-policy", "--name", "ops", "--policy-name", "p", "--policy-document", "nope"}, "policy p"},
		{"no document", []string{"attach-policy", "--name", "ops", "--policy-name", "p"}, "is required"},
		{"missing principal", []string{"attach-policy", "--name", "ghost", "--policy-name", "p", "--policy-document", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"acm-pca:ListTags","Resource":"*"}]}`}, "no principal named ghost"},
		{"detach missing", []string{"detach-policy", "--name", "ops", "--policy-name", "p"}, "no policy named p"},
		{"delete missing", []string{"delete", "--name", "ghost"}, "no principal named ghost"},
		{"delete missing key", []string{"delete-access-key", "--name", "ops", "--access-key-id", "OPCANOPE"}, "no access key OPCANOPE"},
		{"unknown command", []string{"promote", "--name", "ops"}, "unknown principal command"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := run(tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	out, err := run("list")
	if err != nil || !strings.Contains(out, "arn:aws:iam::000000000000:user/ops") {
		t.Fatalf("list: %v\n%s", err, out)
	}
}
