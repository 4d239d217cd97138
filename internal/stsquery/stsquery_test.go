package stsquery

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/openpca/openpca/internal/sigv4"
	"github.com/openpca/openpca/internal/sts"
)

// Every domain kind and every SigV4 refusal maps to an STS code; anything
// else is an InternalFailure with no detail.
func TestErrorTable(t *testing.T) {
	for k := sts.KindAccessDenied; k <= sts.KindExpiredIdentityToken; k++ {
		qe, ok := toQueryError(&sts.Error{Kind: k, Message: "m"})
		if !ok || qe.Code == "InternalFailure" || qe.Message != "m" {
			t.Errorf("kind %d maps to %+v", k, qe)
		}
	}
	for _, code := range []string{sigv4.CodeMissingAuthenticationToken, sigv4.CodeIncompleteSignature, sigv4.CodeInvalidSignature, sigv4.CodeUnrecognizedClient, sigv4.CodeExpiredToken} {
		qe, ok := toQueryError(&sigv4.Error{Code: code, Message: "m"})
		if !ok || strings.HasSuffix(qe.Code, "Exception") {
			t.Errorf("%s maps to %+v", code, qe)
		}
	}
	if qe, ok := toQueryError(errors.New("database on fire")); ok || qe.Code != "InternalFailure" || strings.Contains(qe.Message, "fire") || qe.Status != 500 {
		t.Errorf("internal error maps to %+v", qe)
	}
}

func TestWants(t *testing.T) {
	req := func(ct, authz string) *http.Request {
		r := httptest.NewRequest("POST", "/", nil)
		if ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		return r
	}
	const scope = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/%s/aws4_request, SignedHeaders=host;x-amz-date, Signature=ab"
	for _, tc := range []struct {
		r    *http.Request
		want bool
	}{
		{req("application/x-www-form-urlencoded; charset=utf-8", strings.Replace(scope, "%s", "sts", 1)), true},
		{req("application/x-www-form-urlencoded", ""), true}, // AssumeRoleWithWebIdentity
		{req("application/x-amz-json-1.1", strings.Replace(scope, "%s", "acm-pca", 1)), false},
		{req("application/x-www-form-urlencoded", strings.Replace(scope, "%s", "acm-pca", 1)), false},
		{req("application/cbor", ""), false},
		{httptest.NewRequest("GET", "/", nil), false},
	} {
		if got := Wants(tc.r); got != tc.want {
			t.Errorf("Wants(%s %v) = %v", tc.r.Method, tc.r.Header, got)
		}
	}
}

// Unsigned requests other than AssumeRoleWithWebIdentity are refused
// before their action is looked at.
func TestUnsigned(t *testing.T) {
	h := &Handler{Authenticate: func(*http.Request, []byte) (*sts.Principal, error) {
		return nil, &sigv4.Error{Code: sigv4.CodeMissingAuthenticationToken, Status: 400, Message: "Request is missing Authentication Token"}
	}}
	form := url.Values{"Action": {"GetCallerIdentity"}, "Version": {Version}}
	r := httptest.NewRequest("POST", "/", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 403 || !strings.Contains(w.Body.String(), "<Code>MissingAuthenticationToken</Code>") || w.Header().Get("Content-Type") != "text/xml" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	// The model's constraints come before the domain (nil here).
	form = url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "Version": {Version}, "RoleSessionName": {"s1"}}
	r = httptest.NewRequest("POST", "/", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	want := "2 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null; Value null at 'webIdentityToken' failed to satisfy constraint: Member must not be null"
	if w.Code != 400 || !strings.Contains(strings.ReplaceAll(w.Body.String(), "&#39;", "'"), want) {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}
