package runtime

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestShell(t *testing.T) {
	t.Parallel()
	p := newPod(t, Options{})
	ro := filepath.Join(p.dir, "volumes", "config")
	if err := os.MkdirAll(ro, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(ro, "key"), "value")
	p.mounts = append(p.mounts, Mount{ContainerPath: "/config", HostPath: ro, ReadOnly: true})
	images := map[string]*Container{"busybox": p.idle("busybox"), "debian": p.idle("debian"), "alpine": p.idle("alpine")}
	tests := []struct {
		name     string
		image    string
		stdin    string
		argv     []string
		wantOut  string
		wantErr  string
		wantCode int
	}{
		{name: "pipes and lists", image: "busybox", argv: []string{"sh", "-c", "echo a | tr a b && false || echo c; echo d"}, wantOut: "b\nc\nd\n"},
		{name: "redirections", image: "busybox", argv: []string{"sh", "-c", "echo one > /tmp/r; echo two >> /tmp/r; cat < /tmp/r; ls /nope 2>&1 | wc -l"}, wantOut: "one\ntwo\n1\n"},
		{name: "variables and export", image: "busybox", argv: []string{"sh", "-c", "A=1; export B=2; C=3 env | grep -E '^(A|B|C)='; echo $A$B"}, wantOut: "B=2\nC=3\n12\n"},
		{name: "positional parameters", image: "busybox", argv: []string{"sh", "-c", `echo "$0 $1 $#"`, "name", "x"}, wantOut: "name x 1\n"},
		{name: "exit code", image: "busybox", argv: []string{"sh", "-c", "exit 7"}, wantCode: 7},
		{name: "status of last command", image: "busybox", argv: []string{"sh", "-c", "false; echo $?"}, wantOut: "1\n"},
		{name: "set -e", image: "busybox", argv: []string{"sh", "-ec", "false; echo not reached"}, wantCode: 1},
		{name: "control flow", image: "busybox", argv: []string{"sh", "-c", "for i in 1 2 3; do if [ $i -eq 2 ]; then continue; fi; echo $i; done; case x in x) echo cased;; esac"}, wantOut: "1\n3\ncased\n"},
		{name: "functions and substitution", image: "busybox", argv: []string{"sh", "-c", "f() { echo \"<$1>\"; }; f \"$(echo hi)\"; echo `echo tick` $((6*7))"}, wantOut: "<hi>\ntick 42\n"},
		{name: "here document", image: "busybox", argv: []string{"sh", "-c", "cat <<EOF\nhost=$(hostname)\nEOF"}, wantOut: "host=pod01\n"},
		{name: "read from stdin", image: "busybox", stdin: "line one\n", argv: []string{"sh", "-c", "read a b; echo \"$b-$a\""}, wantOut: "one-line\n"},
		{name: "cd and globbing", image: "busybox", argv: []string{"sh", "-c", "cd /etc && pwd && echo h*"}, wantOut: "/etc\nhostname hosts\n"},
		{name: "script from stdin", image: "busybox", stdin: "echo from stdin\nexit 3\necho no\n", argv: []string{"sh"}, wantOut: "from stdin\n", wantCode: 3},
		{name: "pid is the container's", image: "busybox", argv: []string{"sh", "-c", `test "$$" -gt 1 && test "$$" -lt 1000 && echo ok`}, wantOut: "ok\n"},
		{name: "ash not found", image: "busybox", argv: []string{"sh", "-c", "nosuch"}, wantErr: "sh: nosuch: not found\n", wantCode: 127},
		{name: "dash not found", image: "debian", argv: []string{"sh", "-c", "true\nnosuch"}, wantErr: "sh: 2: nosuch: not found\n", wantCode: 127},
		{name: "bash not found", image: "debian", argv: []string{"bash", "-c", "nosuch"}, wantErr: "bash: line 1: nosuch: command not found\n", wantCode: 127},
		{name: "ash read-only redirect", image: "busybox", argv: []string{"sh", "-c", "echo x > /config/new"}, wantErr: "sh: can't create /config/new: Read-only file system\n", wantCode: 1},
		{name: "ash missing directory", image: "busybox", argv: []string{"sh", "-c", "echo x > /nope/new"}, wantErr: "sh: can't create /nope/new: nonexistent directory\n", wantCode: 1},
		{name: "dash read-only redirect", image: "debian", argv: []string{"sh", "-c", "echo x > /config/new"}, wantErr: "sh: 1: cannot create /config/new: Read-only file system\n", wantCode: 1},
		{name: "bash missing directory", image: "debian", argv: []string{"bash", "-c", "echo x > /nope/new"}, wantErr: "bash: line 1: /nope/new: No such file or directory\n", wantCode: 1},
		{name: "ash set quotes", image: "busybox", argv: []string{"sh", "-c", "X='a b'; Y=plain; set | grep -E '^(X|Y|MY_POD_IPS)='"}, wantOut: "MY_POD_IPS='10.244.1.4,a00:100::4'\nX='a b'\nY='plain'\n"},
		{name: "bash set quotes when needed", image: "debian", argv: []string{"bash", "-c", "X='a b'; Y=plain; set | grep -E '^(X|Y|MY_POD_IPS)='"}, wantOut: "MY_POD_IPS=10.244.1.4,a00:100::4\nX='a b'\nY=plain\n"},
		{name: "dash echo interprets escapes", image: "debian", argv: []string{"sh", "-c", `echo 'a\tb'`}, wantOut: "a\tb\n"},
		{name: "ash echo does not", image: "busybox", argv: []string{"sh", "-c", `echo 'a\tb'`}, wantOut: "a\\tb\n"},
		{name: "command -v", image: "debian", argv: []string{"sh", "-c", "command -v ls cd nosuch"}, wantOut: "/usr/bin/ls\ncd\n", wantCode: 1},
		{name: "type", image: "busybox", argv: []string{"sh", "-c", "type ls"}, wantOut: "ls is /bin/ls\n"},
		{name: "umask", image: "busybox", argv: []string{"sh", "-c", "umask"}, wantOut: "0022\n"},
		{name: "kill builtin", image: "debian", argv: []string{"bash", "-c", "kill 9999"}, wantErr: "bash: line 1: kill: (9999) - No such process\n", wantCode: 1},
		{name: "pid 1 ignores SIGTERM from inside", image: "busybox", argv: []string{"sh", "-c", "kill 1; sleep 0.05; ps | grep '^    1 '"}, wantOut: "    1 root      0:00 sleep infinity\n"},
		{name: "script without shebang runs in the shell", image: "busybox", argv: []string{"sh", "-c", "echo 'echo in script $1' > /tmp/s.sh; chmod +x /tmp/s.sh; /tmp/s.sh arg"}, wantOut: "in script arg\n"},
		{name: "shebang script", image: "alpine", argv: []string{"sh", "-c", "printf '#!/bin/sh\\necho shebang $0\\n' > /tmp/t; chmod 755 /tmp/t; /tmp/t"}, wantOut: "shebang /tmp/t\n"},
		{name: "process substitution refused", image: "debian", argv: []string{"bash", "-c", "cat <(echo x)"}, wantErr: "bash: line 1: process substitution is not supported by this simulated bash\n", wantCode: 2},
		{name: "syntax error", image: "busybox", argv: []string{"sh", "-c", "echo 'unterminated"}, wantErr: "sh: syntax error: unterminated quoted string\n", wantCode: 2},
		{name: "dev stdout and stderr", image: "busybox", argv: []string{"sh", "-c", "echo out > /dev/stdout; echo err > /dev/stderr; echo gone > /dev/null"}, wantOut: "out\n", wantErr: "err\n"},
		{name: "command substitution cap", image: "busybox", argv: []string{"sh", "-c", "x=$(yes | head -c 100); echo ${#x}"}, wantOut: "99\n"},
		{name: "TMPDIR is the container's", image: "busybox", argv: []string{"sh", "-c", "echo \"[$TMPDIR]\"; env | grep -c TMPDIR"}, wantOut: "[]\n0\n", wantCode: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, images[tt.image], tt.stdin, tt.argv...)
			if r.err != nil {
				t.Fatalf("exec error: %v", r.err)
			}
			if r.code != tt.wantCode {
				t.Errorf("exit %d, want %d (stderr %q)", r.code, tt.wantCode, r.stderr)
			}
			if diff := cmp.Diff(tt.wantOut, r.stdout); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantErr, r.stderr); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
	// the read-only volume is unchanged on the host
	if b, err := os.ReadFile(filepath.Join(ro, "key")); err != nil || string(b) != "value" {
		t.Errorf("read-only volume: %q, %v", b, err)
	}
	if ents, _ := os.ReadDir(ro); len(ents) != 1 {
		t.Errorf("read-only volume gained files: %v", ents)
	}
	if !strings.Contains(run(t, images["busybox"], "", "ps").stdout, "sleep infinity") {
		t.Error("the container's main process died")
	}
}
