package sigv4

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"
)

// botocoreRequest is a request as signed by testdata/sign_botocore.py.
type botocoreRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// botocoreSign signs all specs in one python3 run; starting botocore is slow.
func botocoreSign(t *testing.T, specs []map[string]any) []botocoreRequest {
	t.Helper()
	in, err := json.Marshal(specs)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("python3", "testdata/sign_botocore.py")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sign_botocore.py: %v\n%s", err, stderr.String())
	}
	var signed []botocoreRequest
	if err := json.Unmarshal(out, &signed); err != nil || len(signed) != len(specs) {
		t.Fatalf("decoding %s: %v", out, err)
	}
	return signed
}

func TestBotocoreSigned(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	if err := exec.Command("python3", "-c", "import botocore").Run(); err != nil {
		t.Skip("botocore not installed")
	}
	srv := newVerifyServer(t)

	tests := []struct {
		name, path, body string
		token, secret    string
		verifier         func(*Verifier)
		wantCode         string
	}{
		{name: "json 1.1 call", path: "/", body: `{"MaxResults":10}`},
		{name: "session token", path: "/", body: `{}`, token: "session-token", wantCode: CodeUnrecognizedClient},
		{name: "session token recognised", path: "/", body: `{}`, token: "session-token", verifier: withSession("session-token")},
		{name: "escaped path and query", path: "/a%20b/c%2Fd?b=2&a=1&a=0", body: `{}`},
		{name: "empty body", path: "/", body: ""},
		{name: "wrong secret", path: "/", body: `{}`, secret: "wrong", wantCode: CodeInvalidSignature},
	}
	var specs []map[string]any
	for _, tc := range tests {
		secret := testSecret
		if tc.secret != "" {
			secret = tc.secret
		}
		specs = append(specs, map[string]any{
			"method": http.MethodPost,
			"url":    srv.URL + tc.path,
			"headers": map[string]string{
				"Content-Type": "application/x-amz-json-1.1",
				"X-Amz-Target": "ACMPrivateCA.ListCertificateAuthorities",
			},
			"body":       tc.body,
			"access_key": testAKID,
			"secret_key": secret,
			"token":      tc.token,
			"service":    "acm-pca",
			"region":     "us-east-1",
		})
	}
	signed := botocoreSign(t, specs)

	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := testVerifier()
			v.Now = nil // botocore signs with the wall clock
			if tc.verifier != nil {
				tc.verifier(v)
			}
			srv.use(v)

			s := signed[i]
			if tc.token != "" && !strings.Contains(s.Headers["Authorization"], "x-amz-security-token") {
				t.Errorf("botocore did not sign the session token: %s", s.Headers["Authorization"])
			}
			req, err := http.NewRequest(s.Method, s.URL, strings.NewReader(s.Body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range s.Headers {
				req.Header.Set(k, v)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			caller, code := srv.outcome()

			if code != tc.wantCode {
				t.Fatalf("server code = %q, want %q (Authorization: %s)", code, tc.wantCode, s.Headers["Authorization"])
			}
			if tc.wantCode == "" && (resp.StatusCode != http.StatusOK || caller != testAKID) {
				t.Errorf("status %d, caller %q; want 200, %q", resp.StatusCode, caller, testAKID)
			}
			if tc.wantCode != "" && resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d, want 400", resp.StatusCode)
			}
		})
	}
}
