package awsproto_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/openpca/openpca/internal/awsproto"
)

type rawResponse struct {
	status int
	header http.Header
	body   map[string]any // decoded JSON or CBOR
}

// post sends body with the given headers and decodes the answer in the
// protocol the response declares.
func post(t *testing.T, url, method string, header map[string]string, body io.Reader) rawResponse {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if resp.Header.Get("Content-Type") == "application/cbor" {
		m, err = awsproto.DecodeCBOR(b)
	} else {
		m, err = awsproto.DecodeJSON(b)
	}
	if err != nil {
		t.Fatalf("response body %q: %v", b, err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(resp.Header.Get("X-Amzn-RequestId")) {
		t.Errorf("x-amzn-RequestId = %q", resp.Header.Get("X-Amzn-RequestId"))
	}
	return rawResponse{resp.StatusCode, resp.Header, m}
}

func jsonHeaders(op string) map[string]string {
	return map[string]string{"X-Amz-Target": "ACMPrivateCA." + op, "Content-Type": "application/x-amz-json-1.1"}
}

var cborHeaders = map[string]string{"Smithy-Protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"}

func cborPath(op string) string { return "/service/ACMPrivateCA/operation/" + op }

// wantError checks an error response in either protocol.
func wantError(t *testing.T, r rawResponse, status int, typ, messagePart string) {
	t.Helper()
	if r.status != status || r.body["__type"] != typ {
		t.Errorf("got %d %v, want %d %s", r.status, r.body["__type"], status, typ)
	}
	if msg, _ := r.body["message"].(string); !strings.Contains(msg, messagePart) {
		t.Errorf("message %q does not contain %q", msg, messagePart)
	}
	if r.header.Get("Content-Type") == "application/x-amz-json-1.1" && r.header.Get("X-Amzn-ErrorType") != typ {
		t.Errorf("X-Amzn-ErrorType = %q, want %q", r.header.Get("X-Amzn-ErrorType"), typ)
	}
	if r.header.Get("Content-Type") == "application/cbor" && r.header.Get("Smithy-Protocol") != "rpc-v2-cbor" {
		t.Errorf("CBOR response without Smithy-Protocol header")
	}
}

func TestRawErrors(t *testing.T) {
	srv := server(t, &testService{}, &bytes.Buffer{}, func(s *awsproto.Service) { s.MaxBodyBytes = 1024 })
	big := `{"CertificateAuthorityArn":"` + strings.Repeat("a", 2048) + `"}`
	cborBody := func(m cbor.Map) io.Reader { return bytes.NewReader(cbor.Encode(m)) }

	tests := []struct {
		name    string
		method  string
		path    string
		header  map[string]string
		body    io.Reader
		status  int
		typ     string
		message string
	}{
		{"json unknown operation", "POST", "/", jsonHeaders("Nope"), strings.NewReader("{}"),
			400, "UnknownOperationException", "Nope"},
		{"json wrong target prefix", "POST", "/", map[string]string{"X-Amz-Target": "KMS.ListKeys"}, strings.NewReader("{}"),
			400, "UnknownOperationException", "KMS.ListKeys"},
		{"json missing target", "POST", "/", nil, strings.NewReader("{}"),
			400, "UnknownOperationException", "X-Amz-Target"},
		{"cbor unknown operation", "POST", cborPath("Nope"), cborHeaders, nil,
			400, "com.amazon.coral.service#UnknownOperationException", "Nope"},
		{"cbor wrong service", "POST", "/service/KMS/operation/ListKeys", cborHeaders, nil,
			400, "com.amazon.coral.service#UnknownOperationException", "/service/KMS"},
		{"json malformed", "POST", "/", jsonHeaders("ListTags"), strings.NewReader(`{"CertificateAuthorityArn":`),
			400, "SerializationException", "not valid JSON"},
		{"json not an object", "POST", "/", jsonHeaders("ListTags"), strings.NewReader(`["a"]`),
			400, "SerializationException", "Expected structure at the top level, got list"},
		{"json trailing data", "POST", "/", jsonHeaders("ListTags"), strings.NewReader(`{} {}`),
			400, "SerializationException", "after the JSON value"},
		{"json wrong member kind", "POST", "/", jsonHeaders("ListTags"), strings.NewReader(`{"CertificateAuthorityArn":5}`),
			400, "SerializationException", "Expected string at 'certificateAuthorityArn', got number"},
		{"json bad base64", "POST", "/", jsonHeaders("ImportCertificateAuthorityCertificate"),
			strings.NewReader(`{"CertificateAuthorityArn":"` + caArn + `","Certificate":"!!"}`),
			400, "SerializationException", "'certificate' is not valid base64"},
		{"cbor malformed", "POST", cborPath("ListTags"), cborHeaders, strings.NewReader("\xbf\x61"),
			400, "com.amazon.coral.service#SerializationException", "not valid CBOR"},
		{"cbor not a map", "POST", cborPath("ListTags"), cborHeaders, bytes.NewReader(cbor.Encode(cbor.String("x"))),
			400, "com.amazon.coral.service#SerializationException", "got string"},
		{"cbor wrong member kind", "POST", cborPath("ListTags"), cborHeaders, cborBody(cbor.Map{"CertificateAuthorityArn": cbor.Uint(5)}),
			400, "com.amazon.coral.service#SerializationException", "Expected string at 'certificateAuthorityArn', got number"},
		{"json validation", "POST", "/", jsonHeaders("ListTags"), strings.NewReader(`{}`),
			400, "ValidationException", "Value null at 'certificateAuthorityArn' failed to satisfy constraint: Member must not be null"},
		{"cbor validation", "POST", cborPath("ListTags"), cborHeaders, nil, // empty body: empty input
			400, "com.amazon.coral.validate#ValidationException", "Value null at 'certificateAuthorityArn'"},
		{"cbor modelled error", "POST", cborPath("DescribeCertificateAuthority"), cborHeaders,
			cborBody(cbor.Map{"CertificateAuthorityArn": cbor.String(missingArn)}),
			400, "com.amazonaws.acmpca#ResourceNotFoundException", "Could not find"},
		{"json modelled error", "POST", "/", jsonHeaders("DescribeCertificateAuthority"),
			strings.NewReader(`{"CertificateAuthorityArn":"` + missingArn + `"}`),
			400, "ResourceNotFoundException", "Could not find"},
		{"json oversize body", "POST", "/", jsonHeaders("DescribeCertificateAuthority"), strings.NewReader(big),
			413, "RequestEntityTooLargeException", "exceeds 1024 bytes"},
		{"cbor oversize body, no content length", "POST", cborPath("DescribeCertificateAuthority"), cborHeaders,
			io.MultiReader(strings.NewReader(big)), // hides the length, so the body is sent chunked
			413, "RequestEntityTooLargeException", "exceeds 1024 bytes"},
		{"json GET", "GET", "/", nil, nil,
			405, "UnknownOperationException", "use POST"},
		{"cbor GET", "GET", cborPath("ListTags"), cborHeaders, nil,
			405, "com.amazon.coral.service#UnknownOperationException", "use POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post(t, srv.URL+tt.path, tt.method, tt.header, tt.body)
			wantError(t, r, tt.status, tt.typ, tt.message)
			if tt.status == 405 && r.header.Get("Allow") != "POST" {
				t.Errorf("Allow = %q", r.header.Get("Allow"))
			}
		})
	}
}

func TestRawSuccess(t *testing.T) {
	srv := server(t, &testService{}, &bytes.Buffer{}, nil)

	r := post(t, srv.URL+"/", "POST", jsonHeaders("ListTags"), strings.NewReader(`{"CertificateAuthorityArn":"`+caArn+`"}`))
	if r.status != 200 || r.header.Get("Content-Type") != "application/x-amz-json-1.1" {
		t.Fatalf("json: %d %s", r.status, r.header.Get("Content-Type"))
	}
	if r.body["NextToken"] != "page-2" {
		t.Errorf("json body %v", r.body)
	}

	// An operation without output answers an empty structure in CBOR, and
	// an empty body in JSON, as AWS does.
	r = post(t, srv.URL+cborPath("ImportCertificateAuthorityCertificate"), "POST", cborHeaders,
		bytes.NewReader(cbor.Encode(cbor.Map{"CertificateAuthorityArn": cbor.String(caArn), "Certificate": cbor.Slice{1}})))
	if r.status != 200 || len(r.body) != 0 || r.header.Get("Smithy-Protocol") != "rpc-v2-cbor" {
		t.Errorf("cbor: %d %v %v", r.status, r.body, r.header)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/", strings.NewReader(`{"CertificateAuthorityArn":"`+caArn+`","Certificate":"AQ=="}`))
	for k, v := range jsonHeaders("ImportCertificateAuthorityCertificate") {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(b) != 0 || resp.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		t.Errorf("json without output: %d %q %v", resp.StatusCode, b, resp.Header)
	}

	// Timestamps are epoch seconds with milliseconds in JSON.
	req, _ = http.NewRequest("POST", srv.URL+"/", strings.NewReader(`{"CertificateAuthorityArn":"`+caArn+`"}`))
	for k, v := range jsonHeaders("DescribeCertificateAuthority") {
		req.Header.Set(k, v)
	}
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		CertificateAuthority struct{ CreatedAt json.RawMessage }
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if string(out.CertificateAuthority.CreatedAt) != "1700000000.123" {
		t.Errorf("CreatedAt = %s, want 1700000000.123", out.CertificateAuthority.CreatedAt)
	}
}
