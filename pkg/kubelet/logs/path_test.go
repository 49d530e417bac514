package logs

import (
	"errors"
	"testing"

	"k8s.io/apimachinery/pkg/types"
)

func TestContainerPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                      string
		node, ns, pod, container  string
		uid                       types.UID
		restart                   int
		want                      string
		wantUnsafe, wantOtherFail bool
	}{
		{name: "the kubelet's layout", node: "worker0", ns: "default", pod: "web", uid: "8f1c", container: "nginx", restart: 2,
			want: "/sandbox/worker0/logs/pods/default_web_8f1c/nginx/2.log"},
		{name: "dots in a pod name", node: "worker1", ns: "kube-system", pod: "coredns.v1", uid: "u", container: "c",
			want: "/sandbox/worker1/logs/pods/kube-system_coredns.v1_u/c/0.log"},
		{name: "slash in a container", node: "w", ns: "d", pod: "p", uid: "u", container: "../../etc", wantUnsafe: true},
		{name: "dot-dot namespace", node: "w", ns: "..", pod: "p", uid: "u", container: "c", wantUnsafe: true},
		{name: "empty uid", node: "w", ns: "d", pod: "p", uid: "", container: "c", wantUnsafe: true},
		{name: "node with a separator", node: "a/b", ns: "d", pod: "p", uid: "u", container: "c", wantUnsafe: true},
		{name: "backslash", node: "w", ns: "d", pod: `p\q`, uid: "u", container: "c", wantUnsafe: true},
		{name: "NUL", node: "w", ns: "d", pod: "p", uid: "u\x00", container: "c", wantUnsafe: true},
		{name: "negative restart", node: "w", ns: "d", pod: "p", uid: "u", container: "c", restart: -1, wantOtherFail: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ContainerPath("/sandbox", tt.node, tt.ns, tt.pod, tt.uid, tt.container, tt.restart)
			switch {
			case tt.wantUnsafe:
				if !errors.Is(err, ErrUnsafeName) {
					t.Errorf("ContainerPath = %q, %v; want ErrUnsafeName", got, err)
				}
			case tt.wantOtherFail:
				if err == nil || errors.Is(err, ErrUnsafeName) {
					t.Errorf("ContainerPath = %q, %v; want another error", got, err)
				}
			case err != nil:
				t.Fatal(err)
			case got != tt.want:
				t.Errorf("ContainerPath = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPodDir(t *testing.T) {
	t.Parallel()
	got, err := PodDir("/s", "worker0", "default", "web", "abc")
	if err != nil {
		t.Fatal(err)
	}
	if want := "/s/worker0/logs/pods/default_web_abc"; got != want {
		t.Errorf("PodDir = %q, want %q", got, want)
	}
	if _, err := PodDir("/s", "worker0", "default", "..", "abc"); !errors.Is(err, ErrUnsafeName) {
		t.Errorf("PodDir(..) = %v, want ErrUnsafeName", err)
	}
}
