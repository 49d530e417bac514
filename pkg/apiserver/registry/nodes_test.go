package registry_test

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// TestNodePodCIDRsAreImmutableOnceSet: podCIDRs go from empty to set once
// (the node IPAM controller's patch) and never change after, with
// kube-apiserver's error.
func TestNodePodCIDRsAreImmutableOnceSet(t *testing.T) {
	t.Parallel()
	client, ctx := startClient(t)
	nodes := client.CoreV1().Nodes()
	if _, err := nodes.Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	set := `{"spec":{"podCIDR":"10.244.0.0/24","podCIDRs":["10.244.0.0/24","fd00:10:244::/64"]}}`
	if _, err := nodes.Patch(ctx, "n", types.StrategicMergePatchType, []byte(set), metav1.PatchOptions{}); err != nil {
		t.Fatalf("first podCIDRs patch: %v", err)
	}
	// The same value again is no change.
	if _, err := nodes.Patch(ctx, "n", types.StrategicMergePatchType, []byte(set), metav1.PatchOptions{}); err != nil {
		t.Fatalf("same podCIDRs again: %v", err)
	}
	const want = `Node "n" is invalid: spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid`
	for _, patch := range []string{
		`{"spec":{"podCIDR":"10.244.1.0/24","podCIDRs":["10.244.1.0/24","fd00:10:244::/64"]}}`,
		`{"spec":{"podCIDRs":["10.244.0.0/24","fd00:10:244:1::/64"]}}`,
		`{"spec":{"podCIDRs":["10.244.0.0/24"]}}`,
		`{"spec":{"podCIDR":null,"podCIDRs":null}}`,
	} {
		_, err := nodes.Patch(ctx, "n", types.MergePatchType, []byte(patch), metav1.PatchOptions{})
		if !apierrors.IsInvalid(err) || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("patch %s: %v, want %q", patch, err, want)
		}
	}
	got, err := nodes.Get(ctx, "n", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Spec.PodCIDR != "10.244.0.0/24" || len(got.Spec.PodCIDRs) != 2 || got.Spec.PodCIDRs[1] != "fd00:10:244::/64" {
		t.Errorf("podCIDR %q podCIDRs %q after rejected patches", got.Spec.PodCIDR, got.Spec.PodCIDRs)
	}
}
