package commands

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/vfs"
)

// fakeSys is a container with one process, enough for the tools; its network is net (see
// net_test.go), or none: connections refused, DNS and pings unanswered.
type fakeSys struct {
	fs       *vfs.FS
	userland proc.Userland
	table    map[string]proc.Func
	net      *fakeNet
}

func (f *fakeSys) FS() *vfs.FS                              { return f.fs }
func (f *fakeSys) PID() int                                 { return 7 }
func (f *fakeSys) Notify(...proc.Signal) <-chan proc.Signal { return make(chan proc.Signal) }
func (f *fakeSys) Kill(pid int, _ proc.Signal) error {
	if pid == 1 {
		return nil
	}
	return syscall.ESRCH
}
func (f *fakeSys) Processes() []proc.ProcessInfo {
	return []proc.ProcessInfo{{PID: 1, Args: []string{"sleep", "9"}}, {PID: 7, Args: []string{"ps"}}}
}
func (f *fakeSys) Hostname() string        { return "web-0" }
func (f *fakeSys) Userland() proc.Userland { return f.userland }
func (f *fakeSys) Uname() proc.Uname {
	return proc.Uname{Sysname: "Linux", Release: "6.8.0", Version: "#1", Machine: "x86_64", CPUs: 2, MemoryBytes: 1 << 30}
}
func (f *fakeSys) PodIPs() []netip.Prefix {
	return []netip.Prefix{netip.MustParsePrefix("10.244.0.5/24"), netip.MustParsePrefix("fd00::5/64")}
}
func (f *fakeSys) Listen(port int, serve func(net.Conn)) (io.Closer, error) {
	if f.net == nil {
		return nil, syscall.EACCES
	}
	return f.net.listen(port, serve)
}
func (f *fakeSys) Dial(ctx context.Context, to netip.AddrPort) (net.Conn, error) {
	if f.net == nil {
		return nil, syscall.ECONNREFUSED
	}
	return f.net.dial(ctx, to)
}
func (f *fakeSys) Exchange(ctx context.Context, server netip.AddrPort, q *dns.Msg) (*dns.Msg, error) {
	if f.net == nil {
		return nil, errors.New("no reply")
	}
	return f.net.exchange(ctx, server, q)
}
func (f *fakeSys) Ping(ctx context.Context, to netip.Addr) error {
	if f.net == nil {
		return syscall.ETIMEDOUT
	}
	return f.net.ping(ctx, to)
}
func (f *fakeSys) Exec(child *proc.Proc) (int, error) {
	fn := f.table[child.Args[0]]
	if fn == nil {
		return 0, &proc.ExecError{Name: child.Args[0], Err: syscall.ENOENT, InPath: true}
	}
	c := *child
	c.Sys = f
	return fn(&c), nil
}
func (f *fakeSys) Replace(child *proc.Proc) (int, error) { return f.Exec(child) }

func newSys(t testing.TB, u proc.Userland) *fakeSys { return newSysFiles(t, u, nil) }

// newSysFiles is newSys with more files in the image.
func newSysFiles(t testing.TB, u proc.Userland, extra map[string]string) *fakeSys {
	t.Helper()
	b := vfs.NewBuilder(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	b.File("/etc/hosts", []byte("127.0.0.1\tlocalhost\n10.244.0.5\tweb-0.nginx.default.svc.cluster.local\tweb-0\n"), 0o644)
	b.File("/etc/passwd", []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644)
	b.File("/etc/group", []byte("root:x:0:\n"), 0o644)
	b.File("/srv/a.txt", []byte("b 2\na 10\nc 1\n"), 0o644)
	b.Symlink("/srv/link", "a.txt")
	b.Dir("/tmp", 0o1777)
	b.Device("/dev/null", vfs.DevNull)
	for name, content := range extra {
		b.File(name, []byte(content), 0o644)
	}
	tree, err := b.Tree()
	if err != nil {
		t.Fatal(err)
	}
	fs, err := vfs.New(tree, nil, vfs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &fakeSys{fs: fs, userland: u, table: Table()}
}

func TestTools(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		gnu      bool
		stdin    string
		argv     []string
		wantOut  string
		wantErr  string
		wantCode int
	}{
		{name: "sed substitute", stdin: "hello world\n", argv: []string{"sed", "s/o/0/g"}, wantOut: "hell0 w0rld\n"},
		{name: "sed groups and -n p", stdin: "ab\ncd\n", argv: []string{"sed", "-n", `s/\(a\)\(b\)/\2\1/p`}, wantOut: "ba\n"},
		{name: "sed address and delete", stdin: "1\n2\n3\n", argv: []string{"sed", "2d"}, wantOut: "1\n3\n"},
		{name: "printf reuse", argv: []string{"printf", "%s-%s\n", "a", "b", "c"}, wantOut: "a-b\nc-\n"},
		{name: "printf escapes", argv: []string{"printf", `%b|\t|%%|%c\n`, `x\ny`, "zed"}, wantOut: "x\ny|\t|%|z\n"},
		{name: "tr classes and squeeze", stdin: "aaBB  cc\n", argv: []string{"tr", "-s", "[:lower:]", "[:upper:]"}, wantOut: "AB  C\n"},
		{name: "tr delete", stdin: "a1b2\n", argv: []string{"tr", "-d", "0-9"}, wantOut: "ab\n"},
		{name: "seq -w with step", argv: []string{"seq", "-w", "1", "4", "10"}, wantOut: "01\n05\n09\n"},
		{name: "seq separator", argv: []string{"seq", "-s", ",", "3"}, wantOut: "1,2,3\n"},
		{name: "sort numeric by key", argv: []string{"sort", "-n", "-k", "2", "/srv/a.txt"}, wantOut: "c 1\nb 2\na 10\n"},
		{name: "sort reverse", argv: []string{"sort", "-r", "/srv/a.txt"}, wantOut: "c 1\nb 2\na 10\n"},
		{name: "uniq -d", stdin: "a\na\nb\n", argv: []string{"uniq", "-d"}, wantOut: "a\n"},
		{name: "cut characters", stdin: "abcdef\n", argv: []string{"cut", "-c", "2-4"}, wantOut: "bcd\n"},
		{name: "readlink", argv: []string{"readlink", "/srv/link"}, wantOut: "a.txt\n"},
		{name: "readlink -f", argv: []string{"readlink", "-f", "/srv/link"}, wantOut: "/srv/a.txt\n"},
		{name: "stat -c", argv: []string{"stat", "-c", "%n %s %a %U", "/srv/a.txt"}, wantOut: "/srv/a.txt 13 644 root\n"},
		{name: "find by type", argv: []string{"find", "/srv", "-type", "f"}, wantOut: "/srv/a.txt\n"},
		{name: "find by name", argv: []string{"find", "/", "-name", "*.txt"}, wantOut: "/srv/a.txt\n"},
		{name: "base64", stdin: "hi\n", argv: []string{"base64"}, wantOut: "aGkK\n"},
		{name: "base64 -d", stdin: "aGkK\n", argv: []string{"base64", "-d"}, wantOut: "hi\n"},
		{name: "sha256sum", stdin: "", argv: []string{"sha256sum"}, wantOut: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  -\n"},
		{name: "date strftime", argv: []string{"date", "-u", "-d", "2025-01-02 03:04:05", "+%a %b %e %T %j %s"}, wantOut: "Thu Jan  2 03:04:05 002 1735787045\n"},
		{name: "date default", argv: []string{"date", "-d", "@86400"}, wantOut: "Fri Jan  2 00:00:00 UTC 1970\n"},
		{name: "test string and numbers", argv: []string{"test", "a", "=", "a", "-a", "3", "-gt", "2"}},
		{name: "test bad number", argv: []string{"test", "x", "-eq", "1"}, wantErr: "test: invalid integer 'x'\n", wantCode: 2, gnu: true},
		{name: "[ needs ]", argv: []string{"[", "1"}, wantErr: "[: missing ']'\n", wantCode: 2},
		{name: "xargs -I", stdin: "a\nb\n", argv: []string{"xargs", "-I", "{}", "echo", "<{}>"}, wantOut: "<a>\n<b>\n"},
		{name: "hostname -f from hosts", argv: []string{"hostname", "-f"}, wantOut: "web-0.nginx.default.svc.cluster.local\n"},
		{name: "hostname -d", argv: []string{"hostname", "-d"}, wantOut: "nginx.default.svc.cluster.local\n"},
		{name: "hostname -I", argv: []string{"hostname", "-I"}, wantOut: "10.244.0.5 fd00::5 \n"},
		{name: "set hostname refused", gnu: true, argv: []string{"hostname", "x"}, wantErr: "hostname: you must be root to change the host name\n", wantCode: 1},
		{name: "ps gnu", gnu: true, argv: []string{"ps"}, wantOut: "    PID TTY          TIME CMD\n      1 ?        00:00:00 sleep\n      7 ?        00:00:00 ps\n"},
		{name: "kill gnu no such process", gnu: true, argv: []string{"kill", "-9", "42"}, wantErr: "kill: (42): No such process\n", wantCode: 1},
		{name: "kill -l", argv: []string{"kill", "-l"}, wantOut: "HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH POLL PWR SYS\n"},
		{name: "nproc", argv: []string{"nproc"}, wantOut: "2\n"},
		{name: "uname -a busybox", argv: []string{"uname", "-a"}, wantOut: "Linux web-0 6.8.0 #1 x86_64 x86_64 GNU/Linux\n"},
		{name: "uname -a gnu", gnu: true, argv: []string{"uname", "-a"}, wantOut: "Linux web-0 6.8.0 #1 x86_64 GNU/Linux\n"},
		{name: "nslookup without a nameserver reply", argv: []string{"nslookup", "x"}, wantOut: ";; connection timed out; no servers could be reached\n\n", wantCode: 1},
		{name: "getent without DNS", gnu: true, argv: []string{"getent", "hosts", "x"}, wantCode: 2},
		{name: "curl no args", argv: []string{"curl"}, wantErr: "curl: try 'curl --help' for more information\n", wantCode: 2},
		{name: "getopt unknown option gnu", gnu: true, argv: []string{"ls", "-Z"}, wantErr: "ls: invalid option -- 'Z'\nTry 'ls --help' for more information.\n", wantCode: 2},
		{name: "apt-get install", gnu: true, argv: []string{"apt-get", "install", "-y", "curl"}, wantOut: "Reading package lists... Done\nBuilding dependency tree... Done\nReading state information... Done\n", wantErr: "E: Unable to locate package curl\n", wantCode: 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u := proc.Busybox
			if tt.gnu {
				u = proc.GNU
			}
			sys := newSys(t, u)
			var o, e bytes.Buffer
			p := &proc.Proc{Ctx: context.Background(), Args: tt.argv, Env: []string{"PATH=/bin"}, Dir: "/", Stdin: strings.NewReader(tt.stdin), Stdout: &o, Stderr: &e, Sys: sys}
			fn := sys.table[tt.argv[0]]
			if fn == nil {
				t.Fatalf("no program %q", tt.argv[0])
			}
			code := fn(p)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.wantCode, e.String())
			}
			if diff := cmp.Diff(tt.wantOut, o.String()); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantErr, e.String()); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFileTools(t *testing.T) {
	t.Parallel()
	sys := newSys(t, proc.Busybox)
	runTool := func(argv ...string) (string, int) {
		var o bytes.Buffer
		p := &proc.Proc{Ctx: context.Background(), Args: argv, Dir: "/tmp", Stdin: proc.Empty{}, Stdout: &o, Stderr: &o, Sys: sys}
		code := sys.table[argv[0]](p)
		return o.String(), code
	}
	steps := []struct {
		argv []string
		want string
	}{
		{[]string{"cp", "/srv/a.txt", "copy"}, ""},
		{[]string{"chmod", "u+x,go-r", "copy"}, ""},
		{[]string{"stat", "-c", "%A", "copy"}, "-rwx------\n"},
		{[]string{"sed", "-i", "s/b 2/B 2/", "copy"}, ""},
		{[]string{"head", "-n", "1", "copy"}, "B 2\n"},
		{[]string{"mv", "copy", "moved"}, ""},
		{[]string{"ln", "-s", "moved", "l"}, ""},
		{[]string{"cat", "l"}, "B 2\na 10\nc 1\n"},
		{[]string{"mkdir", "-p", "d/e"}, ""},
		{[]string{"cp", "-r", "d", "d2"}, ""},
		{[]string{"ls", "-F"}, "d/\nd2/\nl@\nmoved*\n"},
		{[]string{"rm", "-r", "d", "d2", "l", "moved"}, ""},
		{[]string{"ls", "-a"}, ".\n..\n"},
	}
	for _, s := range steps {
		out, code := runTool(s.argv...)
		if code != 0 || out != s.want {
			t.Errorf("%q: exit %d, %q, want %q", s.argv, code, out, s.want)
		}
	}
}

func TestParseMode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec string
		cur  uint32
		want uint32
		ok   bool
	}{
		{"755", 0, 0o755, true}, {"u+x", 0o644, 0o744, true}, {"a=r", 0o777, 0o444, true},
		{"go-w,u+s", 0o666, 0o644, false}, {"+x", 0o644, 0o755, true}, {"z", 0, 0, false}, {"99999", 0, 0, false},
	}
	for _, tt := range tests {
		got, ok := parseMode(tt.spec, fs.FileMode(tt.cur), false)
		if ok != tt.ok || (ok && uint32(got) != tt.want) {
			t.Errorf("parseMode(%q, %o) = %o %v, want %o %v", tt.spec, tt.cur, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzFormatPrintf(f *testing.F) {
	for _, s := range []string{"%s\n", "%*d|%-5s", "%b", "\\0777%", "%.3f %e %x %c"} {
		f.Add(s, "12")
	}
	f.Fuzz(func(t *testing.T, format, arg string) {
		_, _ = formatPrintf(format, []string{arg, arg})
	})
}

func FuzzSedScript(f *testing.F) {
	for _, s := range []string{"s/a/b/g", "2,$d", "/x/!p", "1i\\\nhead", "s|\\(.\\)|<\\1>|2", "$="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, script string) {
		cmds, err := parseSed(script, false)
		if err != nil {
			return
		}
		for _, c := range cmds {
			for n, l := range []string{"a", "xb", ""} {
				c.selects(n+1, n == 2, l)
				if c.op == 's' {
					c.substitute(l)
				}
			}
		}
	})
}
