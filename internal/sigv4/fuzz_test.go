package sigv4

import (
	"errors"
	"net/http"
	"reflect"
	"testing"
)

func FuzzParseAuthorization(f *testing.F) {
	f.Add(goodAuth)
	f.Add("AWS4-HMAC-SHA256 Credential=A/20260101/r/s/aws4_request,SignedHeaders=host,Signature=00")
	f.Add("AWS4-HMAC-SHA256 Credential= AKID/20260101/us-east-1/acm-pca/aws4_request")
	f.Add("Bearer token")
	f.Fuzz(func(t *testing.T, h string) {
		a, err := ParseAuthorization(h)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeIncompleteSignature {
				t.Fatalf("error %v (%T) is not an IncompleteSignature *Error", err, err)
			}
			return
		}
		b, err := ParseAuthorization(a.String())
		if err != nil {
			t.Fatalf("re-parsing %q: %v", a.String(), err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("round trip changed %+v into %+v", a, b)
		}
	})
}

func FuzzVerify(f *testing.F) {
	spec := defaultSpec()
	base := signAndReceive(f, spec)
	v := testVerifier()

	f.Add(base.Header.Get("Authorization"), spec.body)
	f.Add(base.Header.Get("Authorization"), []byte("{}"))
	f.Add(goodAuth, []byte(nil))
	f.Add("", []byte("x"))
	f.Fuzz(func(t *testing.T, h string, body []byte) {
		r := base.Clone(base.Context())
		r.Header.Set("Authorization", h)
		id, err := v.Verify(r, body)
		if err == nil {
			if id != testAKID {
				t.Fatalf("verified unknown access key %q", id)
			}
			return
		}
		var e *Error
		if !errors.As(err, &e) || e.Code == "" || e.Status != http.StatusBadRequest || id != "" {
			t.Fatalf("Verify returned %q, %#v", id, err)
		}
	})
}
