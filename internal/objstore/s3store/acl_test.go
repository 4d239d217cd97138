package s3store_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/openpca/openpca/internal/objstore"
	"github.com/openpca/openpca/internal/objstore/s3store"
)

// How Put reacts to servers that refuse ACLs. versitygw accepts and ignores
// them, so these answers come from a small stand-in for the two refusals.
func TestPutACLRefused(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		code     string
		wantErr  error // nil: Put succeeds
		wantACLs []string
	}{
		{"ACLs not implemented: retried without", http.StatusNotImplemented, "NotImplemented", nil, []string{"public-read", ""}},
		{"ACLs disabled on the bucket: denied", http.StatusBadRequest, "AccessControlListNotSupported", objstore.ErrAccessDenied, []string{"public-read"}},
		{"access denied: not retried", http.StatusForbidden, "AccessDenied", objstore.ErrAccessDenied, []string{"public-read"}},
		{"no such bucket", http.StatusNotFound, "NoSuchBucket", objstore.ErrNotFound, []string{"public-read"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var acls []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				mu.Lock()
				acls = append(acls, r.Header.Get("X-Amz-Acl"))
				mu.Unlock()
				if r.Method != http.MethodPut || r.URL.Path != "/crl-bucket/crl/x.crl" || string(body) != "crl" {
					t.Errorf("unexpected request %s %s (%d bytes)", r.Method, r.URL.Path, len(body))
				}
				if r.Header.Get("X-Amz-Acl") == "" {
					w.WriteHeader(http.StatusOK)
					return
				}
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(tt.status)
				fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>refused</Message></Error>`, tt.code)
			}))
			defer srv.Close()
			s := newStore(t, s3store.Config{Endpoint: srv.URL, AccessKeyID: "ak", SecretAccessKey: "sk", PathStyle: true})

			err := s.Put(t.Context(), "crl-bucket", "crl/x.crl", []byte("crl"), objstore.ACLPublicRead)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("Put = %v, want %v", err, tt.wantErr)
			}
			if fmt.Sprint(acls) != fmt.Sprint(tt.wantACLs) {
				t.Errorf("x-amz-acl per request = %q, want %q", acls, tt.wantACLs)
			}
		})
	}
}

func TestNewRequiresCredentials(t *testing.T) {
	for _, cfg := range []s3store.Config{
		{Endpoint: "http://127.0.0.1:1"},
		{Endpoint: "http://127.0.0.1:1", AccessKeyID: "ak"},
		{Endpoint: "http://127.0.0.1:1", SecretAccessKey: "sk"},
	} {
		if _, err := s3store.New(t.Context(), cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}
