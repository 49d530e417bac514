package commands

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

func trueCmd(*proc.Proc) int  { return 0 }
func falseCmd(*proc.Proc) int { return 1 }

func openFail(p *proc.Proc, verb string) func(string, error) {
	return func(f string, err error) {
		if gnu(p) && verb != "" {
			errorf(p, "cannot open %s for %s: %s", quote(f), verb, proc.Strerror(err))
			return
		}
		if gnu(p) && err == errIsDir {
			errorf(p, "%s: %s", f, "Is a directory")
			return
		}
		errorf(p, "%s: %s", f, proc.Strerror(err))
	}
}

// countArg reads head/tail's -n and -c values: N, +N (from the start) or -N.
func countArg(s string) (n int64, plus, neg bool, ok bool) {
	switch {
	case strings.HasPrefix(s, "+"):
		plus, s = true, s[1:]
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	}
	mult := int64(1)
	for suf, m := range map[string]int64{"k": 1024, "K": 1024, "M": 1 << 20, "b": 512} {
		if strings.HasSuffix(s, suf) {
			s, mult = strings.TrimSuffix(s, suf), m
			break
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v * mult, plus, neg, err == nil && v >= 0
}

// legacyCount turns "head -5" into "head -n 5".
func legacyCount(args []string) []string {
	if len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' {
		if _, err := strconv.Atoi(args[0][1:]); err == nil {
			return append([]string{"-n", args[0][1:]}, args[1:]...)
		}
	}
	return args
}

func head(p *proc.Proc) int {
	o, ok := getopt(p, legacyCount(p.Args[1:]), "n:c:qv", "lines=", "bytes=")
	if !ok {
		return usage(p, 1)
	}
	nv, cv := o.val['n'], o.val['c']
	if v, ok := o.long["lines"]; ok {
		nv = v
	}
	if v, ok := o.long["bytes"]; ok {
		cv = v
	}
	bytesMode := cv != ""
	spec := nv
	if bytesMode {
		spec = cv
	}
	if spec == "" {
		spec = "10"
	}
	n, _, neg, ok := countArg(spec)
	if !ok {
		what := "lines"
		if bytesMode {
			what = "bytes"
		}
		errorf(p, "invalid number of %s: %s", what, quote(spec))
		return 1
	}
	multi := len(o.args) > 1
	first := true
	return inputs(p, o.args, openFail(p, "reading"), func(f string, r io.Reader) error {
		if multi {
			if !first {
				fmt.Fprintln(p.Stdout)
			}
			fmt.Fprintf(p.Stdout, "==> %s <==\n", map[bool]string{true: "standard input", false: f}[f == "-"])
		}
		first = false
		if bytesMode {
			if neg {
				b, err := io.ReadAll(r)
				if int64(len(b)) > n {
					b = b[:int64(len(b))-n]
				} else {
					b = nil
				}
				if _, werr := p.Stdout.Write(b); werr != nil {
					return writeErr{werr}
				}
				return err
			}
			return copyOut(p.Stdout, io.LimitReader(r, n))
		}
		w := newOut(p.Stdout)
		if neg {
			var all []string
			err := lines(r, func(l string) bool { all = append(all, l); return true })
			for i := 0; i < len(all)-int(n); i++ {
				w.print(all[i] + "\n")
			}
			if w.flush() != nil {
				return writeErr{w.err}
			}
			return err
		}
		br := bufio.NewReader(r)
		for i := int64(0); i < n; i++ {
			s, err := br.ReadString('\n')
			w.print(s)
			if err != nil {
				break
			}
		}
		if w.flush() != nil {
			return writeErr{w.err}
		}
		return nil
	})
}

func tail(p *proc.Proc) int {
	o, ok := getopt(p, legacyCount(p.Args[1:]), "n:c:fFqvs:", "lines=", "bytes=", "follow")
	if !ok {
		return usage(p, 1)
	}
	nv, cv := o.val['n'], o.val['c']
	if v, ok := o.long["lines"]; ok {
		nv = v
	}
	if v, ok := o.long["bytes"]; ok {
		cv = v
	}
	bytesMode := cv != ""
	spec := nv
	if bytesMode {
		spec = cv
	}
	if spec == "" {
		spec = "10"
	}
	n, plus, _, ok := countArg(spec)
	if !ok {
		what := "lines"
		if bytesMode {
			what = "bytes"
		}
		errorf(p, "invalid number of %s: %s", what, quote(spec))
		return 1
	}
	follow := o.has('f') || o.has('F') || hasLong(o, "follow")
	multi := len(o.args) > 1
	first := true
	return inputs(p, o.args, openFail(p, "reading"), func(f string, r io.Reader) error {
		if multi {
			if !first {
				fmt.Fprintln(p.Stdout)
			}
			fmt.Fprintf(p.Stdout, "==> %s <==\n", map[bool]string{true: "standard input", false: f}[f == "-"])
		}
		first = false
		var err error
		switch {
		case bytesMode && plus:
			if n > 1 {
				_, err = io.CopyN(io.Discard, r, n-1)
			}
			if err == nil {
				err = copyOut(p.Stdout, r)
			}
			if err == io.EOF {
				err = nil
			}
		case bytesMode:
			var b []byte
			b, err = io.ReadAll(r)
			if int64(len(b)) > n {
				b = b[int64(len(b))-n:]
			}
			if _, werr := p.Stdout.Write(b); werr != nil {
				return writeErr{werr}
			}
		case plus:
			w := newOut(p.Stdout)
			i := int64(0)
			err = lines(r, func(l string) bool {
				if i++; i >= n {
					w.print(l + "\n")
				}
				return w.err == nil
			})
			if w.flush() != nil {
				return writeErr{w.err}
			}
		default:
			ring := make([]string, 0, min(n, 4096))
			err = lines(r, func(l string) bool {
				if n == 0 {
					return true
				}
				if int64(len(ring)) == n {
					ring = ring[1:]
				}
				ring = append(ring, l)
				return true
			})
			w := newOut(p.Stdout)
			for _, l := range ring {
				w.print(l + "\n")
			}
			if w.flush() != nil {
				return writeErr{w.err}
			}
		}
		if err != nil || !follow {
			return err
		}
		// follow: keep reading what is appended until the process is killed
		buf := make([]byte, 32<<10)
		for {
			k, rerr := r.Read(buf)
			if k > 0 {
				if _, werr := p.Stdout.Write(buf[:k]); werr != nil {
					return writeErr{werr}
				}
				continue
			}
			if rerr != nil && rerr != io.EOF {
				return rerr
			}
			if f == "-" && rerr == io.EOF {
				return nil
			}
			select {
			case <-p.Ctx.Done():
				return nil
			case <-time.After(200 * time.Millisecond):
			}
		}
	})
}

func wc(p *proc.Proc) int {
	o, ok := getopt(p, p.Args[1:], "lwcmL")
	if !ok {
		return usage(p, 1)
	}
	show := []bool{o.has('l'), o.has('w'), o.has('c') || o.has('m')}
	if !show[0] && !show[1] && !show[2] {
		show = []bool{true, true, true}
	}
	type counts struct {
		l, w, c int64
		name    string
	}
	var all []counts
	status := inputs(p, o.args, openFail(p, ""), func(f string, r io.Reader) error {
		var c counts
		c.name = f
		if f == "-" && len(o.args) == 0 {
			c.name = ""
		}
		br := bufio.NewReader(r)
		inWord := false
		for {
			b, err := br.ReadByte()
			if err != nil {
				if err == io.EOF {
					break
				}
				return err
			}
			c.c++
			if b == '\n' {
				c.l++
			}
			space := b == ' ' || b == '\n' || b == '\t' || b == '\r' || b == '\v' || b == '\f'
			if !space && !inWord {
				c.w++
			}
			inWord = !space
		}
		all = append(all, c)
		return nil
	})
	if len(all) > 1 {
		t := counts{name: "total"}
		for _, c := range all {
			t.l, t.w, t.c = t.l+c.l, t.w+c.w, t.c+c.c
		}
		all = append(all, t)
	}
	width := 1
	for _, c := range all {
		width = max(width, len(strconv.FormatInt(c.c, 10)))
	}
	single := show[0] != show[1] || show[1] != show[2]
	nShown := 0
	for _, s := range show {
		if s {
			nShown++
		}
	}
	w := newOut(p.Stdout)
	for _, c := range all {
		var fields []string
		for i, v := range []int64{c.l, c.w, c.c} {
			if !show[i] {
				continue
			}
			switch {
			case gnu(p) && nShown == 1 && len(all) == 1:
				fields = append(fields, strconv.FormatInt(v, 10))
			case gnu(p) && c.name == "" && !single:
				fields = append(fields, fmt.Sprintf("%7d", v))
			case gnu(p):
				fields = append(fields, fmt.Sprintf("%*d", width, v))
			case nShown == 1 && c.name == "":
				fields = append(fields, strconv.FormatInt(v, 10))
			default:
				fields = append(fields, fmt.Sprintf("%7d", v))
			}
		}
		line := strings.Join(fields, " ")
		if c.name != "" {
			line += " " + c.name
		}
		w.print(line + "\n")
	}
	return w.done(status)
}

// bre turns a POSIX basic regular expression into Go's syntax.
func bre(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			switch n := s[i]; n {
			case '(', ')', '{', '}', '|', '+', '?':
				b.WriteByte(n)
			default:
				b.WriteByte('\\')
				b.WriteByte(n)
			}
			continue
		}
		switch c {
		case '(', ')', '{', '}', '|', '+', '?':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '*':
			if i == 0 || (i == 1 && s[0] == '^') {
				b.WriteString(`\*`)
			} else {
				b.WriteByte('*')
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// compileRE compiles a pattern of grep or sed: basic by default, extended with ere, fixed
// strings with fixed.
func compileRE(pat string, ere, fixed, icase, word, line bool) (*regexp.Regexp, error) {
	switch {
	case fixed:
		pat = regexp.QuoteMeta(pat)
	case !ere:
		pat = bre(pat)
	}
	if word {
		pat = `(?:^|\W)(?:` + pat + `)(?:\W|$)`
	}
	if line {
		pat = `^(?:` + pat + `)$`
	}
	if icase {
		pat = "(?i)" + pat
	}
	return regexp.Compile(pat)
}

func grep(p *proc.Proc) int {
	o, ok := getopt(p, p.Args[1:], "viEFqcnlLhHswxoe:rRaI", "color=", "colour=", "quiet", "silent", "ignore-case", "invert-match", "count", "extended-regexp")
	if !ok {
		return usage(p, 2)
	}
	var pats []string
	args := o.args
	if e, ok := o.val['e']; ok {
		pats = append(pats, e)
	} else {
		if len(args) == 0 {
			if gnu(p) {
				fmt.Fprintf(p.Stderr, "Usage: grep [OPTION]... PATTERNS [FILE]...\n")
			} else {
				fmt.Fprintln(p.Stderr, "BusyBox v1.37.0 (2024-09-26 21:31:42 UTC) multi-call binary.\n\nUsage: grep [-HhnlLoqvsrRiwFE] [-m N] [-A|B|C N] { PATTERN | -e PATTERN... | -f FILE... } [FILE]...")
			}
			return usage(p, 2)
		}
		pats, args = strings.Split(args[0], "\n"), args[1:]
	}
	ere := o.has('E') || name(p) == "egrep" || hasLong(o, "extended-regexp")
	fixed := o.has('F') || name(p) == "fgrep"
	icase := o.has('i') || hasLong(o, "ignore-case")
	var res []*regexp.Regexp
	for _, pat := range pats {
		re, err := compileRE(pat, ere, fixed, icase, o.has('w'), o.has('x'))
		if err != nil {
			if gnu(p) {
				errorf(p, "Unmatched ( or \\(")
			} else {
				errorf(p, "bad regex '%s': %v", pat, err)
			}
			return 2
		}
		res = append(res, re)
	}
	invert := o.has('v') || hasLong(o, "invert-match")
	quiet := o.has('q') || hasLong(o, "quiet") || hasLong(o, "silent")
	countOnly := o.has('c') || hasLong(o, "count")
	if (o.has('r') || o.has('R')) && len(args) == 0 {
		args = []string{"."}
	}
	if o.has('r') || o.has('R') {
		var expanded []string
		for _, a := range args {
			expanded = append(expanded, walkFiles(p, a)...)
		}
		args = expanded
	}
	prefix := (len(args) > 1 || o.has('r') || o.has('R') || o.has('H')) && !o.has('h')
	matched := false
	w := newOut(p.Stdout)
	status := inputs(p, args, func(f string, err error) {
		if !o.has('s') {
			w.flush()
			errorf(p, "%s: %s", f, proc.Strerror(err))
		}
	}, func(f string, r io.Reader) error {
		shown := f
		if f == "-" {
			shown = "(standard input)"
		}
		n, count := 0, 0
		err := lines(r, func(l string) bool {
			n++
			hit := false
			for _, re := range res {
				if re.MatchString(l) {
					hit = true
					break
				}
			}
			if hit == invert {
				return true
			}
			matched = true
			count++
			if quiet {
				return false
			}
			if countOnly || o.has('l') || o.has('L') {
				return !o.has('l')
			}
			var pre string
			if prefix {
				pre = shown + ":"
			}
			if o.has('n') {
				pre += strconv.Itoa(n) + ":"
			}
			if o.has('o') && !invert {
				for _, re := range res {
					for _, m := range re.FindAllString(l, -1) {
						if m != "" {
							w.print(pre + m + "\n")
						}
					}
				}
			} else {
				w.print(pre + l + "\n")
			}
			return w.err == nil
		})
		switch {
		case quiet:
		case countOnly:
			if prefix {
				w.printf("%s:%d\n", shown, count)
			} else {
				w.printf("%d\n", count)
			}
		case o.has('l') && count > 0:
			w.print(shown + "\n")
		case o.has('L') && count == 0:
			w.print(shown + "\n")
		}
		if w.err != nil {
			return writeErr{w.err}
		}
		if quiet && matched {
			return writeErr{io.EOF}
		}
		return err
	})
	w.flush()
	switch {
	case quiet && matched:
		return 0
	case status != 0 && !(o.has('s') && matched):
		return 2
	case matched:
		return 0
	}
	return 1
}

// walkFiles lists the regular files under name for grep -r.
func walkFiles(p *proc.Proc, name string) []string {
	st, err := p.FS().Stat(p.Abs(name))
	if err != nil || !st.IsDir() {
		return []string{name}
	}
	ents, err := p.FS().ReadDir(p.Abs(name))
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if e.Type()&(1<<27) != 0 { // symlinks are not followed by grep -r
			continue
		}
		out = append(out, walkFiles(p, strings.TrimSuffix(name, "/")+"/"+e.Name())...)
	}
	return out
}

func readAllLines(p *proc.Proc, files []string, fail func(string, error)) ([]string, int) {
	var all []string
	status := inputs(p, files, fail, func(_ string, r io.Reader) error {
		return lines(r, func(l string) bool { all = append(all, l); return true })
	})
	return all, status
}

func sortCmd(p *proc.Proc) int {
	o, ok := getopt(p, p.Args[1:], "rnuk:t:fbho:V")
	if !ok {
		return usage(p, 2)
	}
	ls, status := readAllLines(p, o.args, openFail(p, ""))
	sep := o.val['t']
	keyStart, keyEnd := 0, 0
	if k, ok := o.val['k']; ok {
		a, b, _ := strings.Cut(k, ",")
		keyStart, _ = strconv.Atoi(strings.TrimRight(a, "nrbf"))
		keyEnd, _ = strconv.Atoi(strings.TrimRight(b, "nrbf"))
		if strings.ContainsAny(a, "n") {
			o.set['n']++
		}
		if strings.ContainsAny(a, "r") {
			o.set['r']++
		}
	}
	key := func(l string) string {
		if keyStart == 0 {
			return l
		}
		var fs []string
		if sep != "" {
			fs = strings.Split(l, sep[:1])
		} else {
			fs = strings.Fields(l)
		}
		if keyStart > len(fs) {
			return ""
		}
		end := len(fs)
		if keyEnd > 0 && keyEnd < end {
			end = keyEnd
		}
		if end < keyStart {
			end = keyStart
		}
		j := sep
		if j == "" {
			j = " "
		}
		return strings.Join(fs[keyStart-1:end], j[:1])
	}
	num := func(s string) float64 {
		s = strings.TrimSpace(s)
		end := 0
		for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == '.' || (end == 0 && s[end] == '-')) {
			end++
		}
		v, _ := strconv.ParseFloat(s[:end], 64)
		return v
	}
	cmpf := func(a, b string) int {
		ka, kb := key(a), key(b)
		if o.has('f') {
			ka, kb = strings.ToUpper(ka), strings.ToUpper(kb)
		}
		if o.has('n') || o.has('h') {
			na, nb := num(ka), num(kb)
			switch {
			case na < nb:
				return -1
			case na > nb:
				return 1
			}
			return strings.Compare(a, b)
		}
		if c := strings.Compare(ka, kb); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	}
	sort.SliceStable(ls, func(i, j int) bool {
		c := cmpf(ls[i], ls[j])
		if o.has('r') {
			return c > 0
		}
		return c < 0
	})
	w := newOut(p.Stdout)
	for i, l := range ls {
		if o.has('u') && i > 0 && cmpf(ls[i-1], l) == 0 {
			continue
		}
		w.print(l + "\n")
	}
	return w.done(status)
}

func uniq(p *proc.Proc) int {
	o, ok := getopt(p, p.Args[1:], "cdui")
	if !ok {
		return usage(p, 1)
	}
	var in []string
	if len(o.args) > 0 {
		in = o.args[:1]
	}
	ls, status := readAllLines(p, in, openFail(p, ""))
	w := newOut(p.Stdout)
	eq := func(a, b string) bool {
		if o.has('i') {
			return strings.EqualFold(a, b)
		}
		return a == b
	}
	for i := 0; i < len(ls); {
		j := i + 1
		for j < len(ls) && eq(ls[j], ls[i]) {
			j++
		}
		n := j - i
		if (!o.has('d') || n > 1) && (!o.has('u') || n == 1) {
			if o.has('c') {
				w.printf("%7d %s\n", n, ls[i])
			} else {
				w.print(ls[i] + "\n")
			}
		}
		i = j
	}
	return w.done(status)
}

// ranges parses cut's lists ("1,3-5,7-").
func ranges(s string) (func(int) bool, bool) {
	type r struct{ a, b int }
	var rs []r
	for _, part := range strings.Split(s, ",") {
		a, b, isRange := strings.Cut(part, "-")
		lo, hi := 1, 1<<30
		var err error
		if a != "" {
			if lo, err = strconv.Atoi(a); err != nil || lo < 1 {
				return nil, false
			}
		}
		if !isRange {
			hi = lo
		} else if b != "" {
			if hi, err = strconv.Atoi(b); err != nil {
				return nil, false
			}
		}
		rs = append(rs, r{lo, hi})
	}
	return func(i int) bool {
		for _, x := range rs {
			if i >= x.a && i <= x.b {
				return true
			}
		}
		return false
	}, true
}

func cut(p *proc.Proc) int {
	o, ok := getopt(p, p.Args[1:], "d:f:c:b:s")
	if !ok {
		return usage(p, 1)
	}
	list, fields := o.val['f'], true
	if list == "" {
		list, fields = o.val['c']+o.val['b'], false
	}
	if list == "" {
		errorf(p, "you must specify a list of bytes, characters, or fields")
		return usage(p, 1)
	}
	in, ok := ranges(list)
	if !ok {
		errorf(p, "invalid field value %s", quote(list))
		return usage(p, 1)
	}
	delim := "\t"
	if d, ok := o.val['d']; ok {
		if d == "" {
			d = "\t"
		}
		delim = d[:1]
	}
	w := newOut(p.Stdout)
	status := inputs(p, o.args, openFail(p, ""), func(_ string, r io.Reader) error {
		err := lines(r, func(l string) bool {
			if !fields {
				var b strings.Builder
				for i, c := range []rune(l) {
					if in(i + 1) {
						b.WriteRune(c)
					}
				}
				w.print(b.String() + "\n")
				return w.err == nil
			}
			if !strings.Contains(l, delim) {
				if !o.has('s') {
					w.print(l + "\n")
				}
				return w.err == nil
			}
			var sel []string
			for i, f := range strings.Split(l, delim) {
				if in(i + 1) {
					sel = append(sel, f)
				}
			}
			w.print(strings.Join(sel, delim) + "\n")
			return w.err == nil
		})
		if w.err != nil {
			return writeErr{w.err}
		}
		return err
	})
	return w.done(status)
}

// trSet expands tr's SET syntax: ranges, escapes and the [:class:] names.
func trSet(s string) []rune {
	var out []rune
	rs := []rune(unescape(s))
	for i := 0; i < len(rs); i++ {
		if rs[i] == '[' && i+1 < len(rs) && rs[i+1] == ':' {
			if end := strings.Index(string(rs[i:]), ":]"); end > 0 {
				class := string(rs[i+2 : i+end])
				var lo, hi rune
				switch class {
				case "upper":
					lo, hi = 'A', 'Z'
				case "lower":
					lo, hi = 'a', 'z'
				case "digit":
					lo, hi = '0', '9'
				case "space":
					out = append(out, ' ', '\t', '\n', '\r', '\v', '\f')
				case "alpha":
					for c := 'A'; c <= 'Z'; c++ {
						out = append(out, c)
					}
					lo, hi = 'a', 'z'
				case "alnum":
					for c := '0'; c <= '9'; c++ {
						out = append(out, c)
					}
					for c := 'A'; c <= 'Z'; c++ {
						out = append(out, c)
					}
					lo, hi = 'a', 'z'
				case "punct":
					for c := rune(33); c < 127; c++ {
						if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
							out = append(out, c)
						}
					}
				}
				if hi != 0 {
					for c := lo; c <= hi; c++ {
						out = append(out, c)
					}
				}
				i += len([]rune(string(rs[i:])[:end+2])) - 1
				continue
			}
		}
		if i+2 < len(rs) && rs[i+1] == '-' && rs[i+2] >= rs[i] {
			for c := rs[i]; c <= rs[i+2]; c++ {
				out = append(out, c)
			}
			i += 2
			continue
		}
		out = append(out, rs[i])
	}
	return out
}

// unescape handles the backslash escapes of tr, echo -e and printf.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case 'e':
			b.WriteByte(0x1b)
		case '\\':
			b.WriteByte('\\')
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j, v := i, 0
			for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
				v = v*8 + int(s[j]-'0')
				j++
			}
			b.WriteByte(byte(v))
			i = j - 1
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func tr(p *proc.Proc) int {
	o, ok := getopt(p, p.Args[1:], "dscC")
	if !ok {
		return usage(p, 1)
	}
	if len(o.args) == 0 || (!o.has('d') && !o.has('s') && len(o.args) < 2) {
		errorf(p, "missing operand")
		return usage(p, 1)
	}
	set1 := trSet(o.args[0])
	var set2 []rune
	if len(o.args) > 1 {
		set2 = trSet(o.args[1])
	}
	in1 := map[rune]bool{}
	for _, c := range set1 {
		in1[c] = true
	}
	member := func(c rune) bool { return in1[c] != (o.has('c') || o.has('C')) }
	mapping := map[rune]rune{}
	if !o.has('d') && len(set2) > 0 {
		for i, c := range set1 {
			j := min(i, len(set2)-1)
			mapping[c] = set2[j]
		}
	}
	data, err := io.ReadAll(p.Stdin)
	if err != nil {
		return 1
	}
	var b strings.Builder
	var last rune = -1
	squeeze := map[rune]bool{}
	if o.has('s') {
		src := set1
		if len(set2) > 0 && !o.has('d') {
			src = set2
		}
		if o.has('d') && len(set2) > 0 {
			src = set2
		}
		for _, c := range src {
			squeeze[c] = true
		}
	}
	for _, c := range string(data) {
		if o.has('d') && member(c) {
			continue
		}
		if !o.has('d') && member(c) {
			if m, ok := mapping[c]; ok {
				c = m
			} else if len(set2) > 0 {
				c = set2[len(set2)-1]
			}
		}
		if squeeze[c] && c == last {
			continue
		}
		last = c
		b.WriteRune(c)
	}
	if _, err := io.WriteString(p.Stdout, b.String()); err != nil {
		return 1
	}
	return 0
}

func seq(p *proc.Proc) int {
	o, ok := getopt(p, p.Args[1:], "s:w")
	args := p.Args[1:]
	if ok {
		args = o.args
	} else {
		// negative numbers look like options
		o = &opts{set: map[byte]int{}, val: map[byte]string{}}
	}
	var nums []float64
	for _, a := range args {
		v, err := strconv.ParseFloat(a, 64)
		if err != nil {
			errorf(p, "invalid floating point argument: %s", quote(a))
			return usage(p, 1)
		}
		nums = append(nums, v)
	}
	first, inc, last := 1.0, 1.0, 0.0
	switch len(nums) {
	case 1:
		last = nums[0]
	case 2:
		first, last = nums[0], nums[1]
	case 3:
		first, inc, last = nums[0], nums[1], nums[2]
	default:
		errorf(p, "missing operand")
		return usage(p, 1)
	}
	if inc == 0 {
		errorf(p, "invalid Zero increment value: %s", quote(args[1]))
		return usage(p, 1)
	}
	sep, ok := o.val['s']
	if !ok {
		sep = "\n"
	}
	prec := 0
	for _, a := range args {
		if i := strings.IndexByte(a, '.'); i >= 0 {
			prec = max(prec, len(a)-i-1)
		}
	}
	width := 0
	if o.has('w') {
		width = max(len(strconv.FormatFloat(first, 'f', prec, 64)), len(strconv.FormatFloat(last, 'f', prec, 64)))
	}
	w := newOut(p.Stdout)
	n := 0
	for v := first; (inc > 0 && v <= last+1e-9) || (inc < 0 && v >= last-1e-9); v = first + float64(n)*inc {
		if n > 0 {
			w.print(sep)
		}
		s := strconv.FormatFloat(v, 'f', prec, 64)
		if width > 0 && len(s) < width {
			s = strings.Repeat("0", width-len(s)) + s
		}
		w.print(s)
		n++
		if w.err != nil || n%1024 == 0 && p.Ctx.Err() != nil {
			break
		}
	}
	if n > 0 {
		w.print("\n")
	}
	return w.done(0)
}

func yes(p *proc.Proc) int {
	s := "y"
	if len(p.Args) > 1 {
		s = strings.Join(p.Args[1:], " ")
	}
	line := []byte(strings.Repeat(s+"\n", max(1, 4096/(len(s)+1))))
	for p.Ctx.Err() == nil {
		if _, err := p.Stdout.Write(line); err != nil {
			return 1
		}
	}
	return 0
}

func echo(p *proc.Proc) int {
	args := p.Args[1:]
	newline, esc := true, false
	for len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' && strings.Trim(args[0][1:], "neE") == "" {
		for _, c := range args[0][1:] {
			switch c {
			case 'n':
				newline = false
			case 'e':
				esc = true
			case 'E':
				esc = false
			}
		}
		args = args[1:]
	}
	s := strings.Join(args, " ")
	if esc {
		if i := strings.Index(s, `\c`); i >= 0 {
			s, newline = s[:i], false
		}
		s = unescape(s)
	}
	if newline {
		s += "\n"
	}
	if _, err := io.WriteString(p.Stdout, s); err != nil {
		return 1
	}
	return 0
}

func printf(p *proc.Proc) int {
	if len(p.Args) < 2 {
		errorf(p, "missing operand")
		return usage(p, 1)
	}
	s, ok := formatPrintf(p.Args[1], p.Args[2:])
	if _, err := io.WriteString(p.Stdout, s); err != nil {
		return 1
	}
	if !ok {
		return 1
	}
	return 0
}

// formatPrintf implements printf(1): the format is reused until the arguments are used up.
func formatPrintf(format string, args []string) (string, bool) {
	var b strings.Builder
	ok := true
	next := func() (string, bool) {
		if len(args) == 0 {
			return "", false
		}
		a := args[0]
		args = args[1:]
		return a, true
	}
	for first := true; first || len(args) > 0; first = false {
		used := false
		for i := 0; i < len(format); i++ {
			c := format[i]
			if c == '\\' {
				j := i + 1
				for j < len(format) && j < i+4 && format[j] >= '0' && format[j] <= '7' {
					j++
				}
				if j == i+1 {
					j = i + 2
				}
				if j > len(format) {
					j = len(format)
				}
				b.WriteString(unescape(format[i:j]))
				i = j - 1
				continue
			}
			if c != '%' {
				b.WriteByte(c)
				continue
			}
			j := i + 1
			for j < len(format) && strings.IndexByte("-+ #0123456789.*", format[j]) >= 0 {
				j++
			}
			if j >= len(format) {
				b.WriteString(format[i:])
				break
			}
			spec := format[i+1 : j]
			verb := format[j]
			i = j
			if verb == '%' {
				b.WriteByte('%')
				continue
			}
			if strings.Contains(spec, "*") {
				a, _ := next()
				spec = strings.Replace(spec, "*", a, 1)
			}
			a, had := next()
			used = used || had
			switch verb {
			case 's':
				b.WriteString(fmt.Sprintf("%"+spec+"s", a))
			case 'b':
				b.WriteString(fmt.Sprintf("%"+spec+"s", unescape(a)))
			case 'c':
				if a != "" {
					r, _ := utf8.DecodeRuneInString(a)
					b.WriteString(fmt.Sprintf("%"+spec+"c", r))
				}
			case 'd', 'i', 'u', 'x', 'X', 'o':
				n, err := parseIntArg(a)
				if err != nil {
					ok = false
				}
				v := map[byte]string{'d': "d", 'i': "d", 'u': "d", 'x': "x", 'X': "X", 'o': "o"}[verb]
				b.WriteString(fmt.Sprintf("%"+spec+v, n))
			case 'e', 'E', 'f', 'F', 'g', 'G':
				f, err := strconv.ParseFloat(strings.TrimSpace(a), 64)
				if err != nil && a != "" {
					ok = false
				}
				if spec == "" && (verb == 'f' || verb == 'F') {
					spec = ".6"
				}
				b.WriteString(fmt.Sprintf("%"+spec+string(verb), f))
			default:
				b.WriteByte('%')
				b.WriteString(spec)
				b.WriteByte(verb)
			}
		}
		if !used {
			break
		}
	}
	return b.String(), ok
}

func parseIntArg(a string) (int64, error) {
	a = strings.TrimSpace(a)
	if a == "" {
		return 0, nil
	}
	if len(a) >= 2 && (a[0] == '\'' || a[0] == '"') {
		r, _ := utf8.DecodeRuneInString(a[1:])
		return int64(r), nil
	}
	return strconv.ParseInt(a, 0, 64)
}

func tac(p *proc.Proc) int {
	ls, status := readAllLines(p, p.Args[1:], openFail(p, ""))
	w := newOut(p.Stdout)
	for i := len(ls) - 1; i >= 0; i-- {
		w.print(ls[i] + "\n")
	}
	return w.done(status)
}

func rev(p *proc.Proc) int {
	ls, status := readAllLines(p, p.Args[1:], openFail(p, ""))
	w := newOut(p.Stdout)
	for _, l := range ls {
		r := []rune(l)
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		w.print(string(r) + "\n")
	}
	return w.done(status)
}

func nl(p *proc.Proc) int {
	ls, status := readAllLines(p, p.Args[1:], openFail(p, ""))
	w := newOut(p.Stdout)
	n := 0
	for _, l := range ls {
		if l == "" {
			w.print("\n")
			continue
		}
		n++
		w.printf("%6d\t%s\n", n, l)
	}
	return w.done(status)
}

func base64Cmd(p *proc.Proc) int {
	o, ok := getopt(p, p.Args[1:], "dw:i", "decode")
	if !ok {
		return usage(p, 1)
	}
	var data []byte
	status := inputs(p, o.args, openFail(p, ""), func(_ string, r io.Reader) error {
		b, err := io.ReadAll(r)
		data = append(data, b...)
		return err
	})
	if o.has('d') || hasLong(o, "decode") {
		clean := bytes.Map(func(r rune) rune {
			if r == '\n' || r == '\r' || r == ' ' {
				return -1
			}
			return r
		}, data)
		dec, err := base64.StdEncoding.DecodeString(string(clean))
		p.Stdout.Write(dec)
		if err != nil {
			errorf(p, "invalid input")
			return 1
		}
		return status
	}
	enc := base64.StdEncoding.EncodeToString(data)
	width := 76
	if v, ok := o.val['w']; ok {
		width, _ = strconv.Atoi(v)
	}
	w := newOut(p.Stdout)
	for width > 0 && len(enc) > width {
		w.print(enc[:width] + "\n")
		enc = enc[width:]
	}
	if enc != "" {
		w.print(enc + "\n")
	}
	return w.done(status)
}

func sha256sum(p *proc.Proc) int { return sum(p, sha256.New) }
func md5sum(p *proc.Proc) int    { return sum(p, md5.New) }

func sum(p *proc.Proc, h func() hash.Hash) int {
	w := newOut(p.Stdout)
	status := inputs(p, p.Args[1:], openFail(p, ""), func(f string, r io.Reader) error {
		d := h()
		if _, err := io.Copy(d, r); err != nil {
			return err
		}
		w.printf("%s  %s\n", hex.EncodeToString(d.Sum(nil)), f)
		return nil
	})
	return w.done(status)
}
