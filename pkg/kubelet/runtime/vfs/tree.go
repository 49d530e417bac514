package vfs

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// Device names the character devices the image tree can hold (/dev/null and friends).
type Device uint8

// Devices an image can carry. Reads and writes behave as the Linux devices of the same name.
const (
	DevNone Device = iota
	// DevNull reads as empty and discards writes.
	DevNull
	// DevZero reads as zero bytes and discards writes.
	DevZero
	// DevFull reads as zero bytes and fails writes with ENOSPC.
	DevFull
	// DevRandom reads as pseudo-random bytes and discards writes (random and urandom).
	DevRandom
)

// node is one file, directory, symlink or device. A shared node belongs to an image tree (or
// is reachable from more than one FS) and is never changed in place: an FS copies it first.
type node struct {
	mode   fs.FileMode
	mtime  time.Time
	data   []byte
	target string
	kids   map[string]*node
	dev    Device
	shared bool
}

func (n *node) isDir() bool     { return n.mode.IsDir() }
func (n *node) isSymlink() bool { return n.mode&fs.ModeSymlink != 0 }

// clone returns an unshared copy: a directory's map is copied (its children stay shared), a
// file's bytes are copied.
func (n *node) clone() *node {
	c := *n
	c.shared = false
	if n.kids != nil {
		c.kids = make(map[string]*node, len(n.kids))
		for k, v := range n.kids {
			c.kids[k] = v
		}
	}
	if n.data != nil {
		c.data = slices.Clone(n.data)
	}
	return &c
}

// freeze marks n and everything under it shared.
func (n *node) freeze() {
	n.shared = true
	for _, k := range n.kids {
		if !k.shared {
			k.freeze()
		}
	}
}

// Tree is an immutable filesystem image, shared by every FS made from it.
type Tree struct {
	root *node
}

// Builder assembles a Tree. Parents are created as needed (mode 0755); the first error is
// kept and returned by Tree, so a catalog can describe an image as a plain list of calls.
type Builder struct {
	root  *node
	mtime time.Time
	err   error
}

// NewBuilder starts an empty tree whose entries carry mtime (an image's build date).
func NewBuilder(mtime time.Time) *Builder {
	return &Builder{root: &node{mode: fs.ModeDir | 0o755, mtime: mtime, kids: map[string]*node{}}, mtime: mtime}
}

// Dir adds a directory (or sets the mode of an existing one).
func (b *Builder) Dir(p string, perm fs.FileMode) {
	n := b.place(p, true)
	if n == nil {
		return
	}
	if n.mode == 0 {
		n.kids = map[string]*node{}
	} else if !n.isDir() {
		b.fail(fmt.Errorf("%s exists and is not a directory", p))
		return
	}
	n.mode = fs.ModeDir | perm.Perm()
}

// File adds a regular file, replacing whatever was at p.
func (b *Builder) File(p string, data []byte, perm fs.FileMode) {
	if n := b.place(p, false); n != nil {
		*n = node{mode: perm.Perm(), mtime: b.mtime, data: data}
	}
}

// Symlink adds a symbolic link to target.
func (b *Builder) Symlink(p, target string) {
	if n := b.place(p, false); n != nil {
		*n = node{mode: fs.ModeSymlink | 0o777, mtime: b.mtime, target: target}
	}
}

// Device adds a character device.
func (b *Builder) Device(p string, d Device) {
	if n := b.place(p, false); n != nil {
		*n = node{mode: fs.ModeDevice | fs.ModeCharDevice | 0o666, mtime: b.mtime, dev: d}
	}
}

// Tree returns the finished, frozen tree, or the first error met.
func (b *Builder) Tree() (*Tree, error) {
	if b.err != nil {
		return nil, b.err
	}
	b.root.freeze()
	return &Tree{root: b.root}, nil
}

func (b *Builder) fail(err error) {
	if b.err == nil {
		b.err = fmt.Errorf("build image tree: %w", err)
	}
}

// place returns the node for p, creating missing parents and an empty node for p itself.
func (b *Builder) place(p string, dir bool) *node {
	if b.err != nil {
		return nil
	}
	if !path.IsAbs(p) || path.Clean(p) != p {
		b.fail(fmt.Errorf("path %q is not absolute and clean", p))
		return nil
	}
	if p == "/" {
		if !dir {
			b.fail(fmt.Errorf("/ must be a directory"))
			return nil
		}
		return b.root
	}
	parts := strings.Split(p[1:], "/")
	cur := b.root
	for i, c := range parts {
		next, ok := cur.kids[c]
		if i == len(parts)-1 {
			if !ok {
				next = &node{mtime: b.mtime}
				cur.kids[c] = next
			}
			return next
		}
		if !ok {
			next = &node{mode: fs.ModeDir | 0o755, mtime: b.mtime, kids: map[string]*node{}}
			cur.kids[c] = next
		}
		if !next.isDir() {
			b.fail(fmt.Errorf("%s: parent is not a directory", p))
			return nil
		}
		cur = next
	}
	return nil
}
