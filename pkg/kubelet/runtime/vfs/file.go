package vfs

import (
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"syscall"
	"time"
)

// File is an open file of an FS. *os.File satisfies it; so do the in-memory handles.
type File interface {
	io.Reader
	io.Writer
	io.Closer
	Stat() (fs.FileInfo, error)
}

func (f *FS) handle(n *node, name string, flag int) File {
	base := baseOf(splitName(name))
	acc := flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR)
	read := acc == os.O_RDONLY || acc == os.O_RDWR
	write := acc == os.O_WRONLY || acc == os.O_RDWR
	switch {
	case n.isDir():
		return &dirFile{fs: f, n: n, name: base}
	case n.dev != DevNone:
		return &devFile{fs: f, n: n, name: base}
	}
	return &memFile{fs: f, n: n, name: base, read: read, write: write, app: flag&os.O_APPEND != 0}
}

func splitName(name string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(name); i++ {
		if i == len(name) || name[i] == '/' {
			if s := name[start:i]; s != "" && s != "." {
				out = append(out, s)
			}
			start = i + 1
		}
	}
	return out
}

type memFile struct {
	fs          *FS
	n           *node
	name        string
	off         int64
	read, write bool
	app         bool
	closed      bool
}

func (m *memFile) Read(p []byte) (int, error) {
	m.fs.mu.Lock()
	defer m.fs.mu.Unlock()
	if m.closed || !m.read {
		return 0, &fs.PathError{Op: "read", Path: m.name, Err: syscall.EBADF}
	}
	if m.off >= int64(len(m.n.data)) {
		return 0, io.EOF
	}
	k := copy(p, m.n.data[m.off:])
	m.off += int64(k)
	return k, nil
}

func (m *memFile) Write(p []byte) (int, error) {
	m.fs.mu.Lock()
	defer m.fs.mu.Unlock()
	if m.closed || !m.write {
		return 0, &fs.PathError{Op: "write", Path: m.name, Err: syscall.EBADF}
	}
	if m.app {
		m.off = int64(len(m.n.data))
	}
	end := m.off + int64(len(p))
	if grow := end - int64(len(m.n.data)); grow > 0 {
		if err := m.fs.charge(grow); err != nil {
			return 0, &fs.PathError{Op: "write", Path: m.name, Err: syscall.ENOSPC}
		}
		if end > int64(cap(m.n.data)) {
			nd := make([]byte, len(m.n.data), max(end, 2*int64(cap(m.n.data))))
			copy(nd, m.n.data)
			m.n.data = nd
		}
		m.n.data = m.n.data[:end]
	}
	copy(m.n.data[m.off:], p)
	m.off = end
	m.n.mtime = m.fs.now()
	return len(p), nil
}

func (m *memFile) Close() error {
	m.fs.mu.Lock()
	defer m.fs.mu.Unlock()
	m.closed = true
	return nil
}

func (m *memFile) Stat() (fs.FileInfo, error) {
	m.fs.mu.Lock()
	defer m.fs.mu.Unlock()
	return snapshot(m.n, m.name), nil
}

type dirFile struct {
	fs   *FS
	n    *node
	name string
}

func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: syscall.EISDIR}
}
func (d *dirFile) Write([]byte) (int, error) {
	return 0, &fs.PathError{Op: "write", Path: d.name, Err: syscall.EBADF}
}
func (d *dirFile) Close() error { return nil }
func (d *dirFile) Stat() (fs.FileInfo, error) {
	d.fs.mu.Lock()
	defer d.fs.mu.Unlock()
	return snapshot(d.n, d.name), nil
}

type devFile struct {
	fs   *FS
	n    *node
	name string
}

func (d *devFile) Read(p []byte) (int, error) {
	switch d.n.dev {
	case DevNull:
		return 0, io.EOF
	case DevRandom:
		for i := range p {
			p[i] = byte(rand.Uint32())
		}
	default:
		clear(p)
	}
	return len(p), nil
}

func (d *devFile) Write(p []byte) (int, error) {
	if d.n.dev == DevFull {
		return 0, &fs.PathError{Op: "write", Path: d.name, Err: syscall.ENOSPC}
	}
	return len(p), nil
}
func (d *devFile) Close() error               { return nil }
func (d *devFile) Stat() (fs.FileInfo, error) { return snapshot(d.n, d.name), nil }

// hostFile is a file below a mount; its writes count against the FS's host budget.
// It wraps rather than embeds *os.File so that io.Copy cannot reach os.File.ReadFrom and
// write around the budget.
type hostFile struct {
	f    *os.File
	fs   *FS
	name string
}

func (h *hostFile) Close() error {
	h.fs.mu.Lock()
	delete(h.fs.files, h)
	h.fs.mu.Unlock()
	if err := h.f.Close(); err != nil {
		return &fs.PathError{Op: "close", Path: h.name, Err: errno(err)}
	}
	return nil
}

func (h *hostFile) Write(p []byte) (int, error) {
	if h.fs.hostLeft.Add(-int64(len(p))) < 0 {
		h.fs.hostLeft.Add(int64(len(p)))
		return 0, &fs.PathError{Op: "write", Path: h.name, Err: syscall.ENOSPC}
	}
	n, err := h.f.Write(p)
	if err != nil {
		return n, &fs.PathError{Op: "write", Path: h.name, Err: errno(err)}
	}
	return n, nil
}

func (h *hostFile) Read(p []byte) (int, error) {
	n, err := h.f.Read(p)
	if err != nil && err != io.EOF {
		return n, &fs.PathError{Op: "read", Path: h.name, Err: errno(err)}
	}
	return n, err
}

func (h *hostFile) Stat() (fs.FileInfo, error) {
	st, err := h.f.Stat()
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: h.name, Err: errno(err)}
	}
	return namedInfo{FileInfo: st, name: h.name}, nil
}

// nodeInfo is a copy of a node's attributes, taken under the FS lock.
type nodeInfo struct {
	name  string
	size  int64
	mode  fs.FileMode
	mtime time.Time
}

func snapshot(n *node, name string) fs.FileInfo {
	size := int64(len(n.data))
	switch {
	case n.isSymlink():
		size = int64(len(n.target))
	case n.isDir():
		size = 4096
	}
	return nodeInfo{name: name, size: size, mode: n.mode, mtime: n.mtime}
}

func (i nodeInfo) Name() string       { return i.name }
func (i nodeInfo) Size() int64        { return i.size }
func (i nodeInfo) Mode() fs.FileMode  { return i.mode }
func (i nodeInfo) ModTime() time.Time { return i.mtime }
func (i nodeInfo) IsDir() bool        { return i.mode.IsDir() }
func (i nodeInfo) Sys() any           { return nil }

// namedInfo reports a host entry under its container name, so host paths never show.
type namedInfo struct {
	fs.FileInfo
	name string
}

func (i namedInfo) Name() string { return i.name }
func (i namedInfo) Sys() any     { return nil }
