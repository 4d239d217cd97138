package sigv4

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/schemas"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/encoding/cbor"
	"github.com/aws/smithy-go/transport/http/protocol/awsjson"
)

// verifyServer is an httptest.Server whose handler runs Verify and answers
// like an AWS service: an empty result on success, an error shape otherwise.
type verifyServer struct {
	*httptest.Server

	mu     sync.Mutex
	v      *Verifier
	caller string // access key of the last verified request
	code   string // error code of the last refused request
}

func newVerifyServer(t *testing.T) *verifyServer {
	s := &verifyServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// use installs v for the next requests and clears the recorded outcome.
func (s *verifyServer) use(v *Verifier) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.v, s.caller, s.code = v, "", ""
}

func (s *verifyServer) outcome() (caller, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.caller, s.code
}

func (s *verifyServer) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	v := s.v
	s.mu.Unlock()
	caller, verr := v.Verify(r, body)

	var e *Error
	if verr != nil && !errors.As(verr, &e) {
		e = &Error{Code: "InternalFailure", Status: http.StatusInternalServerError, Message: verr.Error()}
	}
	s.mu.Lock()
	if e != nil {
		s.code = e.Code
	} else {
		s.caller = caller
	}
	s.mu.Unlock()

	cborProto := r.Header.Get("Smithy-Protocol") == "rpc-v2-cbor"
	switch {
	case cborProto:
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		w.Header().Set("Content-Type", "application/cbor")
	default:
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	}
	if e == nil {
		w.WriteHeader(http.StatusOK)
		if cborProto {
			w.Write(cbor.Encode(cbor.Map{}))
		} else {
			io.WriteString(w, "{}")
		}
		return
	}
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	if cborProto {
		w.Write(cbor.Encode(cbor.Map{"__type": cbor.String(e.Code), "message": cbor.String(e.Message)}))
	} else {
		json.NewEncoder(w).Encode(map[string]string{"__type": e.Code, "message": e.Message})
	}
}

// tamperingClient alters the body after the SDK has signed it.
type tamperingClient struct{ c *http.Client }

func (t tamperingClient) Do(r *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	b = bytes.Replace(b, []byte("arn:aws:acm-pca"), []byte("arn:aws:acm-pcb"), 1)
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
	return t.c.Do(r)
}

func TestACMPCAClient(t *testing.T) {
	srv := newVerifyServer(t)
	ctx := context.Background()
	const arn = "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/11111111-2222-3333-4444-555555555555"

	protocols := []struct {
		name  string
		apply func(*acmpca.Options)
	}{
		{"rpcv2 cbor", func(*acmpca.Options) {}},
		{"json 1.1", func(o *acmpca.Options) { o.Protocol = awsjson.New11(schemas.ACMPrivateCA) }},
	}
	cases := []struct {
		name     string
		client   func(*acmpca.Options)
		verifier func(*Verifier)
		wantCode string // "" = verifies
		listOK   bool   // the call without an ARN is left intact
	}{
		{name: "valid"},
		{name: "session token", client: func(o *acmpca.Options) {
			o.Credentials = credentials.NewStaticCredentialsProvider(testAKID, testSecret, "session-token")
		}, wantCode: CodeUnrecognizedClient},
		{name: "session token recognised", client: func(o *acmpca.Options) {
			o.Credentials = credentials.NewStaticCredentialsProvider(testAKID, testSecret, "session-token")
		}, verifier: withSession("session-token")},
		{name: "wrong secret", client: func(o *acmpca.Options) {
			o.Credentials = credentials.NewStaticCredentialsProvider(testAKID, "wrong", "")
		}, wantCode: CodeInvalidSignature},
		{name: "unknown key", client: func(o *acmpca.Options) {
			o.Credentials = credentials.NewStaticCredentialsProvider("AKIDUNKNOWN", testSecret, "")
		}, wantCode: CodeUnrecognizedClient},
		{name: "wrong region", client: func(o *acmpca.Options) { o.Region = "eu-west-1" }, wantCode: CodeInvalidSignature},
		{name: "stale date", verifier: func(v *Verifier) { v.Now = func() time.Time { return time.Now().Add(time.Hour) } },
			wantCode: CodeInvalidSignature},
		{name: "tampered body", client: func(o *acmpca.Options) { o.HTTPClient = tamperingClient{srv.Client()} },
			wantCode: CodeInvalidSignature, listOK: true},
	}

	for _, p := range protocols {
		for _, tc := range cases {
			t.Run(p.name+"/"+tc.name, func(t *testing.T) {
				v := testVerifier()
				v.Now = nil // the SDK signs with the wall clock
				if tc.verifier != nil {
					tc.verifier(v)
				}
				srv.use(v)

				client := acmpca.New(acmpca.Options{
					Region:           "us-east-1",
					BaseEndpoint:     aws.String(srv.URL),
					Credentials:      credentials.NewStaticCredentialsProvider(testAKID, testSecret, ""),
					HTTPClient:       srv.Client(),
					RetryMaxAttempts: 1, // InvalidSignatureException is retried as clock skew otherwise
				}, p.apply, func(o *acmpca.Options) {
					if tc.client != nil {
						tc.client(o)
					}
				})

				// One call without and one with a non-empty payload.
				_, err1 := client.ListCertificateAuthorities(ctx, &acmpca.ListCertificateAuthoritiesInput{})
				_, err2 := client.DescribeCertificateAuthority(ctx, &acmpca.DescribeCertificateAuthorityInput{CertificateAuthorityArn: aws.String(arn)})
				caller, code := srv.outcome()

				if tc.wantCode == "" {
					if err := errors.Join(err1, err2); err != nil {
						t.Fatalf("call failed: %v (server code %q)", err, code)
					}
					if caller != testAKID {
						t.Errorf("verified caller = %q, want %q", caller, testAKID)
					}
					return
				}
				if (err1 == nil) != tc.listOK {
					t.Errorf("ListCertificateAuthorities: err = %v, want failure: %v", err1, !tc.listOK)
				}
				err := err2
				var apiErr smithy.APIError
				if !errors.As(err, &apiErr) {
					t.Fatalf("err = %v, want an API error", err)
				}
				if apiErr.ErrorCode() != tc.wantCode || code != tc.wantCode {
					t.Errorf("client saw %q, server sent %q, want %q (%s)", apiErr.ErrorCode(), code, tc.wantCode, apiErr.ErrorMessage())
				}
				if strings.Contains(apiErr.ErrorMessage(), testSecret) {
					t.Errorf("message leaks the secret")
				}
			})
		}
	}
}
