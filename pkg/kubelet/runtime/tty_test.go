package runtime

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// typist types lines into a terminal session one at a time, waiting for the prompt before
// each, so that the transcript is deterministic.
type typist struct {
	t    *testing.T
	w    io.Writer
	out  *syncBuffer
	mark int // output length when the last input was sent
}

// waitFor waits for the output written since the last send to end in suffix.
func (ty *typist) waitFor(suffix string) {
	ty.t.Helper()
	eventually(ty.t, fmt.Sprintf("output ending in %q (have %q)", suffix, ty.out.String()), func() bool {
		s := ty.out.String()
		return len(s) > ty.mark && strings.HasSuffix(s[ty.mark:], suffix) || ty.mark == 0 && strings.HasSuffix(s, suffix)
	})
}

func (ty *typist) send(s string) {
	ty.t.Helper()
	ty.mark = len(ty.out.String())
	if _, err := io.WriteString(ty.w, s); err != nil {
		ty.t.Fatal(err)
	}
}

func TestTTYSessions(t *testing.T) {
	t.Parallel()
	type step struct{ send, waitFor string }
	tests := []struct {
		name  string
		image string
		argv  []string
		steps []step
		code  int
	}{
		{name: "busybox sh", image: "busybox", argv: []string{"sh"}, steps: []step{
			{"", "/ # "}, {"hostname\r", "/ # "}, {"cd /etc\r", "/etc # "}, {"cat hostname\r", "/etc # "},
			{"ehco\x7f\x7f\x7fcho fixed\r", "/etc # "}, {"for i in 1 2\r", "> "}, {"do echo $i; done\r", "/etc # "},
			{"nosuch\r", "/etc # "}, {"exit 4\r", ""}}, code: 4},
		{name: "nginx sh is dash", image: "nginx", argv: []string{"sh"}, steps: []step{
			{"", "# "}, {"echo $0 $HOSTNAME\r", "# "}, {"nosuch\r", "# "}, {"exit\r", ""}}, code: 127},
		{name: "debian bash", image: "debian", argv: []string{"bash"}, steps: []step{
			{"", "root@pod01:/# "}, {"cd /root\r", "root@pod01:~# "}, {"echo $TERM\r", "root@pod01:~# "},
			{"sleep 30\r", "sleep 30\r\n"}, {"\x03", "root@pod01:~# "}, {"echo $?\r", "root@pod01:~# "}, {"\x04", ""}}},
		{name: "cat reads until ^D", image: "busybox", argv: []string{"sh"}, steps: []step{
			{"", "/ # "}, {"cat\r", "cat\r\n"}, {"typed\r", "typed\r\n"}, {"\x04", "/ # "}, {"exit\r", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPod(t, Options{})
			c := p.idle(tt.image)
			pr, pw := io.Pipe()
			out := &syncBuffer{}
			type result struct {
				code int
				err  error
			}
			done := make(chan result, 1)
			go func() {
				code, err := c.Exec(context.Background(), tt.argv, pr, out, nil, true, nil)
				done <- result{code, err}
			}()
			ty := &typist{t: t, w: pw, out: out}
			for _, s := range tt.steps {
				if s.send != "" {
					ty.send(s.send)
				}
				if s.waitFor != "" {
					ty.waitFor(s.waitFor)
				}
			}
			var r result
			select {
			case r = <-done:
			case <-time.After(5 * time.Second):
				t.Fatalf("session did not end; transcript %q", out.String())
			}
			pw.Close()
			if r.err != nil || r.code != tt.code {
				t.Errorf("exit %d, %v; want %d", r.code, r.err, tt.code)
			}
			golden(t, "tty-"+strings.ReplaceAll(tt.name, " ", "-"), out.String())
		})
	}
}

// TestRunInteractive is `kubectl run -it --rm debug --image=busybox -- sh`: the container's
// own shell on a terminal, reached through Attach.
func TestRunInteractive(t *testing.T) {
	t.Parallel()
	p := newPod(t, Options{})
	c, log := p.start("busybox", withCommand("sh"), func(cfg *ContainerConfig) {
		cfg.Stdin, cfg.StdinOnce, cfg.TTY = true, true, true
	})
	// the prompt printed before anyone attached is in the log only
	eventually(t, "the first prompt", func() bool { return log.String() == "/ # " })
	if !c.State().Running {
		t.Fatal("an interactive shell exited without input")
	}
	pr, pw := io.Pipe()
	out := &syncBuffer{}
	attached := make(chan error, 1)
	go func() { attached <- c.Attach(context.Background(), pr, out, nil) }()
	ty := &typist{t: t, w: pw, out: out}
	time.Sleep(20 * time.Millisecond)
	ty.send("\r")
	ty.waitFor("/ # ")
	ty.send("echo attached\r")
	ty.waitFor("attached\r\n/ # ")
	ty.send("exit\r")
	select {
	case err := <-attached:
		if err != nil {
			t.Errorf("attach: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("attach did not end with the container")
	}
	<-c.Wait()
	if want := "\r\n/ # echo attached\r\nattached\r\n/ # exit\r\n"; out.String() != want {
		t.Errorf("client saw %q, want %q", out.String(), want)
	}
	if c.ExitCode() != 0 {
		t.Errorf("exit %d", c.ExitCode())
	}
}

// TestAttachNoTTY streams stdin into the main process and its output back.
func TestAttachNoTTY(t *testing.T) {
	t.Parallel()
	p := newPod(t, Options{})
	c, _ := p.start("busybox", withCommand("sh", "-c", "while read l; do echo got $l; done; echo bye"), func(cfg *ContainerConfig) {
		cfg.Stdin, cfg.StdinOnce = true, true
	})
	out := &syncBuffer{}
	if err := c.Attach(context.Background(), strings.NewReader("a\nb\n"), out, out); err != nil {
		t.Fatal(err)
	}
	<-c.Wait()
	eventually(t, "output", func() bool { return out.String() == "got a\ngot b\nbye\n" })
}
