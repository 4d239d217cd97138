package fsstore_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/openpca/openpca/internal/objstore"
)

func TestHandler(t *testing.T) {
	s, root := newStore(t)
	ctx := t.Context()
	puts := []struct {
		key  string
		body string
		acl  objstore.ACL
	}{
		{"crl/public.crl", "public crl", objstore.ACLPublicRead},
		{"crl/private.crl", "private crl", objstore.ACLBucketOwnerFullControl},
		{"audit-report/ca/r.json", "{}", objstore.ACLPublicRead},
		{"crl/became-private.crl", "v1", objstore.ACLPublicRead},
		{"crl/became-private.crl", "v2", objstore.ACLBucketOwnerFullControl},
		{"crl/became-public.crl", "v1", objstore.ACLBucketOwnerFullControl},
		{"crl/became-public.crl", "v2", objstore.ACLPublicRead},
	}
	for _, p := range puts {
		if err := s.Put(ctx, "crl-bucket", p.key, []byte(p.body), p.acl); err != nil {
			t.Fatal(err)
		}
	}
	// A temp file left by a crash is never served.
	if err := os.WriteFile(filepath.Join(root, "crl-bucket", "crl", ".openpca-tmp-leftover"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()

	tests := []struct {
		method, path string
		status       int
		body         string
		contentType  string
	}{
		{"GET", "/crl-bucket/crl/public.crl", 200, "public crl", "application/pkix-crl"},
		{"HEAD", "/crl-bucket/crl/public.crl", 200, "", "application/pkix-crl"},
		{"GET", "/crl-bucket/audit-report/ca/r.json", 200, "{}", "application/json"},
		{"GET", "/crl-bucket/crl/became-public.crl", 200, "v2", "application/pkix-crl"},
		{"GET", "/crl-bucket/crl/private.crl", 404, "", ""},
		{"HEAD", "/crl-bucket/crl/private.crl", 404, "", ""},
		{"GET", "/crl-bucket/crl/became-private.crl", 404, "", ""},
		{"GET", "/crl-bucket/crl/missing.crl", 404, "", ""},
		{"GET", "/crl-bucket/crl/.openpca-acl.public.crl", 404, "", ""},
		{"GET", "/crl-bucket/crl/.openpca-hdr.public.crl", 404, "", ""},
		{"GET", "/crl-bucket/crl/.openpca-tmp-leftover", 404, "", ""},
		{"GET", "/crl-bucket/crl", 404, "", ""},
		{"GET", "/crl-bucket/crl/", 404, "", ""},
		{"GET", "/crl-bucket", 404, "", ""},
		{"GET", "/crl-bucket/", 404, "", ""},
		{"GET", "/", 404, "", ""},
		{"GET", "/crl-bucket/crl/..%2f..%2f..%2fetc%2fpasswd", 404, "", ""},
		{"GET", "/other-bucket/crl/public.crl", 404, "", ""},
		{"PUT", "/crl-bucket/crl/public.crl", 405, "", ""},
		{"DELETE", "/crl-bucket/crl/public.crl", 405, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.status != 200 {
				if tt.status == 405 && resp.Header.Get("Allow") != "GET, HEAD" {
					t.Errorf("Allow = %q", resp.Header.Get("Allow"))
				}
				return
			}
			if string(body) != tt.body {
				t.Errorf("body %q, want %q", body, tt.body)
			}
			h := resp.Header
			if h.Get("Content-Type") != tt.contentType {
				t.Errorf("Content-Type %q, want %q", h.Get("Content-Type"), tt.contentType)
			}
			for _, name := range []string{"ETag", "Last-Modified"} {
				if h.Get(name) == "" {
					t.Errorf("no %s", name)
				}
			}
			if h.Get("Cache-Control") != "no-cache" {
				t.Errorf("Cache-Control %q", h.Get("Cache-Control"))
			}
		})
	}
}

// Clients revalidate with the ETag, and a new version changes it.
func TestHandlerRevalidation(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	if err := s.Put(ctx, "crl-bucket", "crl/x.crl", []byte("v1"), objstore.ACLPublicRead); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()

	get := func(etag string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+"/crl-bucket/crl/x.crl", nil)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	first := get("")
	etag := first.Header.Get("ETag")
	if resp := get(etag); resp.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match with the current ETag: status %d, want 304", resp.StatusCode)
	}
	if err := s.Put(ctx, "crl-bucket", "crl/x.crl", []byte("v2"), objstore.ACLPublicRead); err != nil {
		t.Fatal(err)
	}
	resp := get(etag)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == etag {
		t.Fatalf("after a new version: status %d, ETag %q (old %q)", resp.StatusCode, resp.Header.Get("ETag"), etag)
	}
}
