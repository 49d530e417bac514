package runtime

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

func TestRunToCompletion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		image    string
		command  []string
		env      []string
		wantCode int
		wantLog  string
	}{
		{name: "busybox sh exits at once without stdin", image: "busybox"},
		{name: "debian bash exits at once without stdin", image: "debian"},
		{name: "ubuntu", image: "ubuntu:24.04"},
		{name: "python without a script", image: "python:3.13"},
		{name: "exit code", image: "busybox", command: []string{"sh", "-c", "echo out; echo err >&2; exit 3"}, wantCode: 3, wantLog: "out\nerr\n"},
		{name: "hostaliases pod cat /etc/hosts", image: "busybox", command: []string{"cat", "/etc/hosts"}, wantLog: hostsFile},
		{name: "postgres without a password", image: "postgres", wantCode: 1, wantLog: "Error: Database is uninitialized and superuser password is not specified.\n"},
		{name: "nginx without daemon off forks away", image: "nginx", command: []string{"nginx"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPod(t, Options{})
			var opts []startOpt
			if tt.command != nil {
				opts = append(opts, withCommand(tt.command...))
			}
			c, log := p.start(tt.image, opts...)
			select {
			case <-c.Wait():
			case <-time.After(5 * time.Second):
				t.Fatal("container did not exit")
			}
			if got := c.ExitCode(); got != tt.wantCode {
				t.Errorf("exit code %d, want %d", got, tt.wantCode)
			}
			if !strings.HasPrefix(log.String(), tt.wantLog) {
				t.Errorf("log %q, want it to start with %q", log.String(), tt.wantLog)
			}
			st := c.State()
			if st.Running || st.FinishedAt.Before(st.StartedAt) {
				t.Errorf("state after exit: %+v", st)
			}
			if _, err := c.Exec(context.Background(), []string{"true"}, nil, nil, nil, false, nil); !errors.Is(err, ErrNotRunning) {
				t.Errorf("exec into an exited container: %v", err)
			}
		})
	}
}

func TestStop(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		image    string
		command  []string
		env      []string
		grace    time.Duration
		wantCode int
		// killed says the container must have outlived its grace period
		killed  bool
		wantLog string
	}{
		{name: "nginx quits on SIGQUIT", image: "nginx", grace: 30 * time.Second, wantLog: "[notice] 1#1: signal 3 (SIGQUIT) received, shutting down"},
		{name: "nginx on alpine", image: "nginx:1.27-alpine", grace: 30 * time.Second, wantLog: "start worker processes"},
		{name: "nginx-slim exits on SIGTERM", image: "registry.k8s.io/nginx-slim:0.24", grace: 30 * time.Second, wantLog: "[notice] 1#1: signal 15 (SIGTERM) received, exiting"},
		{name: "httpd stops gracefully on SIGWINCH", image: "httpd", grace: 30 * time.Second, wantLog: "AH00492: caught SIGWINCH, shutting down gracefully"},
		{name: "redis", image: "redis", grace: 30 * time.Second, wantLog: "Received SIGTERM scheduling shutdown..."},
		{name: "postgres fast shutdown on SIGINT", image: "postgres", env: []string{"POSTGRES_PASSWORD=secret"}, grace: 30 * time.Second, wantLog: "LOG:  received fast shutdown request"},
		{name: "pause", image: "registry.k8s.io/pause:3.10", grace: 30 * time.Second, wantLog: "Shutting down, got signal: Terminated"},
		{name: "unknown image", image: "ghcr.io/example/app:v1", grace: 30 * time.Second},
		{name: "sleep as PID 1 ignores SIGTERM", image: "busybox", command: []string{"sleep", "3600"}, grace: 100 * time.Millisecond, wantCode: 137, killed: true},
		{name: "shell loop as PID 1 ignores SIGTERM", image: "busybox", command: []string{"sh", "-c", "while true; do sleep 1; done"}, grace: 100 * time.Millisecond, wantCode: 137, killed: true},
		{name: "trapped SIGTERM", image: "busybox", command: []string{"sh", "-c", "trap 'echo bye; exit 0' TERM; while true; do sleep 1; done"}, grace: 30 * time.Second, wantLog: "bye\n"},
		{name: "exec makes nginx PID 1", image: "nginx", command: []string{"sh", "-c", "exec nginx -g 'daemon off;'"}, grace: 30 * time.Second, wantLog: "SIGQUIT"},
		{name: "zero grace kills", image: "nginx", grace: 0, wantCode: 137, killed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPod(t, Options{})
			opts := []startOpt{withEnv(tt.env...)}
			if tt.command != nil {
				opts = append(opts, withCommand(tt.command...))
			}
			c, log := p.start(tt.image, opts...)
			// let the program get to its wait (signal handlers installed)
			time.Sleep(50 * time.Millisecond)
			if !c.State().Running {
				t.Fatalf("container exited early with %d: %s", c.ExitCode(), log.String())
			}
			start := time.Now()
			c.Stop(tt.grace)
			took := time.Since(start)
			if got := c.ExitCode(); got != tt.wantCode {
				t.Errorf("exit code %d, want %d", got, tt.wantCode)
			}
			if tt.killed && took < tt.grace {
				t.Errorf("stopped after %v, before the %v grace period", took, tt.grace)
			}
			if !tt.killed && took > 2*time.Second {
				t.Errorf("took %v to stop", took)
			}
			if !strings.Contains(log.String(), tt.wantLog) {
				t.Errorf("log does not contain %q:\n%s", tt.wantLog, log.String())
			}
		})
	}
}

func TestStartError(t *testing.T) {
	t.Parallel()
	const prefix = "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: "
	tests := []struct {
		name    string
		command []string
		want    string
	}{
		{"not in PATH", []string{"nosuch"}, prefix + `exec: "nosuch": executable file not found in $PATH: unknown`},
		{"no such file", []string{"/nosuch"}, prefix + `exec: "/nosuch": stat /nosuch: no such file or directory: unknown`},
		{"not executable", []string{"/etc/passwd"}, prefix + `exec: "/etc/passwd": permission denied: unknown`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newPod(t, Options{})
			img, err := p.rt.PullImage(context.Background(), "busybox:1.36")
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.sb.Start(context.Background(), ContainerConfig{Name: "c", Image: img, Command: tt.command})
			var se *StartError
			if !errors.As(err, &se) {
				t.Fatalf("error %v, want *StartError", err)
			}
			if se.ExitCode != 128 || se.Message != tt.want {
				t.Errorf("got %d %q\nwant 128 %q", se.ExitCode, se.Message, tt.want)
			}
		})
	}
}

func TestContainerSemantics(t *testing.T) {
	t.Parallel()
	t.Run("writable layer lasts until the container restarts", func(t *testing.T) {
		t.Parallel()
		p := newPod(t, Options{})
		first := p.idle("busybox")
		if r := run(t, first, "", "sh", "-c", "echo kept > /tmp/f; cat /tmp/f"); r.stdout != "kept\n" {
			t.Fatalf("write: %+v", r)
		}
		if r := run(t, first, "", "cat", "/tmp/f"); r.stdout != "kept\n" {
			t.Errorf("a later exec does not see the file: %+v", r)
		}
		second := p.idle("busybox")
		if r := run(t, second, "", "cat", "/tmp/f"); r.code != 1 {
			t.Errorf("the restarted container sees the old layer: %+v", r)
		}
	})
	t.Run("emptyDir shared between containers", func(t *testing.T) {
		t.Parallel()
		p := newPod(t, Options{})
		a, b := p.idle("busybox"), p.idle("debian")
		run(t, a, "", "sh", "-c", "echo shared > /data/x")
		if r := run(t, b, "", "cat", "/data/x"); r.stdout != "shared\n" {
			t.Errorf("second container reads %+v", r)
		}
	})
	t.Run("exec deadline kills the process, not the container", func(t *testing.T) {
		t.Parallel()
		p := newPod(t, Options{})
		c := p.idle("busybox")
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		code, err := c.Exec(ctx, []string{"sleep", "10"}, nil, nil, nil, false, nil)
		if !errors.Is(err, context.DeadlineExceeded) || code != 137 {
			t.Errorf("exec returned %d, %v", code, err)
		}
		if !c.State().Running {
			t.Error("container died")
		}
		eventually(t, "the exec process to go", func() bool { return len(c.processes()) == 1 })
	})
	t.Run("kill 1 inside stops nginx", func(t *testing.T) {
		t.Parallel()
		p := newPod(t, Options{})
		c, _ := p.start("nginx")
		time.Sleep(50 * time.Millisecond)
		// the exec may itself be killed with the container it stopped (137), as on a real node
		if r := run(t, c, "", "sh", "-c", "kill 1"); r.err != nil || (r.code != 0 && r.code != 137) {
			t.Fatalf("kill: %+v", r)
		}
		select {
		case <-c.Wait():
		case <-time.After(5 * time.Second):
			t.Fatal("nginx ignored SIGTERM")
		}
		if c.ExitCode() != 0 {
			t.Errorf("exit %d", c.ExitCode())
		}
	})
	t.Run("kill of an exec process", func(t *testing.T) {
		t.Parallel()
		p := newPod(t, Options{})
		c := p.idle("busybox")
		done := make(chan execResult)
		go func() { done <- run(t, c, "", "sleep", "30") }()
		var pid int
		eventually(t, "the sleep to start", func() bool {
			for _, pr := range c.processes() {
				if pr.PID != 1 {
					pid = pr.PID
					return true
				}
			}
			return false
		})
		if err := c.main.Kill(pid, proc.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if r := <-done; r.code != 143 {
			t.Errorf("killed exec exited %d, want 143", r.code)
		}
	})
	t.Run("working directory is created", func(t *testing.T) {
		t.Parallel()
		p := newPod(t, Options{})
		c, _ := p.start("busybox", withCommand("sleep", "infinity"), func(cfg *ContainerConfig) { cfg.WorkingDir = "/srv/app" })
		if r := run(t, c, "", "pwd"); r.stdout != "/srv/app\n" {
			t.Errorf("pwd: %+v", r)
		}
	})
	t.Run("image working directory and env", func(t *testing.T) {
		t.Parallel()
		p := newPod(t, Options{})
		c, _ := p.start("httpd", withEnv("HTTPD_VERSION=overridden"))
		r := run(t, c, "", "sh", "-c", "pwd; echo $HTTPD_VERSION $HTTPD_PREFIX; echo $PATH")
		want := "/usr/local/apache2\noverridden /usr/local/apache2\n/usr/local/apache2/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
		if r.stdout != want {
			t.Errorf("got %q, want %q", r.stdout, want)
		}
	})
}
