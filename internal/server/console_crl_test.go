package server

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"
)

var (
	latencyPoint   = regexp.MustCompile(`<circle class="point"`)
	revocationBar  = regexp.MustCompile(`<rect class="bar"[^>]*><title>[^<]*: (\d+) revocations?</title>`)
	crlPageSection = regexp.MustCompile(`(?s)<section class="crl-ca" data-arn="([^"]+)">.*?</section>`)
)

// crlSection is the part of the CRL page about the CA caArn.
func crlSection(t *testing.T, page, caArn string) string {
	t.Helper()
	for _, m := range crlPageSection.FindAllStringSubmatch(page, -1) {
		if m[1] == caArn {
			return m[0]
		}
	}
	t.Fatalf("the CRL page has no section for %s:\n%s", caArn, page)
	return ""
}

// The CRL page shows each CRL's last failed publication, with its reason,
// and charts the latency of each CRL that listed a new revocation and the
// revocations per hour over the last day.
func TestConsoleCRLHistory(t *testing.T) {
	e := newTestEnvWith(t, nil, func(c *Config) { c.crlScan = 100 * time.Millisecond })
	c := e.rootClient(protocols[1].opt)
	caArn, _ := bootstrapRootWithCRL(t, c, crlConfig("history-crls", ""))
	sig := types.SigningAlgorithmSha256withecdsa
	var leaves []issued
	for _, cn := range []string{"one", "two"} {
		leaves = append(leaves, issue(t, c, caArn, &acmpca.IssueCertificateInput{Csr: newCSR(t, newKey(t, types.KeyAlgorithmEcPrime256v1), sig, cn), SigningAlgorithm: sig}))
	}
	url := leaves[0].cert.CRLDistributionPoints[0]
	waitFor(t, 30*time.Second, func() bool { _, ok := fetchCRL(t, url); return ok })

	root := consoleClient(t)
	consoleSignIn(t, root, e.ts.URL, e.srv.Key.AccessKeyID, e.srv.Key.SecretAccessKey)
	section := func() string {
		_, page := getPage(t, root, e.ts.URL+"/console/crls")
		return crlSection(t, page, caArn)
	}
	charts := func(s string) (points, bars, revocations int) {
		for _, m := range revocationBar.FindAllStringSubmatch(s, -1) {
			n, _ := strconv.Atoi(m[1])
			bars, revocations = bars+1, revocations+n
		}
		return len(latencyPoint.FindAllString(s, -1)), bars, revocations
	}
	// The first CRL listed no revocation, so it has no latency to chart.
	if s := section(); !strings.Contains(s, "No CRL listed a new revocation") || !strings.Contains(s, "No revocations in the last day") {
		t.Fatalf("before any revocation:\n%s", s)
	}

	if err := revoke(c, caArn, serialOf(leaves[0].arn), types.RevocationReasonKeyCompromise); err != nil {
		t.Fatal(err)
	}
	waitRevoked(t, url, serialOf(leaves[0].arn), 30*time.Second)
	waitFor(t, 10*time.Second, func() bool { p, _, _ := charts(section()); return p == 1 })

	// A failure shows with its reason until the CRL is published again.
	e.srv.files.SetReadOnly("history-crls", true)
	if err := revoke(c, caArn, serialOf(leaves[1].arn), types.RevocationReasonSuperseded); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, func() bool { return strings.Contains(section(), `<strong class="reason">access_denied</strong>`) })
	s := section()
	if points, bars, revocations := charts(s); points != 1 || bars != chartBars || revocations != 2 {
		t.Fatalf("with the bucket locked: %d latency points, %d bars counting %d revocations; want 1, %d, 2:\n%s", points, bars, revocations, chartBars, s)
	}
	if strings.Contains(s, "published since") || !strings.Contains(s, "<svg") {
		t.Fatalf("with the bucket locked:\n%s", s)
	}

	e.srv.files.SetReadOnly("history-crls", false)
	waitRevoked(t, url, serialOf(leaves[1].arn), 30*time.Second)
	waitFor(t, 10*time.Second, func() bool { p, _, _ := charts(section()); return p == 2 })
	if s := section(); !strings.Contains(s, "access_denied") || !strings.Contains(s, "published since") {
		t.Fatalf("after the bucket was fixed:\n%s", s)
	}
}

// chartBars is the number of hours the revocation chart shows.
const chartBars = 24

// A CA's certificates can be found by any part of their subject's common
// name or alternative names, case aside.
func TestConsoleFindsCertificatesByName(t *testing.T) {
	e := newTestEnv(t)
	c := e.rootClient(protocols[1].opt)
	caArn, _ := bootstrapRoot(t, c, types.KeyAlgorithmEcPrime256v1, types.SigningAlgorithmSha256withecdsa)
	sig := types.SigningAlgorithmSha256withecdsa
	web := issue(t, c, caArn, &acmpca.IssueCertificateInput{Csr: newCSR(t, newKey(t, types.KeyAlgorithmEcPrime256v1), sig, "web", "www.Shop.example"), SigningAlgorithm: sig})
	other := issue(t, c, caArn, &acmpca.IssueCertificateInput{Csr: newCSR(t, newKey(t, types.KeyAlgorithmEcPrime256v1), sig, "mail", "mail.example"), SigningAlgorithm: sig})
	root := consoleClient(t)
	consoleSignIn(t, root, e.ts.URL, e.srv.Key.AccessKeyID, e.srv.Key.SecretAccessKey)
	list := e.ts.URL + "/console/ca/" + testAccount + "/" + caArn[strings.LastIndex(caArn, "/")+1:] + "/certificates"
	for query, want := range map[string][]issued{"shop.EXAMPLE": {web}, "mail": {other}, "example": {web, other}, "nothing": nil} {
		_, page := getPage(t, root, list+"?name="+query)
		for _, cert := range []issued{web, other} {
			listed := strings.Contains(page, `data-serial="`+serialOf(cert.arn)+`"`)
			if listed != slices.Contains(want, cert) {
				t.Fatalf("search %q: %s listed=%v", query, cert.cert.Subject.CommonName, listed)
			}
		}
	}
}
