package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
)

// No operation is reachable without a valid signature, in either protocol.
func TestAuthenticationRefusals(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			e := newTestEnv(t)
			ctx := context.Background()
			wrongSecret := e.client(p.opt, e.srv.Key.AccessKeyID, "not-the-secret")
			_, err := wrongSecret.ListCertificateAuthorities(ctx, &acmpca.ListCertificateAuthoritiesInput{})
			wantAPIError(t, err, "InvalidSignatureException", "does not match")

			unknown := e.client(p.opt, "AKIDUNKNOWN000000000", "secret")
			_, err = unknown.ListCertificateAuthorities(ctx, &acmpca.ListCertificateAuthoritiesInput{})
			wantAPIError(t, err, "UnrecognizedClientException", "")
		})
	}
}

type rawResponse struct {
	status int
	header http.Header
	body   map[string]any
}

// rawJSON sends a JSON 1.1 request by hand, signed when sign is true.
func rawJSON(t *testing.T, e *testEnv, target string, body []byte, sign bool, mutate func(*http.Request)) rawResponse {
	return rawJSONAt(t, e, target, body, sign, time.Now(), mutate)
}

func rawJSONAt(t *testing.T, e *testEnv, target string, body []byte, sign bool, at time.Time, mutate func(*http.Request)) rawResponse {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	if sign {
		sum := sha256.Sum256(body)
		creds := aws.Credentials{AccessKeyID: e.srv.Key.AccessKeyID, SecretAccessKey: e.srv.Key.SecretAccessKey}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "acm-pca", "us-east-1", at); err != nil {
			t.Fatal(err)
		}
	}
	if mutate != nil {
		mutate(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := rawResponse{status: resp.StatusCode, header: resp.Header}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			t.Fatalf("response is not JSON: %q", raw)
		}
	}
	return out
}

func (r rawResponse) wantError(t *testing.T, status int, code string) {
	t.Helper()
	if r.status != status || r.body["__type"] != code || r.header.Get("X-Amzn-ErrorType") != code {
		t.Fatalf("want %d %s, got %d %v (header %q)", status, code, r.status, r.body, r.header.Get("X-Amzn-ErrorType"))
	}
	if _, ok := r.body["message"].(string); !ok {
		t.Fatalf("error without a message: %v", r.body)
	}
}

func TestRawProtocolErrors(t *testing.T) {
	e := newTestEnv(t)
	list := "ACMPrivateCA.ListCertificateAuthorities"

	r := rawJSON(t, e, list, []byte(`{}`), false, nil)
	r.wantError(t, r.status, "MissingAuthenticationTokenException")
	if r.status != http.StatusForbidden && r.status != http.StatusBadRequest {
		t.Fatalf("unsigned request answered %d", r.status)
	}

	r = rawJSON(t, e, list, []byte(`{}`), true, func(req *http.Request) {
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=garbage")
	})
	if r.body["__type"] != "IncompleteSignatureException" {
		t.Fatalf("malformed Authorization: %v", r.body)
	}

	// A body changed after signing fails the payload check.
	r = rawJSON(t, e, list, []byte(`{}`), true, func(req *http.Request) {
		req.Body = io.NopCloser(bytes.NewReader([]byte(`{"MaxResults":5}`)))
		req.ContentLength = 16
	})
	if r.body["__type"] != "InvalidSignatureException" {
		t.Fatalf("tampered body: %v", r.body)
	}

	for _, skew := range []time.Duration{-20 * time.Minute, 20 * time.Minute} {
		r = rawJSONAt(t, e, list, []byte(`{}`), true, time.Now().Add(skew), nil)
		if r.body["__type"] != "InvalidSignatureException" || !strings.Contains(r.body["message"].(string), "Signature") {
			t.Fatalf("signature %v off: %v", skew, r.body)
		}
	}

	rawJSON(t, e, "ACMPrivateCA.NoSuchOperation", []byte(`{}`), true, nil).wantError(t, http.StatusBadRequest, "UnknownOperationException")
	rawJSON(t, e, list, []byte(`{"MaxResults":`), true, nil).wantError(t, http.StatusBadRequest, "SerializationException")
	rawJSON(t, e, list, []byte(`{"MaxResults":"ten"}`), true, nil).wantError(t, http.StatusBadRequest, "SerializationException")
	rawJSON(t, e, "ACMPrivateCA.DescribeCertificateAuthority", []byte(`{}`), true, nil).wantError(t, http.StatusBadRequest, "ValidationException")

	ok := rawJSON(t, e, list, []byte(`{}`), true, nil)
	if ok.status != 200 || ok.header.Get("Content-Type") != "application/x-amz-json-1.1" || ok.header.Get("X-Amzn-RequestId") == "" {
		t.Fatalf("success response: %d %v", ok.status, ok.header)
	}

	big := bytes.Repeat([]byte(" "), 8<<20)
	r = rawJSON(t, e, list, big, true, nil)
	if r.status < 400 {
		t.Fatalf("an 8 MiB body was accepted: %d", r.status)
	}
}
