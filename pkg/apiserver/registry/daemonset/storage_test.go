package daemonset_test

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

func agent() *appsv1.DaemonSet {
	labels := map[string]string{"app": "agent"}
	return &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "agent", Namespace: "default"},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "agent", Image: "agent"}}},
			},
		},
	}
}

// TestServed creates a DaemonSet through a real API server: it is
// defaulted, its generation counts spec changes and not status writes, its
// template generation counts template changes, it has no scale, and a bad
// spec or a changed selector is a 422 naming the field.
func TestServed(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartAPI(t, cluster.Options{}))
	sets := client.AppsV1().DaemonSets("default")
	ctx := t.Context()

	got, err := sets.Create(ctx, agent(), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ru := got.Spec.UpdateStrategy.RollingUpdate
	if ru == nil || ru.MaxUnavailable.String() != "1" || ru.MaxSurge.String() != "0" || *got.Spec.RevisionHistoryLimit != 10 ||
		got.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyAlways {
		t.Errorf("defaults: %+v", got.Spec)
	}
	if got.Generation != 1 || got.Annotations[appsv1.DeprecatedTemplateGeneration] != "1" {
		t.Errorf("on create: generation %d, template generation %q; want 1, 1", got.Generation, got.Annotations[appsv1.DeprecatedTemplateGeneration])
	}

	got.Status.DesiredNumberScheduled = 2
	got.Annotations[appsv1.DeprecatedTemplateGeneration] = "7"
	if got, err = sets.UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil || got.Generation != 1 ||
		got.Annotations[appsv1.DeprecatedTemplateGeneration] != "1" || got.Status.DesiredNumberScheduled != 2 {
		t.Fatalf("status update: %v, %v; want generation 1, template generation 1", got, err)
	}

	got.Spec.Template.Spec.Containers[0].Image = "agent:2"
	if got, err = sets.Update(ctx, got, metav1.UpdateOptions{}); err != nil || got.Generation != 2 ||
		got.Annotations[appsv1.DeprecatedTemplateGeneration] != "2" {
		t.Fatalf("template update: %v, %v; want generation 2, template generation 2", got, err)
	}

	if _, err := client.AppsV1().RESTClient().Get().AbsPath("/apis/apps/v1/namespaces/default/daemonsets/agent/scale").DoRaw(ctx); !apierrors.IsNotFound(err) {
		t.Errorf("daemonsets/scale: %v, want 404", err)
	}

	bad := agent()
	bad.Name = "bad"
	bad.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateDaemonSet{}
	bad.Spec.MinReadySeconds = -1
	_, err = sets.Create(ctx, bad, metav1.CreateOptions{})
	wantInvalid(t, "negative minReadySeconds", err, "spec.minReadySeconds")

	got.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "agent", "tier": "node"}}
	got.Spec.Template.Labels = got.Spec.Selector.MatchLabels
	_, err = sets.Update(ctx, got, metav1.UpdateOptions{})
	wantInvalid(t, "selector change", err, "spec.selector")
}

func wantInvalid(t *testing.T, what string, err error, field string) {
	t.Helper()
	status, ok := err.(apierrors.APIStatus)
	if !ok || !apierrors.IsInvalid(err) {
		t.Errorf("%s: %v, want 422 on %s", what, err, field)
		return
	}
	for _, c := range status.Status().Details.Causes {
		if c.Field == field {
			return
		}
	}
	t.Errorf("%s: %v, want a cause on %s", what, err, field)
}
