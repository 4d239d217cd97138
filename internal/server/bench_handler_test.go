package server

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkDescribeCAHandler is DescribeCertificateAuthority through the
// whole handler (SigV4, decoding, authorization, the domain) without the
// network, one request at a time: the server's own cost per request.
func BenchmarkDescribeCAHandler(b *testing.B) {
	srv, ts := newTestServer(b)
	arn := createTestCA(b, srv, ts.URL)
	body := []byte(`{"CertificateAuthorityArn":"` + arn + `"}`)
	r := signedRequest(b, srv, ts.URL, body)
	h := srv.Handler()
	b.ResetTimer()
	for range b.N {
		req := httptest.NewRequest(http.MethodPost, r.url, bytes.NewReader(r.body))
		req.Header = r.header.Clone()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
