// Package files implements store.Objects on the local file system, under
// a folder of the data directory.
package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/nexproxy/nexproxy/internal/store"
)

// tmpDir holds objects being written. ValidKey forbids segments starting
// with '.', so no key can name it.
const tmpDir = ".tmp"

// Objects stores each object as one file, root/key.
type Objects struct {
	root string
}

var _ store.Objects = (*Objects)(nil)

// Open returns an Objects rooted at dir, creating it if needed. Temporary
// files left by a crash during Put are removed.
func Open(dir string) (*Objects, error) {
	if err := os.MkdirAll(filepath.Join(dir, tmpDir), 0o750); err != nil {
		return nil, fmt.Errorf("store/files: create %s: %w", dir, err)
	}
	// Leftovers of a crash were never visible and never will be.
	entries, err := os.ReadDir(filepath.Join(dir, tmpDir))
	if err != nil {
		return nil, fmt.Errorf("store/files: read %s: %w", tmpDir, err)
	}
	for _, e := range entries {
		_ = os.Remove(filepath.Join(dir, tmpDir, e.Name()))
	}
	return &Objects{root: dir}, nil
}

func (o *Objects) path(key string) (string, error) {
	if err := store.ValidKey(key); err != nil {
		return "", err
	}
	return filepath.Join(o.root, filepath.FromSlash(key)), nil
}

// Put writes the object to a temporary file, fsyncs it, renames it into
// place and fsyncs the folder, so that the object is either absent, the
// old one or the complete new one, also after a power cut.
func (o *Objects) Put(ctx context.Context, key string, r io.Reader, size int64) (err error) {
	p, err := o.path(key)
	if err != nil {
		return fmt.Errorf("store/files: put: %w", err)
	}
	if size < 0 {
		return fmt.Errorf("store/files: put %s: size %d: %w", key, size, store.ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store/files: put %s: %w", key, err)
	}
	tmp, err := os.CreateTemp(filepath.Join(o.root, tmpDir), "put-*")
	if err != nil {
		return fmt.Errorf("store/files: put %s: %w", key, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	// One byte more than announced proves a too-long reader.
	n, err := io.Copy(tmp, io.LimitReader(ctxReader{ctx, r}, size+1))
	if err != nil {
		return fmt.Errorf("store/files: put %s: read: %w", key, err)
	}
	if n != size {
		return fmt.Errorf("store/files: put %s: reader gave %d bytes or more, announced %d", key, n, size)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("store/files: put %s: sync: %w", key, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("store/files: put %s: close: %w", key, err)
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("store/files: put %s: %w", key, err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("store/files: put %s: rename: %w", key, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("store/files: put %s: sync folder: %w", key, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// ctxReader stops a long copy when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Get opens the object's file; an object replaced meanwhile stays readable
// through the open file (rename does not touch it).
func (o *Objects) Get(ctx context.Context, key string) (io.ReadSeekCloser, store.ObjectInfo, error) {
	p, err := o.path(key)
	if err != nil {
		return nil, store.ObjectInfo{}, fmt.Errorf("store/files: get: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, store.ObjectInfo{}, fmt.Errorf("store/files: get %s: %w", key, err)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, store.ObjectInfo{}, fmt.Errorf("store/files: get %s: %w", key, mapErr(err))
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, store.ObjectInfo{}, fmt.Errorf("store/files: get %s: %w", key, err)
	}
	if fi.IsDir() {
		f.Close()
		return nil, store.ObjectInfo{}, fmt.Errorf("store/files: get %s: a prefix, not an object: %w", key, store.ErrNotFound)
	}
	return f, store.ObjectInfo{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Head implements store.Objects.
func (o *Objects) Head(ctx context.Context, key string) (store.ObjectInfo, error) {
	p, err := o.path(key)
	if err != nil {
		return store.ObjectInfo{}, fmt.Errorf("store/files: head: %w", err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		return store.ObjectInfo{}, fmt.Errorf("store/files: head %s: %w", key, mapErr(err))
	}
	if fi.IsDir() {
		return store.ObjectInfo{}, fmt.Errorf("store/files: head %s: a prefix, not an object: %w", key, store.ErrNotFound)
	}
	return store.ObjectInfo{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Delete removes the object's file; empty parent folders stay (removing
// them would race with a concurrent Put into them).
func (o *Objects) Delete(ctx context.Context, key string) error {
	p, err := o.path(key)
	if err != nil {
		return fmt.Errorf("store/files: delete: %w", err)
	}
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil && fi.IsDir() {
		return nil // a prefix is no object
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store/files: delete %s: %w", key, err)
	}
	if err := syncDir(filepath.Dir(p)); err != nil {
		return fmt.Errorf("store/files: delete %s: sync folder: %w", key, err)
	}
	return nil
}

func mapErr(err error) error {
	// ENOTDIR: a parent of the key is an object, so the key cannot exist.
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%w (%v)", store.ErrNotFound, err)
	}
	return err
}
