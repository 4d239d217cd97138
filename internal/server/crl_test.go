package server

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/openpca/openpca/internal/objstore"
)

var oidIDP = asn1.ObjectIdentifier{2, 5, 29, 28}

func crlConfig(bucket string, typ types.CrlType) *types.RevocationConfiguration {
	return &types.RevocationConfiguration{CrlConfiguration: &types.CrlConfiguration{
		Enabled: aws.Bool(true), ExpirationInDays: aws.Int32(7), S3BucketName: aws.String(bucket), CrlType: typ}}
}

// bootstrapRootWithCRL is bootstrapRoot for a CA that publishes CRLs.
func bootstrapRootWithCRL(t testing.TB, c *acmpca.Client, rc *types.RevocationConfiguration) (string, issued) {
	t.Helper()
	sig := types.SigningAlgorithmSha256withecdsa
	arn := create(t, c, &acmpca.CreateCertificateAuthorityInput{RevocationConfiguration: rc})
	root := issue(t, c, arn, &acmpca.IssueCertificateInput{Csr: csrOf(t, c, arn), SigningAlgorithm: sig,
		TemplateArn: aws.String(templatePrefix + "RootCACertificate/V1"), Validity: &types.Validity{Type: types.ValidityPeriodTypeYears, Value: aws.Int64(10)}})
	if _, err := c.ImportCertificateAuthorityCertificate(context.Background(), &acmpca.ImportCertificateAuthorityCertificateInput{CertificateAuthorityArn: &arn, Certificate: []byte(root.pem)}); err != nil {
		t.Fatal(err)
	}
	return arn, root
}

// fetchCRL downloads the CRL at url, as a relying party would.
func fetchCRL(t testing.TB, url string) (*x509.RevocationList, bool) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, false
	}
	der, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, der)
	}
	list, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatalf("CRL at %s does not parse: %v", url, err)
	}
	return list, true
}

// waitRevoked polls the CRL at url until serial is listed, returning the CRL
// and how long it took.
func waitRevoked(t testing.TB, url, serial string, limit time.Duration) (*x509.RevocationList, time.Duration) {
	t.Helper()
	start := time.Now()
	for time.Since(start) < limit {
		if list, ok := fetchCRL(t, url); ok {
			for _, e := range list.RevokedCertificateEntries {
				if fmt.Sprintf("%x", e.SerialNumber) == serial {
					return list, time.Since(start)
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("serial %s not in the CRL at %s after %v", serial, url, limit)
	return nil, 0
}

func TestCRLPublication(t *testing.T) {
	for _, typ := range []types.CrlType{types.CrlTypeComplete, types.CrlTypePartitioned} {
		t.Run(string(typ), func(t *testing.T) {
			e := newTestEnv(t)
			e.srv.domain.PartitionSize = 2
			c := e.rootClient(protocols[0].opt)
			ctx := context.Background()
			rootArn, root := bootstrapRootWithCRL(t, c, crlConfig("crl-bucket", typ))
			id := rootArn[strings.LastIndex(rootArn, "/")+1:]
			if _, err := e.srv.objects.Get(ctx, "crl-bucket", objstore.PermissionTestKey); err != nil {
				t.Fatalf("the permission test object was not written: %v", err)
			}
			sig := types.SigningAlgorithmSha256withecdsa
			csr := newCSR(t, newKey(t, types.KeyAlgorithmEcPrime256v1), sig, "leaf.example.test")
			leaf := issue(t, c, rootArn, &acmpca.IssueCertificateInput{Csr: csr, SigningAlgorithm: sig})
			if len(leaf.cert.CRLDistributionPoints) != 1 {
				t.Fatalf("CDP %v, want one URL", leaf.cert.CRLDistributionPoints)
			}
			url := leaf.cert.CRLDistributionPoints[0]
			wantPrefix := e.srv.cfg.PublicURL + "/crl-bucket/crl/" + id
			partitionURL := regexp.MustCompile("^" + regexp.QuoteMeta(wantPrefix) + `/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.crl$`)
			if typ == types.CrlTypeComplete && url != wantPrefix+".crl" || typ == types.CrlTypePartitioned && !partitionURL.MatchString(url) {
				t.Fatalf("CDP %s, want it under %s", url, wantPrefix)
			}

			before := time.Now()
			serial := serialOf(leaf.arn)
			if err := revoke(c, rootArn, colonHex(serial), types.RevocationReasonKeyCompromise); err != nil {
				t.Fatal(err)
			}
			list, took := waitRevoked(t, url, serial, 30*time.Second)
			t.Logf("revocation visible in the CRL after %v", took)
			if err := list.CheckSignatureFrom(root.cert); err != nil {
				t.Fatalf("CRL signature: %v", err)
			}
			if !bytes.Equal(list.RawIssuer, root.cert.RawSubject) || !bytes.Equal(list.AuthorityKeyId, root.cert.SubjectKeyId) {
				t.Fatal("CRL issuer or AKI do not name the CA")
			}
			if got := list.NextUpdate.Sub(list.ThisUpdate); got != 7*24*time.Hour {
				t.Fatalf("nextUpdate - thisUpdate = %v, want 7 days", got)
			}
			entry := list.RevokedCertificateEntries[0]
			if entry.ReasonCode != 1 || entry.RevocationTime.Before(before.Add(-time.Second)) || entry.RevocationTime.After(time.Now()) {
				t.Fatalf("entry: reason %d at %v", entry.ReasonCode, entry.RevocationTime)
			}
			var idp *bool
			for _, ext := range list.Extensions {
				if ext.Id.Equal(oidIDP) {
					idp = &ext.Critical
					if !bytes.Contains(ext.Value, []byte(url)) {
						t.Fatalf("IDP does not name %s", url)
					}
				}
			}
			if typ == types.CrlTypeComplete && idp != nil || typ == types.CrlTypePartitioned && (idp == nil || !*idp) {
				t.Fatalf("IDP critical=%v for a %s CRL", idp, typ)
			}

			// A second revocation gets a strictly larger CRL Number.
			second := issue(t, c, rootArn, &acmpca.IssueCertificateInput{Csr: csr, SigningAlgorithm: sig})
			revoke(c, rootArn, serialOf(second.arn), types.RevocationReasonAACompromise)
			next, _ := waitRevoked(t, url, serialOf(second.arn), 30*time.Second)
			if next.Number.Cmp(list.Number) <= 0 {
				t.Fatalf("CRL Number went from %v to %v", list.Number, next.Number)
			}
			// Two certificates fill a partition: the third gets a new one.
			third := issue(t, c, rootArn, &acmpca.IssueCertificateInput{Csr: csr, SigningAlgorithm: sig}).cert.CRLDistributionPoints
			if typ == types.CrlTypePartitioned && (len(third) != 1 || third[0] == url || !partitionURL.MatchString(third[0])) {
				t.Fatalf("CDP %v after a full partition at %s", third, url)
			}
			opensslCRLCheck(t, root.pem, leaf.pem)
			if n := testutil.ToFloat64(e.srv.crls.Generated(id)); n < 2 {
				t.Fatalf("openpca_crl_generated_total = %v, want at least 2", n)
			}
		})
	}
}

// opensslCRLCheck asks openssl to verify leaf, downloading the CRL named in
// its CDP, and expects it to be reported revoked.
func opensslCRLCheck(t *testing.T, root, leaf string) {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "root.pem"), []byte(root+"\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "leaf.pem"), []byte(leaf+"\n"), 0o600)
	out, err := exec.Command("openssl", "verify", "-crl_check", "-crl_download", "-CAfile", filepath.Join(dir, "root.pem"), filepath.Join(dir, "leaf.pem")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "certificate revoked") {
		t.Fatalf("openssl verify -crl_check -crl_download: %v\n%s", err, out)
	}
}

// Each RevocationReason is published with its RFC 5280 CRLReason code.
func TestCRLReasonCodes(t *testing.T) {
	e := newTestEnv(t)
	c := e.rootClient(protocols[0].opt)
	caArn, _ := bootstrapRootWithCRL(t, c, crlConfig("crl-bucket", ""))
	codes := map[types.RevocationReason]int{
		types.RevocationReasonUnspecified:                    0,
		types.RevocationReasonKeyCompromise:                  1,
		types.RevocationReasonCertificateAuthorityCompromise: 2,
		types.RevocationReasonAffiliationChanged:             3,
		types.RevocationReasonSuperseded:                     4,
		types.RevocationReasonCessationOfOperation:           5,
		types.RevocationReasonPrivilegeWithdrawn:             9,
		types.RevocationReasonAACompromise:                   10,
	}
	if len(codes) != len(types.RevocationReason("").Values()) {
		t.Fatal("a RevocationReason is missing from the table")
	}
	sig := types.SigningAlgorithmSha256withecdsa
	csr := newCSR(t, newKey(t, types.KeyAlgorithmEcPrime256v1), sig, "reasons")
	want, url := map[string]int{}, ""
	for reason, code := range codes {
		leaf := issue(t, c, caArn, &acmpca.IssueCertificateInput{Csr: csr, SigningAlgorithm: sig})
		if err := revoke(c, caArn, serialOf(leaf.arn), reason); err != nil {
			t.Fatalf("revoke with %s: %v", reason, err)
		}
		want[serialOf(leaf.arn)], url = code, leaf.cert.CRLDistributionPoints[0]
	}
	var list *x509.RevocationList
	waitFor(t, 30*time.Second, func() bool {
		list, _ = fetchCRL(t, url)
		return list != nil && len(list.RevokedCertificateEntries) == len(want)
	})
	for _, entry := range list.RevokedCertificateEntries {
		if serial := fmt.Sprintf("%x", entry.SerialNumber); entry.ReasonCode != want[serial] {
			t.Errorf("serial %s: reasonCode %d, want %d", serial, entry.ReasonCode, want[serial])
		}
	}
}

func TestCRLBucketChecks(t *testing.T) {
	hook := newEventHook(t)
	e := newTestEnvWith(t, nil, func(c *Config) { c.crlScan = 100 * time.Millisecond; c.EventsWebhook = hook.URL })
	c := e.rootClient(protocols[1].opt)
	ctx := context.Background()
	e.srv.files.SetReadOnly("locked-bucket", true)
	_, err := c.CreateCertificateAuthority(ctx, &acmpca.CreateCertificateAuthorityInput{CertificateAuthorityType: types.CertificateAuthorityTypeRoot,
		CertificateAuthorityConfiguration: ecConfig("x"), RevocationConfiguration: crlConfig("locked-bucket", "")})
	wantAPIError(t, err, "ValidationException", "Permission error with your S3 bucket 'locked-bucket'. Check that your bucket policy, encryption settings, S3 Block Public Access settings, and global account permissions are configured correctly. For more information, check the service documentation.")
	if out, _ := c.ListCertificateAuthorities(ctx, &acmpca.ListCertificateAuthoritiesInput{}); len(out.CertificateAuthorities) != 0 {
		t.Fatal("a refused create saved a CA")
	}

	// Before any issuance the bucket holds the permission test object only,
	// however many times the publisher has looked for due CRLs meanwhile.
	rootArn, root := bootstrapRootWithCRL(t, c, crlConfig("crl-bucket", ""))
	id := rootArn[strings.LastIndex(rootArn, "/")+1:]
	time.Sleep(time.Second)
	if _, err := e.srv.objects.Get(ctx, "crl-bucket", "crl/"+id+".crl"); err == nil {
		t.Fatal("a CRL was published before any certificate referred to it")
	}

	// Update refuses an unwritable bucket and keeps the old configuration.
	_, err = c.UpdateCertificateAuthority(ctx, &acmpca.UpdateCertificateAuthorityInput{CertificateAuthorityArn: &rootArn, RevocationConfiguration: crlConfig("locked-bucket", "")})
	wantAPIError(t, err, "ValidationException", "Permission error with your S3 bucket 'locked-bucket'")
	if b := *describe(t, c, rootArn).RevocationConfiguration.CrlConfiguration.S3BucketName; b != "crl-bucket" {
		t.Fatalf("bucket changed to %s", b)
	}

	// The bucket becomes unwritable mid-run: revocations are still accepted,
	// the failure is counted and announced, and the CRL appears once the
	// bucket is fixed.
	sig := types.SigningAlgorithmSha256withecdsa
	leaf := issue(t, c, rootArn, &acmpca.IssueCertificateInput{Csr: newCSR(t, newKey(t, types.KeyAlgorithmEcPrime256v1), sig, "leaf"), SigningAlgorithm: sig})
	url := leaf.cert.CRLDistributionPoints[0]
	waitFor(t, 30*time.Second, func() bool { _, ok := fetchCRL(t, url); return ok })
	success := map[string]any{"result": "success"}
	if ev := hook.await(t, "ACM Private CA CRL Generation", success); !slices.Equal(resourcesOf(ev), []string{rootArn}) {
		t.Fatalf("CRL generation event: %v", ev)
	}
	e.srv.files.SetReadOnly("crl-bucket", true)
	if err := revoke(c, rootArn, serialOf(leaf.arn), types.RevocationReasonKeyCompromise); err != nil {
		t.Fatalf("revocation with an unwritable bucket: %v", err)
	}
	waitFor(t, 30*time.Second, func() bool { return testutil.ToFloat64(e.srv.crls.Misconfigured(id)) >= 1 })
	failure := hook.await(t, "ACM Private CA CRL Generation", map[string]any{"result": "failure", "reason": "Failed to write CRL to S3. Check your S3 bucket permissions."})
	if !slices.Equal(resourcesOf(failure), []string{rootArn}) {
		t.Fatalf("CRL generation failure event: %v", failure)
	}
	e.srv.files.SetReadOnly("crl-bucket", false)
	_, took := waitRevoked(t, url, serialOf(leaf.arn), 30*time.Second)
	t.Logf("published %v after the bucket was fixed", took)
	waitFor(t, 30*time.Second, func() bool {
		evs := hook.of("ACM Private CA CRL Generation")
		return reflect.DeepEqual(evs[len(evs)-1]["detail"], success)
	})
	opensslCRLCheck(t, root.pem, leaf.pem)
}

func waitFor(t testing.TB, limit time.Duration, cond func() bool) {
	t.Helper()
	for start := time.Now(); time.Since(start) < limit; time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("condition not met within %v", limit)
}

// CRLs are rebuilt by the midpoint of their validity, and a revoked
// certificate appears in exactly one CRL after it expires.
func TestCRLRegenerationAndExpiry(t *testing.T) {
	e := newTestEnvWith(t, nil, func(c *Config) { c.crlScan = 100 * time.Millisecond })
	c := e.rootClient(protocols[0].opt)
	rc := crlConfig("crl-bucket", "")
	rc.CrlConfiguration.ExpirationInDays = aws.Int32(2)
	rootArn, _ := bootstrapRootWithCRL(t, c, rc)
	sig := types.SigningAlgorithmSha256withecdsa
	short := issue(t, c, rootArn, &acmpca.IssueCertificateInput{Csr: newCSR(t, newKey(t, types.KeyAlgorithmEcPrime256v1), sig, "short"), SigningAlgorithm: sig,
		Validity: &types.Validity{Type: types.ValidityPeriodTypeDays, Value: aws.Int64(1)}})
	url := short.cert.CRLDistributionPoints[0]
	revoke(c, rootArn, serialOf(short.arn), types.RevocationReasonSuperseded)
	first, _ := waitRevoked(t, url, serialOf(short.arn), 30*time.Second)

	// Past the certificate's expiry and the CRL's midpoint: a new CRL, still listing it.
	e.clock.Advance(25 * time.Hour)
	var second *x509.RevocationList
	waitFor(t, 30*time.Second, func() bool {
		second, _ = fetchCRL(t, url)
		return second.Number.Cmp(first.Number) > 0
	})
	if len(second.RevokedCertificateEntries) != 1 {
		t.Fatal("the first CRL after expiry must still list the certificate")
	}
	// The next CRL drops it; audit reports keep it.
	e.clock.Advance(25 * time.Hour)
	waitFor(t, 30*time.Second, func() bool {
		third, _ := fetchCRL(t, url)
		return third.Number.Cmp(second.Number) > 0 && len(third.RevokedCertificateEntries) == 0
	})
	_, records := auditRecords(t, e, c, rootArn)
	if r := records[serialOf(short.arn)]; r["revocationReason"] != "SUPERSEDED" || r["revokedAt"] == "" {
		t.Fatalf("audit record of the expired revoked certificate: %v", r)
	}
}

// The CDP of issued certificates follows the CA's configuration at issuance:
// custom name, custom path, omitted, or absent when CRLs are off; earlier
// certificates keep their URLs. So does the AIA's OCSP URL: none while OCSP
// is off, http://<OcspCustomCname> with a custom name.
func TestCDPForms(t *testing.T) {
	e := newTestEnv(t)
	c := e.rootClient(protocols[1].opt)
	ctx := context.Background()
	sig := types.SigningAlgorithmSha256withecdsa
	caArn, _ := bootstrapRootWithCRL(t, c, crlConfig("crl-bucket", ""))
	id := caArn[strings.LastIndex(caArn, "/")+1:]
	csr := newCSR(t, newKey(t, types.KeyAlgorithmEcPrime256v1), sig, "cdp")
	leafCDP := func() []string {
		return issue(t, c, caArn, &acmpca.IssueCertificateInput{Csr: csr, SigningAlgorithm: sig}).cert.CRLDistributionPoints
	}
	firstCert := issue(t, c, caArn, &acmpca.IssueCertificateInput{Csr: csr, SigningAlgorithm: sig}).cert
	first := firstCert.CRLDistributionPoints
	update := func(crl *types.CrlConfiguration) {
		t.Helper()
		if _, err := c.UpdateCertificateAuthority(ctx, &acmpca.UpdateCertificateAuthorityInput{CertificateAuthorityArn: &caArn,
			RevocationConfiguration: &types.RevocationConfiguration{CrlConfiguration: crl}}); err != nil {
			t.Fatal(err)
		}
	}
	base := &types.CrlConfiguration{Enabled: aws.Bool(true), ExpirationInDays: aws.Int32(7), S3BucketName: aws.String("crl-bucket")}

	withCname := *base
	withCname.CustomCname = aws.String("crl.example.test")
	update(&withCname)
	if got := leafCDP(); len(got) != 1 || got[0] != "http://crl.example.test/crl/"+id+".crl" {
		t.Fatalf("CustomCname CDP %v", got)
	}
	withPath := *base
	withPath.CustomPath = aws.String("pki/crls")
	update(&withPath)
	if got := leafCDP(); len(got) != 1 || got[0] != e.srv.cfg.PublicURL+"/crl-bucket/pki/crls/"+id+".crl" {
		t.Fatalf("CustomPath CDP %v", got)
	}
	// The CRL is published under the custom path once a certificate refers to it.
	waitFor(t, 30*time.Second, func() bool {
		_, err := e.srv.objects.Get(ctx, "crl-bucket", "pki/crls/"+id+".crl")
		return err == nil
	})
	omitted := *base
	omitted.CrlDistributionPointExtensionConfiguration = &types.CrlDistributionPointExtensionConfiguration{OmitExtension: aws.Bool(true)}
	update(&omitted)
	if got := leafCDP(); len(got) != 0 {
		t.Fatalf("OmitExtension still wrote %v", got)
	}
	update(&types.CrlConfiguration{Enabled: aws.Bool(false)})
	if got := leafCDP(); len(got) != 0 {
		t.Fatalf("CRLs disabled but CDP %v", got)
	}
	if len(first) != 1 || first[0] != e.srv.cfg.PublicURL+"/crl-bucket/crl/"+id+".crl" {
		t.Fatalf("the first certificate's CDP %v", first)
	}

	if len(firstCert.OCSPServer) != 0 {
		t.Fatalf("OCSP disabled but AIA OCSP %v", firstCert.OCSPServer)
	}
	if _, err := c.UpdateCertificateAuthority(ctx, &acmpca.UpdateCertificateAuthorityInput{CertificateAuthorityArn: &caArn, RevocationConfiguration: &types.RevocationConfiguration{
		OcspConfiguration: &types.OcspConfiguration{Enabled: aws.Bool(true), OcspCustomCname: aws.String("ocsp.example.test")}}}); err != nil {
		t.Fatal(err)
	}
	if got := issue(t, c, caArn, &acmpca.IssueCertificateInput{Csr: csr, SigningAlgorithm: sig}).cert.OCSPServer; len(got) != 1 || got[0] != "http://ocsp.example.test" {
		t.Fatalf("OcspCustomCname AIA OCSP %v", got)
	}
}

// A revocation schedules its own CRL: with the periodic scan out of the
// way, the CRL still follows within the debounce.
func TestCRLFollowsRevocationWithoutScan(t *testing.T) {
	e := newTestEnvWith(t, nil, func(c *Config) { c.crlScan = time.Hour })
	c := e.rootClient(protocols[0].opt)
	caArn, caID, serials := crlCA(t, e, "crl-bucket", 1)
	w := watchCRL(t, httpCRL(e.srv.cfg.PublicURL+"/crl-bucket/crl/"+caID+".crl"))
	if err := revoke(c, caArn, serials[0], types.RevocationReasonKeyCompromise); err != nil {
		t.Fatal(err)
	}
	took := w.waitListed(3*time.Second, serials...)
	t.Logf("in the CRL %v after the revocation", took)
}

// CRL Numbers grow even when the clock steps back: a CRL built after the
// step is numbered above the one before it.
func TestCRLNumberGrowsWhenClockStepsBack(t *testing.T) {
	e := newTestEnv(t)
	c := e.rootClient(protocols[0].opt)
	caArn, caID, serials := crlCA(t, e, "crl-bucket", 2)
	url := e.srv.cfg.PublicURL + "/crl-bucket/crl/" + caID + ".crl"
	if err := revoke(c, caArn, serials[0], types.RevocationReasonKeyCompromise); err != nil {
		t.Fatal(err)
	}
	first, _ := waitRevoked(t, url, serials[0], 10*time.Second)
	e.clock.Advance(-2 * time.Hour)
	if err := revoke(c, caArn, serials[1], types.RevocationReasonKeyCompromise); err != nil {
		t.Fatal(err)
	}
	second, _ := waitRevoked(t, url, serials[1], 10*time.Second)
	if second.Number.Cmp(first.Number) <= 0 {
		t.Fatalf("CRL Number went from %v to %v after the clock stepped back", first.Number, second.Number)
	}
}
