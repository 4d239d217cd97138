package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openpca/openpca/internal/objstore/s3store/s3test"
)

// cliRoot bootstraps a root CA with the AWS CLI alone, following AWS's
// documented steps, and returns its ARN and certificate file.
func cliRoot(t *testing.T, cli func(...string) []byte, dir, revocation string) (string, string) {
	cfg := filepath.Join(dir, "cfg.json")
	os.WriteFile(cfg, []byte(`{"KeyAlgorithm":"EC_prime256v1","SigningAlgorithm":"SHA256WITHECDSA","Subject":{"CommonName":"CLI Root","Organization":"openpca"}}`), 0o600)
	args := []string{"create-certificate-authority", "--certificate-authority-type", "ROOT", "--certificate-authority-configuration", "file://" + cfg}
	if revocation != "" {
		rev := filepath.Join(dir, "revocation.json")
		os.WriteFile(rev, []byte(revocation), 0o600)
		args = append(args, "--revocation-configuration", "file://"+rev)
	}
	var created struct{ CertificateAuthorityArn string }
	json.Unmarshal(cli(args...), &created)
	arn := created.CertificateAuthorityArn
	cli("wait", "certificate-authority-csr-created", "--certificate-authority-arn", arn)
	csr := filepath.Join(dir, "ca.csr")
	os.WriteFile(csr, cli("get-certificate-authority-csr", "--certificate-authority-arn", arn, "--output", "text"), 0o600)
	certFile := filepath.Join(dir, "ca.pem")
	os.WriteFile(certFile, cliIssue(t, cli, arn, csr, "RootCACertificate/V1", "Value=10,Type=YEARS"), 0o600)
	cli("import-certificate-authority-certificate", "--certificate-authority-arn", arn, "--certificate", "fileb://"+certFile)
	return arn, certFile
}

// cliIssue issues a certificate with the AWS CLI and returns its PEM.
func cliIssue(t *testing.T, cli func(...string) []byte, caArn, csrFile, template, validity string) []byte {
	var issued struct{ CertificateArn string }
	json.Unmarshal(cli("issue-certificate", "--certificate-authority-arn", caArn, "--csr", "fileb://"+csrFile,
		"--signing-algorithm", "SHA256WITHECDSA", "--template-arn", "arn:aws:acm-pca:::template/"+template, "--validity", validity), &issued)
	cli("wait", "certificate-issued", "--certificate-authority-arn", caArn, "--certificate-arn", issued.CertificateArn)
	return cli("get-certificate", "--certificate-authority-arn", caArn, "--certificate-arn", issued.CertificateArn, "--output", "text", "--query", "Certificate")
}

func run(t *testing.T, name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

// TestRevokedWithCLIAndOpenSSL: with the AWS CLI and openssl alone, a revoked
// leaf is reported revoked through the CRL its CDP names within 5 s, for both
// CRL types and both object stores.
func TestRevokedWithCLIAndOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed")
	}
	bin := buildBinary(t)
	for _, store := range []string{"embedded", "s3"} {
		for _, typ := range []string{"COMPLETE", "PARTITIONED"} {
			t.Run(store+"/"+typ, func(t *testing.T) {
				dir := t.TempDir()
				addr := freeAddr(t)
				env := []string{"OPENPCA_ADDR=" + addr}
				bucket := "crl-bucket"
				if store == "s3" {
					s3 := s3test.Start(t)
					bucket = s3.NewBucket(t)
					// Relying parties read CRLs anonymously, as from a bucket with PUBLIC_READ.
					policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::%s/*"]}]}`, bucket)
					if err := s3.SetBucketPolicy(context.Background(), bucket, policy); err != nil {
						t.Fatal(err)
					}
					env = append(env, "OPENPCA_S3_ENDPOINT="+s3.Endpoint, "OPENPCA_S3_ACCESS_KEY_ID="+s3.AccessKeyID, "OPENPCA_S3_SECRET_ACCESS_KEY="+s3.SecretAccessKey)
				}
				start(t, bin, dir, addr, env)
				creds := filepath.Join(dir, "openpca-data", "credentials")
				cli := func(args ...string) []byte { return awsCLI(t, addr, creds, args...) }
				caArn, caFile := cliRoot(t, cli, dir, fmt.Sprintf(`{"CrlConfiguration":{"Enabled":true,"ExpirationInDays":7,"S3BucketName":%q,"CrlType":%q}}`, bucket, typ))

				key, csr, leafFile := filepath.Join(dir, "leaf.key"), filepath.Join(dir, "leaf.csr"), filepath.Join(dir, "leaf.pem")
				if out, err := run(t, "openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
					"-keyout", key, "-out", csr, "-subj", "/CN=leaf.example.test"); err != nil {
					t.Fatalf("openssl req: %v\n%s", err, out)
				}
				os.WriteFile(leafFile, cliIssue(t, cli, caArn, csr, "EndEntityCertificate/V1", "Value=30,Type=DAYS"), 0o600)
				serial, _ := run(t, "openssl", "x509", "-in", leafFile, "-noout", "-serial")
				serial = strings.TrimSpace(strings.TrimPrefix(serial, "serial="))
				cdp, _ := run(t, "openssl", "x509", "-in", leafFile, "-noout", "-ext", "crlDistributionPoints")
				if !strings.Contains(cdp, "URI:http://") {
					t.Fatalf("no CDP URL in the leaf:\n%s", cdp)
				}

				verify := func() (string, error) {
					return run(t, "openssl", "verify", "-crl_check", "-crl_download", "-CAfile", caFile, leafFile)
				}
				// The CRL is published once a certificate refers to it.
				deadline := time.Now().Add(5 * time.Second)
				for out, err := verify(); err != nil; out, err = verify() {
					if time.Now().After(deadline) {
						t.Fatalf("before revocation openssl verify fails: %v\n%s", err, out)
					}
					time.Sleep(100 * time.Millisecond)
				}
				if out := cli("revoke-certificate", "--certificate-authority-arn", caArn, "--certificate-serial", serial, "--revocation-reason", "KEY_COMPROMISE"); len(strings.TrimSpace(string(out))) != 0 {
					t.Fatalf("revoke-certificate printed %q", out)
				}
				revokedAt := time.Now()
				for {
					out, err := verify()
					if err != nil && strings.Contains(out, "certificate revoked") {
						t.Logf("openssl reports the certificate revoked %v after the 200", time.Since(revokedAt).Round(time.Millisecond))
						return
					}
					if time.Since(revokedAt) > 5*time.Second {
						t.Fatalf("5 s after revocation openssl still says:\n%s", out)
					}
					time.Sleep(100 * time.Millisecond)
				}
			})
		}
	}
}
