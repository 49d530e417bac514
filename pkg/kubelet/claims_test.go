package kubelet_test

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
	"github.com/fakecluster/fakecluster/pkg/kubelet"
	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

// startKubelet runs one kubelet, worker0, against an API server with only
// the controllers its pods need (pod CIDRs, the default ServiceAccount and
// the root CA ConfigMap its token volume projects): no scheduler, so pods
// name their node, and no volume binder, so the test binds claims itself.
func startKubelet(t *testing.T) (kubernetes.Interface, *kubelet.Kubelet) {
	t.Helper()
	c := clustertest.StartWith(t, cluster.Options{
		Nodes:       cluster.NoNodes,
		Controllers: []string{"node-ipam-controller", "serviceaccount-controller", "root-ca-certificate-publisher-controller"},
	})
	client := clustertest.Client(t, c)
	k, err := kubelet.New(kubelet.Config{
		NodeName:   "worker0",
		Client:     client,
		NodeIPs:    []netip.Addr{netip.MustParseAddr("172.18.0.2"), netip.MustParseAddr("fc00:f853:ccd:e793::2")},
		SandboxDir: t.TempDir(),
		ClusterDNS: []netip.Addr{netip.MustParseAddr("10.96.0.10")},
		Runtime:    runtime.New(runtime.Options{}),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- k.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("kubelet: %v", err)
		}
	})
	clustertest.Poll(t, 30*time.Second, func() error {
		_, err := client.CoreV1().ServiceAccounts("default").Get(t.Context(), "default", metav1.GetOptions{})
		return err
	})
	return client, k
}

// TestClaimWaitsForBinding runs a pod on a claim nobody has bound: it stays
// ContainerCreating with the kubelet's FailedMount event until the test
// binds the claim to a hostPath PersistentVolume as the local-path
// provisioner makes them; then it runs and what it writes is in the node's
// host folder, where a second pod on the claim, read-only, finds it after
// the first pod is gone.
func TestClaimWaitsForBinding(t *testing.T) {
	t.Parallel()
	client, k := startKubelet(t)
	ctx := t.Context()
	pvcs := client.CoreV1().PersistentVolumeClaims("default")
	pvc, err := pvcs.Create(ctx, &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "data"},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	writer := createClaimPod(t, client, "writer", false, "echo hello > /data/out.txt && cat /data/out.txt")

	// Unbound: the pod waits, with the kubelet's event.
	want := "Unable to attach or mount volumes: unmounted volumes=[store], unattached volumes=[], failed to process volumes=[store]: " +
		"error processing PVC default/data: PVC is not bound"
	waitEvent(t, client, "writer", "FailedMount", want)
	p, err := client.CoreV1().Pods("default").Get(ctx, "writer", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Status.Phase != corev1.PodPending || len(p.Status.ContainerStatuses) != 1 ||
		p.Status.ContainerStatuses[0].State.Waiting == nil || p.Status.ContainerStatuses[0].State.Waiting.Reason != "ContainerCreating" {
		t.Fatalf("pod with an unbound claim: phase %s, containers %+v; want Pending, ContainerCreating", p.Status.Phase, p.Status.ContainerStatuses)
	}

	// Bound by hand, as the binder would bind what the provisioner made.
	hostPath := fmt.Sprintf("/var/local-path-provisioner/pvc-%s_default_data", pvc.UID)
	bind(t, client, pvc, hostPath)
	p = waitPhase(t, client, "writer", corev1.PodSucceeded)
	if s := p.Status.ContainerStatuses[0].State.Terminated; s == nil || s.ExitCode != 0 {
		t.Fatalf("writer: %+v, want exit 0", p.Status.ContainerStatuses[0].State)
	}
	onHost := filepath.Join(k.HostDir(), filepath.FromSlash(hostPath), "out.txt")
	if data, err := os.ReadFile(onHost); err != nil || string(data) != "hello\n" {
		t.Fatalf("%s holds %q (%v), want the writer's hello", onHost, data, err)
	}

	// The data outlives the pod.
	if err := client.CoreV1().Pods("default").Delete(ctx, "writer", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	clustertest.Poll(t, 30*time.Second, func() error {
		if _, err := client.CoreV1().Pods("default").Get(ctx, "writer", metav1.GetOptions{}); err == nil {
			return fmt.Errorf("pod writer (%s) not gone yet", writer.UID)
		}
		return nil
	})
	createClaimPod(t, client, "reader", true, "sleep 3600")
	waitPhase(t, client, "reader", corev1.PodRunning)
	reader, ok := k.Pod("default", "reader")
	if !ok {
		t.Fatal("the kubelet does not know the reader pod")
	}
	var stdout, stderr bytes.Buffer
	if code, err := k.Exec(ctx, reader, "c", []string{"cat", "/data/out.txt"}, nil, &stdout, &stderr, false, nil); err != nil || code != 0 || stdout.String() != "hello\n" {
		t.Errorf("exec cat /data/out.txt: exit %d (%v), stdout %q, stderr %q; want the writer's hello", code, err, stdout.String(), stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	code, err := k.Exec(ctx, reader, "c", []string{"touch", "/data/new"}, nil, &stdout, &stderr, false, nil)
	if err != nil || code == 0 || !strings.Contains(stderr.String(), "Read-only file system") {
		t.Errorf("exec touch on the read-only claim: exit %d (%v), stderr %q; want a read-only failure", code, err, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(k.HostDir(), filepath.FromSlash(hostPath), "new")); !os.IsNotExist(err) {
		t.Errorf("the read-only pod wrote to the host folder: %v", err)
	}
}

// TestHostPathTypeCheckEvent: a hostPath volume whose type check fails
// keeps the pod ContainerCreating with the kubelet's FailedMount event.
func TestHostPathTypeCheckEvent(t *testing.T) {
	t.Parallel()
	client, k := startKubelet(t)
	if err := os.MkdirAll(filepath.Join(k.HostDir(), "var", "run"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(k.HostDir(), "var", "run", "docker.sock"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := client.CoreV1().Pods("default").Create(t.Context(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "docker"},
		Spec: corev1.PodSpec{
			NodeName:                     "worker0",
			AutomountServiceAccountToken: ptr.To(false),
			Containers: []corev1.Container{{Name: "c", Image: "busybox", Command: []string{"sleep", "3600"},
				VolumeMounts: []corev1.VolumeMount{{Name: "sock", MountPath: "/var/run/docker.sock"}}}},
			Volumes: []corev1.Volume{{Name: "sock", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{
				Path: "/var/run/docker.sock", Type: ptr.To(corev1.HostPathSocket)}}}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, client, "docker", "FailedMount",
		`MountVolume.SetUp failed for volume "sock" : hostPath type check failed: /var/run/docker.sock is not a socket file, it's a File`)
	p, err := client.CoreV1().Pods("default").Get(t.Context(), "docker", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if w := p.Status.ContainerStatuses; len(w) != 1 || w[0].State.Waiting == nil || w[0].State.Waiting.Reason != "ContainerCreating" {
		t.Errorf("pod whose hostPath fails its check: %+v, want ContainerCreating", w)
	}
}

// createClaimPod runs cmd in busybox on worker0 with the claim "data"
// mounted at /data.
func createClaimPod(t *testing.T, client kubernetes.Interface, name string, readOnly bool, cmd string) *corev1.Pod {
	t.Helper()
	p, err := client.CoreV1().Pods("default").Create(t.Context(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			NodeName:      "worker0",
			RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{{Name: "c", Image: "busybox", Command: []string{"sh", "-c", cmd},
				VolumeMounts: []corev1.VolumeMount{{Name: "store", MountPath: "/data"}}}},
			Volumes: []corev1.Volume{{Name: "store", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{
				ClaimName: "data", ReadOnly: readOnly}}}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// bind makes a hostPath PersistentVolume at path for pvc, pinned to
// worker0, and binds the two both ways, as the PV controller does.
func bind(t *testing.T, client kubernetes.Interface, pvc *corev1.PersistentVolumeClaim, path string) {
	t.Helper()
	ctx := t.Context()
	pv, err := client.CoreV1().PersistentVolumes().Create(ctx, &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "pvc-" + string(pvc.UID)},
		Spec: corev1.PersistentVolumeSpec{
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{
				Path: path, Type: ptr.To(corev1.HostPathDirectoryOrCreate)}},
			ClaimRef: &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: pvc.Namespace, Name: pvc.Name, UID: pvc.UID},
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "kubernetes.io/hostname", Operator: corev1.NodeSelectorOpIn, Values: []string{"worker0"}}},
			}}}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pv.Status.Phase = corev1.VolumeBound
	if _, err := client.CoreV1().PersistentVolumes().UpdateStatus(ctx, pv, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	pvc, err = client.CoreV1().PersistentVolumeClaims(pvc.Namespace).Get(ctx, pvc.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pvc.Spec.VolumeName = pv.Name
	if pvc, err = client.CoreV1().PersistentVolumeClaims(pvc.Namespace).Update(ctx, pvc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	pvc.Status.Phase = corev1.ClaimBound
	pvc.Status.AccessModes = pv.Spec.AccessModes
	pvc.Status.Capacity = pv.Spec.Capacity
	if _, err := client.CoreV1().PersistentVolumeClaims(pvc.Namespace).UpdateStatus(ctx, pvc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func waitPhase(t *testing.T, client kubernetes.Interface, name string, phase corev1.PodPhase) *corev1.Pod {
	t.Helper()
	var p *corev1.Pod
	clustertest.Poll(t, 30*time.Second, func() error {
		var err error
		if p, err = client.CoreV1().Pods("default").Get(t.Context(), name, metav1.GetOptions{}); err != nil {
			return err
		}
		if p.Status.Phase != phase {
			return fmt.Errorf("pod %s is %s, want %s; status %+v", name, p.Status.Phase, phase, p.Status)
		}
		return nil
	})
	return p
}

// waitEvent waits for an event of the pod with reason and message.
func waitEvent(t *testing.T, client kubernetes.Interface, pod, reason, message string) {
	t.Helper()
	clustertest.Poll(t, 30*time.Second, func() error {
		list, err := client.CoreV1().Events("default").List(t.Context(), metav1.ListOptions{
			FieldSelector: fields.OneTermEqualSelector("involvedObject.name", pod).String(),
		})
		if err != nil {
			return err
		}
		var seen []string
		for _, e := range list.Items {
			if e.Reason == reason && e.Message == message && e.Source.Component == "kubelet" {
				return nil
			}
			seen = append(seen, e.Reason+": "+e.Message)
		}
		return fmt.Errorf("no %s event %q for pod %s; events: %q", reason, message, pod, seen)
	})
}
