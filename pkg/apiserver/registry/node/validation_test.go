package node_test

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// TestNodePodCIDRsAreImmutableOnceSet: podCIDRs go from empty to set once
// (the node IPAM controller's patch) and never change after, with
// kube-apiserver's error.
func TestNodePodCIDRsAreImmutableOnceSet(t *testing.T) {
	t.Parallel()
	// This test sets the pod CIDRs itself, as the node IPAM controller would.
	client := clustertest.Client(t, clustertest.StartControlPlane(t, cluster.Options{Controllers: []string{"*", "-node-ipam-controller", "-node-lifecycle-controller"}}))
	ctx := t.Context()
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

// TestNodePodCIDRsValidation: kube-apiserver's ValidateNode checks on
// spec.podCIDRs, on create and on the update that first sets them.
func TestNodePodCIDRsValidation(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartControlPlane(t, cluster.Options{Controllers: []string{"*", "-node-ipam-controller", "-node-lifecycle-controller"}}))
	ctx := t.Context()
	tests := []struct {
		name     string
		podCIDRs []string
		want     string // "" means valid
	}{
		{name: "IPv4", podCIDRs: []string{"10.244.0.0/24"}},
		{name: "IPv6", podCIDRs: []string{"fd00:10:244::/64"}},
		{name: "IPv4 and IPv6", podCIDRs: []string{"10.244.0.0/24", "fd00:10:244::/64"}},
		{name: "IPv6 and IPv4", podCIDRs: []string{"fd00:10:244::/64", "10.244.0.0/24"}},
		{name: "not a CIDR", podCIDRs: []string{"10.244.0.0"},
			want: `spec.podCIDRs[0]: Invalid value: "10.244.0.0": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)`},
		{name: "two IPv4", podCIDRs: []string{"10.244.0.0/24", "10.244.1.0/24"},
			want: `spec.podCIDRs: Invalid value: ["10.244.0.0/24","10.244.1.0/24"]: may specify no more than one CIDR for each IP family`},
		{name: "three", podCIDRs: []string{"10.244.0.0/24", "fd00:10:244::/64", "10.244.1.0/24"},
			want: `spec.podCIDRs: Invalid value: ["10.244.0.0/24","fd00:10:244::/64","10.244.1.0/24"]: may specify no more than one CIDR for each IP family`},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, how := range []string{"create", "update"} {
				name := fmt.Sprintf("%s-%d", how, i)
				node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
				if how == "create" {
					node.Spec.PodCIDRs = tt.podCIDRs
				}
				_, err := client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
				if how == "update" && err == nil {
					node, err = client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
					if err != nil {
						t.Fatal(err)
					}
					node.Spec.PodCIDRs = tt.podCIDRs
					_, err = client.CoreV1().Nodes().Update(ctx, node, metav1.UpdateOptions{})
				}
				switch want := fmt.Sprintf(`Node %q is invalid: %s`, name, tt.want); {
				case tt.want == "" && err != nil:
					t.Errorf("%s: %v, want no error", how, err)
				case tt.want != "" && (!apierrors.IsInvalid(err) || err.Error() != want):
					t.Errorf("%s: %v\nwant %s", how, err, want)
				}
			}
		})
	}
}
