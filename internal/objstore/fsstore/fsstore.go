// Package fsstore is the embedded object store: each object is a plain file
// at <root>/<bucket>/<key>, so an operator can also serve or back up the tree
// with ordinary tools.
//
// An object's ACL is kept in a sidecar file next to it
// (".openpca-acl.<name>"), and so are its ETag and user metadata
// (".openpca-hdr.<name>", JSON); key segments starting with ".openpca-" are
// therefore reserved. Sidecars are removed before new content lands and
// written only after, so a present sidecar always describes the current
// content and every crash window fails closed: a missing ACL sidecar means
// "not public", a missing header sidecar means the ETag is computed from the
// content and there is no metadata.
package fsstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/openpca/openpca/internal/objstore"
)

const (
	reserved  = ".openpca-"
	aclPrefix = reserved + "acl."
	hdrPrefix = reserved + "hdr." // as long as aclPrefix
	tmpPrefix = reserved + "tmp-"
	// maxSegment leaves room for the sidecar prefixes within NAME_MAX (255).
	maxSegment = 255 - len(aclPrefix)
)

// header is the content of an object's header sidecar.
type header struct {
	ETag     string            `json:"etag"`
	Metadata map[string]string `json:"metadata,omitempty"`
	// Modified is when the object was committed, served as Last-Modified.
	// It is recorded rather than taken from the file's mtime, which a copy
	// or restore of the tree rewrites while the ETag stays.
	Modified time.Time `json:"modified,omitzero"`
}

// Store keeps objects under one root directory. All access goes through an
// os.Root, so no key, and no symlink inside the tree, reaches outside it.
type Store struct {
	root *os.Root

	// mu serialises the commits of Puts so that an object and its sidecars
	// change together and a precondition holds until the rename, and
	// guards readOnly.
	mu       sync.Mutex
	readOnly map[string]bool

	// commits counts Put commits; each bumps it before it touches an
	// object or its sidecars. served memoises, for the handler, what it
	// read about one version of an object, valid only while commits is
	// unchanged (see openPublic).
	commits atomic.Uint64
	served  sync.Map // object name -> *servedVersion
}

var _ objstore.Store = (*Store)(nil)

// New opens (creating it if needed) the directory that holds the buckets.
func New(root string) (*Store, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("fsstore: %w", err)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("fsstore: %w", err)
	}
	return &Store{root: r, readOnly: map[string]bool{}}, nil
}

// Close releases the root directory.
func (s *Store) Close() error { return s.root.Close() }

// SetReadOnly makes Put to bucket fail with objstore.ErrAccessDenied. It is
// for tests that need an unwritable bucket: chmod on the bucket directory
// works too, but not when the tests run as root, which ignores permissions.
func (s *Store) SetReadOnly(bucket string, readOnly bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if readOnly {
		s.readOnly[bucket] = true
	} else {
		delete(s.readOnly, bucket)
	}
}

// Put writes body to bucket/key atomically and durably: readers see the old
// object or the new one, never a mix, and after Put returns the object
// survives a crash. The bucket directory is created on first use.
func (s *Store) Put(ctx context.Context, bucket, key string, body []byte, acl objstore.ACL) error {
	return s.PutStream(ctx, bucket, key, bytes.NewReader(body), acl)
}

// PutStream is Put reading the object from body.
func (s *Store) PutStream(ctx context.Context, bucket, key string, body io.ReadSeeker, acl objstore.ACL) error {
	_, err := s.PutIf(ctx, bucket, key, body, objstore.PutOptions{ACL: acl})
	return err
}

// PutIf is Put with a precondition and metadata, checked and committed
// under one lock, so of two writers holding the same ETag only one
// succeeds.
func (s *Store) PutIf(ctx context.Context, bucket, key string, body io.ReadSeeker, opts objstore.PutOptions) (string, error) {
	if err := objstore.CheckPutOptions(opts); err != nil {
		return "", fmt.Errorf("fsstore: put %s/%s: %w", bucket, key, err)
	}
	name, err := objectPath(bucket, key)
	if err != nil {
		return "", fmt.Errorf("fsstore: put: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if s.isReadOnly(bucket) {
		return "", fmt.Errorf("fsstore: put %s/%s: %w: bucket is read-only", bucket, key, objstore.ErrAccessDenied)
	}
	etag, err := s.put(ctx, name, body, opts)
	if err != nil {
		return "", fmt.Errorf("fsstore: put %s/%s: %w", bucket, key, err)
	}
	return etag, nil
}

func (s *Store) isReadOnly(bucket string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.readOnly[bucket]
}

func (s *Store) put(ctx context.Context, name string, body io.ReadSeeker, opts objstore.PutOptions) (string, error) {
	dir, base := path.Split(name)
	dir = path.Clean(dir)
	bucket, _, _ := strings.Cut(name, "/")
	// The content is written before taking the lock: only the commit
	// needs it.
	if err := s.mkdirs(dir); err != nil {
		return "", denied(err)
	}
	tmp, etag, err := s.writeTemp(dir, body)
	if err != nil {
		return "", denied(err)
	}
	defer s.root.Remove(tmp) // fails harmlessly once renamed

	s.mu.Lock()
	defer s.mu.Unlock()
	hdr, err := json.Marshal(header{ETag: etag, Metadata: opts.Metadata, Modified: time.Now().UTC()})
	if err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if s.readOnly[bucket] {
		return "", fmt.Errorf("%w: bucket is read-only", objstore.ErrAccessDenied)
	}
	if err := s.check(name, opts); err != nil {
		return "", err
	}
	s.commits.Add(1)
	s.served.Clear()

	// Drop stale sidecars before the new content lands and write the new
	// ones only after, so a crash in between leaves the object private and
	// its ETag to be computed from the content.
	aclSidecar := path.Join(dir, aclPrefix+base)
	hdrSidecar := path.Join(dir, hdrPrefix+base)
	old, err := s.root.ReadFile(aclSidecar)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", denied(err)
	}
	aclChanged := string(old) != string(opts.ACL)
	removed := false
	if aclChanged && old != nil {
		if err := s.root.Remove(aclSidecar); err != nil {
			return "", denied(err)
		}
		removed = true
	}
	switch err := s.root.Remove(hdrSidecar); {
	case err == nil:
		removed = true
	case !errors.Is(err, fs.ErrNotExist):
		return "", denied(err)
	}
	if removed {
		if err := s.syncDir(dir); err != nil {
			return "", denied(err)
		}
	}
	if err := s.root.Rename(tmp, name); err != nil {
		return "", denied(err)
	}
	// The new content must be durable before sidecars that describe it: an
	// ACL that could make it public, an ETag that vouches for it.
	if err := s.syncDir(dir); err != nil {
		return "", denied(err)
	}
	if aclChanged {
		if err := s.writeSidecar(dir, aclSidecar, []byte(opts.ACL)); err != nil {
			return "", denied(err)
		}
	}
	if err := s.writeSidecar(dir, hdrSidecar, hdr); err != nil {
		return "", denied(err)
	}
	return etag, denied(s.syncDir(dir))
}

// check reports whether opts' precondition holds for the object at name;
// s.mu must be held.
func (s *Store) check(name string, opts objstore.PutOptions) error {
	if opts.IfMatch == "" && !opts.IfNoneMatch {
		return nil
	}
	info, err := s.stat(name)
	switch {
	case errors.Is(err, objstore.ErrNotFound):
		if opts.IfMatch != "" {
			return fmt.Errorf("%w: %w", objstore.ErrPreconditionFailed, err)
		}
		return nil
	case err != nil:
		return err
	case opts.IfNoneMatch:
		return fmt.Errorf("%w: the object exists", objstore.ErrPreconditionFailed)
	case strings.Trim(opts.IfMatch, `"`) != strings.Trim(info.ETag, `"`):
		return fmt.Errorf("%w: the object's ETag is %s, not %s", objstore.ErrPreconditionFailed, info.ETag, opts.IfMatch)
	}
	return nil
}

func (s *Store) writeSidecar(dir, name string, data []byte) error {
	t, _, err := s.writeTemp(dir, bytes.NewReader(data))
	if err != nil {
		return err
	}
	defer s.root.Remove(t)
	return s.root.Rename(t, name)
}

// writeTemp writes data to a new, fsynced file in dir and returns its name
// and its ETag.
func (s *Store) writeTemp(dir string, data io.ReadSeeker) (string, string, error) {
	if _, err := data.Seek(0, io.SeekStart); err != nil {
		return "", "", err
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	name := path.Join(dir, tmpPrefix+hex.EncodeToString(rnd[:]))
	f, err := s.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", "", err
	}
	sum := sha256.New()
	_, err = io.Copy(io.MultiWriter(f, sum), data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		s.root.Remove(name)
		return "", "", err
	}
	return name, etagOf(sum.Sum(nil)), nil
}

// etagOf makes an ETag of a content hash: its first 128 bits, quoted.
func etagOf(sum []byte) string { return `"` + hex.EncodeToString(sum[:16]) + `"` }

// hashETag computes the ETag of the content f holds and rewinds f.
func hashETag(f *os.File) (string, error) {
	sum := sha256.New()
	if _, err := io.Copy(sum, f); err != nil {
		return "", err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	return etagOf(sum.Sum(nil)), nil
}

// mkdirs creates dir and its missing parents, syncing each parent so that a
// new directory entry is as durable as the object put into it.
func (s *Store) mkdirs(dir string) error {
	cur := "."
	for _, seg := range strings.Split(dir, "/") {
		next := path.Join(cur, seg)
		switch err := s.root.Mkdir(next, 0o700); {
		case err == nil:
			if err := s.syncDir(cur); err != nil {
				return err
			}
		case !errors.Is(err, fs.ErrExist):
			return err
		}
		cur = next
	}
	return nil
}

func (s *Store) syncDir(dir string) error {
	d, err := s.root.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Get returns the object's bytes, whatever its ACL.
func (s *Store) Get(ctx context.Context, bucket, key string) ([]byte, error) {
	name, err := objectPath(bucket, key)
	if err != nil {
		return nil, fmt.Errorf("fsstore: get: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b, err := s.root.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("fsstore: get %s/%s: %w", bucket, key, classify(err))
	}
	return b, nil
}

// Head returns the object's ETag, size and metadata, whatever its ACL.
func (s *Store) Head(ctx context.Context, bucket, key string) (objstore.ObjectInfo, error) {
	name, err := objectPath(bucket, key)
	if err != nil {
		return objstore.ObjectInfo{}, fmt.Errorf("fsstore: head: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return objstore.ObjectInfo{}, err
	}
	// Under the lock no Put is between dropping a sidecar and writing the
	// next, when the metadata would be missing.
	s.mu.Lock()
	defer s.mu.Unlock()
	info, err := s.stat(name)
	if err != nil {
		return objstore.ObjectInfo{}, fmt.Errorf("fsstore: head %s/%s: %w", bucket, key, err)
	}
	return info, nil
}

func (s *Store) stat(name string) (objstore.ObjectInfo, error) {
	f, err := s.root.Open(name)
	if err != nil {
		return objstore.ObjectInfo{}, classify(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return objstore.ObjectInfo{}, err
	}
	if !fi.Mode().IsRegular() {
		return objstore.ObjectInfo{}, fmt.Errorf("%w: not a file", objstore.ErrNotFound)
	}
	h, err := s.header(name, f, fi)
	if err != nil {
		return objstore.ObjectInfo{}, err
	}
	return objstore.ObjectInfo{ETag: h.ETag, Size: fi.Size(), Metadata: h.Metadata}, nil
}

// header returns the header of the content f, opened from name, holds:
// its sidecar's when name still holds f (a concurrent Put may have replaced
// both since f was opened, and f's open inode cannot be reused meanwhile),
// else just the ETag, computed from the content.
func (s *Store) header(name string, f *os.File, fi fs.FileInfo) (header, error) {
	if h, ok := s.recorded(name, fi); ok {
		return h, nil
	}
	etag, err := hashETag(f)
	return header{ETag: etag}, err
}

// recorded returns the header sidecar of the object at name if name still
// holds fi's file, opened before the sidecar was read.
func (s *Store) recorded(name string, fi fs.FileInfo) (header, bool) {
	dir, base := path.Split(name)
	b, err := s.root.ReadFile(path.Join(dir, hdrPrefix+base))
	if err != nil {
		return header{}, false
	}
	var h header
	now, err := s.root.Stat(name)
	if err != nil || !os.SameFile(fi, now) || json.Unmarshal(b, &h) != nil || h.ETag == "" {
		return header{}, false
	}
	return h, true
}

// isPublic reports whether the object at name was last put with
// ACLPublicRead.
func (s *Store) isPublic(name string) bool {
	dir, base := path.Split(name)
	acl, err := s.root.ReadFile(path.Join(dir, aclPrefix+base))
	return err == nil && objstore.ACL(acl) == objstore.ACLPublicRead
}

// objectPath validates bucket and key and returns the slash-separated path
// relative to the root.
func objectPath(bucket, key string) (string, error) {
	if err := objstore.ValidBucketName(bucket); err != nil {
		return "", err
	}
	if err := objstore.ValidKey(key); err != nil {
		return "", err
	}
	for _, seg := range strings.Split(key, "/") {
		if strings.HasPrefix(seg, reserved) {
			return "", fmt.Errorf("%w: key %q: segments starting with %q are reserved", objstore.ErrInvalidName, key, reserved)
		}
		if len(seg) > maxSegment {
			return "", fmt.Errorf("%w: key %q: a segment is longer than %d bytes", objstore.ErrInvalidName, key, maxSegment)
		}
	}
	return bucket + "/" + key, nil
}

// classify wraps a read error with the objstore sentinel a caller branches on.
func classify(err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EISDIR) {
		// A missing bucket, a missing object, or a key that names a
		// directory or runs through a file: none is an object here.
		return fmt.Errorf("%w: %w", objstore.ErrNotFound, err)
	}
	return denied(err)
}

// denied wraps a refusal by the filesystem with objstore.ErrAccessDenied.
func denied(err error) error {
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
		return fmt.Errorf("%w: %w", objstore.ErrAccessDenied, err)
	}
	return err
}
