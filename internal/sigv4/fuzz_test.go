package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"reflect"
	"strings"
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

// FuzzVerifyHeaders varies the headers Verify reads on a validly signed
// request: Authorization, X-Amz-Date, X-Amz-Content-Sha256, a signed header
// and X-Amz-Security-Token, each a list of values separated by "\n" (so a
// header may be repeated), "" leaving the header out. Verify never panics,
// refuses with a 400 *Error, and accepts only what is the signed request in
// SigV4's canonical form.
func FuzzVerifyHeaders(f *testing.F) {
	spec := defaultSpec()
	spec.header.Set("X-Amz-Meta", "a  b")
	base := signAndReceive(f, spec)
	v := testVerifier()
	authz, date := base.Header.Get("Authorization"), base.Header.Get("X-Amz-Date")
	sum := sha256.Sum256(spec.body)
	payload := hex.EncodeToString(sum[:])

	f.Add(authz, date, "", "a b", "")
	f.Add(authz, date, payload, "a  b", "")
	f.Add(authz, date+"\n20200101T000000Z", "", "a b", "")
	f.Add(authz, date, payload+"\n"+payload, "a b", "")
	f.Add(authz, date, "", "a\nb", "")
	f.Add(authz, date, "", "a b", "TOKEN")
	f.Add(authz+"\n"+authz, date, "", "a b", "")
	f.Fuzz(func(t *testing.T, authzs, dates, shas, metas, tokens string) {
		r := base.Clone(base.Context())
		for name, vals := range map[string]string{
			"Authorization": authzs, "X-Amz-Date": dates, "X-Amz-Content-Sha256": shas,
			"X-Amz-Meta": metas, "X-Amz-Security-Token": tokens,
		} {
			r.Header.Del(name)
			if vals != "" {
				r.Header[name] = strings.Split(vals, "\n")
			}
		}
		id, err := v.Verify(r, spec.body)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code == "" || e.Status != http.StatusBadRequest || id != "" {
				t.Fatalf("Verify returned %q, %#v", id, err)
			}
			return
		}
		a, perr := ParseAuthorization(authzs)
		want, _ := ParseAuthorization(authz)
		switch {
		case id != testAKID:
			t.Fatalf("verified access key %q", id)
		case perr != nil || !reflect.DeepEqual(a, want):
			t.Fatalf("verified with Authorization %q", authzs)
		case dates != date:
			t.Fatalf("verified with X-Amz-Date %q", dates)
		case shas != "" && shas != payload:
			t.Fatalf("verified with X-Amz-Content-Sha256 %q", shas)
		case canonicalValue(strings.Split(metas, "\n")) != "a b":
			t.Fatalf("verified with X-Amz-Meta %q", metas)
		case tokens != "":
			t.Fatalf("verified with X-Amz-Security-Token %q", tokens)
		}
	})
}
