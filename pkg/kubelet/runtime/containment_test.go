package runtime

import (
	"strings"
	"testing"
)

// TestContainment runs escape attempts; newPod's cleanup checks that nothing outside the
// pod directory changed on the host.
func TestContainment(t *testing.T) {
	t.Parallel()
	attacks := []string{
		"cat /data/escape/secret",
		"echo pwned > /data/escape/secret",
		"cd /data/escape && echo pwned > secret",
		"cd /data && cd ../../../../../.. && ls && echo pwned > outside",
		"echo pwned > /data/../../../../outside/secret",
		"ln -s ../../../outside /data/rel && echo pwned > /data/rel/secret",
		"ln -s /etc /data/etc && echo pwned > /data/etc/injected && cat /etc/injected",
		"mkdir -p /data/a && mv /data/a /data/../../outside",
		"cp -r /data /data/../../../outside",
		"tar cf - /data/escape | tar xf - -C /tmp",
		"rm -rf /data/escape/ /data/escape/*",
		"chmod 777 /data/escape/secret",
		"touch /data/escape/new",
		"find /data -name '*' -maxdepth 3",
		"sed -i s/touch/TOUCHED/ /data/escape/secret",
	}
	for _, image := range []string{"busybox", "debian"} {
		t.Run(image, func(t *testing.T) {
			t.Parallel()
			p := newPod(t, Options{})
			c := p.idle(image)
			for _, a := range attacks {
				r := run(t, c, "", "sh", "-c", a)
				if strings.Contains(r.stdout, "do not touch") {
					t.Errorf("%q read the host file outside the mounts: %q", a, r.stdout)
				}
			}
		})
	}
}
