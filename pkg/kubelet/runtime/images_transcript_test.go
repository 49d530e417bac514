package runtime

import (
	"fmt"
	"strings"
	"testing"
)

// TestImageTranscripts records what each catalog image looks like from inside (files,
// tools, identity) in a golden file, so that a change to an image is a visible diff.
func TestImageTranscripts(t *testing.T) {
	t.Parallel()
	images := []string{"busybox", "alpine", "debian", "ubuntu", "nginx", "nginx:alpine", "registry.k8s.io/nginx-slim:0.24", "httpd", "redis", "postgres",
		"python", "node", "curlimages/curl", "nicolaka/netshoot", "registry.k8s.io/e2e-test-images/agnhost:2.53", "quay.io/unknown/app:1"}
	script := []string{"id", "cat /etc/os-release", "ls /", "echo $PATH", "pwd", "command -v ls sh bash ps ip nslookup getent curl wget",
		"uname -srm", "head -3 /etc/passwd"}
	p := newPod(t, Options{})
	var b strings.Builder
	for _, ref := range images {
		c := p.idle(ref)
		fmt.Fprintf(&b, "=== %s\n", ref)
		for _, line := range script {
			r := run(t, c, "", "sh", "-c", line)
			fmt.Fprintf(&b, "$ %s\n%s%s", line, r.stdout, r.stderr)
			if r.code != 0 {
				fmt.Fprintf(&b, "[exit %d]\n", r.code)
			}
		}
	}
	golden(t, "images", normalize(b.String()))
}
