package daemonset_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

const timeout = 30 * time.Second

func daemonSet(name string) *appsv1.DaemonSet {
	labels := map[string]string{"app": name}
	return &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "agent", Image: "nginx:1.29"}}},
			},
		},
	}
}

// podsByNode lists the live pods ds controls, by the node they run on.
func podsByNode(ctx context.Context, client kubernetes.Interface, ds *appsv1.DaemonSet) (map[string]*corev1.Pod, error) {
	pods, err := client.CoreV1().Pods(ds.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := map[string]*corev1.Pod{}
	for i, p := range pods.Items {
		ref := metav1.GetControllerOf(&p)
		if ref == nil || ref.UID != ds.UID || p.DeletionTimestamp != nil {
			continue
		}
		if out[p.Spec.NodeName] != nil {
			return nil, fmt.Errorf("two pods on node %q: %s and %s", p.Spec.NodeName, out[p.Spec.NodeName].Name, p.Name)
		}
		out[p.Spec.NodeName] = &pods.Items[i]
	}
	return out, nil
}

// waitRolledOut waits until ds has one ready pod of its current template
// on each of nodes and its status says so, for its current generation.
func waitRolledOut(t *testing.T, client kubernetes.Interface, name string, image string, nodes ...string) (*appsv1.DaemonSet, map[string]*corev1.Pod) {
	t.Helper()
	ctx := t.Context()
	var ds *appsv1.DaemonSet
	var pods map[string]*corev1.Pod
	clustertest.Poll(t, timeout, func() error {
		var err error
		if ds, err = client.AppsV1().DaemonSets("default").Get(ctx, name, metav1.GetOptions{}); err != nil {
			return err
		}
		if pods, err = podsByNode(ctx, client, ds); err != nil {
			return err
		}
		var on []string
		for node, p := range pods {
			if p.Spec.Containers[0].Image != image || p.Status.Phase != corev1.PodRunning {
				return fmt.Errorf("pod %s on %q: image %s, phase %s", p.Name, node, p.Spec.Containers[0].Image, p.Status.Phase)
			}
			on = append(on, node)
		}
		slices.Sort(on)
		n := int32(len(nodes))
		s := ds.Status
		if !slices.Equal(on, nodes) || s.DesiredNumberScheduled != n || s.CurrentNumberScheduled != n || s.NumberReady != n ||
			s.NumberAvailable != n || s.UpdatedNumberScheduled != n || s.NumberUnavailable != 0 || s.NumberMisscheduled != 0 ||
			s.ObservedGeneration != ds.Generation {
			return fmt.Errorf("pods on %v, status %+v; want one on each of %v", on, s, nodes)
		}
		return nil
	})
	return ds, pods
}

// TestDaemonSetRunsOnEveryNode runs a DaemonSet over three nodes: a pod
// on each, pinned by node affinity and tolerating the node conditions;
// a ControllerRevision per template; a rolling update that replaces
// every pod; a node selector that takes the pods off the other nodes;
// a NoExecute taint that evicts; and a deleted pod replaced.
func TestDaemonSetRunsOnEveryNode(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartWith(t, cluster.Options{Nodes: 3}))
	ctx := t.Context()
	if _, err := client.AppsV1().DaemonSets("default").Create(ctx, daemonSet("agent"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ds, pods := waitRolledOut(t, client, "agent", "nginx:1.29", "worker0", "worker1", "worker2")
	first := pods["worker0"]
	hash := first.Labels["controller-revision-hash"]
	if hash == "" || first.Labels["pod-template-generation"] != "1" {
		t.Errorf("pod labels %v, want controller-revision-hash and pod-template-generation 1", first.Labels)
	}
	terms := first.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	if len(terms) != 1 || len(terms[0].MatchFields) != 1 || terms[0].MatchFields[0].Values[0] != "worker0" {
		t.Errorf("pod node affinity %+v, want metadata.name in [worker0]", terms)
	}
	var tolerated []string
	for _, tol := range first.Spec.Tolerations {
		tolerated = append(tolerated, tol.Key+":"+string(tol.Effect))
	}
	for _, want := range []string{"node.kubernetes.io/not-ready:NoExecute", "node.kubernetes.io/unreachable:NoExecute", "node.kubernetes.io/unschedulable:NoSchedule"} {
		if !slices.Contains(tolerated, want) {
			t.Errorf("pod tolerations %v, want %s", tolerated, want)
		}
	}
	rev, err := client.AppsV1().ControllerRevisions("default").Get(ctx, "agent-"+hash, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("revision of the first template: %v", err)
	}
	if rev.Revision != 1 || !strings.Contains(string(rev.Data.Raw), `"$patch":"replace"`) || metav1.GetControllerOf(rev).UID != ds.UID {
		t.Errorf("revision %d, data %s, owner %v", rev.Revision, rev.Data.Raw, rev.OwnerReferences)
	}

	// A new image rolls out one node at a time, under a second revision.
	if _, err := client.AppsV1().DaemonSets("default").Patch(ctx, "agent", types.StrategicMergePatchType,
		[]byte(`{"spec":{"template":{"spec":{"containers":[{"name":"agent","image":"nginx:1.30"}]}}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	_, pods = waitRolledOut(t, client, "agent", "nginx:1.30", "worker0", "worker1", "worker2")
	revs, err := client.AppsV1().ControllerRevisions("default").List(ctx, metav1.ListOptions{LabelSelector: "app=agent"})
	if err != nil {
		t.Fatal(err)
	}
	if len(revs.Items) != 2 {
		t.Errorf("%d revisions, want 2", len(revs.Items))
	}
	for _, r := range revs.Items {
		if r.Name == "agent-"+pods["worker1"].Labels["controller-revision-hash"] && r.Revision != 2 {
			t.Errorf("revision of the second template is %d, want 2", r.Revision)
		}
	}

	// Only worker0 fits a node selector for it.
	if _, err := client.AppsV1().DaemonSets("default").Patch(ctx, "agent", types.StrategicMergePatchType,
		[]byte(`{"spec":{"template":{"spec":{"nodeSelector":{"kubernetes.io/hostname":"worker0"}}}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitRolledOut(t, client, "agent", "nginx:1.30", "worker0")
	if _, err := client.AppsV1().DaemonSets("default").Patch(ctx, "agent", types.JSONPatchType,
		[]byte(`[{"op":"remove","path":"/spec/template/spec/nodeSelector"}]`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	_, pods = waitRolledOut(t, client, "agent", "nginx:1.30", "worker0", "worker1", "worker2")

	// A NoExecute taint it does not tolerate takes its pod off the node.
	if _, err := client.CoreV1().Nodes().Patch(ctx, "worker2", types.StrategicMergePatchType,
		[]byte(`{"spec":{"taints":[{"key":"dedicated","value":"db","effect":"NoExecute"}]}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitRolledOut(t, client, "agent", "nginx:1.30", "worker0", "worker1")

	// A deleted pod comes back.
	if err := client.CoreV1().Pods("default").Delete(ctx, pods["worker1"].Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	_, again := waitRolledOut(t, client, "agent", "nginx:1.30", "worker0", "worker1")
	if again["worker1"].Name == pods["worker1"].Name {
		t.Errorf("deleted pod %s still counted", pods["worker1"].Name)
	}
}
