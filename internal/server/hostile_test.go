package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/openpca/openpca/internal/awsproto"
)

// rawCBOR sends body to an RPC v2 CBOR operation, signed as the SDK signs,
// and decodes the answer.
func rawCBOR(t *testing.T, e *testEnv, op string, body []byte, mutate func(*http.Request)) rawResponse {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/service/ACMPrivateCA/operation/"+op, bytes.NewReader(body))
	req.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
	req.Header.Set("Content-Type", "application/cbor")
	req.Header.Set("Accept", "application/cbor")
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: e.srv.Key.AccessKeyID, SecretAccessKey: e.srv.Key.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "acm-pca", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
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
	if out.body, err = awsproto.DecodeCBOR(raw); err != nil {
		t.Fatalf("response is not CBOR: %x", raw)
	}
	if resp.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" {
		t.Fatalf("response without Smithy-Protocol: %v", resp.Header)
	}
	return out
}

func cborHex(t *testing.T, h string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(h, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Malformed CBOR costs the sender a SerializationException, as AWS answers
// an undecodable body, whatever the malformation; it never reaches an
// operation.
func TestHostileCBORBodies(t *testing.T) {
	e := newTestEnv(t)
	const serialization = "com.amazon.coral.service#SerializationException"
	bodies := []struct{ name, hex string }{
		{"array length 2^64-1", "a1 61 61 9b ffffffffffffffff"},
		{"map length 2^64-1", "bb ffffffffffffffff"},
		{"empty map then junk", "a0 de ad be ef"},
		{"empty map then a map", "a0 a1 6a 4d6178526573756c7473 01"},
		{"text length beyond the input", "a1 61 61 7a 00010000 61"},
		{"unterminated indefinite map", "bf 6a 4d6178526573756c7473 0a"},
		{"break in place of a value", "bf 6a 4d6178526573756c7473 ff"},
		{"byte chunk in an indefinite text string", "a1 61 61 7f 41 62 ff"},
		{"nested indefinite string", "a1 61 61 7f 7f 61 62 ff ff"},
		{"additional information 28", "a1 61 61 1c"},
		{"additional information 30 in major type 7", "a1 61 61 fe"},
		{"integer map key", "a1 01 01"},
	}
	for _, b := range bodies {
		t.Run(b.name, func(t *testing.T) {
			r := rawCBOR(t, e, "ListCertificateAuthorities", cborHex(t, b.hex), nil)
			if r.status != http.StatusBadRequest || r.body["__type"] != serialization {
				t.Fatalf("got %d %v, want 400 %s", r.status, r.body, serialization)
			}
			if msg, _ := r.body["message"].(string); !strings.Contains(msg, "not valid CBOR") {
				t.Errorf("message %q", msg)
			}
		})
	}

	// A well-formed CreateCertificateAuthority followed by junk creates nothing.
	create := cbor.Encode(cbor.Map{
		"CertificateAuthorityType": cbor.String("ROOT"),
		"CertificateAuthorityConfiguration": cbor.Map{
			"KeyAlgorithm": cbor.String("EC_prime256v1"), "SigningAlgorithm": cbor.String("SHA256WITHECDSA"),
			"Subject": cbor.Map{"CommonName": cbor.String("junk")},
		},
	})
	r := rawCBOR(t, e, "CreateCertificateAuthority", append(create, 0xa0), nil)
	if r.status != http.StatusBadRequest || r.body["__type"] != serialization {
		t.Fatalf("create with trailing junk: %d %v", r.status, r.body)
	}
	out, err := e.rootClient(protocols[0].opt).ListCertificateAuthorities(context.Background(), &acmpca.ListCertificateAuthoritiesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.CertificateAuthorities) != 0 {
		t.Fatalf("a refused request created %d CAs", len(out.CertificateAuthorities))
	}
	// The same body without the junk is an ordinary request.
	if r := rawCBOR(t, e, "CreateCertificateAuthority", create, nil); r.status != http.StatusOK {
		t.Fatalf("well-formed create: %d %v", r.status, r.body)
	}
}

// openpca issues no temporary credentials: a client holding a session token
// gets AWS's answer to a token it did not issue, in either protocol, even
// with the root key's id and secret.
func TestSessionTokenRefused(t *testing.T) {
	e := newTestEnv(t)
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			c := acmpca.NewFromConfig(aws.Config{
				Region:      "us-east-1",
				Credentials: credentials.NewStaticCredentialsProvider(e.srv.Key.AccessKeyID, e.srv.Key.SecretAccessKey, "FwoGZXIvYXdzEXAMPLETOKEN"),
			}, func(o *acmpca.Options) { o.BaseEndpoint = aws.String(e.ts.URL) }, p.opt)
			_, err := c.ListCertificateAuthorities(context.Background(), &acmpca.ListCertificateAuthoritiesInput{})
			wantAPIError(t, err, "UnrecognizedClientException", "The security token included in the request is invalid")
			var re *awshttp.ResponseError
			if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusBadRequest {
				t.Errorf("status: %v", err)
			}
		})
	}
	// Added after signing, the token is refused all the same.
	rawJSON(t, e, "ACMPrivateCA.ListCertificateAuthorities", []byte(`{}`), true, func(r *http.Request) {
		r.Header.Set("X-Amz-Security-Token", "FwoGZXIvYXdzEXAMPLETOKEN")
	}).wantError(t, http.StatusBadRequest, "UnrecognizedClientException")
}

// A signed request stays valid only as signed: a second X-Amz-Date, or a
// value added to a signed header, is refused, in either protocol.
func TestRepeatedSignedHeaders(t *testing.T) {
	e := newTestEnv(t)
	list := "ACMPrivateCA.ListCertificateAuthorities"
	secondDate := func(r *http.Request) { r.Header.Add("X-Amz-Date", "20200101T000000Z") }

	r := rawJSON(t, e, list, []byte(`{}`), true, secondDate)
	r.wantError(t, http.StatusBadRequest, "IncompleteSignatureException")
	if msg := r.body["message"].(string); !strings.Contains(msg, ",20200101T000000Z'") {
		t.Errorf("message %q", msg)
	}
	c := rawCBOR(t, e, "ListCertificateAuthorities", nil, secondDate)
	if c.status != http.StatusBadRequest || c.body["__type"] != "IncompleteSignatureException" {
		t.Errorf("CBOR with a second X-Amz-Date: %d %v", c.status, c.body)
	}

	rawJSON(t, e, list, []byte(`{}`), true, func(r *http.Request) {
		r.Header.Add("X-Amz-Target", "ACMPrivateCA.DeleteCertificateAuthority")
	}).wantError(t, http.StatusBadRequest, "InvalidSignatureException")
	rawJSON(t, e, list, []byte(`{}`), true, func(r *http.Request) {
		r.Header.Add("Content-Type", "application/x-amz-json-1.1")
	}).wantError(t, http.StatusBadRequest, "InvalidSignatureException")

	if ok := rawJSON(t, e, list, []byte(`{}`), true, nil); ok.status != http.StatusOK {
		t.Fatalf("the request as signed: %d %v", ok.status, ok.body)
	}
}
