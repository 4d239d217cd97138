package server

import (
	"context"
	"crypto/x509"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/openpca/openpca/internal/objstore/s3store"
	"github.com/openpca/openpca/internal/objstore/s3store/s3test"
)

// On a real S3-compatible server: the bucket policy stops allowing openpca's
// writes mid-run; revocations are still accepted, MisconfiguredCRLBucket is
// counted, and the CRL is published within seconds of the policy being fixed.
func TestS3BucketUnwritableMidRun(t *testing.T) {
	s3 := s3test.Start(t)
	ctx := context.Background()
	bucket := s3.NewBucket(t)
	user, secret := s3test.UniqueName("openpca"), "openpca-secret-key"
	if err := s3.CreateUser(ctx, user, secret); err != nil {
		t.Fatal(err)
	}
	if err := s3.SetUserWritable(ctx, bucket, user, true); err != nil {
		t.Fatal(err)
	}
	userCfg := s3.UserConfig(user, secret)
	e := newTestEnvWith(t, nil, func(c *Config) {
		c.S3 = &userCfg
		c.CRLRetryMax = time.Second
	})
	c := e.rootClient(protocols[0].opt)
	rootArn, _ := bootstrapRootWithCRL(t, c, crlConfig(bucket, ""))
	id := rootArn[strings.LastIndex(rootArn, "/")+1:]
	reader, err := s3store.New(ctx, s3.Config())
	if err != nil {
		t.Fatal(err)
	}
	listed := func(serial string) bool {
		der, err := reader.Get(ctx, bucket, "crl/"+id+".crl")
		if err != nil {
			return false
		}
		list, err := x509.ParseRevocationList(der)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range list.RevokedCertificateEntries {
			if fmt.Sprintf("%x", e.SerialNumber) == serial {
				return true
			}
		}
		return false
	}

	sig := types.SigningAlgorithmSha256withecdsa
	csr := newCSR(t, newKey(t, types.KeyAlgorithmEcPrime256v1), sig, "leaf")
	first := issue(t, c, rootArn, &acmpca.IssueCertificateInput{Csr: csr, SigningAlgorithm: sig})
	revoke(c, rootArn, serialOf(first.arn), types.RevocationReasonSuperseded)
	waitFor(t, 30*time.Second, func() bool { return listed(serialOf(first.arn)) })

	if err := s3.SetUserWritable(ctx, bucket, user, false); err != nil {
		t.Fatal(err)
	}
	second := issue(t, c, rootArn, &acmpca.IssueCertificateInput{Csr: csr, SigningAlgorithm: sig})
	if err := revoke(c, rootArn, serialOf(second.arn), types.RevocationReasonKeyCompromise); err != nil {
		t.Fatalf("revocation with an unwritable bucket: %v", err)
	}
	waitFor(t, 30*time.Second, func() bool { return testutil.ToFloat64(e.srv.crls.Misconfigured(id)) >= 1 })
	if listed(serialOf(second.arn)) {
		t.Fatal("a CRL was written although the bucket refused writes")
	}
	if err := s3.SetUserWritable(ctx, bucket, user, true); err != nil {
		t.Fatal(err)
	}
	fixed := time.Now()
	waitFor(t, 30*time.Second, func() bool { return listed(serialOf(second.arn)) })
	t.Logf("CRL published %v after the bucket policy was fixed", time.Since(fixed).Round(time.Millisecond))
}
