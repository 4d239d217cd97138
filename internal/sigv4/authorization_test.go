package sigv4

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

const goodAuth = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/acm-pca/aws4_request, " +
	"SignedHeaders=content-type;host;x-amz-date;x-amz-target, " +
	"Signature=4f0b6d0c1b5e0a4b6f7d2b0f8e9c3a1d5e6f708192a3b4c5d6e7f8091a2b3c4d"

func TestParseAuthorization(t *testing.T) {
	want := Authorization{
		AccessKeyID:   "AKID",
		Date:          "20260101",
		Region:        "us-east-1",
		Service:       "acm-pca",
		SignedHeaders: []string{"content-type", "host", "x-amz-date", "x-amz-target"},
		Signature:     "4f0b6d0c1b5e0a4b6f7d2b0f8e9c3a1d5e6f708192a3b4c5d6e7f8091a2b3c4d",
	}
	good := []struct{ name, header string }{
		{"sdk format", goodAuth},
		{"no spaces after commas", strings.ReplaceAll(goodAuth, ", ", ",")},
		{"extra blanks", "  " + strings.ReplaceAll(goodAuth, ", ", " ,\t ") + " "},
		{"reordered", "AWS4-HMAC-SHA256 Signature=" + want.Signature +
			", SignedHeaders=content-type;host;x-amz-date;x-amz-target" +
			", Credential=AKID/20260101/us-east-1/acm-pca/aws4_request"},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAuthorization(tc.header)
			if err != nil {
				t.Fatalf("ParseAuthorization: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %+v, want %+v", got, want)
			}
			if got.String() != goodAuth {
				t.Errorf("String() = %q, want %q", got.String(), goodAuth)
			}
		})
	}

	bad := []struct{ name, header, wantMsg string }{
		{"empty", "", "Unsupported AWS 'algorithm'"},
		{"other scheme", "Bearer abc", "Unsupported AWS 'algorithm': 'Bearer'"},
		{"sigv4a", strings.Replace(goodAuth, "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", 1), "Unsupported"},
		{"lowercase algorithm", strings.ToLower(goodAuth[:16]) + goodAuth[16:], "Unsupported"},
		{"algorithm only", "AWS4-HMAC-SHA256", "requires 'Credential' parameter"},
		{"missing credential", cut(goodAuth, "Credential="), "requires 'Credential' parameter"},
		{"missing signed headers", cut(goodAuth, "SignedHeaders="), "requires 'SignedHeaders' parameter"},
		{"missing signature", cut(goodAuth, "Signature="), "requires 'Signature' parameter"},
		{"empty credential", strings.Replace(goodAuth, "AKID/20260101/us-east-1/acm-pca/aws4_request", "", 1), "requires 'Credential' parameter"},
		{"empty signature", goodAuth[:strings.Index(goodAuth, "Signature=")+len("Signature=")], "requires 'Signature' parameter"},
		{"missing equal sign", strings.Replace(goodAuth, "Signature=", "Signature", 1), "not a valid key=value pair"},
		{"space inside credential", strings.Replace(goodAuth, "Credential=", "Credential= ", 1), "not a valid key=value pair"},
		{"unknown parameter", goodAuth + ", Foo=bar", "'Foo' is not a valid Authorization parameter"},
		{"duplicate parameter", goodAuth + ", Signature=00", "more than one 'Signature'"},
		{"four scope elements", strings.Replace(goodAuth, "/acm-pca/", "/", 1), "exactly 5 slash-delimited elements"},
		{"six scope elements", strings.Replace(goodAuth, "/acm-pca/", "/acm-pca/x/", 1), "exactly 5 slash-delimited elements"},
		{"empty access key", strings.Replace(goodAuth, "=AKID/", "=/", 1), "empty element"},
		{"empty region", strings.Replace(goodAuth, "/us-east-1/", "//", 1), "empty element"},
		{"bad terminator", strings.Replace(goodAuth, "aws4_request", "aws4_requesT", 1), "valid terminator"},
		{"dashed date", strings.Replace(goodAuth, "20260101", "2026-01-01", 1), "YYYYMMDD"},
		{"impossible date", strings.Replace(goodAuth, "20260101", "20261301", 1), "YYYYMMDD"},
		{"empty header name", strings.Replace(goodAuth, "host;", "host;;", 1), "empty header name"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseAuthorization(tc.header)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if e.Code != CodeIncompleteSignature || e.Status != http.StatusBadRequest {
				t.Errorf("got %s/%d, want %s/400", e.Code, e.Status, CodeIncompleteSignature)
			}
			if !strings.Contains(e.Message, tc.wantMsg) {
				t.Errorf("message %q does not contain %q", e.Message, tc.wantMsg)
			}
		})
	}
}

// cut removes the comma-separated parameter starting with prefix.
func cut(h, prefix string) string {
	i := strings.Index(h, prefix)
	j := strings.Index(h[i:], ",")
	if j < 0 {
		return strings.TrimSuffix(h[:i], ", ")
	}
	return h[:i] + strings.TrimPrefix(h[i+j+1:], " ")
}
