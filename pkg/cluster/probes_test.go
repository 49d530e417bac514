package cluster_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// TestProbesVolumesEphemeral runs a pod whose probes, volumes, environment
// and ephemeral container go through the kubelet end to end: readiness
// holds the pod back until its exec and HTTP probes pass, a failed
// liveness probe restarts its container with the kubelet's events, a
// ConfigMap volume and envFrom reach the container and the disk in the
// kubelet's layout, and an ephemeral container added as kubectl debug adds
// it runs once in the pod.
func TestProbesVolumesEphemeral(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t)
	client := clustertest.Client(t, c)
	waitSA(t, client)
	ctx := t.Context()
	if _, err := client.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "app"},
		Data:       map[string]string{"color": "blue"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	every := func(p *corev1.Probe) *corev1.Probe { p.PeriodSeconds = 1; p.FailureThreshold = 1; return p }
	pod, err := client.CoreV1().Pods("default").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "probed"},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{
				Name: "web", Image: "nginx",
				ReadinessProbe: every(&corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/", Port: intstr.FromInt32(80)}}}),
			}, {
				Name: "late", Image: "busybox",
				Command:        []string{"sh", "-c", "sleep 2; touch /tmp/ready; echo $GREETING; cat /etc/cfg/color; echo; sleep 3600"},
				EnvFrom:        []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "app"}}}},
				Env:            []corev1.EnvVar{{Name: "GREETING", Value: "color is $(color)"}},
				VolumeMounts:   []corev1.VolumeMount{{Name: "cfg", MountPath: "/etc/cfg"}},
				ReadinessProbe: every(&corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"cat", "/tmp/ready"}}}}),
			}, {
				Name: "sick", Image: "busybox",
				Command: []string{"sh", "-c", "sleep 3600"},
				LivenessProbe: every(&corev1.Probe{
					ProbeHandler:                  corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"cat", "/tmp/healthy"}}},
					TerminationGracePeriodSeconds: ptr.To[int64](1),
				}),
			}},
			Volumes: []corev1.Volume{{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: "app"}}}}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	status := func(p *corev1.Pod, name string) corev1.ContainerStatus {
		for _, s := range p.Status.ContainerStatuses {
			if s.Name == name {
				return s
			}
		}
		return corev1.ContainerStatus{}
	}
	// Not ready while the exec probe fails, though every container runs.
	p := waitPod(t, client, "probed", "running all three", func(p *corev1.Pod) bool {
		return status(p, "web").Ready && status(p, "late").State.Running != nil && status(p, "sick").State.Running != nil
	})
	if status(p, "late").Ready {
		t.Errorf("late is ready before its probe can pass: %+v", status(p, "late"))
	}
	waitPod(t, client, "probed", "restarting sick and ready but for it", func(p *corev1.Pod) bool {
		return status(p, "late").Ready && status(p, "sick").RestartCount >= 1
	})

	events, err := client.CoreV1().Events("default").List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=probed"})
	if err != nil {
		t.Fatal(err)
	}
	got := sets.New[string]()
	for _, e := range events.Items {
		got.Insert(e.Reason + ": " + strings.TrimSpace(e.Message))
	}
	for _, want := range []string{
		"Unhealthy: Readiness probe failed: cat: /tmp/ready: No such file or directory",
		"Unhealthy: Liveness probe failed: cat: /tmp/healthy: No such file or directory",
		"Killing: Container sick failed liveness probe, will be restarted",
	} {
		if !got.Has(want) {
			t.Errorf("no event %q in %v", want, sets.List(got))
		}
	}

	// The volume in the kubelet's layout, and what the container printed
	// from it and from its environment.
	dir := filepath.Join(c.SandboxDir(), "worker0", "pods", string(pod.UID), "volumes", "kubernetes.io~configmap", "cfg")
	if target, err := os.Readlink(filepath.Join(dir, "color")); err != nil || target != "..data/color" {
		t.Errorf("color symlink: %q, %v", target, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "..data", "color")); err != nil || string(b) != "blue" {
		t.Errorf("color file: %q, %v", b, err)
	}
	logFile := filepath.Join(c.SandboxDir(), "worker0", "logs", "pods", "default_probed_"+string(pod.UID), "late", "0.log")
	b, err := os.ReadFile(logFile)
	if err != nil || !strings.Contains(string(b), " stdout F color is blue\n") || !strings.Contains(string(b), " stdout F blue\n") {
		t.Errorf("late's log: %q, %v", b, err)
	}

	// An ephemeral container, as kubectl debug adds it; the kubelet's
	// status writes may come between the read and the update.
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		p, err := client.CoreV1().Pods("default").Get(ctx, "probed", metav1.GetOptions{})
		if err != nil {
			return err
		}
		p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
			Name: "debugger", Image: "busybox", Command: []string{"sh", "-c", "hostname"},
			TerminationMessagePolicy: corev1.TerminationMessageReadFile, ImagePullPolicy: corev1.PullIfNotPresent,
		}}}
		_, err = client.CoreV1().Pods("default").UpdateEphemeralContainers(ctx, "probed", p, metav1.UpdateOptions{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	waitPod(t, client, "probed", "running its ephemeral container to completion", func(p *corev1.Pod) bool {
		s := p.Status.EphemeralContainerStatuses
		return len(s) == 1 && s[0].State.Terminated != nil && s[0].State.Terminated.ExitCode == 0
	})
	b, err = os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(logFile)), "debugger", "0.log"))
	if err != nil || !strings.Contains(string(b), " stdout F probed\n") {
		t.Errorf("debugger's log: %q, %v", b, err)
	}
	// Changing it afterwards is refused, as upstream refuses it.
	p, err = client.CoreV1().Pods("default").Get(ctx, "probed", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Spec.EphemeralContainers[0].Image = "alpine"
	_, err = client.CoreV1().Pods("default").UpdateEphemeralContainers(ctx, "probed", p, metav1.UpdateOptions{})
	if err == nil || !strings.Contains(err.Error(), `existing ephemeral containers "debugger" may not be changed`) {
		t.Errorf("changing an ephemeral container: %v", err)
	}
}

// TestLifecycleHooks runs a container whose postStart hook writes a file
// its command reads, one whose postStart hook fails (it is killed and
// restarted), and deletes the pod: a failing preStop hook gets the
// kubelet's FailedPreStopHook event and the pod still goes.
func TestLifecycleHooks(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t)
	client := clustertest.Client(t, c)
	waitSA(t, client)
	ctx := t.Context()
	hook := func(cmd string) *corev1.LifecycleHandler {
		return &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"sh", "-c", cmd}}}
	}
	pod, err := client.CoreV1().Pods("default").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "hooked"},
		Spec: corev1.PodSpec{
			TerminationGracePeriodSeconds: ptr.To[int64](2),
			Containers: []corev1.Container{{
				Name: "main", Image: "busybox",
				// The hook runs beside the command, as upstream's does: the
				// command waits for its file.
				Command: []string{"sh", "-c", "while ! cat /tmp/started 2>/dev/null; do sleep 0.1; done; sleep 3600"},
				Lifecycle: &corev1.Lifecycle{
					PostStart: hook("echo hooked > /tmp/started"),
					PreStop:   hook("echo no; exit 3"),
				},
			}, {
				Name: "failing", Image: "busybox",
				Command:   []string{"sleep", "3600"},
				Lifecycle: &corev1.Lifecycle{PostStart: hook("exit 1")},
			}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitPod(t, client, "hooked", "restarting the container whose postStart hook fails", func(p *corev1.Pod) bool {
		for _, s := range p.Status.ContainerStatuses {
			if s.Name == "failing" && s.RestartCount >= 1 {
				return true
			}
		}
		return false
	})
	logFile := filepath.Join(c.SandboxDir(), "worker0", "logs", "pods", "default_hooked_"+string(pod.UID), "main", "0.log")
	if b, err := os.ReadFile(logFile); err != nil || !strings.Contains(string(b), " stdout F hooked\n") {
		t.Errorf("main's log: %q, %v", b, err)
	}
	if err := client.CoreV1().Pods("default").Delete(ctx, "hooked", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitGone(t, client, "hooked")

	events, err := client.CoreV1().Events("default").List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=hooked"})
	if err != nil {
		t.Fatal(err)
	}
	got := sets.New[string]()
	for _, e := range events.Items {
		got.Insert(e.Reason + ": " + e.Message)
	}
	podName := "hooked_default(" + string(pod.UID) + ")"
	for _, want := range []string{
		`FailedPostStartHook: Exec lifecycle hook ([sh -c exit 1]) for Container "failing" in Pod "` + podName + `" failed - error: command 'sh -c exit 1' exited with 1: , message: ""`,
		"Killing: FailedPostStartHook",
		"Killing: Stopping container main",
		`FailedPreStopHook: Exec lifecycle hook ([sh -c echo no; exit 3]) for Container "main" in Pod "` + podName + `" failed - error: command 'sh -c echo no; exit 3' exited with 3: , message: "no\n"`,
	} {
		if !got.Has(want) {
			t.Errorf("no event %q in %q", want, sets.List(got))
		}
	}
}

// waitGone polls until pod default/name is deleted for good.
func waitGone(t *testing.T, client kubernetes.Interface, name string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		_, err := client.CoreV1().Pods("default").Get(t.Context(), name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("pod %s still there after 30s", name)
}
