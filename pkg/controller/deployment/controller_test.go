package deployment_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

const timeout = 60 * time.Second

func deployment(name string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx", Image: "nginx:1.27"}}},
			},
		},
	}
}

// waitRolledOut waits until d's status says what kubectl rollout status
// waits for, and returns d as stored.
func waitRolledOut(t *testing.T, client kubernetes.Interface, name string) *appsv1.Deployment {
	t.Helper()
	var d *appsv1.Deployment
	clustertest.Poll(t, timeout, func() error {
		var err error
		if d, err = client.AppsV1().Deployments("default").Get(t.Context(), name, metav1.GetOptions{}); err != nil {
			return err
		}
		s, n := d.Status, *d.Spec.Replicas
		cond := progressing(d)
		if s.ObservedGeneration < d.Generation || s.UpdatedReplicas != n || s.Replicas != n || s.AvailableReplicas != n ||
			cond == nil || cond.Reason != "NewReplicaSetAvailable" {
			return fmt.Errorf("not rolled out: generation %d, status %+v", d.Generation, s)
		}
		return nil
	})
	return d
}

func progressing(d *appsv1.Deployment) *appsv1.DeploymentCondition {
	for i, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing {
			return &d.Status.Conditions[i]
		}
	}
	return nil
}

// replicaSets lists name's ReplicaSets by revision annotation.
func replicaSets(t *testing.T, client kubernetes.Interface, name string) map[string]*appsv1.ReplicaSet {
	t.Helper()
	list, err := client.AppsV1().ReplicaSets("default").List(t.Context(), metav1.ListOptions{LabelSelector: "app=" + name})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*appsv1.ReplicaSet{}
	for i, rs := range list.Items {
		out[rs.Annotations["deployment.kubernetes.io/revision"]] = &list.Items[i]
	}
	return out
}

// watchSizes records, while a rollout runs, the largest total of the
// ReplicaSets' spec.replicas and what check says about each change.
func watchSizes(ctx context.Context, t *testing.T, client kubernetes.Interface, check func(map[string]int32) error) (maxTotal func() int32, errs func() []error) {
	t.Helper()
	w, err := client.AppsV1().ReplicaSets("default").Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int32{}
	var most int32
	var found []error
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.ResultChan() {
			rs, ok := ev.Object.(*appsv1.ReplicaSet)
			if !ok || ev.Type == watch.Deleted {
				continue
			}
			sizes[rs.Name] = *rs.Spec.Replicas
			var total int32
			for _, n := range sizes {
				total += n
			}
			most = max(most, total)
			if err := check(sizes); err != nil {
				found = append(found, err)
			}
		}
	}()
	stop := func() { w.Stop(); <-done }
	return func() int32 { stop(); return most }, func() []error { return found }
}

// TestRollingUpdate changes a Deployment's image: a second ReplicaSet,
// revision 2, takes over within maxSurge (never more than replicas+1 pods
// asked for), the first is scaled to zero, and the Deployment's revision
// and conditions follow.
func TestRollingUpdate(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.Start(t))
	ctx := t.Context()
	d := deployment("web", 4)
	d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxSurge: ptr.To(intstr.FromInt32(1)), MaxUnavailable: ptr.To(intstr.FromInt32(0))}
	if _, err := client.AppsV1().Deployments("default").Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitRolledOut(t, client, "web")

	maxTotal, _ := watchSizes(ctx, t, client, func(map[string]int32) error { return nil })
	patch := `{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.28"}]}}}}`
	if _, err := client.AppsV1().Deployments("default").Patch(ctx, "web", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	got := waitRolledOut(t, client, "web")
	if most := maxTotal(); most > 5 {
		t.Errorf("ReplicaSets asked for %d pods at once, want at most 4 + maxSurge 1", most)
	}
	if got.Annotations["deployment.kubernetes.io/revision"] != "2" {
		t.Errorf("deployment revision %q, want 2", got.Annotations["deployment.kubernetes.io/revision"])
	}
	sets := replicaSets(t, client, "web")
	old, cur := sets["1"], sets["2"]
	if old == nil || cur == nil || *old.Spec.Replicas != 0 || *cur.Spec.Replicas != 4 ||
		cur.Spec.Template.Spec.Containers[0].Image != "nginx:1.28" ||
		cur.Annotations["deployment.kubernetes.io/desired-replicas"] != "4" || cur.Annotations["deployment.kubernetes.io/max-replicas"] != "5" {
		t.Fatalf("replica sets by revision: %v", sets)
	}
	if cur.Name != "web-"+cur.Labels["pod-template-hash"] || cur.Spec.Selector.MatchLabels["pod-template-hash"] == "" {
		t.Errorf("new replica set %s, labels %v: not named and selected by its pod-template-hash", cur.Name, cur.Labels)
	}
	if msg := progressing(got).Message; msg != fmt.Sprintf("ReplicaSet %q has successfully progressed.", cur.Name) {
		t.Errorf("Progressing message %q", msg)
	}
}

// TestRecreate changes a Recreate Deployment's image: the old ReplicaSet
// is scaled to zero before the new one is created.
func TestRecreate(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.Start(t))
	ctx := t.Context()
	d := deployment("db", 2)
	d.Spec.Strategy.Type = appsv1.RecreateDeploymentStrategyType
	if _, err := client.AppsV1().Deployments("default").Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	first := waitRolledOut(t, client, "db")
	firstRS := replicaSets(t, client, "db")["1"]

	_, errs := watchSizes(ctx, t, client, func(sizes map[string]int32) error {
		if len(sizes) > 1 && sizes[firstRS.Name] != 0 {
			return fmt.Errorf("sizes %v: a new replica set while the old one has replicas", sizes)
		}
		return nil
	})
	first.Spec.Template.Spec.Containers[0].Image = "nginx:1.28"
	if _, err := client.AppsV1().Deployments("default").Update(ctx, first, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitRolledOut(t, client, "db")
	for _, err := range errs() {
		t.Error(err)
	}
}

// TestProgressDeadlineExceeded rolls out pods that cannot be scheduled:
// after progressDeadlineSeconds the Deployment's Progressing condition is
// False with reason ProgressDeadlineExceeded, as kubectl rollout status
// reports.
func TestProgressDeadlineExceeded(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.Start(t))
	ctx := t.Context()
	d := deployment("stuck", 1)
	d.Spec.ProgressDeadlineSeconds = ptr.To[int32](1)
	d.Spec.Template.Spec.NodeSelector = map[string]string{"no-such": "node"}
	if _, err := client.AppsV1().Deployments("default").Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	clustertest.Poll(t, timeout, func() error {
		got, err := client.AppsV1().Deployments("default").Get(ctx, "stuck", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if c := progressing(got); c == nil || c.Status != corev1.ConditionFalse || c.Reason != "ProgressDeadlineExceeded" {
			return fmt.Errorf("Progressing %+v", c)
		}
		return nil
	})
}

// TestRevisionHistoryLimit rolls out three templates with a history of
// one: only the current ReplicaSet and the one before remain.
func TestRevisionHistoryLimit(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.Start(t))
	ctx := t.Context()
	d := deployment("hist", 1)
	d.Spec.RevisionHistoryLimit = ptr.To[int32](1)
	if _, err := client.AppsV1().Deployments("default").Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, image := range []string{"nginx:1.28", "nginx:1.29"} {
		waitRolledOut(t, client, "hist")
		patch := `{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"` + image + `"}]}}}}`
		if _, err := client.AppsV1().Deployments("default").Patch(ctx, "hist", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	waitRolledOut(t, client, "hist")
	clustertest.Poll(t, timeout, func() error {
		sets := replicaSets(t, client, "hist")
		if len(sets) != 2 || sets["2"] == nil || sets["3"] == nil {
			return fmt.Errorf("replica sets by revision %v, want 2 and 3", sets)
		}
		return nil
	})
}
