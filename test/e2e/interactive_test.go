package e2e

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestInteractive types into a shell through kubectl exec -it and
// kubectl run -it, on a terminal that script(1) gives kubectl, as a user
// at a terminal does: the image's prompt shows, typed commands run, and
// the session ends with the shell.
func TestInteractive(t *testing.T) {
	if testing.Short() {
		t.Skip("builds fakecluster and kubectl and runs them; skipped with -short")
	}
	scriptPath, err := exec.LookPath("script")
	if err != nil {
		t.Skip("no script(1) to give kubectl a terminal")
	}
	for _, c := range clients(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, c, startCluster(t))
			for _, args := range [][]string{
				{"run", "web", "--image", "nginx"},
				{"wait", "--for=condition=Ready", "pod/web", "--timeout=60s"},
			} {
				if r := e.kubectl(t, args...); r.code != 0 {
					t.Fatalf("kubectl %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
				}
			}
			for _, tc := range []struct {
				args  string
				typed []string
				want  []string
			}{
				{"exec -it web -- bash", []string{"hostname", "exit"}, []string{"root@web:/# hostname\r\nweb\r\n", "root@web:/# exit\r\n"}},
				{"run -it --rm shell --image=busybox --restart=Never -- sh", []string{"echo hello from $(hostname)", "exit"},
					[]string{"hello from shell\r\n", "/ # exit\r\n", `pod "shell" deleted`}},
			} {
				ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
				// script(1) runs kubectl in kubectl's environment.
				cmd := e.command(ctx)
				cmd.Path, cmd.Args = scriptPath, []string{"script", "-qec", c.path + " " + tc.args, "/dev/null"}
				stdin, err := cmd.StdinPipe()
				if err != nil {
					t.Fatal(err)
				}
				var out syncBuffer
				cmd.Stdout, cmd.Stderr = &out, &out
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				// Type each line once the session is up and the last has run.
				for _, line := range tc.typed {
					wait(t, &out, len(out.String())+1, tc.args)
					time.Sleep(300 * time.Millisecond) // a person types after the prompt
					if _, err := stdin.Write([]byte(line + "\n")); err != nil {
						t.Fatalf("typing into kubectl %s: %v\n%q", tc.args, err, out.String())
					}
				}
				err = cmd.Wait()
				cancel()
				got := out.String()
				if err != nil {
					t.Errorf("kubectl %s: %v\n%q", tc.args, err, got)
				}
				for _, w := range tc.want {
					if !strings.Contains(got, w) {
						t.Errorf("kubectl %s printed no %q:\n%q", tc.args, w, got)
					}
				}
			}
		})
	}
}

// wait waits until out holds at least n bytes.
func wait(t *testing.T, out *syncBuffer, n int, what string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(out.String()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("kubectl %s printed nothing more in 30s:\n%q", what, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
