package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// awsSTS runs `aws sts ...` with the environment env and returns its output.
func awsSTS(t *testing.T, addr string, env []string, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI is not installed")
	}
	cmd := exec.Command("aws", append([]string{"--endpoint-url", "http://" + addr, "--region", "us-east-1", "--output", "json", "sts"}, args...)...)
	cmd.Env = append(append(os.Environ(), "AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN=", "AWS_CONFIG_FILE=/dev/null", "AWS_MAX_ATTEMPTS=1"), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws sts %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// Roles made with `openpca principal create-role` are assumed with the AWS
// CLI, a source_profile/role_arn profile and boto3, whose temporary
// credentials then sign ACM PCA calls.
func TestRolesWithAWSClients(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	start(t, bin, dir, addr, []string{"OPENPCA_ADDR=" + addr})
	rootCreds := filepath.Join(dir, "openpca-data", "credentials")

	var root struct{ Arn, Account, UserId string }
	if err := json.Unmarshal(awsSTS(t, addr, []string{"AWS_SHARED_CREDENTIALS_FILE=" + rootCreds, "AWS_PROFILE=openpca"}, "get-caller-identity"), &root); err != nil {
		t.Fatal(err)
	}
	if root.Arn != "arn:aws:iam::000000000000:root" || root.Account != "000000000000" {
		t.Fatalf("root identity %+v", root)
	}

	out := openpca(t, bin, dir, "principal", "create", "--name", "ci")
	credFile := filepath.Join(dir, "ci-credentials")
	os.WriteFile(credFile, []byte(out[strings.Index(out, "[ci]"):]), 0o600)
	openpca(t, bin, dir, "principal", "attach-policy", "--name", "ci", "--policy-name", "assume",
		"--policy-document", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::000000000000:role/pca-issuer"}]}`)
	trust := filepath.Join(dir, "trust.json")
	os.WriteFile(trust, []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}`), 0o600)
	created := openpca(t, bin, dir, "principal", "create-role", "--name", "pca-issuer", "--trust-policy", "file://"+trust, "--max-session-duration", "7200")
	if !strings.Contains(created, "Role: arn:aws:iam::000000000000:role/pca-issuer") || !strings.Contains(created, "RoleId: AROA") {
		t.Fatalf("create-role printed:\n%s", created)
	}
	openpca(t, bin, dir, "principal", "attach-role-policy", "--name", "pca-issuer", "--policy-name", "pca",
		"--policy-document", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"acm-pca:*","Resource":"*"}]}`)
	if list := openpca(t, bin, dir, "principal", "list"); !strings.Contains(list, "arn:aws:iam::000000000000:role/pca-issuer") || !strings.Contains(list, "7200") {
		t.Fatalf("principal list:\n%s", list)
	}

	ciEnv := []string{"AWS_SHARED_CREDENTIALS_FILE=" + credFile, "AWS_PROFILE=ci"}
	var assumed struct {
		Credentials     struct{ AccessKeyId, SecretAccessKey, SessionToken, Expiration string }
		AssumedRoleUser struct{ AssumedRoleId, Arn string }
	}
	if err := json.Unmarshal(awsSTS(t, addr, ciEnv, "assume-role", "--role-arn", "arn:aws:iam::000000000000:role/pca-issuer",
		"--role-session-name", "cli", "--duration-seconds", "7200"), &assumed); err != nil {
		t.Fatal(err)
	}
	if assumed.AssumedRoleUser.Arn != "arn:aws:sts::000000000000:assumed-role/pca-issuer/cli" || !strings.HasPrefix(assumed.Credentials.AccessKeyId, "ASIA") {
		t.Fatalf("assume-role: %+v", assumed)
	}
	// Neither the session's secret nor its token is in the database in the clear.
	for _, f := range databaseFiles(t, dir) {
		data, _ := os.ReadFile(f)
		if strings.Contains(string(data), assumed.Credentials.SecretAccessKey) || strings.Contains(string(data), assumed.Credentials.SessionToken) {
			t.Fatalf("temporary credentials are stored in plaintext in %s", f)
		}
	}
	sessionEnv := []string{"AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_ACCESS_KEY_ID=" + assumed.Credentials.AccessKeyId,
		"AWS_SECRET_ACCESS_KEY=" + assumed.Credentials.SecretAccessKey, "AWS_SESSION_TOKEN=" + assumed.Credentials.SessionToken}
	var who struct{ Arn, UserId string }
	if err := json.Unmarshal(awsSTS(t, addr, sessionEnv, "get-caller-identity"), &who); err != nil {
		t.Fatal(err)
	}
	if who.Arn != assumed.AssumedRoleUser.Arn || who.UserId != assumed.AssumedRoleUser.AssumedRoleId {
		t.Fatalf("session identity %+v", who)
	}

	// A role profile: the CLI assumes the role itself (STS at
	// AWS_ENDPOINT_URL_STS). HOME is the test's: the CLI caches assumed
	// credentials under ~/.aws/cli/cache, and another server's would be refused.
	config := filepath.Join(dir, "config")
	os.WriteFile(config, []byte("[profile issuer]\nrole_arn = arn:aws:iam::000000000000:role/pca-issuer\nsource_profile = ci\nrole_session_name = profile\n"), 0o600)
	cmd := exec.Command("aws", "--endpoint-url", "http://"+addr, "--region", "us-east-1", "--output", "json", "acm-pca", "list-certificate-authorities")
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN=", "AWS_CONFIG_FILE="+config,
		"AWS_SHARED_CREDENTIALS_FILE="+credFile, "AWS_PROFILE=issuer", "AWS_ENDPOINT_URL_STS=http://"+addr, "AWS_MAX_ATTEMPTS=1", "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("acm-pca with a role profile: %v\n%s", err, out)
	}

	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		t.Skip("boto3 is not installed")
	}
	var creds struct{ id, secret string }
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "AccessKeyId: "); ok {
			creds.id = v
		}
		if v, ok := strings.CutPrefix(line, "SecretAccessKey: "); ok {
			creds.secret = v
		}
	}
	py := exec.Command("python3", "testdata/sts_boto3.py")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	py.Env = append(env, "OPENPCA_ENDPOINT=http://"+addr, "ROLE_ARN=arn:aws:iam::000000000000:role/pca-issuer",
		"AWS_ACCESS_KEY_ID="+creds.id, "AWS_SECRET_ACCESS_KEY="+creds.secret,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_MAX_ATTEMPTS=1")
	if out, err := py.CombinedOutput(); err != nil {
		t.Fatalf("boto3: %v\n%s", err, out)
	}
}
