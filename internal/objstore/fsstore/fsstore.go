// Package fsstore is the embedded object store: each object is a plain file
// at <root>/<bucket>/<key>, so an operator can also serve or back up the tree
// with ordinary tools.
//
// An object's ACL is kept in a sidecar file next to it
// (".openpca-acl.<name>"); key segments starting with ".openpca-" are
// therefore reserved. A missing sidecar means "not public", so every crash
// window fails closed.
package fsstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
	"syscall"

	"github.com/openpca/openpca/internal/objstore"
)

const (
	reserved  = ".openpca-"
	aclPrefix = reserved + "acl."
	tmpPrefix = reserved + "tmp-"
	// maxSegment leaves room for the sidecar prefix within NAME_MAX (255).
	maxSegment = 255 - len(aclPrefix)
)

// Store keeps objects under one root directory. All access goes through an
// os.Root, so no key, and no symlink inside the tree, reaches outside it.
type Store struct {
	root *os.Root

	// mu serialises Puts so that an object and its ACL sidecar change
	// together, and guards readOnly.
	mu       sync.Mutex
	readOnly map[string]bool
}

var _ objstore.Store = (*Store)(nil)

// New opens (creating it if needed) the directory that holds the buckets.
func New(root string) (*Store, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
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
	if !acl.Valid() {
		return fmt.Errorf("fsstore: put %s/%s: unknown ACL %q", bucket, key, acl)
	}
	name, err := objectPath(bucket, key)
	if err != nil {
		return fmt.Errorf("fsstore: put: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.readOnly[bucket] {
		return fmt.Errorf("fsstore: put %s/%s: %w: bucket is read-only", bucket, key, objstore.ErrAccessDenied)
	}
	if err := s.put(name, body, acl); err != nil {
		return fmt.Errorf("fsstore: put %s/%s: %w", bucket, key, denied(err))
	}
	return nil
}

func (s *Store) put(name string, body io.ReadSeeker, acl objstore.ACL) error {
	dir, base := path.Split(name)
	dir = path.Clean(dir)
	if err := s.mkdirs(dir); err != nil {
		return err
	}
	tmp, err := s.writeTemp(dir, body)
	if err != nil {
		return err
	}
	defer s.root.Remove(tmp) // fails harmlessly once renamed

	// Drop a stale ACL before the new content lands and record the new one
	// only after, so a crash in between leaves the object private.
	sidecar := path.Join(dir, aclPrefix+base)
	old, err := s.root.ReadFile(sidecar)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	changed := string(old) != string(acl)
	if changed && old != nil {
		if err := s.root.Remove(sidecar); err != nil {
			return err
		}
		if err := s.syncDir(dir); err != nil {
			return err
		}
	}
	if err := s.root.Rename(tmp, name); err != nil {
		return err
	}
	if changed {
		// The new content must be durable before an ACL that could make
		// it public; otherwise a crash could pair that ACL with the old
		// content.
		if err := s.syncDir(dir); err != nil {
			return err
		}
		t, err := s.writeTemp(dir, strings.NewReader(string(acl)))
		if err != nil {
			return err
		}
		defer s.root.Remove(t)
		if err := s.root.Rename(t, sidecar); err != nil {
			return err
		}
	}
	return s.syncDir(dir)
}

// writeTemp writes data to a new, fsynced file in dir and returns its name.
func (s *Store) writeTemp(dir string, data io.ReadSeeker) (string, error) {
	if _, err := data.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	name := path.Join(dir, tmpPrefix+hex.EncodeToString(rnd[:]))
	f, err := s.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", err
	}
	_, err = io.Copy(f, data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		s.root.Remove(name)
		return "", err
	}
	return name, nil
}

// mkdirs creates dir and its missing parents, syncing each parent so that a
// new directory entry is as durable as the object put into it.
func (s *Store) mkdirs(dir string) error {
	cur := "."
	for _, seg := range strings.Split(dir, "/") {
		next := path.Join(cur, seg)
		switch err := s.root.Mkdir(next, 0o755); {
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
