package fsstore

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
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
// returns, and it and Last-Modified are recorded when the object is written:
// file timestamps are too coarse (a few milliseconds) to tell two quick
// versions of the same size apart, and a stale validator would pin a cached
// CRL. So a revalidation costs an open and no read of the object; only an
// object without that record (written by an older version, or cut off by a
// crash before its record) is hashed, once per version. What the handler
// read about a version is kept until the next Put, so changes made to the
// tree behind the store's back may be served only after one.
//
// Bodies are sent from the open file (sendfile where the connection allows),
// with Range and If-Range support, never read into memory.
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
	f, fi, hdr, err := s.openPublic(name)
	if err != nil {
		if errors.Is(err, objstore.ErrNotFound) {
			http.NotFound(w, r)
		} else {
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
		return
	}
	defer f.Close()
	modified := hdr.Modified
	if modified.IsZero() {
		modified = fi.ModTime()
	}
	h := w.Header()
	h.Set("Content-Type", objstore.ContentType(key))
	h.Set("ETag", hdr.ETag)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	// ServeContent answers the preconditions (304, 412) before it seeks
	// or reads f, and with Content-Type set it does not sniff.
	http.ServeContent(w, r, "", modified, f)
}

// servedVersion is what the handler read about one version of an object.
type servedVersion struct {
	fi      fs.FileInfo // the version's file
	hdr     header
	public  bool
	commits uint64 // Store.commits before the version was opened
}

// openPublic opens the public object at name and returns it with its
// header. The descriptor pins one version whole: Put replaces an object by
// renaming a new file over it, never by writing in place, so whatever is
// published meanwhile the response is the version opened.
//
// The ACL and header sidecars are read after the open and trusted only if
// name still holds the opened file: then they were read while that version
// was current, when a sidecar is the version's own, a predecessor's equal
// ACL, or missing (Put removes stale sidecars before the rename and writes
// new ones after), so a missing ACL fails closed. Otherwise a Put is
// committing or has committed since, and the object is opened again under
// the commit lock, where name and its sidecars agree.
//
// What was read is kept, so that the next requests for the version cost
// an open and no sidecar reads. It is used for a file that is the same
// inode only while no Put has committed since it was read: an inode number
// is reused only once its file is gone, the file replacing this version
// was created while this version was linked, and any later file comes with
// a later commit.
func (s *Store) openPublic(name string) (*os.File, fs.FileInfo, header, error) {
	commits := s.commits.Load()
	f, fi, err := s.openRegular(name)
	if err != nil {
		return nil, nil, header{}, err
	}
	if v, ok := s.served.Load(name); ok {
		v := v.(*servedVersion)
		if v.commits == commits && os.SameFile(v.fi, fi) {
			return s.admit(f, fi, v)
		}
	}
	public := s.isPublic(name)
	if h, ok := s.recorded(name, fi); ok {
		v := &servedVersion{fi: fi, hdr: h, public: public, commits: commits}
		s.served.Store(name, v)
		return s.admit(f, fi, v)
	}
	f.Close()

	s.mu.Lock()
	commits = s.commits.Load()
	f, fi, err = s.openRegular(name)
	if err != nil {
		s.mu.Unlock()
		return nil, nil, header{}, err
	}
	public = s.isPublic(name)
	h, ok := s.recorded(name, fi)
	s.mu.Unlock()
	if public && !ok {
		// No record: hash the pinned content, outside the lock so that
		// Puts are not held up for it, and once per version.
		etag, err := hashETag(f)
		if err != nil {
			f.Close()
			return nil, nil, header{}, err
		}
		h = header{ETag: etag}
	}
	v := &servedVersion{fi: fi, hdr: h, public: public, commits: commits}
	s.served.Store(name, v)
	return s.admit(f, fi, v)
}

// admit returns f with v's header if v is public, else closes f.
func (s *Store) admit(f *os.File, fi fs.FileInfo, v *servedVersion) (*os.File, fs.FileInfo, header, error) {
	if !v.public {
		f.Close()
		return nil, nil, header{}, objstore.ErrNotFound
	}
	return f, fi, v.hdr, nil
}

// openRegular opens the regular file at name. Every failure is
// objstore.ErrNotFound: the handler answers 404 alike for a missing object
// and for a name the root refuses.
func (s *Store) openRegular(name string) (*os.File, fs.FileInfo, error) {
	f, err := s.root.Open(name)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", objstore.ErrNotFound, err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = errors.New("not a file")
	}
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%w: %w", objstore.ErrNotFound, err)
	}
	return f, fi, nil
}
