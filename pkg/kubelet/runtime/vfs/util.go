package vfs

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"syscall"
)

// ReadFile returns the whole content of name.
func (f *FS) ReadFile(name string) ([]byte, error) {
	h, err := f.Open(name)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	return io.ReadAll(h)
}

// WriteFile creates or truncates name and writes data to it.
func (f *FS) WriteFile(name string, data []byte, perm fs.FileMode) error {
	h, err := f.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := h.Write(data); err != nil {
		h.Close()
		return err
	}
	return h.Close()
}

// MkdirAll creates name and any missing parents.
func (f *FS) MkdirAll(name string, perm fs.FileMode) error {
	if st, err := f.Stat(name); err == nil {
		if st.IsDir() {
			return nil
		}
		return &fs.PathError{Op: "mkdir", Path: name, Err: syscall.ENOTDIR}
	}
	if parent := path.Dir(path.Clean(name)); parent != name && parent != "/" && parent != "." {
		if err := f.MkdirAll(parent, perm); err != nil {
			return err
		}
	}
	err := f.Mkdir(name, perm)
	if errors.Is(err, syscall.EEXIST) {
		if st, serr := f.Stat(name); serr == nil && st.IsDir() {
			return nil
		}
	}
	return err
}

// RemoveAll removes name and everything below it, not following symbolic links. It stops at
// the first error, as rm -r reports each failure itself.
func (f *FS) RemoveAll(name string) error {
	st, err := f.Lstat(name)
	if err != nil {
		if errors.Is(err, syscall.ENOENT) {
			return nil
		}
		return err
	}
	if st.IsDir() {
		ents, err := f.ReadDir(name)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if err := f.RemoveAll(path.Join(name, e.Name())); err != nil {
				return err
			}
		}
	}
	return f.Remove(name)
}
