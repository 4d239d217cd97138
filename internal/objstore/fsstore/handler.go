package fsstore

import (
	"net/http"
	"strings"

	"github.com/openpca/openpca/internal/objstore"
)

// Handler serves objects put with objstore.ACLPublicRead at /<bucket>/<key>
// over plain HTTP, as S3 serves a public CRL; it answers 404 for every other
// object, exactly as for a missing one, so private names do not leak.
//
// Responses carry Last-Modified and an ETag so that relying parties and
// caches can revalidate cheaply (304), and Cache-Control: no-cache because a
// CRL is replaced early after a revocation: caching it until nextUpdate would
// hide the revocation. The ETag is a hash of the content, the one Head
// returns, recorded when the object is written (or computed now when that
// record is missing): file timestamps are too coarse (a few milliseconds) to
// tell two quick versions of the same size apart, and a stale validator
// would pin a cached CRL.
func (s *Store) Handler() http.Handler {
	return http.HandlerFunc(s.serve)
}

func (s *Store) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	name, err := objectPath(bucket, key)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	// Open before checking the ACL: a concurrent Put removes a stale public
	// ACL before it renames new content in, so content opened first is
	// either the old public object or is refused.
	f, err := s.root.Open(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || !s.isPublic(name) {
		http.NotFound(w, r)
		return
	}
	// Put never writes a file in place, so what f holds cannot change
	// while it is sent.
	hdr, err := s.header(name, f, fi)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", objstore.ContentType(key))
	h.Set("ETag", hdr.ETag)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", fi.ModTime(), f)
}
