package runtime

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestExecSeed runs the seed documents' commands as printed.
func TestExecSeed(t *testing.T) {
	t.Parallel()
	p := newPod(t, Options{})
	nginx := p.idle("nginx")
	busybox := p.idle("busybox")
	tests := []struct {
		name string
		c    *Container
		argv []string
		want string
	}{
		{"kubectl exec nginx -- cat /etc/hosts", nginx, []string{"cat", "/etc/hosts"}, hostsFile},
		{"kubectl exec -it pod01 -- cat /etc/hosts", busybox, []string{"cat", "/etc/hosts"}, hostsFile},
		// kubectl exec -it pod01 -- set | grep MY_POD_IPS: the pipe is kubectl's, set runs in the pod
		{"kubectl exec -it pod01 -- set", busybox, []string{"set"}, "HOME=/root\nHOSTNAME=pod01\nKUBERNETES_SERVICE_HOST=10.96.0.1\nMY_POD_IPS=10.244.1.4,a00:100::4\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, tt.c, "", tt.argv...)
			if r.err != nil || r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, err %v, stderr %q", r.code, r.err, r.stderr)
			}
			if diff := cmp.Diff(tt.want, r.stdout); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if tt.argv[0] == "set" {
				var grep []string
				for _, l := range strings.Split(r.stdout, "\n") {
					if strings.Contains(l, "MY_POD_IPS") {
						grep = append(grep, l)
					}
				}
				if diff := cmp.Diff([]string{"MY_POD_IPS=10.244.1.4,a00:100::4"}, grep); diff != "" {
					t.Errorf("set | grep MY_POD_IPS (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestExecCommands(t *testing.T) {
	t.Parallel()
	p := newPod(t, Options{})
	bb := p.idle("busybox")
	deb := p.idle("nginx")
	tests := []struct {
		name     string
		c        *Container
		stdin    string
		argv     []string
		wantOut  string
		wantErr  string
		wantCode int
	}{
		{name: "echo", c: bb, argv: []string{"echo", "-n", "a", "b"}, wantOut: "a b"},
		{name: "printf", c: bb, argv: []string{"printf", "%s=%03d\\n", "a", "7", "b", "42"}, wantOut: "a=007\nb=042\n"},
		{name: "env order is containerd's", c: bb, argv: []string{"env"}, wantOut: "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nHOSTNAME=pod01\nMY_POD_IPS=10.244.1.4,a00:100::4\nKUBERNETES_SERVICE_HOST=10.96.0.1\nHOME=/root\n"},
		{name: "printenv one", c: bb, argv: []string{"printenv", "HOSTNAME"}, wantOut: "pod01\n"},
		{name: "printenv missing", c: bb, argv: []string{"printenv", "NOPE"}, wantCode: 1},
		{name: "hostname", c: bb, argv: []string{"hostname"}, wantOut: "pod01\n"},
		{name: "hostname -i busybox", c: bb, argv: []string{"hostname", "-i"}, wantOut: "10.244.1.4 \n"},
		{name: "hostname -i debian", c: deb, argv: []string{"hostname", "-i"}, wantOut: "10.244.1.4 a00:100::4\n"},
		{name: "id busybox", c: bb, argv: []string{"id"}, wantOut: "uid=0(root) gid=0(root) groups=0(root),10(wheel)\n"},
		{name: "id debian", c: deb, argv: []string{"id"}, wantOut: "uid=0(root) gid=0(root) groups=0(root)\n"},
		{name: "whoami", c: bb, argv: []string{"whoami"}, wantOut: "root\n"},
		{name: "pwd", c: bb, argv: []string{"pwd"}, wantOut: "/\n"},
		{name: "uname", c: bb, argv: []string{"uname", "-s", "-n"}, wantOut: "Linux pod01\n"},
		{name: "cat missing", c: bb, argv: []string{"cat", "/nope"}, wantErr: "cat: /nope: No such file or directory\n", wantCode: 1},
		{name: "cat stdin", c: bb, stdin: "typed\n", argv: []string{"cat"}, wantOut: "typed\n"},
		{name: "ls busybox missing", c: bb, argv: []string{"ls", "/nope"}, wantErr: "ls: /nope: No such file or directory\n", wantCode: 1},
		{name: "ls gnu missing", c: deb, argv: []string{"ls", "/nope"}, wantErr: "ls: cannot access '/nope': No such file or directory\n", wantCode: 2},
		{name: "ls one per line", c: bb, argv: []string{"ls", "/etc"}, wantOut: "group\nhostname\nhosts\nnsswitch.conf\npasswd\nresolv.conf\nshadow\n"},
		{name: "ls -a shows dotfiles", c: bb, argv: []string{"sh", "-c", "mkdir /tmp/d && touch /tmp/d/.hidden /tmp/d/shown && ls /tmp/d && ls -a /tmp/d"}, wantOut: "shown\n.\n..\n.hidden\nshown\n"},
		{name: "ls -l long", c: bb, argv: []string{"ls", "-l", "/etc/hosts"}, wantOut: fmt.Sprintf("-rw-r--r--    1 root     root     %9d ", len(hostsFile))},
		{name: "head", c: bb, argv: []string{"head", "-n", "2", "/etc/hosts"}, wantOut: "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n"},
		{name: "tail", c: bb, argv: []string{"tail", "-n", "1", "/etc/hosts"}, wantOut: "a00:100::4\tpod01\n"},
		{name: "tail -c+", c: bb, stdin: "abcdef", argv: []string{"tail", "-c+3"}, wantOut: "cdef"},
		{name: "grep", c: bb, argv: []string{"grep", "pod01", "/etc/hosts"}, wantOut: "10.244.1.4\tpod01\na00:100::4\tpod01\n"},
		{name: "grep -c -v", c: bb, argv: []string{"grep", "-cv", "pod01", "/etc/hosts"}, wantOut: "7\n"},
		{name: "grep -iE", c: bb, stdin: "Foo\nbar\nbaz\n", argv: []string{"grep", "-iE", "^(foo|baz)$"}, wantOut: "Foo\nbaz\n"},
		{name: "grep no match", c: bb, stdin: "a\n", argv: []string{"grep", "-q", "z"}, wantCode: 1},
		{name: "wc", c: deb, stdin: "one two\nthree\n", argv: []string{"wc"}, wantOut: "      2       3      14\n"},
		{name: "wc -l", c: bb, stdin: "a\nb\n", argv: []string{"wc", "-l"}, wantOut: "2\n"},
		{name: "sort uniq", c: bb, stdin: "b\na\nb\n", argv: []string{"sh", "-c", "sort | uniq -c"}, wantOut: "      1 a\n      2 b\n"},
		{name: "cut", c: bb, stdin: "a:b:c\n", argv: []string{"cut", "-d:", "-f2,3"}, wantOut: "b:c\n"},
		{name: "tr", c: bb, stdin: "hello\n", argv: []string{"tr", "a-z", "A-Z"}, wantOut: "HELLO\n"},
		{name: "seq", c: bb, argv: []string{"seq", "3"}, wantOut: "1\n2\n3\n"},
		{name: "xargs", c: bb, stdin: "a b\nc\n", argv: []string{"xargs", "-n", "2", "echo"}, wantOut: "a b\nc\n"},
		{name: "basename dirname", c: bb, argv: []string{"sh", "-c", "basename /a/b.txt .txt; dirname /a/b.txt"}, wantOut: "b\n/a\n"},
		{name: "test -d", c: bb, argv: []string{"test", "-d", "/etc"}},
		{name: "test -f fails", c: bb, argv: []string{"test", "-f", "/etc"}, wantCode: 1},
		{name: "mkdir -p rm -rf", c: bb, argv: []string{"sh", "-c", "mkdir -p /tmp/a/b/c && touch /tmp/a/b/c/f && rm -rf /tmp/a && test ! -e /tmp/a && echo gone"}, wantOut: "gone\n"},
		{name: "mkdir busybox error", c: bb, argv: []string{"mkdir", "/nope/x"}, wantErr: "mkdir: can't create directory '/nope/x': No such file or directory\n", wantCode: 1},
		{name: "mkdir gnu error", c: deb, argv: []string{"mkdir", "/nope/x"}, wantErr: "mkdir: cannot create directory '/nope/x': No such file or directory\n", wantCode: 1},
		{name: "rm directory", c: deb, argv: []string{"rm", "/etc"}, wantErr: "rm: cannot remove '/etc': Is a directory\n", wantCode: 1},
		{name: "tee", c: bb, stdin: "x\n", argv: []string{"sh", "-c", "tee /tmp/t && cat /tmp/t"}, wantOut: "x\nx\n"},
		{name: "date format", c: bb, argv: []string{"date", "-d", "@0", "+%Y-%m-%d %H:%M:%S %Z"}, wantOut: "1970-01-01 00:00:00 UTC\n"},
		{name: "sleep bad", c: bb, argv: []string{"sleep", "x"}, wantErr: "sleep: invalid number 'x'\n", wantCode: 1},
		{name: "getent hosts prefers IPv6", c: deb, argv: []string{"getent", "hosts", "pod01"}, wantOut: "a00:100::4      pod01\n"},
		{name: "getent hosts localhost", c: deb, argv: []string{"getent", "hosts", "localhost"}, wantOut: "::1             localhost ip6-localhost ip6-loopback\n"},
		{name: "getent missing", c: deb, argv: []string{"getent", "hosts", "nope.example"}, wantCode: 2},
		{name: "nslookup from hosts", c: bb, argv: []string{"nslookup", "pod01"}, wantOut: "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n" +
			"** server can't find pod01.default.svc.cluster.local: NXDOMAIN\n\n** server can't find pod01.svc.cluster.local: NXDOMAIN\n\n** server can't find pod01.cluster.local: NXDOMAIN\n\n" +
			"** server can't find pod01.default.svc.cluster.local: NXDOMAIN\n\n** server can't find pod01.svc.cluster.local: NXDOMAIN\n\n** server can't find pod01.cluster.local: NXDOMAIN\n\n", wantCode: 1},
		{name: "nslookup dotted name", c: bb, argv: []string{"nslookup", "localhost."}, wantOut: "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\nName:\tlocalhost.\nAddress: 127.0.0.1\n\nName:\tlocalhost.\nAddress: ::1\n\n"},
		{name: "ip addr", c: bb, argv: []string{"sh", "-c", "ip addr | grep inet"}, wantOut: "    inet 127.0.0.1/8 scope host lo\n    inet6 ::1/128 scope host \n    inet 10.244.1.4/24 brd 10.244.1.255 scope global eth0\n    inet6 a00:100::4/64 scope global \n    inet6 fe80::"},
		{name: "debian has no ip", c: deb, argv: []string{"sh", "-c", "ip addr"}, wantErr: "sh: 1: ip: not found\n", wantCode: 127},
		{name: "kill missing pid", c: bb, argv: []string{"kill", "9999"}, wantErr: "kill: can't kill pid 9999: No such process\n", wantCode: 1},
		{name: "busybox applet not found", c: bb, argv: []string{"busybox", "nosuch"}, wantErr: "nosuch: applet not found\n", wantCode: 127},
		{name: "unsimulated tool", c: bb, argv: []string{"awk", "{print}"}, wantErr: "awk: not simulated by fakecluster's container runtime\n", wantCode: 1},
		{name: "env runs a command", c: bb, argv: []string{"env", "-i", "A=1", "env"}, wantOut: "A=1\n"},
		{name: "env command missing", c: bb, argv: []string{"env", "nosuch"}, wantErr: "env: can't execute 'nosuch': No such file or directory\n", wantCode: 127},
		{name: "timeout", c: bb, argv: []string{"timeout", "0.05", "sleep", "5"}, wantCode: 124},
		{name: "which", c: deb, argv: []string{"which", "cat", "nginx"}, wantOut: "/usr/bin/cat\n/usr/sbin/nginx\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, tt.c, tt.stdin, tt.argv...)
			if r.err != nil {
				t.Fatalf("exec error: %v", r.err)
			}
			if r.code != tt.wantCode {
				t.Errorf("exit %d, want %d (stderr %q)", r.code, tt.wantCode, r.stderr)
			}
			out := r.stdout
			if strings.HasSuffix(tt.name, "long") || tt.name == "ip addr" {
				out = out[:min(len(out), len(tt.wantOut))]
			}
			if diff := cmp.Diff(tt.wantOut, out); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantErr, r.stderr); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExecPS(t *testing.T) {
	t.Parallel()
	p := newPod(t, Options{})
	c := p.idle("busybox")
	r := run(t, c, "", "ps")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 3 || lines[0] != "PID   USER     TIME  COMMAND" || lines[1] != "    1 root      0:00 sleep infinity" || !strings.HasSuffix(lines[2], " root      0:00 ps") {
		t.Errorf("ps printed %q", r.stdout)
	}
}

// TestExecErrors checks what kubectl gets back for commands that cannot run.
func TestExecErrors(t *testing.T) {
	t.Parallel()
	p := newPod(t, Options{StrictExec: true})
	c := p.idle("busybox")
	tests := []struct {
		name string
		argv []string
		want string
	}{
		{"missing binary", []string{"nosuch"}, `OCI runtime exec failed: exec failed: unable to start container process: exec: "nosuch": executable file not found in $PATH: unknown`},
		{"missing path", []string{"/nosuch"}, `OCI runtime exec failed: exec failed: unable to start container process: exec: "/nosuch": stat /nosuch: no such file or directory: unknown`},
		{"strict set is not a program", []string{"set"}, `exec: "set": executable file not found in $PATH: unknown`},
		{"not executable", []string{"/etc/passwd"}, `exec: "/etc/passwd": permission denied: unknown`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, c, "", tt.argv...)
			var xe *ExecError
			if !errors.As(r.err, &xe) {
				t.Fatalf("error %v, want *ExecError", r.err)
			}
			if !strings.HasPrefix(xe.Message, "failed to exec in container: failed to start exec \"") || !strings.HasSuffix(xe.Message, tt.want) {
				t.Errorf("message %q\nwant it to end with %q", xe.Message, tt.want)
			}
		})
	}
}
