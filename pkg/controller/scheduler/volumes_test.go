package scheduler_test

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// TestVolumeBindingFilters: a pod whose claim is missing, or unbound of an
// Immediate class, is unschedulable with upstream's message; a bound
// claim keeps its pod to the nodes its volume allows.
func TestVolumeBindingFilters(t *testing.T) {
	t.Parallel()
	client := start(t)
	ctx := t.Context()
	if _, err := client.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	node(t, client, "a", map[string]string{"zone": "a"})
	node(t, client, "b", map[string]string{"zone": "b"})
	if _, err := client.StorageV1().StorageClasses().Create(ctx, &storagev1.StorageClass{
		ObjectMeta: metav1.ObjectMeta{Name: "now"}, Provisioner: "example.com/p",
		VolumeBindingMode: ptr.To(storagev1.VolumeBindingImmediate),
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	newClaim := func(name, class string) *corev1.PersistentVolumeClaim {
		c, err := client.CoreV1().PersistentVolumeClaims("default").Create(ctx, &corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
				StorageClassName: &class,
			},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	newClaim("unbound", "now")
	// A claim bound (by hand, no binder runs) to a volume pinned to zone a.
	bound := newClaim("bound", "")
	if _, err := client.CoreV1().PersistentVolumes().Create(ctx, &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "zone-a"},
		Spec: corev1.PersistentVolumeSpec{
			AccessModes:            []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Capacity:               corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/x"}},
			ClaimRef:               &corev1.ObjectReference{Namespace: "default", Name: "bound", UID: bound.UID},
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"a"}}},
			}}}},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	bound.Spec.VolumeName = "zone-a"
	bound.Annotations = map[string]string{"pv.kubernetes.io/bind-completed": "yes"}
	if _, err := client.CoreV1().PersistentVolumeClaims("default").Update(ctx, bound, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	withClaim := func(claim string, mutate func(*corev1.Pod)) func(*corev1.Pod) {
		return func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "v", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}}}
			if mutate != nil {
				mutate(p)
			}
		}
	}
	// unschedulable waits for the pod's PodScheduled condition to say
	// Unschedulable with a message that starts with want.
	unschedulable := func(name, want string) {
		t.Helper()
		waitFor(t, client, name, "unschedulable: "+want, func(p *corev1.Pod) bool {
			for _, c := range p.Status.Conditions {
				if c.Type == corev1.PodScheduled && c.Reason == corev1.PodReasonUnschedulable && strings.HasPrefix(c.Message, want) {
					return true
				}
			}
			return false
		})
	}
	pod(t, client, "missing", withClaim("nope", nil))
	unschedulable("missing", `0/2 nodes are available: persistentvolumeclaim "nope" not found.`)
	pod(t, client, "immediate", withClaim("unbound", nil))
	unschedulable("immediate", "0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims.")
	pod(t, client, "conflict", withClaim("bound", func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"zone": "b"} }))
	unschedulable("conflict", "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had volume node affinity conflict.")
	pod(t, client, "follows", withClaim("bound", nil))
	if p := waitFor(t, client, "follows", "bound", func(p *corev1.Pod) bool { return p.Spec.NodeName != "" }); p.Spec.NodeName != "a" {
		t.Errorf("pod of the bound claim on %q, want a (its volume's zone)", p.Spec.NodeName)
	}
	// The missing claim made makes its pod schedulable (no class: immediate,
	// and unbound), so it then waits for the binder.
	newClaim("nope", "")
	unschedulable("missing", "0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims.")
}
