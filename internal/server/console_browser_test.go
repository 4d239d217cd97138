package server

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"
	"github.com/chromedp/chromedp"

	"github.com/openpca/openpca/internal/principals"
)

// browser is a headless Chromium driven through the DevTools protocol. It
// keeps a screenshot of every page it was shown, written to the test's
// artifact directory when the test fails.
type browser struct {
	t     *testing.T
	ctx   context.Context
	mu    sync.Mutex
	shots []shot
}

type shot struct {
	name string
	png  []byte
	html string
}

// newBrowser starts Chromium, or skips the test when it is not installed
// (fails instead with OPENPCA_REQUIRE_CHROMIUM=1, as CI sets it).
func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("OPENPCA_REQUIRE_CHROMIUM") == "1" {
			t.Fatal("chromium is not installed (scripts/test-services/chromium.sh install) and OPENPCA_REQUIRE_CHROMIUM=1")
		}
		t.Skip("chromium is not installed; scripts/test-services/chromium.sh install")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.WindowSize(1280, 900), chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelCtx := chromedp.NewContext(actx)
	// The first call starts the browser, which lives as long as its context.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(bctx, 90*time.Second)
	b := &browser{t: t, ctx: ctx}
	t.Cleanup(func() {
		if t.Failed() {
			b.save()
		}
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	return b
}

// run performs one step and takes a screenshot of where it ended.
func (b *browser) run(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	err := chromedp.Do(b.ctx, actions...)
	b.snap(step)
	if err != nil {
		b.t.Fatalf("%s: %v", step, err)
	}
}

func (b *browser) snap(step string) {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	png, _ := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	b.mu.Lock()
	b.shots = append(b.shots, shot{name: fmt.Sprintf("%02d-%s", len(b.shots), fileName.ReplaceAllString(step, "-")), png: png, html: html})
	b.mu.Unlock()
}

var fileName = regexp.MustCompile(`[^A-Za-z0-9]+`)

func (b *browser) save() {
	dir := b.t.ArtifactDir()
	for _, s := range b.shots {
		os.WriteFile(filepath.Join(dir, s.name+".png"), s.png, 0o644)
		os.WriteFile(filepath.Join(dir, s.name+".html"), []byte(s.html), 0o644)
	}
	b.t.Logf("screenshots of the pages visited: %s", dir)
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.snap("read " + sel)
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// exists reports whether the current page has an element matching sel.
func (b *browser) exists(sel string) bool {
	b.t.Helper()
	return b.eval(fmt.Sprintf("document.querySelector(%q) !== null", sel)) == true
}

// post sends a form from the page with fetch, as script on the page could,
// and returns the answer's status and text.
func (b *browser) post(url string, form map[string]string) (int, string) {
	b.t.Helper()
	type answer struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
	}
	var fields []string
	for k, v := range form {
		fields = append(fields, fmt.Sprintf("%q: %q", k, v))
	}
	js := fmt.Sprintf(`fetch(%q, {method: "POST", body: new URLSearchParams({%s}), redirect: "manual"}).then(async r => ({status: r.status, body: await r.text()}))`,
		url, strings.Join(fields, ", "))
	out, err := chromedp.Run(b.ctx, chromedp.Evaluate[answer](js, chromedp.EvalAwaitPromise))
	b.snap("post " + url)
	if err != nil {
		b.t.Fatalf("post %s: %v", url, err)
	}
	return out.Status, out.Body
}

// eval runs a script on the page and returns its value.
func (b *browser) eval(js string) any {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[any](js))
	if err != nil {
		b.snap("eval")
		b.t.Fatalf("%s: %v", js, err)
	}
	return v
}

func (b *browser) signIn(base, id, secret string) {
	b.t.Helper()
	b.run("sign in",
		chromedp.Navigate(base+"/console/"),
		chromedp.WaitVisible(chromedp.CSS("#access_key_id")),
		chromedp.SendKeys(chromedp.CSS("#access_key_id"), id),
		chromedp.SendKeys(chromedp.CSS("#secret_access_key"), secret),
		chromedp.Click(chromedp.CSS("#sign-in")),
		chromedp.WaitVisible(chromedp.CSS("#principal")),
	)
}

// The console in a real browser: the root signs in, finds a certificate
// beneath the hierarchy, revokes it through the confirmation step (the
// revocation event goes out as for the API) and sees the CRL list it; a
// principal that may describe one CA sees only that one and cannot revoke,
// neither by a form posted from another site nor by one without the CSRF
// token nor with it.
func TestConsoleInBrowser(t *testing.T) {
	b := newBrowser(t)
	started := time.Now()
	hook := newEventHook(t)
	e := newTestEnvWith(t, nil, func(c *Config) { c.EventsWebhook = hook.URL })
	c := e.rootClient(protocols[1].opt)
	sig := types.SigningAlgorithmSha256withecdsa
	rootArn, _ := bootstrapRootWithCRL(t, c, crlConfig("console-crls", ""))
	subArn, _ := bootstrapSubordinate(t, c, rootArn, sig, types.KeyAlgorithmEcPrime256v1, sig, "SubordinateCACertificate_PathLen0/V1")
	var leaves []issued
	for i := range 3 {
		leaves = append(leaves, issue(t, c, rootArn, &acmpca.IssueCertificateInput{
			Csr: newCSR(t, newKey(t, types.KeyAlgorithmEcPrime256v1), sig, fmt.Sprintf("leaf-%d", i), fmt.Sprintf("leaf-%d.example", i)), SigningAlgorithm: sig}))
	}
	target := leaves[1]
	serial := serialOf(target.arn)
	rootID := rootArn[strings.LastIndex(rootArn, "/")+1:]
	rootPath := "/console/ca/" + testAccount + "/" + rootID
	base := e.ts.URL

	b.signIn(base, e.srv.Key.AccessKeyID, e.srv.Key.SecretAccessKey)
	if got := b.text("#principal"); got != "arn:aws:iam::"+testAccount+":root" {
		t.Fatalf("signed in as %q", got)
	}
	// The subordinate hangs beneath its issuer.
	if !b.exists(fmt.Sprintf(`li.ca[data-arn=%q] > ul > li.ca[data-arn=%q]`, rootArn, subArn)) {
		b.snap("hierarchy")
		t.Fatal("the subordinate CA is not shown beneath its root")
	}
	b.run("open root CA", chromedp.Click(chromedp.CSS(fmt.Sprintf(`li.ca[data-arn=%q] > a.ca-link`, rootArn))), chromedp.WaitVisible(chromedp.CSS("#certificates-link")))
	if got := b.text("#key-location"); !strings.Contains(got, "software") {
		t.Fatalf("key location %q", got)
	}
	// Found by the serial as openssl prints it.
	b.run("search serial",
		chromedp.Click(chromedp.CSS("#certificates-link")),
		chromedp.WaitVisible(chromedp.CSS("#serial")),
		chromedp.SendKeys(chromedp.CSS("#serial"), strings.ToUpper(colonHex(serial))),
		chromedp.Click(chromedp.CSS("#search")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`tr.cert[data-serial=%q]`, serial))),
	)
	if rows := b.eval(`document.querySelectorAll("tr.cert").length`); rows != 1.0 {
		t.Fatalf("the search for one serial lists %d certificates", rows)
	}
	b.run("open certificate",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`tr.cert[data-serial=%q] a.cert-link`, serial))),
		chromedp.WaitVisible(chromedp.CSS("#fields")))
	if got := b.text("#fields"); !strings.Contains(got, "leaf-1.example") || !strings.Contains(got, "CN=leaf-1") {
		t.Fatalf("certificate fields lack its names: %s", got)
	}
	if got := b.text("#state"); got != "valid" {
		t.Fatalf("state %q before revocation", got)
	}
	b.run("revoke, first step",
		chromedp.SetValue(chromedp.CSS("#revoke-reason"), "KEY_COMPROMISE"),
		chromedp.Click(chromedp.CSS("#revoke")),
		chromedp.WaitVisible(chromedp.CSS("#confirm")))
	if len(hook.of("ACM Private CA Certificate Revocation")) != 0 {
		t.Fatal("revoked before the confirmation")
	}
	b.run("revoke, confirmed", chromedp.Click(chromedp.CSS("#confirm-revoke")), chromedp.WaitVisible(chromedp.CSS("#notice")))
	if state, reason := b.text("#state"), b.text("#reason"); state != "revoked" || reason != "KEY_COMPROMISE" {
		t.Fatalf("after revocation: state %q, reason %q", state, reason)
	}
	// The same domain operation as the API's: the same event.
	ev := hook.await(t, "ACM Private CA Certificate Revocation", nil)
	if !slices.Equal(resourcesOf(ev), []string{rootArn, target.arn}) {
		t.Fatalf("revocation event resources %v", resourcesOf(ev))
	}

	// The CRL page shows the publication, then nothing pending.
	crlRow := fmt.Sprintf(`section.crl-ca[data-arn=%q] tr.crl[data-partition="complete"]`, rootArn)
	points := fmt.Sprintf("'section.crl-ca[data-arn=%q] svg circle.point'", rootArn)
	bars := fmt.Sprintf("'section.crl-ca[data-arn=%q] svg rect.bar'", rootArn)
	deadline := time.Now().Add(20 * time.Second)
	for {
		b.run("CRL page", chromedp.Navigate(base+"/console/crls"), chromedp.WaitVisible(chromedp.CSS(crlRow)))
		if b.text(crlRow+" td.entries") == "1" && b.text(crlRow+" td.pending") == "none" && b.eval(`document.querySelectorAll(`+points+`).length`) == 1.0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the CRL page does not show the revocation published: %s", b.text(crlRow))
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The charts are laid out (the CSP lets their inline SVG and the
	// stylesheet through): the point and the hour's bar have a size.
	if w, _ := b.eval(`document.querySelector(` + points + `).getBoundingClientRect().width`).(float64); w < 2 {
		b.snap("crl-charts")
		t.Fatalf("the latency point is %v wide", w)
	}
	if h, _ := b.eval(`Math.max(...[...document.querySelectorAll(` + bars + `)].map(r => r.getBoundingClientRect().height))`).(float64); h < 20 {
		b.snap("crl-charts")
		t.Fatalf("the tallest revocation bar is %v high", h)
	}
	b.run("sign out", chromedp.Click(chromedp.CSS("#sign-out")), chromedp.WaitVisible(chromedp.CSS("#access_key_id")))

	// A principal that may list CAs and describe and read the root only.
	ctx := context.Background()
	viewer, err := e.srv.principals.Create(ctx, testAccount, "viewer")
	if err != nil {
		t.Fatal(err)
	}
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":"acm-pca:ListCertificateAuthorities","Resource":"*"},
 {"Effect":"Allow","Action":["acm-pca:DescribeCertificateAuthority","acm-pca:GetCertificate"],"Resource":%q}]}`, rootArn)
	if err := e.srv.principals.AttachPolicy(ctx, testAccount, "viewer", "read-root", policy); err != nil {
		t.Fatal(err)
	}
	b.signIn(base, viewer.AccessKeyID, viewer.SecretAccessKey)
	if got := b.text("#principal"); got != principals.ARN(testAccount, "viewer") {
		t.Fatalf("signed in as %q", got)
	}
	if !b.exists(fmt.Sprintf(`li.ca[data-arn=%q]`, rootArn)) || b.exists(fmt.Sprintf(`li.ca[data-arn=%q]`, subArn)) {
		t.Fatal("the viewer should see the root CA and not the subordinate")
	}
	subPath := "/console/ca/" + testAccount + "/" + subArn[strings.LastIndex(subArn, "/")+1:]
	b.run("subordinate CA page", chromedp.Navigate(base+subPath), chromedp.WaitVisible(chromedp.CSS("#error")))
	if got := b.text("h1"); got != "Not allowed" {
		t.Fatalf("the viewer's page of the subordinate says %q", got)
	}
	other := leaves[2]
	otherPath := rootPath + "/certificate/" + serialOf(other.arn)
	b.run("certificate page without RevokeCertificate", chromedp.Navigate(base+otherPath), chromedp.WaitVisible(chromedp.CSS("#fields")))
	if b.exists("#revoke-form") {
		t.Fatal("the viewer is offered a revocation it may not make")
	}
	csrf, _ := b.eval(`document.querySelector('form.signout input[name="csrf"]').value`).(string)
	revokeURL := otherPath + "/revoke"
	if status, body := b.post(revokeURL, map[string]string{"reason": "KEY_COMPROMISE", "confirm": "yes"}); status != http.StatusForbidden || !strings.Contains(body, "CSRF token") {
		t.Fatalf("a form without the CSRF token: %d %s", status, body)
	}
	status, body := b.post(revokeURL, map[string]string{"csrf": csrf, "reason": "KEY_COMPROMISE", "confirm": "yes"})
	if status != http.StatusForbidden || !strings.Contains(body, "Not allowed") || !strings.Contains(body, "acm-pca:RevokeCertificate") {
		t.Fatalf("the viewer's revocation: %d %s", status, body)
	}

	// A page of another origin that submits a form to the console, with
	// the browser's cookie and even a valid token, is refused.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><form id="f" method="post" action="%s"><input name="csrf" value="%s"><input name="reason" value="KEY_COMPROMISE"><input name="confirm" value="yes"></form><script>document.getElementById("f").submit()</script>`,
			base+revokeURL, csrf)
	}))
	defer evil.Close()
	b.run("forged cross-site form", chromedp.Navigate(evil.URL), chromedp.WaitVisible(chromedp.CSS("#error")))
	if got := b.text("#error"); !strings.Contains(got, "another site") {
		t.Fatalf("the forged form got %q", got)
	}
	got, err := c.GetCertificate(ctx, &acmpca.GetCertificateInput{CertificateAuthorityArn: &rootArn, CertificateArn: &other.arn})
	if err != nil || got.Certificate == nil {
		t.Fatal(err)
	}
	if n := len(hook.of("ACM Private CA Certificate Revocation")); n != 1 {
		t.Fatalf("%d revocation events, want 1", n)
	}
	t.Logf("console browser test took %v", time.Since(started).Round(time.Millisecond))
}
