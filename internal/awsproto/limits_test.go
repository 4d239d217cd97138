package awsproto_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/openpca/openpca/internal/acmpca/api"
	"github.com/openpca/openpca/internal/awsproto"
)

// A body over its operation's budget is refused before it is decoded, in
// either protocol, with a SerializationException; one within it is served.
func TestInputBudgets(t *testing.T) {
	srv := server(t, &testService{}, &bytes.Buffer{}, func(s *awsproto.Service) { s.Limits = api.InputLimits })
	describe := func(extra string) string {
		return `{"CertificateAuthorityArn":"` + caArn + `"` + extra + `}`
	}
	values := "," + `"Junk":[` + strings.Repeat("0,", 300) + "0]"
	deep := "," + `"Junk":` + strings.Repeat("[", 10) + strings.Repeat("]", 10)
	cborList := make(cbor.List, 300)
	for i := range cborList {
		cborList[i] = cbor.Uint(0)
	}
	cborDescribe := func(junk cbor.Value) *bytes.Reader {
		return bytes.NewReader(cbor.Encode(cbor.Map{"CertificateAuthorityArn": cbor.String(caArn), "Junk": junk}))
	}
	deepCBOR := cbor.Value(cbor.List{})
	for range 10 {
		deepCBOR = cbor.List{deepCBOR}
	}
	for _, tc := range []struct {
		name    string
		r       rawResponse
		message string
	}{
		{"json values", post(t, srv.URL, "POST", jsonHeaders("DescribeCertificateAuthority"), strings.NewReader(describe(values))), "more than 259 values"},
		{"json depth", post(t, srv.URL, "POST", jsonHeaders("DescribeCertificateAuthority"), strings.NewReader(describe(deep))), "deeper than 4 levels"},
		{"cbor values", post(t, srv.URL+cborPath("DescribeCertificateAuthority"), "POST", cborHeaders, cborDescribe(cborList)), "more than 259 values"},
		{"cbor depth", post(t, srv.URL+cborPath("DescribeCertificateAuthority"), "POST", cborHeaders, cborDescribe(deepCBOR)), "deeper than 4 levels"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			typ := "SerializationException"
			if strings.HasPrefix(tc.name, "cbor") {
				typ = "com.amazon.coral.service#SerializationException"
			}
			wantError(t, tc.r, http.StatusBadRequest, typ, tc.message)
		})
	}
	if r := post(t, srv.URL, "POST", jsonHeaders("DescribeCertificateAuthority"), strings.NewReader(describe(""))); r.status != http.StatusOK {
		t.Fatalf("within budget: %d %v", r.status, r.body)
	}
	// The model bounds each operation's body: Describe takes an ARN, not megabytes.
	big := describe(`,"Junk":"` + strings.Repeat("a", 20<<10) + `"`)
	r := post(t, srv.URL, "POST", jsonHeaders("DescribeCertificateAuthority"), strings.NewReader(big))
	wantError(t, r, http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException", "exceeds 18432 bytes")
}

// Authorize sees the operation and the body's top-level text members, and
// its refusal stops the request before decoding; Admit sees the body's size
// before the body is read, and its refusal is sent in the request's protocol.
func TestAdmitAndAuthorize(t *testing.T) {
	var sawOp, sawArn string
	var sawSize int64
	refuse := awsproto.NewError(awsproto.CodeAccessDenied, "User: x is not authorized")
	srv := server(t, &testService{}, &bytes.Buffer{}, func(s *awsproto.Service) {
		s.Limits = api.InputLimits
		s.Authorize = func(_ context.Context, op string, member func(string) (string, bool)) error {
			sawOp, sawArn = op, ""
			if arn, ok := member("CertificateAuthorityArn"); ok {
				sawArn = arn
			}
			if sawArn == missingArn {
				return refuse
			}
			return nil
		}
		s.Admit = func(r *http.Request, op string, size int64) (func(), error) {
			sawSize = size
			if r.Header.Get("X-Test-Shed") != "" {
				return nil, awsproto.NewError(awsproto.CodeThrottling, "Rate exceeded")
			}
			return func() {}, nil
		}
	})
	// An over-budget body from a caller Authorize refuses is refused for who sent it.
	hostile := `{"Junk":[` + strings.Repeat("0,", 1000) + `0],"CertificateAuthorityArn":"` + missingArn + `"}`
	r := post(t, srv.URL, "POST", jsonHeaders("DescribeCertificateAuthority"), strings.NewReader(hostile))
	wantError(t, r, http.StatusBadRequest, "AccessDeniedException", "not authorized")
	if sawOp != "DescribeCertificateAuthority" || sawSize != int64(len(hostile)) {
		t.Errorf("Authorize saw %q, Admit saw %d bytes", sawOp, sawSize)
	}
	body := cbor.Encode(cbor.Map{"CertificateAuthorityArn": cbor.String(caArn)})
	if r := post(t, srv.URL+cborPath("DescribeCertificateAuthority"), "POST", cborHeaders, bytes.NewReader(body)); r.status != http.StatusOK || sawArn != caArn {
		t.Fatalf("allowed: %d %v; Authorize saw ARN %q", r.status, r.body, sawArn)
	}
	h := map[string]string{"X-Test-Shed": "1"}
	for k, v := range cborHeaders {
		h[k] = v
	}
	r = post(t, srv.URL+cborPath("DescribeCertificateAuthority"), "POST", h, bytes.NewReader(body))
	wantError(t, r, http.StatusBadRequest, "com.amazon.coral.availability#ThrottlingException", "Rate exceeded")
}
