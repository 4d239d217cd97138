package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"
)

// consoleClient is a cookie-keeping HTTP client that does not follow
// redirects, so each answer can be looked at.
func consoleClient(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func getPage(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

func postForm(t *testing.T, c *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

// consoleSignIn signs c in and returns the answer to the sign-in POST.
func consoleSignIn(t *testing.T, c *http.Client, base, id, secret string) (*http.Response, string) {
	t.Helper()
	return consoleSignInSession(t, c, base, id, secret, "")
}

// consoleSignInSession signs in with temporary credentials.
func consoleSignInSession(t *testing.T, c *http.Client, base, id, secret, token string) (*http.Response, string) {
	t.Helper()
	_, form := getPage(t, c, base+"/console/sign-in")
	m := csrfField.FindStringSubmatch(form)
	if m == nil {
		t.Fatalf("sign-in form without a CSRF token: %s", form)
	}
	return postForm(t, c, base+"/console/sign-in", url.Values{"csrf": {m[1]}, "access_key_id": {id}, "secret_access_key": {secret}, "session_token": {token}})
}

// Temporary credentials from STS sign in too, as the role's session: the
// console shows what the role may see, and a wrong token is refused.
func TestConsoleSignInWithTemporaryCredentials(t *testing.T) {
	e := newTestEnv(t)
	c := e.rootClient(protocols[0].opt)
	caArn, _ := bootstrapRoot(t, c, types.KeyAlgorithmEcPrime256v1, types.SigningAlgorithmSha256withecdsa)
	roleArn := e.role(t, "console-viewer", trustAWS("arn:aws:iam::"+testAccount+":root", ""), allowPCA)
	creds := e.assume(t, roleArn, "operator")
	if resp, _ := consoleSignInSession(t, consoleClient(t), e.ts.URL, creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken+"x"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a wrong session token: status %d", resp.StatusCode)
	}
	if resp, _ := consoleSignIn(t, consoleClient(t), e.ts.URL, creds.AccessKeyID, creds.SecretAccessKey); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("temporary credentials without their token: status %d", resp.StatusCode)
	}
	browser := consoleClient(t)
	if resp, body := consoleSignInSession(t, browser, e.ts.URL, creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in with temporary credentials: %d %s", resp.StatusCode, body)
	}
	_, page := getPage(t, browser, e.ts.URL+"/console/cas")
	if !strings.Contains(page, caArn[strings.LastIndex(caArn, "/")+1:]) {
		t.Fatalf("the role's session does not see the CA:\n%s", page)
	}
}

// Sign-in proves the secret, sets a strict session cookie, is refused
// without its form's token and is rate-limited; signing out ends the
// session on the server, so its cookie no longer works.
func TestConsoleSignIn(t *testing.T) {
	e := newTestEnv(t)
	base := e.ts.URL
	id, secret := e.srv.Key.AccessKeyID, e.srv.Key.SecretAccessKey

	t.Run("WrongSecret", func(t *testing.T) {
		resp, body := consoleSignIn(t, consoleClient(t), base, id, secret+"x")
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "not valid") {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("UnknownKey", func(t *testing.T) {
		resp, _ := consoleSignIn(t, consoleClient(t), base, "OPCANOSUCHKEY", secret)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("NoFormToken", func(t *testing.T) {
		resp, _ := postForm(t, consoleClient(t), base+"/console/sign-in", url.Values{"access_key_id": {id}, "secret_access_key": {secret}})
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("SessionAndSignOut", func(t *testing.T) {
		c := consoleClient(t)
		resp, _ := consoleSignIn(t, c, base, id, secret)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/cas" {
			t.Fatalf("sign-in: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		var session *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == "openpca_console" && ck.MaxAge > 0 {
				session = ck
			}
		}
		if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/console/" || session.MaxAge > 3600 || session.Secure {
			t.Fatalf("session cookie %+v", session)
		}
		resp, page := getPage(t, c, base+"/console/cas")
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, ":root") {
			t.Fatalf("hierarchy: %d", resp.StatusCode)
		}
		csrf := csrfField.FindStringSubmatch(page)[1]
		if resp, _ := postForm(t, c, base+"/console/sign-out", url.Values{"csrf": {"forged"}}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("sign-out with a forged token: %d", resp.StatusCode)
		}
		if resp, _ := postForm(t, c, base+"/console/sign-out", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-out: %d", resp.StatusCode)
		}
		// The old cookie, sent again, names no session.
		replay := consoleClient(t)
		u, _ := url.Parse(base + "/console/")
		replay.Jar.SetCookies(u, []*http.Cookie{{Name: "openpca_console", Value: session.Value}})
		if resp, _ := getPage(t, replay, base+"/console/cas"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/sign-in" {
			t.Fatalf("a signed-out session still works: %d", resp.StatusCode)
		}
	})
	// Last: it uses up this client address's attempts.
	t.Run("RateLimited", func(t *testing.T) {
		limited := false
		for range 10 {
			resp, _ := consoleSignIn(t, consoleClient(t), base, id, "wrong")
			if resp.StatusCode == http.StatusTooManyRequests {
				limited = true
				break
			}
		}
		if !limited {
			t.Fatal("10 quick failed sign-ins from one address were all looked at")
		}
	})
}

// A CA's page lists its audit reports, and a finished one downloads as
// the object the report wrote; a principal without
// DescribeCertificateAuthorityAuditReport gets neither.
func TestConsoleAuditReports(t *testing.T) {
	e := newTestEnv(t)
	c := e.rootClient(protocols[1].opt)
	caArn, _ := bootstrapRoot(t, c, types.KeyAlgorithmEcPrime256v1, types.SigningAlgorithmSha256withecdsa)
	reportID, records := auditRecords(t, e, c, caArn)
	caPath := e.ts.URL + "/console/ca/" + testAccount + "/" + caArn[strings.LastIndex(caArn, "/")+1:]

	root := consoleClient(t)
	consoleSignIn(t, root, e.ts.URL, e.srv.Key.AccessKeyID, e.srv.Key.SecretAccessKey)
	if _, page := getPage(t, root, caPath); !strings.Contains(page, `href="/console/ca/`+testAccount+`/`+caArn[strings.LastIndex(caArn, "/")+1:]+`/audit-report/`+reportID+`"`) {
		t.Fatalf("the CA page does not link the report %s", reportID)
	}
	resp, body := getPage(t, root, caPath+"/audit-report/"+reportID)
	var got []map[string]string
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &got) != nil || len(got) != len(records) {
		t.Fatalf("download: %d, %d records, want %d", resp.StatusCode, len(got), len(records))
	}

	creds, err := e.srv.principals.Create(context.Background(), testAccount, "describer")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.srv.principals.AttachPolicy(context.Background(), testAccount, "describer", "describe",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"acm-pca:DescribeCertificateAuthority","Resource":"*"}]}`); err != nil {
		t.Fatal(err)
	}
	describer := consoleClient(t)
	consoleSignIn(t, describer, e.ts.URL, creds.AccessKeyID, creds.SecretAccessKey)
	if resp, page := getPage(t, describer, caPath); resp.StatusCode != http.StatusOK || strings.Contains(page, reportID) {
		t.Fatalf("the describer's CA page: %d, lists the report: %v", resp.StatusCode, strings.Contains(page, reportID))
	}
	if resp, _ := getPage(t, describer, caPath+"/audit-report/"+reportID); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("the describer's download: %d", resp.StatusCode)
	}
}
