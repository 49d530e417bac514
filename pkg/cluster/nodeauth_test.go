package cluster_test

import (
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// TestKubeletCredentialsStayOnTheirNode runs kubelets as system:node:<name>
// (their pods start, so the Node authorizer and NodeRestriction let them
// do their work) and checks, acting as the other node, that a kubelet may
// neither read the Secret of a pod bound elsewhere nor write that pod's
// status, with kube-apiserver's texts (the union authorizer prefixes a
// reason with the authorizer's name, "node").
func TestKubeletCredentialsStayOnTheirNode(t *testing.T) {
	t.Parallel()
	c := clustertest.StartWith(t, cluster.Options{Nodes: 2})
	admin := clustertest.Client(t, c)
	waitSA(t, admin)
	ctx := t.Context()
	if _, err := admin.CoreV1().Secrets("default").Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "app"}, StringData: map[string]string{"k": "v"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := admin.CoreV1().Pods("default").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "on-worker1"},
		Spec: corev1.PodSpec{
			NodeName:   "worker1",
			Containers: []corev1.Container{{Name: "c", Image: "nginx", VolumeMounts: []corev1.VolumeMount{{Name: "s", MountPath: "/s"}}}},
			Volumes:    []corev1.Volume{{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "app"}}}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod := waitPod(t, admin, "on-worker1", "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })

	as := func(node string) kubernetes.Interface {
		cfg := clustertest.Config(c)
		cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:node:" + node, Groups: []string{"system:nodes"}}
		client, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return client
	}
	if _, err := as("worker1").CoreV1().Secrets("default").Get(ctx, "app", metav1.GetOptions{}); err != nil {
		t.Errorf("worker1 reads its pod's secret: %v", err)
	}
	other := as("worker0")
	_, err = other.CoreV1().Secrets("default").Get(ctx, "app", metav1.GetOptions{})
	wantStatus(t, err, 403, `secrets "app" is forbidden: User "system:node:worker0" cannot get resource "secrets" in API group "" in the namespace "default": node: no relationship found between node 'worker0' and this object`)
	pod.Status.Message = "written by another node"
	_, err = other.CoreV1().Pods("default").UpdateStatus(ctx, pod, metav1.UpdateOptions{})
	wantStatus(t, err, 403, `pods "on-worker1" is forbidden: node "worker0" can only update pod status for pods with spec.nodeName set to itself`)
	_, err = other.CoreV1().Nodes().Patch(ctx, "worker1", "application/merge-patch+json", []byte(`{"metadata":{"labels":{"x":"y"}}}`), metav1.PatchOptions{})
	wantStatus(t, err, 403, `nodes "worker1" is forbidden: node "worker0" is not allowed to modify node "worker1"`)
}

// wantStatus fails t unless err is an API error with code and exactly msg.
func wantStatus(t *testing.T, err error, code int32, msg string) {
	t.Helper()
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		t.Errorf("error = %v, want %d %q", err, code, msg)
		return
	}
	if got := status.Status(); got.Code != code || got.Message != msg {
		t.Errorf("error = %d %q, want %d %q", got.Code, got.Message, code, msg)
	}
}
