package runtime

import (
	"context"
	"io"
	"testing"
	"time"
)

// FuzzShell runs random command lines in a busybox and a debian container: no panic, no
// hang past the exec deadline, nothing written outside the pod directory (newPod's cleanup).
// The seeds run in every `go test`; `go test -fuzz FuzzShell` explores further.
func FuzzShell(f *testing.F) {
	for _, s := range []string{
		"echo hi | tr a-z A-Z && false || echo $?",
		"cat /etc/hosts | grep -v '^#' | sort | uniq -c | head -n 3",
		"for i in $(seq 5); do echo $i; done > /tmp/x; wc -l < /tmp/x",
		"x=$(yes | head -c 100000); echo ${#x}",
		"yes > /tmp/big",
		"yes > /data/big",
		"while :; do :; done",
		"sleep 100",
		"cat",
		"read x; echo $x",
		"ls -laR / > /dev/null",
		"cd /data/escape; ls; cat secret; echo x > secret",
		"ln -s / /data/r; cat /data/r/etc/passwd; echo x > /data/r/tmp/x",
		"tar cf - / 2>/dev/null | tar tf - | wc -l",
		"eval \"$(printf 'echo %s;' a b c)\"",
		"trap 'echo t' TERM INT EXIT; kill -TERM $$; echo after",
		"exec nosuch",
		"sh -c 'sh -c \"sh -c exit\"'",
		"printf '%*d|%-5s|%x|%b\\n' 5 42 ab 255 'a\\tb'",
		"sed -e 's/\\(a\\)\\(b\\)/\\2\\1/g' -e '$!d' /etc/passwd",
		"nslookup pod01; getent hosts pod01; hostname -i; ip a",
		"wget -qO- http://localhost:1/ ; curl -s localhost",
		"kill -9 1; kill -STOP 1; kill 0",
		"$(",
		"'unterminated",
		"cat <(echo x)",
		"f() { f; }; f",
		"a=$((1/0))",
		"echo ${x:?missing}",
		"set -o pipefail; false | true; echo $?",
		"ulimit -n; umask 077; type ls; command -v cat",
		"dd if=/dev/zero bs=1 count=1; head -c 10 /dev/urandom | wc -c",
		"\x00\xff\xfe",
	} {
		f.Add(s)
	}
	p := newPod(f, Options{LayerLimit: 1 << 20, HostWriteLimit: 1 << 20})
	containers := []*Container{p.idle("busybox"), p.idle("debian")}
	f.Fuzz(func(t *testing.T, line string) {
		for _, c := range containers {
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			done := make(chan struct{})
			go func() {
				defer close(done)
				_, _ = c.Exec(ctx, []string{"sh", "-c", line}, eofReader{}, io.Discard, io.Discard, false, nil)
			}()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatalf("%q hung past its deadline", line)
			}
			cancel()
			if n := p.rt.panics.Load(); n != 0 {
				t.Fatalf("%q: program panic: %v", line, p.rt.lastPanic.Load())
			}
			if !c.State().Running {
				t.Fatalf("%q killed the container", line)
			}
		}
	})
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
