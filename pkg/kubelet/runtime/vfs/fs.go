package vfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Mount puts a host file or directory at a container path, as a bind mount does.
type Mount struct {
	// Path is the absolute path inside the container. Symbolic links of the image on the way
	// are followed, as runc does (a mount at /var/run/x lands at /run/x when /var/run -> /run).
	Path string
	// HostPath is the real file or directory; it must exist.
	HostPath string
	// ReadOnly refuses every change below the mount with EROFS.
	ReadOnly bool
}

// Options bound what one FS may consume.
type Options struct {
	// LayerLimit is how many bytes of file data the in-memory writable layer may hold;
	// past it writes fail with ENOSPC. Zero means 64 MiB.
	LayerLimit int64
	// HostWriteLimit is how many bytes this FS may write into host mounts over its life;
	// past it writes fail with ENOSPC. Zero means 1 GiB.
	HostWriteLimit int64
	// Now stamps modification times; nil means time.Now.
	Now func() time.Time
}

const (
	defaultLayerLimit     = 64 << 20
	defaultHostWriteLimit = 1 << 30
	maxSymlinks           = 40
	umask                 = 0o022
)

type mount struct {
	Mount
	parts []string
	file  bool // HostPath is a regular file
	// root is held open for the FS's life, as a bind mount pins its source: HostPath, or its
	// parent directory for a file, so that replacing a folder on the host (say with a symbolic
	// link, through another mount) cannot move the mount elsewhere.
	root *os.Root
	base string // for a file mount, the file's name inside root, opened anew each time
}

// FS is one container's filesystem. It is safe for concurrent use. Close releases the host
// directories it holds.
type FS struct {
	mu     sync.Mutex
	root   *node
	mounts []*mount // deepest first
	used   int64
	limit  int64
	now    func() time.Time

	roots  map[string]*os.Root    // held host directories by cleaned path, shared by mounts
	files  map[*hostFile]struct{} // open files below mounts, closed with the FS
	closed bool

	hostLeft atomic.Int64
}

// New returns a fresh FS over tree: an empty writable layer, the mounts in place (their mount
// points created in the layer as a runtime creates them in the rootfs). Each mount's host
// directory is opened here, once, and held until Close.
func New(tree *Tree, mounts []Mount, opts Options) (*FS, error) {
	if tree == nil {
		return nil, errors.New("new filesystem: no image tree")
	}
	f := &FS{root: tree.root, limit: opts.LayerLimit, now: opts.Now}
	if f.limit <= 0 {
		f.limit = defaultLayerLimit
	}
	if f.now == nil {
		f.now = time.Now
	}
	hl := opts.HostWriteLimit
	if hl <= 0 {
		hl = defaultHostWriteLimit
	}
	f.hostLeft.Store(hl)

	ms := slices.Clone(mounts)
	sort.SliceStable(ms, func(i, j int) bool { return depth(ms[i].Path) < depth(ms[j].Path) })
	for _, m := range ms {
		if err := f.addMount(m); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("mount %s at %s: %w", m.HostPath, m.Path, err)
		}
	}
	sort.SliceStable(f.mounts, func(i, j int) bool { return len(f.mounts[i].parts) > len(f.mounts[j].parts) })
	return f, nil
}

func depth(p string) int { return strings.Count(path.Clean(p), "/") }

func (f *FS) addMount(m Mount) error {
	if !path.IsAbs(m.Path) || path.Clean(m.Path) == "/" {
		return errors.New("mount path must be absolute and not /")
	}
	mm, err := f.openHost(m)
	if err != nil {
		return err
	}
	if mm.parts, err = f.mountPoint(m.Path, mm.file); err != nil {
		return err
	}
	f.mounts = append(f.mounts, mm)
	// keep deepest-first order while adding, so later mounts resolve through earlier ones
	sort.SliceStable(f.mounts, func(i, j int) bool { return len(f.mounts[i].parts) > len(f.mounts[j].parts) })
	return nil
}

// openHost opens the mount's host directory, or a file's parent, and keeps it in f.roots.
// Only the parent is opened by path; the last name is looked up inside it, so a link there
// cannot lead out of the parent.
func (f *FS) openHost(m Mount) (*mount, error) {
	host := path.Clean(m.HostPath)
	dir, base := path.Split(host)
	if base == "" || base == "." || base == ".." {
		// "/" (or a path Clean could not shorten): no parent to look it up in
		r, err := f.openRoot(host, nil, "")
		return &mount{Mount: m, root: r}, err
	}
	if dir == "" {
		dir = "."
	}
	key := path.Clean(dir)
	held := f.roots[key] != nil
	parent, err := f.openRoot(key, nil, "")
	if err != nil {
		return nil, err
	}
	st, err := parent.Stat(base)
	if err == nil && st.Mode().IsRegular() {
		return &mount{Mount: m, file: true, root: parent, base: base}, nil
	}
	if !held {
		// only a file mount needs its parent for life
		defer func() {
			delete(f.roots, key)
			parent.Close()
		}()
	}
	switch {
	case err != nil:
		return nil, err
	case !st.IsDir():
		return nil, errors.New("host path is neither a directory nor a regular file")
	}
	r, err := f.openRoot(host, parent, base)
	return &mount{Mount: m, root: r}, err
}

// openRoot returns the held root for the directory key, opening it (as name inside parent,
// or by path when parent is nil) the first time.
func (f *FS) openRoot(key string, parent *os.Root, name string) (*os.Root, error) {
	if r := f.roots[key]; r != nil {
		return r, nil
	}
	var r *os.Root
	var err error
	if parent != nil {
		r, err = parent.OpenRoot(name)
	} else {
		r, err = os.OpenRoot(key)
	}
	if err != nil {
		return nil, err
	}
	if f.roots == nil {
		f.roots = map[string]*os.Root{}
	}
	f.roots[key] = r
	return r, nil
}

// Close releases what the FS holds on the host: the mounts' directories and the files
// still open below them. Afterwards every operation below a mount, and every read or write
// of such a file, fails with EBADF; the memory layer stays usable. Closing twice is harmless.
func (f *FS) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	var errs []error
	for h := range f.files {
		if err := h.f.Close(); err != nil {
			errs = append(errs, pathErr("close", h.name, err))
		}
	}
	clear(f.files)
	for _, r := range f.roots {
		if err := r.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	clear(f.roots)
	return errors.Join(errs...)
}

// mountPoint walks p as mkdir -p would, following the image's symbolic links, and creates the
// missing directories (and, for a file mount, the final empty file) where the mount will sit:
// in the memory layer, or in the host directory of an enclosing mount as runc does.
func (f *FS) mountPoint(p string, file bool) ([]string, error) {
	comps := splitName(p)
	var parts []string
	for i, c := range comps {
		pr, next, err := f.resolve("/"+strings.Join(append(slices.Clip(parts), c), "/"), true)
		if err != nil {
			return nil, err
		}
		leaf := i == len(comps)-1
		switch {
		case pr.exists && !pr.dir && !leaf:
			return nil, syscall.ENOTDIR
		case pr.exists:
		case pr.m != nil:
			err = withRoot(pr.m, pr.rel, func(r *os.Root, n string) error {
				if leaf && file {
					h, err := r.OpenFile(n, os.O_CREATE|os.O_WRONLY, 0o644)
					if err != nil {
						return err
					}
					return h.Close()
				}
				return r.Mkdir(n, 0o755)
			})
			if err != nil {
				return nil, err
			}
		default:
			parent := f.mutableDir(next[:len(next)-1])
			if parent == nil {
				return nil, syscall.ENOENT
			}
			n := &node{mode: fs.ModeDir | 0o755, mtime: f.now(), kids: map[string]*node{}}
			if leaf && file {
				n = &node{mode: 0o644, mtime: f.now()}
			}
			parent.kids[next[len(next)-1]] = n
		}
		parts = next
	}
	return parts, nil
}

// probe describes what is at one canonical path.
type probe struct {
	exists bool
	dir    bool
	link   string
	isLink bool
	m      *mount
	rel    string
	n      *node
	info   fs.FileInfo // host entries only
}

func (f *FS) mountFor(parts []string) (*mount, string) {
	for _, m := range f.mounts {
		if len(parts) >= len(m.parts) && slices.Equal(parts[:len(m.parts)], m.parts) {
			rest := parts[len(m.parts):]
			if len(rest) == 0 {
				return m, "."
			}
			return m, strings.Join(rest, "/")
		}
	}
	return nil, ""
}

func (f *FS) probe(parts []string) (probe, error) {
	if m, rel := f.mountFor(parts); m != nil {
		p := probe{m: m, rel: rel}
		var info fs.FileInfo
		err := withRoot(m, rel, func(r *os.Root, name string) error {
			var err error
			if rel == "." {
				info, err = r.Stat(name)
			} else {
				info, err = r.Lstat(name)
			}
			if err == nil && info.Mode()&fs.ModeSymlink != 0 {
				p.link, err = r.Readlink(name)
				p.isLink = true
			}
			return err
		})
		if err != nil {
			if errno(err) == syscall.ENOENT {
				return p, nil
			}
			return p, errno(err)
		}
		if m.file && !info.Mode().IsRegular() {
			// the name was replaced by something else: a file mount shows only a file
			return p, nil
		}
		p.exists, p.dir, p.info = true, info.IsDir(), info
		return p, nil
	}
	n := f.root
	for _, c := range parts {
		if !n.isDir() {
			return probe{}, syscall.ENOTDIR
		}
		k, ok := n.kids[c]
		if !ok {
			return probe{}, nil
		}
		n = k
	}
	return probe{exists: true, dir: n.isDir(), isLink: n.isSymlink(), link: n.target, n: n}, nil
}

// withRoot calls fn with the mount's held root and the name to use inside it.
func withRoot(m *mount, rel string, fn func(r *os.Root, name string) error) error {
	name := rel
	if m.file {
		if rel != "." {
			return syscall.ENOTDIR
		}
		name = m.base
	}
	return fn(m.root, name)
}

// resolve walks name (absolute; a relative name is taken from /) to a canonical path,
// following symbolic links in the container's namespace. The last component is followed only
// when follow is true or the name ends in a slash. A missing last component is not an error.
func (f *FS) resolve(name string, follow bool) (probe, []string, error) {
	if name == "" {
		return probe{}, nil, syscall.ENOENT
	}
	trailing := strings.HasSuffix(name, "/") || strings.HasSuffix(name, "/.")
	rem := strings.Split(name, "/")
	var cur []string
	res := probe{exists: true, dir: true, n: f.root}
	links := 0
	for len(rem) > 0 {
		c := rem[0]
		rem = rem[1:]
		if c == "" || c == "." {
			continue
		}
		if c == ".." {
			if len(cur) > 0 {
				cur = cur[:len(cur)-1]
			}
			var err error
			if res, err = f.probe(cur); err != nil {
				return probe{}, nil, err
			}
			continue
		}
		last := isLast(rem)
		next := append(slices.Clip(cur), c)
		p, err := f.probe(next)
		if err != nil {
			return probe{}, nil, err
		}
		if p.isLink && (!last || follow || trailing) {
			if links++; links > maxSymlinks {
				return probe{}, nil, syscall.ELOOP
			}
			if p.link == "" {
				return probe{}, nil, syscall.ENOENT
			}
			if path.IsAbs(p.link) {
				cur = nil
				if res, err = f.probe(nil); err != nil {
					return probe{}, nil, err
				}
			}
			rem = append(strings.Split(p.link, "/"), rem...)
			continue
		}
		if !p.exists && !last {
			return probe{}, nil, syscall.ENOENT
		}
		if p.exists && !last && !p.dir {
			return probe{}, nil, syscall.ENOTDIR
		}
		cur, res = next, p
	}
	if trailing && res.exists && !res.dir {
		return probe{}, nil, syscall.ENOTDIR
	}
	return res, cur, nil
}

func isLast(rem []string) bool {
	for _, c := range rem {
		if c != "" && c != "." {
			return false
		}
	}
	return true
}

// mutableDir returns the directory at parts, copying shared nodes on the way (copy-on-write).
func (f *FS) mutableDir(parts []string) *node {
	if f.root.shared {
		f.root = f.root.clone()
	}
	d := f.root
	for _, c := range parts {
		k := d.kids[c]
		if k == nil {
			return nil
		}
		if k.shared {
			k = f.own(k)
			d.kids[c] = k
		}
		d = k
	}
	return d
}

// own clones a shared node for this FS, charging a file's bytes to the layer. An over-full
// layer still gets the copy: the charge only makes later growth fail.
func (f *FS) own(n *node) *node {
	c := n.clone()
	f.used += int64(len(c.data))
	return c
}

func (f *FS) mutableNode(parts []string) *node {
	return f.mutableDir(parts)
}

func (f *FS) charge(delta int64) error {
	if delta > 0 && f.used+delta > f.limit {
		return syscall.ENOSPC
	}
	f.used += delta
	return nil
}

// uncharge releases the bytes of the owned files under n.
func (f *FS) uncharge(n *node) {
	if n.shared {
		return
	}
	f.used -= int64(len(n.data))
	for _, k := range n.kids {
		f.uncharge(k)
	}
}

func isWrite(flag int) bool {
	return flag&(os.O_WRONLY|os.O_RDWR|os.O_APPEND|os.O_CREATE|os.O_TRUNC) != 0
}

func pathErr(op, name string, err error) error {
	return &fs.PathError{Op: op, Path: name, Err: errno(err)}
}

// errno reduces an error to the syscall.Errno a program would see.
func errno(err error) syscall.Errno {
	var e syscall.Errno
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, fs.ErrNotExist):
		return syscall.ENOENT
	case errors.Is(err, fs.ErrExist):
		return syscall.EEXIST
	case errors.Is(err, fs.ErrClosed):
		return syscall.EBADF
	default:
		// os.Root refusing a path that escapes, and anything unforeseen
		return syscall.EACCES
	}
}

// OpenFile opens name with os.OpenFile's flags. Files are created with perm less the
// container's umask (022).
func (f *FS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	write := isWrite(flag)
	p, parts, err := f.resolve(name, true)
	if err != nil {
		return nil, pathErr("open", name, err)
	}
	if p.m != nil {
		switch {
		case p.exists && p.dir && write:
			return nil, pathErr("open", name, syscall.EISDIR)
		case write && p.m.ReadOnly:
			return nil, pathErr("open", name, syscall.EROFS)
		case !p.exists && flag&os.O_CREATE == 0:
			return nil, pathErr("open", name, syscall.ENOENT)
		}
		var file *os.File
		err := withRoot(p.m, p.rel, func(r *os.Root, n string) error {
			var err error
			file, err = r.OpenFile(n, flag, perm)
			return err
		})
		if err != nil {
			return nil, pathErr("open", name, err)
		}
		h := &hostFile{f: file, fs: f, name: path.Base(name)}
		if f.files == nil {
			f.files = map[*hostFile]struct{}{}
		}
		f.files[h] = struct{}{}
		return h, nil
	}
	if !p.exists {
		if flag&os.O_CREATE == 0 {
			return nil, pathErr("open", name, syscall.ENOENT)
		}
		parent := f.mutableDir(parts[:len(parts)-1])
		if parent == nil || !parent.isDir() {
			return nil, pathErr("open", name, syscall.ENOENT)
		}
		n := &node{mode: perm.Perm() &^ umask, mtime: f.now()}
		parent.kids[parts[len(parts)-1]] = n
		parent.mtime = n.mtime
		return f.handle(n, name, flag), nil
	}
	if flag&os.O_CREATE != 0 && flag&os.O_EXCL != 0 {
		return nil, pathErr("open", name, syscall.EEXIST)
	}
	n := p.n
	switch {
	case n.isDir():
		if write {
			return nil, pathErr("open", name, syscall.EISDIR)
		}
	case n.dev != DevNone:
	case write:
		n = f.mutableNode(parts)
		if flag&os.O_TRUNC != 0 {
			f.used -= int64(len(n.data))
			n.data = nil
			n.mtime = f.now()
		}
	}
	return f.handle(n, name, flag), nil
}

// Open opens name for reading.
func (f *FS) Open(name string) (File, error) { return f.OpenFile(name, os.O_RDONLY, 0) }

// Stat describes name, following symbolic links.
func (f *FS) Stat(name string) (fs.FileInfo, error) { return f.stat("stat", name, true) }

// Lstat describes name without following a final symbolic link.
func (f *FS) Lstat(name string) (fs.FileInfo, error) { return f.stat("lstat", name, false) }

func (f *FS) stat(op, name string, follow bool) (fs.FileInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, parts, err := f.resolve(name, follow)
	if err != nil {
		return nil, pathErr(op, name, err)
	}
	if !p.exists {
		return nil, pathErr(op, name, syscall.ENOENT)
	}
	return f.info(p, baseOf(parts)), nil
}

func baseOf(parts []string) string {
	if len(parts) == 0 {
		return "/"
	}
	return parts[len(parts)-1]
}

func (f *FS) info(p probe, name string) fs.FileInfo {
	if p.m != nil {
		return namedInfo{FileInfo: p.info, name: name}
	}
	return snapshot(p.n, name)
}

// ReadDir lists a directory sorted by name. Mount points below it are listed even when the
// directory itself is a host directory that lacks them.
func (f *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, parts, err := f.resolve(name, true)
	if err != nil {
		return nil, pathErr("readdir", name, err)
	}
	if !p.exists {
		return nil, pathErr("readdir", name, syscall.ENOENT)
	}
	if !p.dir {
		return nil, pathErr("readdir", name, syscall.ENOTDIR)
	}
	seen := map[string]bool{}
	var out []fs.DirEntry
	if p.m != nil {
		var ents []os.DirEntry
		err := withRoot(p.m, p.rel, func(r *os.Root, n string) error {
			d, err := r.Open(n)
			if err != nil {
				return err
			}
			defer d.Close()
			ents, err = d.ReadDir(-1)
			return err
		})
		if err != nil {
			return nil, pathErr("readdir", name, err)
		}
		for _, e := range ents {
			seen[e.Name()] = true
			out = append(out, e)
		}
	} else {
		for k, n := range p.n.kids {
			seen[k] = true
			out = append(out, fs.FileInfoToDirEntry(snapshot(n, k)))
		}
	}
	for _, m := range f.mounts {
		if len(m.parts) == len(parts)+1 && slices.Equal(m.parts[:len(parts)], parts) && !seen[m.parts[len(parts)]] {
			mp, err := f.probe(m.parts)
			if err == nil && mp.exists {
				seen[m.parts[len(parts)]] = true
				out = append(out, fs.FileInfoToDirEntry(f.info(mp, m.parts[len(parts)])))
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

// Mkdir creates a directory with perm less the umask.
func (f *FS) Mkdir(name string, perm fs.FileMode) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, parts, err := f.resolve(name, false)
	if err != nil {
		return pathErr("mkdir", name, err)
	}
	if p.exists {
		return pathErr("mkdir", name, syscall.EEXIST)
	}
	if p.m != nil {
		if p.m.ReadOnly {
			return pathErr("mkdir", name, syscall.EROFS)
		}
		return wrapHost("mkdir", name, withRoot(p.m, p.rel, func(r *os.Root, n string) error { return r.Mkdir(n, perm) }))
	}
	parent := f.mutableDir(parts[:len(parts)-1])
	if parent == nil {
		return pathErr("mkdir", name, syscall.ENOENT)
	}
	now := f.now()
	parent.kids[parts[len(parts)-1]] = &node{mode: fs.ModeDir | (perm.Perm() &^ umask), mtime: now, kids: map[string]*node{}}
	parent.mtime = now
	return nil
}

func wrapHost(op, name string, err error) error {
	if err == nil {
		return nil
	}
	return pathErr(op, name, err)
}

// Remove removes a file, symbolic link or empty directory.
func (f *FS) Remove(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, parts, err := f.resolve(name, false)
	if err != nil {
		return pathErr("remove", name, err)
	}
	if !p.exists {
		return pathErr("remove", name, syscall.ENOENT)
	}
	if p.m != nil {
		switch {
		case p.rel == ".":
			return pathErr("remove", name, syscall.EBUSY)
		case p.m.ReadOnly:
			return pathErr("remove", name, syscall.EROFS)
		}
		return wrapHost("remove", name, withRoot(p.m, p.rel, func(r *os.Root, n string) error { return r.Remove(n) }))
	}
	if len(parts) == 0 {
		return pathErr("remove", name, syscall.EBUSY)
	}
	if p.n.isDir() && len(p.n.kids) > 0 {
		return pathErr("remove", name, syscall.ENOTEMPTY)
	}
	parent := f.mutableDir(parts[:len(parts)-1])
	k := parts[len(parts)-1]
	f.uncharge(parent.kids[k])
	delete(parent.kids, k)
	parent.mtime = f.now()
	return nil
}

// Rename moves oldname to newname. Moving between the memory layer and a mount, or between
// two mounts, fails with EXDEV as it does across filesystems.
func (f *FS) Rename(oldname, newname string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	op, oparts, err := f.resolve(oldname, false)
	if err != nil {
		return pathErr("rename", oldname, err)
	}
	if !op.exists {
		return pathErr("rename", oldname, syscall.ENOENT)
	}
	np, nparts, err := f.resolve(newname, false)
	if err != nil {
		return pathErr("rename", newname, err)
	}
	if op.m != np.m {
		return pathErr("rename", oldname, syscall.EXDEV)
	}
	if slices.Equal(oparts, nparts) {
		return nil
	}
	if len(nparts) > len(oparts) && slices.Equal(nparts[:len(oparts)], oparts) {
		return pathErr("rename", oldname, syscall.EINVAL)
	}
	if op.m != nil {
		switch {
		case op.rel == "." || np.rel == ".":
			return pathErr("rename", oldname, syscall.EBUSY)
		case op.m.ReadOnly:
			return pathErr("rename", oldname, syscall.EROFS)
		}
		return wrapHost("rename", oldname, withRoot(op.m, ".", func(r *os.Root, _ string) error { return r.Rename(op.rel, np.rel) }))
	}
	if len(oparts) == 0 || len(nparts) == 0 {
		return pathErr("rename", oldname, syscall.EBUSY)
	}
	if np.exists {
		switch {
		case op.dir && !np.dir:
			return pathErr("rename", newname, syscall.ENOTDIR)
		case !op.dir && np.dir:
			return pathErr("rename", newname, syscall.EISDIR)
		case np.dir && len(np.n.kids) > 0:
			return pathErr("rename", newname, syscall.ENOTEMPTY)
		}
	}
	from := f.mutableDir(oparts[:len(oparts)-1])
	n := from.kids[oparts[len(oparts)-1]]
	delete(from.kids, oparts[len(oparts)-1])
	to := f.mutableDir(nparts[:len(nparts)-1])
	if old := to.kids[nparts[len(nparts)-1]]; old != nil {
		f.uncharge(old)
	}
	to.kids[nparts[len(nparts)-1]] = n
	now := f.now()
	from.mtime, to.mtime = now, now
	return nil
}

// Symlink creates newname as a symbolic link to target.
func (f *FS) Symlink(target, newname string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, parts, err := f.resolve(newname, false)
	if err != nil {
		return pathErr("symlink", newname, err)
	}
	if p.exists {
		return pathErr("symlink", newname, syscall.EEXIST)
	}
	if p.m != nil {
		if p.m.ReadOnly {
			return pathErr("symlink", newname, syscall.EROFS)
		}
		return wrapHost("symlink", newname, withRoot(p.m, p.rel, func(r *os.Root, n string) error { return r.Symlink(target, n) }))
	}
	parent := f.mutableDir(parts[:len(parts)-1])
	now := f.now()
	parent.kids[parts[len(parts)-1]] = &node{mode: fs.ModeSymlink | 0o777, mtime: now, target: target}
	parent.mtime = now
	return nil
}

// Readlink returns a symbolic link's target.
func (f *FS) Readlink(name string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, _, err := f.resolve(name, false)
	if err != nil {
		return "", pathErr("readlink", name, err)
	}
	if !p.exists {
		return "", pathErr("readlink", name, syscall.ENOENT)
	}
	if !p.isLink {
		return "", pathErr("readlink", name, syscall.EINVAL)
	}
	return p.link, nil
}

// Chmod sets the permission bits of name.
func (f *FS) Chmod(name string, mode fs.FileMode) error {
	return f.change("chmod", name, func(n *node) { n.mode = n.mode&^fs.ModePerm | mode.Perm() },
		func(r *os.Root, n string) error { return r.Chmod(n, mode.Perm()) })
}

// Chtimes sets the modification time of name (the access time is not kept).
func (f *FS) Chtimes(name string, atime, mtime time.Time) error {
	return f.change("chtimes", name, func(n *node) { n.mtime = mtime },
		func(r *os.Root, n string) error { return r.Chtimes(n, atime, mtime) })
}

func (f *FS) change(op, name string, mem func(*node), host func(*os.Root, string) error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, parts, err := f.resolve(name, true)
	if err != nil {
		return pathErr(op, name, err)
	}
	if !p.exists {
		return pathErr(op, name, syscall.ENOENT)
	}
	if p.m != nil {
		if p.m.ReadOnly {
			return pathErr(op, name, syscall.EROFS)
		}
		return wrapHost(op, name, withRoot(p.m, p.rel, host))
	}
	mem(f.mutableNode(parts))
	return nil
}

// LayerBytes reports how many bytes of file data the writable layer holds.
func (f *FS) LayerBytes() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.used
}
