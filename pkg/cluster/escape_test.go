package cluster_test

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// TestSandboxEscape tries to make the kubelet write outside the sandbox
// through what the API lets through and only the kubelet can check: a
// subPathExpr that expands to a path out of its volume. The container
// does not start, with the kubelet's CreateContainerConfigError, and no
// file appears outside the sandbox.
func TestSandboxEscape(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	c := clustertest.StartWith(t, cluster.Options{DataDir: filepath.Join(root, "data")})
	client := clustertest.Client(t, c)
	waitSA(t, client)
	_, err := client.CoreV1().Pods("default").Create(t.Context(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "escape"},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{
				Name: "c", Image: "busybox", Command: []string{"sh", "-c", "echo x > /data/escaped; sleep 3600"},
				Env:          []corev1.EnvVar{{Name: "UP", Value: "../../../../../../escaped-dir"}},
				VolumeMounts: []corev1.VolumeMount{{Name: "scratch", MountPath: "/data", SubPathExpr: "$(UP)"}},
			}},
			Volumes: []corev1.Volume{{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := waitPod(t, client, "escape", "refusing its container", func(p *corev1.Pod) bool {
		return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].State.Waiting != nil &&
			p.Status.ContainerStatuses[0].State.Waiting.Reason == "CreateContainerConfigError"
	})
	if msg := p.Status.ContainerStatuses[0].State.Waiting.Message; !strings.Contains(msg, "subpath") {
		t.Errorf("waiting message %q", msg)
	}
	sandbox := c.SandboxDir()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.Contains(d.Name(), "escaped") && !strings.HasPrefix(path, sandbox+string(filepath.Separator)) {
			t.Errorf("%s was written outside the sandbox", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
