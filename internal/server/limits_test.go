package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"
	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/openpca/openpca/internal/awsproto"
)

// Hostile bodies: an over-budget body is refused with a SerializationException
// before it is decoded, and a caller whose identity policies allow nothing is
// refused with the domain's AccessDeniedException before its body is decoded.
func TestHostileBodies(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	root := e.rootClient(protocols[0].opt)
	caArn := create(t, root, &acmpca.CreateCertificateAuthorityInput{})
	creds, err := e.srv.principals.Create(ctx, testAccount, "nobody")
	if err != nil {
		t.Fatal(err)
	}
	bodies := map[bool][]byte{false: hostileJSON(), true: hostileCBOR()}
	for _, isCBOR := range []bool{false, true} {
		if n := len(bodies[isCBOR]); n > awsproto.DefaultMaxBodyBytes || n < 4_000_000 {
			t.Fatalf("hostile body of %d bytes", n)
		}
	}
	for _, p := range protocols {
		isCBOR := p.name == "rpcv2cbor"
		t.Run(p.name, func(t *testing.T) {
			status, typ, msg, err := newCall(e, "CreateCertificateAuthority", isCBOR, e.srv.Key.AccessKeyID, e.srv.Key.SecretAccessKey, bodies[isCBOR]).do(http.DefaultClient)
			if err != nil || status != http.StatusBadRequest || typ != "SerializationException" || !strings.Contains(msg, "more than 100000 values") {
				t.Errorf("root's hostile body: %d %s %q %v", status, typ, msg, err)
			}

			// Unsigned, forged and unknown-key bodies are refused before decoding.
			for _, tc := range []struct{ name, key, secret, code string }{
				{"forged", e.srv.Key.AccessKeyID, "not-the-secret", "InvalidSignatureException"},
				{"unknown key", "AKIDNOSUCHKEY0000000", "secret", "UnrecognizedClientException"},
			} {
				status, typ, _, err := newCall(e, "CreateCertificateAuthority", isCBOR, tc.key, tc.secret, bodies[isCBOR]).do(http.DefaultClient)
				if err != nil || status != http.StatusBadRequest || typ != tc.code {
					t.Errorf("%s: %d %s %v, want %s", tc.name, status, typ, err, tc.code)
				}
			}
			unsigned := newCall(e, "CreateCertificateAuthority", isCBOR, "", "", bodies[isCBOR])
			unsigned.unsigned = true
			if status, typ, _, err := unsigned.do(http.DefaultClient); err != nil || typ != "MissingAuthenticationTokenException" {
				t.Errorf("unsigned: %d %s %v", status, typ, err)
			}

			// The domain's words for the same refusal, from a small request.
			nobody := e.client(p.opt, creds.AccessKeyID, creds.SecretAccessKey)
			_, domainErr := nobody.CreateCertificateAuthority(ctx, &acmpca.CreateCertificateAuthorityInput{
				CertificateAuthorityType: types.CertificateAuthorityTypeRoot, CertificateAuthorityConfiguration: ecConfig("x")})
			wantAccessDenied(t, domainErr, "CreateCertificateAuthority", "because no identity-based policy allows the acm-pca:CreateCertificateAuthority action")
			status, typ, msg, err = newCall(e, "CreateCertificateAuthority", isCBOR, creds.AccessKeyID, creds.SecretAccessKey, bodies[isCBOR]).do(http.DefaultClient)
			if err != nil || status != http.StatusBadRequest || typ != "AccessDeniedException" || !strings.Contains(domainErr.Error(), msg) {
				t.Errorf("no-policy principal's hostile body: %d %s %q %v; the domain says %v", status, typ, msg, err, domainErr)
			}

			// On a CA, the message names it, wherever the ARN is in the body.
			hostileImport := []byte(`{"Certificate":"AAAA","CertificateChain":[` + strings.Repeat("0,", 1_000_000) + `0],"CertificateAuthorityArn":"` + caArn + `"}`)
			if isCBOR {
				list := make(cbor.List, 1_000_000)
				for i := range list {
					list[i] = cbor.Uint(0)
				}
				hostileImport = cbor.Encode(cbor.Map{"Certificate": cbor.Slice("x"), "CertificateChain": list, "CertificateAuthorityArn": cbor.String(caArn)})
			}
			_, domainErr = nobody.ImportCertificateAuthorityCertificate(ctx, &acmpca.ImportCertificateAuthorityCertificateInput{
				CertificateAuthorityArn: &caArn, Certificate: []byte("x")})
			wantAccessDenied(t, domainErr, "ImportCertificateAuthorityCertificate", "on resource: "+caArn+" because no identity-based policy allows")
			status, typ, msg, err = newCall(e, "ImportCertificateAuthorityCertificate", isCBOR, creds.AccessKeyID, creds.SecretAccessKey, hostileImport).do(http.DefaultClient)
			if err != nil || status != http.StatusBadRequest || typ != "AccessDeniedException" || !strings.Contains(domainErr.Error(), msg) {
				t.Errorf("no-policy principal's hostile import: %d %s %q %v; the domain says %v", status, typ, msg, err, domainErr)
			}
		})
	}
	// Nothing was created, and the CA is as it was.
	out, err := root.ListCertificateAuthorities(ctx, &acmpca.ListCertificateAuthoritiesInput{})
	if err != nil || len(out.CertificateAuthorities) != 1 {
		t.Fatalf("after the hostile bodies: %v %v", out, err)
	}
}

// Past --max-inflight-bytes callers get a ThrottlingException at once, and
// are served again as soon as the requests in flight are done.
func TestInflightLimit(t *testing.T) {
	// One byte: a request alone is admitted, a second one is not.
	e := newTestEnvWith(t, nil, func(c *Config) { c.MaxInflightBytes = 1 })
	ctx := context.Background()
	list := newCall(e, "ListCertificateAuthorities", false, e.srv.Key.AccessKeyID, e.srv.Key.SecretAccessKey, []byte(`{}`))

	// A request whose body is slow to come holds its share until it is read.
	pr, pw := io.Pipe()
	slow := *list
	slow.bodyOverride, slow.contentLen = pr, int64(len(list.body))
	done := make(chan error, 1)
	go func() {
		status, typ, msg, err := slow.do(http.DefaultClient)
		if err == nil && status != http.StatusOK {
			err = fmt.Errorf("%d %s %s", status, typ, msg)
		}
		done <- err
	}()
	deadline := time.Now().Add(10 * time.Second)
	for inflightBytes(t, e) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the slow request was never admitted")
		}
		time.Sleep(5 * time.Millisecond)
	}

	for _, p := range protocols {
		_, err := e.rootClient(p.opt).ListCertificateAuthorities(ctx, &acmpca.ListCertificateAuthoritiesInput{})
		wantAPIError(t, err, "ThrottlingException", "Rate exceeded")
	}
	if status, typ, _, err := list.do(http.DefaultClient); err != nil || status != http.StatusBadRequest || typ != "ThrottlingException" {
		t.Fatalf("while full: %d %s %v", status, typ, err)
	}

	pw.Write(list.body)
	pw.Close()
	if err := <-done; err != nil {
		t.Fatalf("the slow request: %v", err)
	}
	if got := inflightBytes(t, e); got != 0 {
		t.Fatalf("%v bytes still reserved", got)
	}
	for _, p := range protocols {
		if _, err := e.rootClient(p.opt).ListCertificateAuthorities(ctx, &acmpca.ListCertificateAuthoritiesInput{}); err != nil {
			t.Fatalf("after the slow request: %v", err)
		}
	}
}

// inflightBytes reads the in-flight gauge.
func inflightBytes(t testing.TB, e *testEnv) float64 {
	t.Helper()
	families, err := e.srv.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "openpca_api_inflight_bytes" {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("no openpca_api_inflight_bytes")
	return 0
}
