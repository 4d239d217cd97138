package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"
)

// sdkClient reads the credentials the server generated, as a user would.
func sdkClient(t *testing.T, addr, credFile string) *acmpca.Client {
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"),
		config.WithSharedCredentialsFiles([]string{credFile}), config.WithSharedConfigProfile("openpca"))
	if err != nil {
		t.Fatal(err)
	}
	return acmpca.NewFromConfig(cfg, func(o *acmpca.Options) {
		o.BaseEndpoint = aws.String("http://" + addr)
		o.RetryMaxAttempts = 1
	})
}

// rootWithCRL creates an ACTIVE root CA that publishes a COMPLETE CRL to bucket.
func rootWithCRL(t testing.TB, c *acmpca.Client, bucket string) string {
	ctx := context.Background()
	out, err := c.CreateCertificateAuthority(ctx, &acmpca.CreateCertificateAuthorityInput{
		CertificateAuthorityType: types.CertificateAuthorityTypeRoot,
		CertificateAuthorityConfiguration: &types.CertificateAuthorityConfiguration{KeyAlgorithm: types.KeyAlgorithmEcPrime256v1,
			SigningAlgorithm: types.SigningAlgorithmSha256withecdsa, Subject: &types.ASN1Subject{CommonName: aws.String("kill -9 root")}},
		RevocationConfiguration: &types.RevocationConfiguration{CrlConfiguration: &types.CrlConfiguration{
			Enabled: aws.Bool(true), ExpirationInDays: aws.Int32(7), S3BucketName: aws.String(bucket)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := out.CertificateAuthorityArn
	var csr *string
	for range 500 {
		got, err := c.GetCertificateAuthorityCsr(ctx, &acmpca.GetCertificateAuthorityCsrInput{CertificateAuthorityArn: arn})
		if err == nil {
			csr = got.Csr
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cert := issueAndGet(t, c, *arn, []byte(*csr), "arn:aws:acm-pca:::template/RootCACertificate/V1")
	if _, err := c.ImportCertificateAuthorityCertificate(ctx, &acmpca.ImportCertificateAuthorityCertificateInput{CertificateAuthorityArn: arn, Certificate: []byte(cert)}); err != nil {
		t.Fatal(err)
	}
	return *arn
}

func issueAndGet(t testing.TB, c *acmpca.Client, caArn string, csr []byte, template string) string {
	ctx := context.Background()
	out, err := c.IssueCertificate(ctx, &acmpca.IssueCertificateInput{CertificateAuthorityArn: &caArn, Csr: csr,
		SigningAlgorithm: types.SigningAlgorithmSha256withecdsa, TemplateArn: aws.String(template),
		Validity: &types.Validity{Type: types.ValidityPeriodTypeYears, Value: aws.Int64(1)}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetCertificate(ctx, &acmpca.GetCertificateInput{CertificateAuthorityArn: &caArn, CertificateArn: out.CertificateArn})
	if err != nil {
		t.Fatal(err)
	}
	return *got.Certificate
}

func leafCSR(t testing.TB) []byte {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "leaf"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

// Every revocation answered 200 before kill -9 is in the CRL after restart.
func TestRevocationsSurviveKill9(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	env := []string{"OPENPCA_ADDR=" + addr}
	cmd := start(t, bin, dir, addr, env)
	c := sdkClient(t, addr, filepath.Join(dir, "openpca-data", "credentials"))
	caArn := rootWithCRL(t, c, "crl-bucket")

	const n = 300
	serials := make([]string, n)
	csr := leafCSR(t)
	for i := range serials {
		out, err := c.IssueCertificate(context.Background(), &acmpca.IssueCertificateInput{CertificateAuthorityArn: &caArn, Csr: csr,
			SigningAlgorithm: types.SigningAlgorithmSha256withecdsa, Validity: &types.Validity{Type: types.ValidityPeriodTypeDays, Value: aws.Int64(30)}})
		if err != nil {
			t.Fatal(err)
		}
		serials[i] = (*out.CertificateArn)[strings.LastIndex(*out.CertificateArn, "/")+1:]
	}

	// 16 clients revoke as fast as they can; the server is killed mid-stream.
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	next := make(chan string)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range next {
				_, err := c.RevokeCertificate(context.Background(), &acmpca.RevokeCertificateInput{CertificateAuthorityArn: &caArn,
					CertificateSerial: aws.String(s), RevocationReason: types.RevocationReasonKeyCompromise})
				if err == nil {
					mu.Lock()
					acked = append(acked, s)
					mu.Unlock()
				}
			}
		}()
	}
	go func() {
		for {
			mu.Lock()
			k := len(acked)
			mu.Unlock()
			if k >= n/3 {
				cmd.Process.Signal(syscall.SIGKILL)
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	for _, s := range serials {
		next <- s
	}
	close(next)
	wg.Wait()
	cmd.Wait()
	if len(acked) == n {
		t.Fatal("the server was not killed mid-stream")
	}
	t.Logf("%d of %d revocations acknowledged before kill -9", len(acked), n)

	start(t, bin, dir, addr, env)
	id := caArn[strings.LastIndex(caArn, "/")+1:]
	url := fmt.Sprintf("http://%s/crl-bucket/crl/%s.crl", addr, id)
	deadline := time.Now().Add(15 * time.Second)
	for {
		listed := map[string]bool{}
		if resp, err := http.Get(url); err == nil {
			der, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if list, err := x509.ParseRevocationList(der); err == nil {
				for _, e := range list.RevokedCertificateEntries {
					listed[fmt.Sprintf("%x", e.SerialNumber)] = true
				}
			}
		}
		missing := 0
		for _, s := range acked {
			if !listed[s] {
				missing++
			}
		}
		if missing == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d acknowledged revocations are missing from the CRL after restart", missing)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
