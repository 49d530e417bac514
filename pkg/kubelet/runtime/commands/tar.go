package commands

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

// tarCmd is tar: it creates (c), extracts (x) and lists (t) ustar/GNU archives, gzip with z, on a file or
// on - for the standard streams. It is enough for kubectl cp, which runs "tar cf - PATH" to
// copy out and "tar -xmf - -C DIR" (or with --no-same-permissions --no-same-owner) to copy in.
func tarCmd(p *proc.Proc) int {
	args := p.Args[1:]
	// the first word may be old-style bundled flags without a dash ("tar cf - x")
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		args = append([]string{"-" + args[0]}, args[1:]...)
	}
	o, ok := getopt(p, args, "cxtvzf:C:mopOhk", "no-same-permissions", "no-same-owner", "same-permissions",
		"same-owner", "numeric-owner", "strip-components=", "exclude=", "overwrite", "preserve-permissions", "gzip",
		"create", "extract", "list", "file=", "directory=", "verbose", "warning=", "delay-directory-restore")
	if !ok {
		return usage(p, 2)
	}
	mode := 0
	for _, m := range []byte{'c', 'x', 't'} {
		if o.has(m) {
			if mode != 0 {
				errorf(p, "You may not specify more than one '-Acdtrux', '--delete' or  '--test-label' option")
				return usage(p, 2)
			}
			mode = int(m)
		}
	}
	for l, m := range map[string]byte{"create": 'c', "extract": 'x', "list": 't'} {
		if hasLong(o, l) {
			mode = int(m)
		}
	}
	file := o.val['f']
	if v, ok := o.long["file"]; ok {
		file = v
	}
	if file == "" {
		file = "-"
	}
	dir := o.val['C']
	if v, ok := o.long["directory"]; ok {
		dir = v
	}
	base := p.Dir
	if dir != "" {
		base = p.Abs(dir)
		if st, err := p.FS().Stat(base); err != nil || !st.IsDir() {
			if err == nil {
				err = errIsDir
			}
			if gnu(p) {
				errorf(p, "%s: Cannot open: %s", dir, proc.Strerror(err))
				errorf(p, "Error is not recoverable: exiting now")
			} else {
				errorf(p, "can't change directory to '%s': %s", dir, proc.Strerror(err))
			}
			return 2
		}
	}
	gz := o.has('z') || hasLong(o, "gzip")
	verbose := o.set['v']
	switch mode {
	case 'c':
		return tarCreate(p, o, file, base, gz, verbose)
	case 'x', 't':
		return tarRead(p, o, file, base, gz, verbose, mode == 't')
	}
	if gnu(p) {
		errorf(p, "You must specify one of the '-Acdtrux', '--delete' or '--test-label' options")
	} else {
		errorf(p, "need at least one of -c, -x or -t")
	}
	return usage(p, 2)
}

func tarCreate(p *proc.Proc, o *opts, file, base string, gz bool, verbose int) int {
	if len(o.args) == 0 {
		if gnu(p) {
			errorf(p, "Cowardly refusing to create an empty archive")
		} else {
			errorf(p, "empty archive")
		}
		return usage(p, 2)
	}
	var w io.Writer = p.Stdout
	vout := p.Stdout
	if file == "-" {
		vout = p.Stderr
		if p.TTY && gnu(p) {
			errorf(p, "Refusing to write archive contents to terminal (missing -f option?)")
			errorf(p, "Error is not recoverable: exiting now")
			return 2
		}
	} else {
		h, err := p.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
		if err != nil {
			errorf(p, "%s: Cannot open: %s", file, proc.Strerror(err))
			return 2
		}
		defer h.Close()
		w = h
	}
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(w)
		w = zw
	}
	tw := tar.NewWriter(w)
	status := 0
	warned := false
	var add func(abs, name string) error
	add = func(abs, name string) error {
		if p.Ctx.Err() != nil {
			return p.Ctx.Err()
		}
		st, err := p.FS().Lstat(abs)
		if err != nil {
			if gnu(p) {
				errorf(p, "%s: Cannot stat: %s", name, proc.Strerror(err))
			} else {
				errorf(p, "%s: %s", name, proc.Strerror(err))
			}
			status = 2
			return nil
		}
		if o.has('h') && st.Mode()&fs.ModeSymlink != 0 {
			if s, err := p.FS().Stat(abs); err == nil {
				st = s
			}
		}
		hdr := &tar.Header{
			Name: name, Mode: int64(st.Mode().Perm()), ModTime: st.ModTime().Truncate(time.Second),
			Uname: "root", Gname: "root", Format: tar.FormatGNU,
		}
		switch {
		case st.IsDir():
			hdr.Typeflag, hdr.Name = tar.TypeDir, strings.TrimSuffix(name, "/")+"/"
		case st.Mode()&fs.ModeSymlink != 0:
			hdr.Typeflag = tar.TypeSymlink
			hdr.Linkname, _ = p.FS().Readlink(abs)
		case st.Mode().IsRegular():
			hdr.Typeflag, hdr.Size = tar.TypeReg, st.Size()
		default:
			if gnu(p) {
				errorf(p, "%s: socket ignored", name)
			}
			return nil
		}
		if verbose > 0 {
			fmt.Fprintln(vout, hdr.Name)
		}
		if hdr.Typeflag == tar.TypeReg {
			h, err := p.FS().Open(abs)
			if err != nil {
				errorf(p, "%s: Cannot open: %s", name, proc.Strerror(err))
				status = 2
				return nil
			}
			data, err := io.ReadAll(h)
			h.Close()
			if err != nil {
				errorf(p, "%s: Read error: %s", name, proc.Strerror(err))
				status = 2
				return nil
			}
			hdr.Size = int64(len(data))
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			_, err = tw.Write(data)
			return err
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeDir {
			ents, err := p.FS().ReadDir(abs)
			if err != nil {
				errorf(p, "%s: Cannot open: %s", name, proc.Strerror(err))
				status = 2
				return nil
			}
			for _, e := range ents {
				if err := add(path.Join(abs, e.Name()), path.Join(name, e.Name())); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, a := range o.args {
		name := path.Clean(a)
		if strings.HasPrefix(name, "/") {
			if !warned {
				if gnu(p) {
					errorf(p, "Removing leading `/' from member names")
				} else {
					errorf(p, "removing leading '/' from member names")
				}
				warned = true
			}
			name = strings.TrimLeft(name, "/")
			if name == "" {
				name = "."
			}
		}
		abs := a
		if !path.IsAbs(a) {
			abs = path.Join(base, a)
		}
		if err := add(abs, name); err != nil {
			return 2
		}
	}
	if err := tw.Close(); err != nil {
		return 2
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return 2
		}
	}
	if status != 0 && gnu(p) {
		errorf(p, "Exiting with failure status due to previous errors")
	}
	return status
}

// memberName makes an archive member name safe to extract: no leading slash, no "..".
func memberName(p *proc.Proc, n string, warned map[string]bool) (string, bool) {
	clean := n
	if strings.HasPrefix(clean, "/") {
		if !warned["/"] {
			if gnu(p) {
				errorf(p, "Removing leading `/' from member names")
			} else {
				errorf(p, "removing leading '/' from member names")
			}
			warned["/"] = true
		}
		clean = strings.TrimLeft(clean, "/")
	}
	for _, part := range strings.Split(clean, "/") {
		if part == ".." {
			if gnu(p) {
				errorf(p, "%s: Member name contains '..'", n)
			} else {
				errorf(p, "skipping '%s' (contains '..')", n)
			}
			return "", false
		}
	}
	clean = path.Clean(clean)
	if clean == "" {
		clean = "."
	}
	return clean, true
}

func tarRead(p *proc.Proc, o *opts, file, base string, gz bool, verbose int, list bool) int {
	var r io.Reader = p.Stdin
	if file != "-" {
		h, err := p.Open(file)
		if err != nil {
			if gnu(p) {
				errorf(p, "%s: Cannot open: %s", file, proc.Strerror(err))
				errorf(p, "Error is not recoverable: exiting now")
			} else {
				errorf(p, "can't open '%s': %s", file, proc.Strerror(err))
			}
			return 2
		}
		defer h.Close()
		r = h
	}
	if gz {
		zr, err := gzip.NewReader(r)
		if err != nil {
			if gnu(p) {
				fmt.Fprintln(p.Stderr, "\ngzip: stdin: not in gzip format")
				errorf(p, "Child returned status 1")
				errorf(p, "Error is not recoverable: exiting now")
			} else {
				errorf(p, "invalid magic")
			}
			return 2
		}
		r = zr
	}
	keepTime := !o.has('m')
	keepPerm := !hasLong(o, "no-same-permissions")
	strip := 0
	if v, ok := o.long["strip-components"]; ok {
		fmt.Sscanf(v, "%d", &strip)
	}
	tr := tar.NewReader(r)
	status := 0
	warned := map[string]bool{}
	type dirTime struct {
		abs string
		t   time.Time
	}
	var dirTimes []dirTime
	filter := o.args
	for n := 0; ; n++ {
		if p.Ctx.Err() != nil {
			return 2
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			if n == 0 && !gnu(p) {
				errorf(p, "short read")
				return 1
			}
			break
		}
		if err != nil {
			if gnu(p) {
				if n == 0 {
					errorf(p, "This does not look like a tar archive")
				} else {
					errorf(p, "Unexpected EOF in archive")
				}
				errorf(p, "Exiting with failure status due to previous errors")
			} else {
				errorf(p, "short read")
			}
			return 2
		}
		if len(filter) > 0 && !matchesFilter(hdr.Name, filter) {
			continue
		}
		if list {
			if verbose > 0 {
				fmt.Fprintln(p.Stdout, tarLong(hdr))
			} else {
				fmt.Fprintln(p.Stdout, hdr.Name)
			}
			continue
		}
		name, ok := memberName(p, hdr.Name, warned)
		if !ok {
			status = 2
			continue
		}
		if strip > 0 {
			parts := strings.Split(name, "/")
			if len(parts) <= strip {
				continue
			}
			name = path.Join(parts[strip:]...)
		}
		if verbose > 0 {
			fmt.Fprintln(p.Stdout, hdr.Name)
		}
		abs := path.Join(base, name)
		perm := fs.FileMode(hdr.Mode).Perm()
		if !keepPerm {
			perm &^= 0o022
		}
		fail := func(err error) {
			if gnu(p) {
				errorf(p, "%s: Cannot open: %s", hdr.Name, proc.Strerror(err))
			} else {
				errorf(p, "can't create '%s': %s", hdr.Name, proc.Strerror(err))
			}
			status = 2
		}
		if dir := path.Dir(abs); dir != base {
			if err := p.FS().MkdirAll(dir, 0o755); err != nil {
				fail(err)
				continue
			}
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := p.FS().MkdirAll(abs, perm); err != nil {
				fail(err)
				continue
			}
			_ = p.FS().Chmod(abs, perm)
			if keepTime {
				dirTimes = append(dirTimes, dirTime{abs, hdr.ModTime})
			}
		case tar.TypeSymlink:
			_ = p.FS().Remove(abs)
			if err := p.FS().Symlink(hdr.Linkname, abs); err != nil {
				fail(err)
			}
		case tar.TypeLink:
			target, ok := memberName(p, hdr.Linkname, warned)
			if !ok {
				status = 2
				continue
			}
			if err := copyFile(p, path.Join(base, target), abs, true); err != nil {
				fail(err)
			}
		case tar.TypeReg, tar.TypeGNUSparse: // tar.Reader already turns TypeRegA into TypeReg
			if st, err := p.FS().Lstat(abs); err == nil && (st.Mode()&fs.ModeSymlink != 0 || !st.IsDir()) {
				_ = p.FS().Remove(abs)
			}
			h, err := p.FS().OpenFile(abs, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm|0o200)
			if err != nil {
				fail(err)
				continue
			}
			_, err = io.Copy(h, tr)
			cerr := h.Close()
			if err == nil {
				err = cerr
			}
			if err != nil {
				if errors.Is(err, io.ErrUnexpectedEOF) {
					errorf(p, "Unexpected EOF in archive")
					return 2
				}
				if gnu(p) {
					errorf(p, "%s: Cannot write: %s", hdr.Name, proc.Strerror(err))
				} else {
					errorf(p, "write error: %s", proc.Strerror(err))
				}
				status = 2
				continue
			}
			_ = p.FS().Chmod(abs, perm)
			if keepTime {
				_ = p.FS().Chtimes(abs, hdr.ModTime, hdr.ModTime)
			}
		default:
			// devices, fifos: not simulated
		}
	}
	for i := len(dirTimes) - 1; i >= 0; i-- {
		_ = p.FS().Chtimes(dirTimes[i].abs, dirTimes[i].t, dirTimes[i].t)
	}
	if status != 0 && gnu(p) {
		errorf(p, "Exiting with failure status due to previous errors")
	}
	return status
}

func matchesFilter(name string, filter []string) bool {
	n := strings.TrimSuffix(strings.TrimPrefix(name, "./"), "/")
	for _, f := range filter {
		f = strings.TrimSuffix(strings.TrimPrefix(f, "./"), "/")
		if n == f || strings.HasPrefix(n, f+"/") {
			return true
		}
	}
	return false
}

func tarLong(h *tar.Header) string {
	m := fs.FileMode(h.Mode).Perm()
	switch h.Typeflag {
	case tar.TypeDir:
		m |= fs.ModeDir
	case tar.TypeSymlink:
		m |= fs.ModeSymlink
	}
	owner := h.Uname + "/" + h.Gname
	if h.Uname == "" {
		owner = fmt.Sprintf("%d/%d", h.Uid, h.Gid)
	}
	s := fmt.Sprintf("%s %s %8d %s %s", modeString(m), owner, h.Size, h.ModTime.UTC().Format("2006-01-02 15:04"), h.Name)
	if h.Typeflag == tar.TypeSymlink {
		s += " -> " + h.Linkname
	}
	return s
}
