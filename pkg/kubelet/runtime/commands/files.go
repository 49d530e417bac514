package commands

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

const errIsDir = syscall.EISDIR

func cat(p *proc.Proc) int {
	o, ok := getopt(p, p.Args[1:], "uvetAn")
	if !ok {
		return usage(p, 1)
	}
	number := o.has('n')
	n := 0
	return inputs(p, o.args, func(f string, err error) {
		if !gnu(p) && errors.Is(err, errIsDir) {
			errorf(p, "read error: %s", proc.Strerror(err))
			return
		}
		errorf(p, "%s: %s", f, proc.Strerror(err))
	}, func(_ string, r io.Reader) error {
		if number {
			w := newOut(p.Stdout)
			err := lines(r, func(l string) bool {
				n++
				w.printf("%6d\t%s\n", n, l)
				return w.err == nil
			})
			if w.flush() != nil {
				return writeErr{w.err}
			}
			return err
		}
		return copyOut(p.Stdout, r)
	})
}

// copyOut streams r to w chunk by chunk (so a reader on a pipe sees output at once) and tells
// write failures apart from read failures.
func copyOut(w io.Writer, r io.Reader) error {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return writeErr{werr}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func tee(p *proc.Proc) int {
	o, ok := getopt(p, p.Args[1:], "ai", "append")
	if !ok {
		return usage(p, 1)
	}
	flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if o.has('a') {
		flag = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	ws := []io.Writer{p.Stdout}
	status := 0
	for _, f := range o.args {
		h, err := p.OpenFile(f, flag, 0o666)
		if err != nil {
			errorf(p, "%s: %s", f, proc.Strerror(err))
			status = 1
			continue
		}
		defer h.Close()
		ws = append(ws, h)
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := p.Stdin.Read(buf)
		for i, w := range ws {
			if w == nil || n == 0 {
				continue
			}
			if _, werr := w.Write(buf[:n]); werr != nil {
				if i > 0 {
					errorf(p, "%s: %s", o.args[i-1], proc.Strerror(werr))
				}
				ws[i] = nil
				status = 1
			}
		}
		if err != nil {
			return status
		}
	}
}

func pwd(p *proc.Proc) int {
	fmt.Fprintln(p.Stdout, p.Dir)
	return 0
}

func basename(p *proc.Proc) int {
	if len(p.Args) < 2 {
		errorf(p, "missing operand")
		return usage(p, 1)
	}
	b := path.Base(p.Args[1])
	if len(p.Args) > 2 && b != p.Args[2] {
		b = strings.TrimSuffix(b, p.Args[2])
	}
	fmt.Fprintln(p.Stdout, b)
	return 0
}

func dirname(p *proc.Proc) int {
	if len(p.Args) < 2 {
		errorf(p, "missing operand")
		return usage(p, 1)
	}
	for _, a := range p.Args[1:] {
		fmt.Fprintln(p.Stdout, path.Dir(a))
	}
	return 0
}

func mkdir(p *proc.Proc) int {
	o, ok := getopt(p, p.Args[1:], "pm:v", "parents")
	if !ok {
		return usage(p, 1)
	}
	if len(o.args) == 0 {
		errorf(p, "missing operand")
		return usage(p, 1)
	}
	perm := fs.FileMode(0o777)
	if m, ok := o.val['m']; ok {
		v, err := strconv.ParseUint(m, 8, 32)
		if err != nil {
			errorf(p, "invalid mode %s", quote(m))
			return 1
		}
		perm = fs.FileMode(v)
	}
	parents := o.has('p') || hasLong(o, "parents")
	status := 0
	for _, d := range o.args {
		var err error
		if parents {
			err = p.FS().MkdirAll(p.Abs(d), perm)
		} else {
			err = p.FS().Mkdir(p.Abs(d), perm)
		}
		if err != nil {
			verb := "can't"
			if gnu(p) {
				verb = "cannot"
			}
			errorf(p, "%s create directory %s: %s", verb, quote(d), proc.Strerror(err))
			status = 1
		}
	}
	return status
}

func hasLong(o *opts, n string) bool {
	_, ok := o.long[n]
	return ok
}

func rmdir(p *proc.Proc) int {
	o, ok := getopt(p, p.Args[1:], "p")
	if !ok {
		return usage(p, 1)
	}
	status := 0
	for _, d := range o.args {
		if st, err := p.FS().Lstat(p.Abs(d)); err == nil && !st.IsDir() {
			err = syscall.ENOTDIR
			errorf(p, "failed to remove %s: %s", quote(d), proc.Strerror(err))
			status = 1
			continue
		}
		if err := p.FS().Remove(p.Abs(d)); err != nil {
			if gnu(p) {
				errorf(p, "failed to remove %s: %s", quote(d), proc.Strerror(err))
			} else {
				errorf(p, "'%s': %s", d, proc.Strerror(err))
			}
			status = 1
		}
	}
	return status
}

func rm(p *proc.Proc) int {
	o, ok := getopt(p, p.Args[1:], "rRfivd", "recursive", "force")
	if !ok {
		return usage(p, 1)
	}
	force := o.has('f') || hasLong(o, "force")
	recursive := o.has('r') || o.has('R') || hasLong(o, "recursive")
	if len(o.args) == 0 && !force {
		errorf(p, "missing operand")
		return usage(p, 1)
	}
	fail := func(f string, err error) {
		if gnu(p) {
			errorf(p, "cannot remove %s: %s", quote(f), proc.Strerror(err))
		} else {
			errorf(p, "can't remove '%s': %s", f, proc.Strerror(err))
		}
	}
	status := 0
	for _, f := range o.args {
		clean := path.Clean(f)
		if clean == "." || clean == ".." || strings.HasSuffix(clean, "/.") || strings.HasSuffix(clean, "/..") {
			errorf(p, "refusing to remove '.' or '..' directory: skipping %s", quote(f))
			status = 1
			continue
		}
		abs := p.Abs(f)
		if abs == "/" && gnu(p) {
			errorf(p, "it is dangerous to operate recursively on '/'")
			errorf(p, "use --no-preserve-root to override this failsafe")
			status = 1
			continue
		}
		st, err := p.FS().Lstat(abs)
		if err != nil {
			if !force || !errors.Is(err, syscall.ENOENT) {
				fail(f, err)
				status = 1
			}
			continue
		}
		if st.IsDir() && !recursive && !o.has('d') {
			if gnu(p) {
				errorf(p, "cannot remove %s: Is a directory", quote(f))
			} else {
				errorf(p, "'%s' is a directory", f)
			}
			status = 1
			continue
		}
		if !removeTree(p, abs, f, fail) {
			status = 1
		}
	}
	return status
}

// removeTree removes name depth first, reporting each failure and going on with the rest, as
// rm -r does.
func removeTree(p *proc.Proc, abs, shown string, fail func(string, error)) bool {
	st, err := p.FS().Lstat(abs)
	if err != nil {
		fail(shown, err)
		return false
	}
	ok := true
	if st.IsDir() {
		ents, err := p.FS().ReadDir(abs)
		if err != nil {
			fail(shown, err)
			return false
		}
		for _, e := range ents {
			if p.Ctx.Err() != nil {
				return false
			}
			if !removeTree(p, path.Join(abs, e.Name()), path.Join(shown, e.Name()), fail) {
				ok = false
			}
		}
	}
	if err := p.FS().Remove(abs); err != nil {
		if ok || !errors.Is(err, syscall.ENOTEMPTY) {
			fail(shown, err)
		}
		return false
	}
	return ok
}

func touch(p *proc.Proc) int {
	o, ok := getopt(p, p.Args[1:], "acmd:t:r:h")
	if !ok {
		return usage(p, 1)
	}
	if len(o.args) == 0 {
		errorf(p, "missing file operand")
		return usage(p, 1)
	}
	now := time.Now()
	status := 0
	for _, f := range o.args {
		abs := p.Abs(f)
		if _, err := p.FS().Stat(abs); err != nil {
			if o.has('c') {
				continue
			}
			h, err := p.FS().OpenFile(abs, os.O_WRONLY|os.O_CREATE, 0o666)
			if err != nil {
				if gnu(p) {
					errorf(p, "cannot touch %s: %s", quote(f), proc.Strerror(err))
				} else {
					errorf(p, "%s: %s", f, proc.Strerror(err))
				}
				status = 1
				continue
			}
			h.Close()
			continue
		}
		if err := p.FS().Chtimes(abs, now, now); err != nil {
			if gnu(p) {
				errorf(p, "setting times of %s: %s", quote(f), proc.Strerror(err))
			} else {
				errorf(p, "%s: %s", f, proc.Strerror(err))
			}
			status = 1
		}
	}
	return status
}

func chmod(p *proc.Proc) int {
	o, ok := getopt(p, p.Args[1:], "Rvfc")
	if !ok || len(o.args) < 2 {
		if ok {
			errorf(p, "missing operand")
		}
		return usage(p, 1)
	}
	spec := o.args[0]
	status := 0
	for _, f := range o.args[1:] {
		abs := p.Abs(f)
		st, err := p.FS().Stat(abs)
		if err != nil {
			if gnu(p) {
				errorf(p, "cannot access %s: %s", quote(f), proc.Strerror(err))
			} else {
				errorf(p, "%s: %s", f, proc.Strerror(err))
			}
			status = 1
			continue
		}
		mode, ok := parseMode(spec, st.Mode().Perm(), st.IsDir())
		if !ok {
			errorf(p, "invalid mode: %s", quote(spec))
			return 1
		}
		if err := p.FS().Chmod(abs, mode); err != nil {
			if gnu(p) {
				errorf(p, "changing permissions of %s: %s", quote(f), proc.Strerror(err))
			} else {
				errorf(p, "%s: %s", f, proc.Strerror(err))
			}
			status = 1
		}
	}
	return status
}

// parseMode reads an octal mode or a symbolic one ("u+x,go-w", "a=r", "+x").
func parseMode(spec string, cur fs.FileMode, dir bool) (fs.FileMode, bool) {
	if v, err := strconv.ParseUint(spec, 8, 32); err == nil {
		return fs.FileMode(v) & 0o7777, v <= 0o7777
	}
	m := cur
	for _, clause := range strings.Split(spec, ",") {
		i := 0
		var who fs.FileMode
		for i < len(clause) && strings.IndexByte("ugoa", clause[i]) >= 0 {
			switch clause[i] {
			case 'u':
				who |= 0o700
			case 'g':
				who |= 0o070
			case 'o':
				who |= 0o007
			case 'a':
				who |= 0o777
			}
			i++
		}
		if who == 0 {
			who = 0o777 &^ 0o022
		}
		if i >= len(clause) {
			return 0, false
		}
		for i < len(clause) {
			op := clause[i]
			if op != '+' && op != '-' && op != '=' {
				return 0, false
			}
			i++
			var bits fs.FileMode
			for i < len(clause) && strings.IndexByte("rwxX", clause[i]) >= 0 {
				switch clause[i] {
				case 'r':
					bits |= 0o444
				case 'w':
					bits |= 0o222
				case 'x':
					bits |= 0o111
				case 'X':
					if dir || cur&0o111 != 0 {
						bits |= 0o111
					}
				}
				i++
			}
			bits &= who
			switch op {
			case '+':
				m |= bits
			case '-':
				m &^= bits
			case '=':
				m = m&^who | bits
			}
		}
	}
	return m, true
}

func readlink(p *proc.Proc) int {
	o, ok := getopt(p, p.Args[1:], "fenqsv")
	if !ok {
		return usage(p, 1)
	}
	status := 0
	for _, f := range o.args {
		if o.has('f') || o.has('e') {
			r, err := canonical(p, f)
			if err != nil {
				status = 1
				continue
			}
			fmt.Fprintln(p.Stdout, r)
			continue
		}
		t, err := p.FS().Readlink(p.Abs(f))
		if err != nil {
			status = 1
			continue
		}
		fmt.Fprintln(p.Stdout, t)
	}
	return status
}

func realpath(p *proc.Proc) int {
	status := 0
	for _, f := range p.Args[1:] {
		r, err := canonical(p, f)
		if err != nil {
			errorf(p, "%s: %s", f, proc.Strerror(err))
			status = 1
			continue
		}
		fmt.Fprintln(p.Stdout, r)
	}
	return status
}

// canonical resolves every symbolic link of name, component by component.
func canonical(p *proc.Proc, name string) (string, error) {
	rem := strings.Split(p.Abs(name), "/")
	cur := "/"
	for n := 0; len(rem) > 0; {
		c := rem[0]
		rem = rem[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, c)
		st, err := p.FS().Lstat(next)
		if err != nil {
			return "", err
		}
		if st.Mode()&fs.ModeSymlink != 0 {
			if n++; n > 40 {
				return "", syscall.ELOOP
			}
			t, err := p.FS().Readlink(next)
			if err != nil {
				return "", err
			}
			if path.IsAbs(t) {
				cur = "/"
			}
			rem = append(strings.Split(t, "/"), rem...)
			continue
		}
		cur = next
	}
	return cur, nil
}

func ln(p *proc.Proc) int {
	o, ok := getopt(p, p.Args[1:], "sfnv")
	if !ok || len(o.args) == 0 {
		if ok {
			errorf(p, "missing file operand")
		}
		return usage(p, 1)
	}
	target, link := o.args[0], path.Base(o.args[0])
	if len(o.args) > 1 {
		link = o.args[1]
	}
	abs := p.Abs(link)
	if st, err := p.FS().Stat(abs); err == nil && st.IsDir() && !o.has('n') {
		abs = path.Join(abs, path.Base(target))
	}
	if o.has('f') {
		_ = p.FS().Remove(abs)
	}
	var err error
	if o.has('s') {
		err = p.FS().Symlink(target, abs)
	} else {
		err = copyFile(p, p.Abs(target), abs, true)
	}
	if err != nil {
		if gnu(p) {
			errorf(p, "failed to create %s link %s: %s", map[bool]string{true: "symbolic", false: "hard"}[o.has('s')], quote(link), proc.Strerror(err))
		} else {
			errorf(p, "%s: %s", link, proc.Strerror(err))
		}
		return 1
	}
	return 0
}

// copyFile copies one regular file (or re-creates one symlink), keeping its mode.
func copyFile(p *proc.Proc, from, to string, keepMode bool) error {
	st, err := p.FS().Lstat(from)
	if err != nil {
		return err
	}
	if st.Mode()&fs.ModeSymlink != 0 {
		t, err := p.FS().Readlink(from)
		if err != nil {
			return err
		}
		return p.FS().Symlink(t, to)
	}
	src, err := p.FS().Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := p.FS().OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, st.Mode().Perm()|0o200)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Close(); err != nil {
		return err
	}
	if keepMode {
		return p.FS().Chmod(to, st.Mode().Perm())
	}
	return nil
}

func cp(p *proc.Proc) int {
	o, ok := getopt(p, p.Args[1:], "rRapfvdiLPn")
	if !ok {
		return usage(p, 1)
	}
	if len(o.args) < 2 {
		if len(o.args) == 0 {
			errorf(p, "missing file operand")
		} else {
			errorf(p, "missing destination file operand after %s", quote(o.args[0]))
		}
		return usage(p, 1)
	}
	recursive := o.has('r') || o.has('R') || o.has('a')
	srcs, dst := o.args[:len(o.args)-1], o.args[len(o.args)-1]
	dstDir := false
	if st, err := p.FS().Stat(p.Abs(dst)); err == nil && st.IsDir() {
		dstDir = true
	} else if len(srcs) > 1 {
		errorf(p, "target %s is not a directory", quote(dst))
		return 1
	}
	status := 0
	for _, s := range srcs {
		to := p.Abs(dst)
		if dstDir {
			to = path.Join(to, path.Base(s))
		}
		if err := copyTree(p, p.Abs(s), to, recursive, s); err != nil {
			status = 1
		}
	}
	return status
}

func copyTree(p *proc.Proc, from, to string, recursive bool, shown string) error {
	st, err := p.FS().Stat(from)
	if err != nil {
		if gnu(p) {
			errorf(p, "cannot stat %s: %s", quote(shown), proc.Strerror(err))
		} else {
			errorf(p, "can't stat '%s': %s", shown, proc.Strerror(err))
		}
		return err
	}
	if !st.IsDir() {
		if err := copyFile(p, from, to, true); err != nil {
			if gnu(p) {
				errorf(p, "cannot create regular file %s: %s", quote(to), proc.Strerror(err))
			} else {
				errorf(p, "can't create '%s': %s", to, proc.Strerror(err))
			}
			return err
		}
		return nil
	}
	if !recursive {
		if gnu(p) {
			errorf(p, "-r not specified; omitting directory %s", quote(shown))
		} else {
			errorf(p, "omitting directory '%s'", shown)
		}
		return errIsDir
	}
	if err := p.FS().MkdirAll(to, st.Mode().Perm()); err != nil {
		errorf(p, "cannot create directory %s: %s", quote(to), proc.Strerror(err))
		return err
	}
	ents, err := p.FS().ReadDir(from)
	if err != nil {
		return err
	}
	var first error
	for _, e := range ents {
		if err := copyTree(p, path.Join(from, e.Name()), path.Join(to, e.Name()), true, path.Join(shown, e.Name())); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func mv(p *proc.Proc) int {
	o, ok := getopt(p, p.Args[1:], "fivnT")
	if !ok {
		return usage(p, 1)
	}
	if len(o.args) < 2 {
		errorf(p, "missing file operand")
		return usage(p, 1)
	}
	srcs, dst := o.args[:len(o.args)-1], o.args[len(o.args)-1]
	dstDir := false
	if st, err := p.FS().Stat(p.Abs(dst)); err == nil && st.IsDir() {
		dstDir = true
	}
	status := 0
	for _, s := range srcs {
		to := p.Abs(dst)
		if dstDir {
			to = path.Join(to, path.Base(s))
		}
		err := p.FS().Rename(p.Abs(s), to)
		if errors.Is(err, syscall.EXDEV) {
			if err = copyTree(p, p.Abs(s), to, true, s); err == nil {
				err = p.FS().RemoveAll(p.Abs(s))
			} else {
				status = 1
				continue
			}
		}
		if err != nil {
			if gnu(p) {
				if errors.Is(err, syscall.ENOENT) {
					errorf(p, "cannot stat %s: %s", quote(s), proc.Strerror(err))
				} else {
					errorf(p, "cannot move %s to %s: %s", quote(s), quote(to), proc.Strerror(err))
				}
			} else {
				errorf(p, "can't rename '%s': %s", s, proc.Strerror(err))
			}
			status = 1
		}
	}
	return status
}

func stat(p *proc.Proc) int {
	o, ok := getopt(p, p.Args[1:], "c:Lt")
	if !ok {
		return usage(p, 1)
	}
	status := 0
	for _, f := range o.args {
		var st fs.FileInfo
		var err error
		if o.has('L') {
			st, err = p.FS().Stat(p.Abs(f))
		} else {
			st, err = p.FS().Lstat(p.Abs(f))
		}
		if err != nil {
			if gnu(p) {
				errorf(p, "cannot statx %s: %s", quote(f), proc.Strerror(err))
			} else {
				errorf(p, "can't stat '%s': %s", f, proc.Strerror(err))
			}
			status = 1
			continue
		}
		if format, ok := o.val['c']; ok {
			fmt.Fprintln(p.Stdout, statFormat(format, f, st))
			continue
		}
		kind := "regular file"
		switch {
		case st.IsDir():
			kind = "directory"
		case st.Mode()&fs.ModeSymlink != 0:
			kind = "symbolic link"
		case st.Mode()&fs.ModeCharDevice != 0:
			kind = "character special file"
		case st.Size() == 0:
			kind = "regular empty file"
		}
		shown := f
		if st.Mode()&fs.ModeSymlink != 0 {
			if t, err := p.FS().Readlink(p.Abs(f)); err == nil {
				shown = f + " -> " + t
			}
		}
		ts := st.ModTime().UTC().Format("2006-01-02 15:04:05.000000000 -0700")
		fmt.Fprintf(p.Stdout, "  File: %s\n  Size: %-15d Blocks: %-10d IO Block: 4096   %s\n", shown, st.Size(), blocks(st.Size())*2, kind)
		fmt.Fprintf(p.Stdout, "Access: (%04o/%s)  Uid: (    0/    root)   Gid: (    0/    root)\n", st.Mode().Perm(), modeString(st.Mode()))
		fmt.Fprintf(p.Stdout, "Access: %s\nModify: %s\nChange: %s\n", ts, ts, ts)
	}
	return status
}

func statFormat(format, name string, st fs.FileInfo) string {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		if format[i] != '%' || i+1 >= len(format) {
			b.WriteByte(format[i])
			continue
		}
		i++
		switch format[i] {
		case 'n':
			b.WriteString(name)
		case 's':
			b.WriteString(strconv.FormatInt(st.Size(), 10))
		case 'a':
			b.WriteString(strconv.FormatUint(uint64(st.Mode().Perm()), 8))
		case 'A':
			b.WriteString(modeString(st.Mode()))
		case 'U', 'G':
			b.WriteString("root")
		case 'u', 'g':
			b.WriteString("0")
		case 'Y':
			b.WriteString(strconv.FormatInt(st.ModTime().Unix(), 10))
		case 'F':
			switch {
			case st.IsDir():
				b.WriteString("directory")
			case st.Mode()&fs.ModeSymlink != 0:
				b.WriteString("symbolic link")
			default:
				b.WriteString("regular file")
			}
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

func blocks(size int64) int64 { return (size + 4095) / 4096 * 4 }

// modeString is ls's mode column ("drwxr-xr-x", "lrwxrwxrwx", "crw-rw-rw-").
func modeString(m fs.FileMode) string {
	b := []byte("----------")
	switch {
	case m.IsDir():
		b[0] = 'd'
	case m&fs.ModeSymlink != 0:
		b[0] = 'l'
	case m&fs.ModeCharDevice != 0:
		b[0] = 'c'
	case m&fs.ModeNamedPipe != 0:
		b[0] = 'p'
	case m&fs.ModeSocket != 0:
		b[0] = 's'
	}
	const rwx = "rwxrwxrwx"
	for i := range 9 {
		if m&(1<<(8-i)) != 0 {
			b[i+1] = rwx[i]
		}
	}
	if m&fs.ModeSticky != 0 {
		if b[9] == 'x' {
			b[9] = 't'
		} else {
			b[9] = 'T'
		}
	}
	return string(b)
}

type lsEntry struct {
	name   string // as shown
	path   string // absolute
	info   fs.FileInfo
	target string
}

func ls(p *proc.Proc) int {
	o, ok := getopt(p, p.Args[1:], "alA1dRrthFSnic", "all", "color=")
	if !ok {
		return usage(p, 2)
	}
	all := o.has('a') || hasLong(o, "all")
	long := o.has('l') || o.has('n')
	onePer := o.has('1') || (!p.TTY && !o.has('C'))
	args := o.args
	if len(args) == 0 {
		args = []string{"."}
	}
	w := newOut(p.Stdout)
	status := 0
	var files []lsEntry
	var dirs []lsEntry
	for _, a := range args {
		abs := p.Abs(a)
		st, err := p.FS().Stat(abs)
		if err != nil {
			if lst, lerr := p.FS().Lstat(abs); lerr == nil {
				st, err = lst, nil
			}
		}
		if err != nil {
			w.flush()
			if gnu(p) {
				errorf(p, "cannot access %s: %s", quote(a), proc.Strerror(err))
				status = 2
			} else {
				errorf(p, "%s: %s", a, proc.Strerror(err))
				status = 1
			}
			continue
		}
		e := lsEntry{name: a, path: abs, info: st}
		if long || o.has('F') {
			if lst, err := p.FS().Lstat(abs); err == nil && lst.Mode()&fs.ModeSymlink != 0 && (long || !st.IsDir()) {
				e.info = lst
				e.target, _ = p.FS().Readlink(abs)
			}
		}
		if st.IsDir() && !o.has('d') && e.target == "" {
			dirs = append(dirs, e)
		} else {
			files = append(files, e)
		}
	}
	sortEntries(files, o)
	sortEntries(dirs, o)
	printed := false
	if len(files) > 0 {
		lsPrint(p, w, files, o, long, onePer, false)
		printed = true
	}
	var walk func(d lsEntry, header bool)
	walk = func(d lsEntry, header bool) {
		if p.Ctx.Err() != nil {
			return
		}
		ents, err := p.FS().ReadDir(d.path)
		if err != nil {
			w.flush()
			if gnu(p) {
				errorf(p, "cannot open directory %s: %s", quote(d.name), proc.Strerror(err))
				status = 2
			} else {
				errorf(p, "%s: %s", d.name, proc.Strerror(err))
				status = 1
			}
			return
		}
		var list []lsEntry
		if all {
			for _, dot := range []string{".", ".."} {
				if st, err := p.FS().Stat(path.Join(d.path, dot)); err == nil {
					list = append(list, lsEntry{name: dot, path: path.Join(d.path, dot), info: namedInfo{st, dot}})
				}
			}
		}
		for _, e := range ents {
			n := e.Name()
			if strings.HasPrefix(n, ".") && !all && !o.has('A') {
				continue
			}
			info, err := e.Info()
			if err != nil {
				continue
			}
			le := lsEntry{name: n, path: path.Join(d.path, n), info: info}
			if info.Mode()&fs.ModeSymlink != 0 {
				le.target, _ = p.FS().Readlink(le.path)
				if !long {
					if st, err := p.FS().Stat(le.path); err == nil && !o.has('F') {
						le.info = namedInfo{st, n}
					}
				}
			}
			list = append(list, le)
		}
		sortEntries(list, o)
		if header {
			if printed {
				w.print("\n")
			}
			w.printf("%s:\n", d.name)
		}
		printed = true
		lsPrint(p, w, list, o, long, onePer, true)
		if o.has('R') {
			for _, e := range list {
				if e.info.IsDir() && e.name != "." && e.name != ".." && e.target == "" {
					walk(lsEntry{name: path.Join(d.name, e.name), path: e.path, info: e.info}, true)
				}
			}
		}
	}
	for _, d := range dirs {
		walk(d, len(dirs)+len(files) > 1 || o.has('R'))
	}
	return w.done(status)
}

type namedInfo struct {
	fs.FileInfo
	name string
}

func (n namedInfo) Name() string { return n.name }

func sortEntries(es []lsEntry, o *opts) {
	less := func(i, j int) bool { return es[i].name < es[j].name }
	switch {
	case o.has('t'):
		less = func(i, j int) bool {
			if !es[i].info.ModTime().Equal(es[j].info.ModTime()) {
				return es[i].info.ModTime().After(es[j].info.ModTime())
			}
			return es[i].name < es[j].name
		}
	case o.has('S'):
		less = func(i, j int) bool {
			if es[i].info.Size() != es[j].info.Size() {
				return es[i].info.Size() > es[j].info.Size()
			}
			return es[i].name < es[j].name
		}
	}
	sort.SliceStable(es, less)
	if o.has('r') {
		for i, j := 0, len(es)-1; i < j; i, j = i+1, j-1 {
			es[i], es[j] = es[j], es[i]
		}
	}
}

func classify(e lsEntry) string {
	m := e.info.Mode()
	switch {
	case m.IsDir():
		return "/"
	case m&fs.ModeSymlink != 0:
		return "@"
	case m&0o111 != 0:
		return "*"
	}
	return ""
}

func lsPrint(p *proc.Proc, w *out, es []lsEntry, o *opts, long, onePer, isDir bool) {
	if !long {
		names := make([]string, len(es))
		for i, e := range es {
			names[i] = e.name
			if o.has('F') {
				names[i] += classify(e)
			}
		}
		if onePer {
			for _, n := range names {
				w.print(n + "\n")
			}
			return
		}
		columns(w, names, 80)
		return
	}
	if isDir && gnu(p) {
		var total int64
		for _, e := range es {
			if e.info.Mode().IsRegular() {
				total += blocks(e.info.Size())
			} else if e.info.IsDir() {
				total += 4
			}
		}
		w.printf("total %d\n", total)
	}
	now := time.Now()
	sizeW, linkW := 1, 1
	for _, e := range es {
		sizeW = max(sizeW, len(strconv.FormatInt(e.info.Size(), 10)))
		linkW = max(linkW, len(strconv.Itoa(nlink(e.info))))
	}
	for _, e := range es {
		mt := e.info.ModTime()
		var when string
		if now.Sub(mt) > 182*24*time.Hour || mt.After(now.Add(time.Hour)) {
			when = mt.UTC().Format("Jan _2  2006")
		} else {
			when = mt.UTC().Format("Jan _2 15:04")
		}
		name := e.name
		if o.has('F') {
			name += classify(e)
		}
		if e.target != "" {
			name += " -> " + e.target
		}
		owner := "root"
		if o.has('n') {
			owner = "0"
		}
		if gnu(p) {
			w.printf("%s %*d %s %s %*d %s %s\n", modeString(e.info.Mode()), linkW, nlink(e.info), owner, owner, sizeW, e.info.Size(), when, name)
		} else {
			w.printf("%s %4d %-8s %-8s %9d %s %s\n", modeString(e.info.Mode()), nlink(e.info), owner, owner, e.info.Size(), when, name)
		}
	}
}

func nlink(fi fs.FileInfo) int {
	if fi.IsDir() {
		return 2
	}
	return 1
}

// columns lays names out down the columns as ls does on a terminal.
func columns(w *out, names []string, width int) {
	if len(names) == 0 {
		return
	}
	for cols := len(names); cols >= 1; cols-- {
		rows := (len(names) + cols - 1) / cols
		widths := make([]int, cols)
		total := 0
		for c := range cols {
			for r := range rows {
				if i := c*rows + r; i < len(names) {
					widths[c] = max(widths[c], len(names[i])+2)
				}
			}
			total += widths[c]
		}
		if total-2 > width && cols > 1 {
			continue
		}
		for r := range rows {
			var line strings.Builder
			for c := range cols {
				i := c*rows + r
				if i >= len(names) {
					continue
				}
				line.WriteString(names[i])
				if c < cols-1 && (c+1)*rows+r < len(names) {
					line.WriteString(strings.Repeat(" ", widths[c]-len(names[i])))
				}
			}
			w.print(line.String() + "\n")
		}
		return
	}
}

func find(p *proc.Proc) int {
	var roots []string
	args := p.Args[1:]
	for len(args) > 0 && !strings.HasPrefix(args[0], "-") && args[0] != "!" && args[0] != "(" {
		roots = append(roots, args[0])
		args = args[1:]
	}
	if len(roots) == 0 {
		roots = []string{"."}
	}
	var namePat, typ string
	maxDepth, minDepth := -1, 0
	for i := 0; i < len(args); i++ {
		need := func() (string, bool) {
			if i+1 >= len(args) {
				errorf(p, "missing argument to `%s'", args[i])
				return "", false
			}
			i++
			return args[i], true
		}
		var ok bool
		switch args[i] {
		case "-name", "-iname":
			if namePat, ok = need(); !ok {
				return 1
			}
		case "-type":
			if typ, ok = need(); !ok {
				return 1
			}
		case "-maxdepth", "-mindepth":
			v, ok := need()
			if !ok {
				return 1
			}
			n, err := strconv.Atoi(v)
			if err != nil {
				errorf(p, "invalid argument `%s' to `%s'", v, args[i-1])
				return 1
			}
			if args[i-1] == "-maxdepth" {
				maxDepth = n
			} else {
				minDepth = n
			}
		case "-print":
		default:
			errorf(p, "unknown predicate `%s'", args[i])
			return 1
		}
	}
	w := newOut(p.Stdout)
	status := 0
	var walk func(abs, shown string, depth int)
	walk = func(abs, shown string, depth int) {
		if p.Ctx.Err() != nil || w.err != nil {
			return
		}
		st, err := p.FS().Lstat(abs)
		if err != nil {
			w.flush()
			errorf(p, "%s: %s", quote(shown), proc.Strerror(err))
			status = 1
			return
		}
		match := depth >= minDepth
		if namePat != "" {
			m, _ := path.Match(namePat, path.Base(abs))
			match = match && m
		}
		switch typ {
		case "f":
			match = match && st.Mode().IsRegular()
		case "d":
			match = match && st.IsDir()
		case "l":
			match = match && st.Mode()&fs.ModeSymlink != 0
		}
		if match {
			w.print(shown + "\n")
		}
		if st.IsDir() && (maxDepth < 0 || depth < maxDepth) {
			ents, err := p.FS().ReadDir(abs)
			if err != nil {
				w.flush()
				errorf(p, "%s: %s", quote(shown), proc.Strerror(err))
				status = 1
				return
			}
			for _, e := range ents {
				walk(path.Join(abs, e.Name()), strings.TrimSuffix(shown, "/")+"/"+e.Name(), depth+1)
			}
		}
	}
	for _, r := range roots {
		walk(p.Abs(r), r, 0)
	}
	return w.done(status)
}
