package deployment_test

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

func web() *appsv1.Deployment {
	labels := map[string]string{"app": "web"}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx", Image: "nginx"}}},
			},
		},
	}
}

// TestServed creates a Deployment through a real API server: it is
// defaulted, its generation counts spec changes and not status writes, the
// scale subresource reads and sets its replicas, and a bad spec or a
// changed selector is a 422 naming the field.
func TestServed(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartAPI(t, cluster.Options{}))
	deployments := client.AppsV1().Deployments("default")
	ctx := t.Context()

	got, err := deployments.Create(ctx, web(), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *got.Spec.Replicas != 1 || got.Spec.Strategy.RollingUpdate.MaxSurge.String() != "25%" ||
		*got.Spec.RevisionHistoryLimit != 10 || *got.Spec.ProgressDeadlineSeconds != 600 ||
		got.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyAlways || got.Spec.Template.Spec.EnableServiceLinks != nil {
		t.Errorf("defaults: %+v", got.Spec)
	}
	if got.Generation != 1 {
		t.Errorf("generation on create = %d, want 1", got.Generation)
	}

	got.Status.Replicas = 1
	got.Status.ObservedGeneration = 1
	if got, err = deployments.UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil || got.Generation != 1 {
		t.Fatalf("status update: generation %d, %v; want 1", got.Generation, err)
	}

	scale, err := deployments.GetScale(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if scale.Spec.Replicas != 1 || scale.Status.Replicas != 1 || scale.Status.Selector != "app=web" {
		t.Errorf("scale = %+v", scale)
	}
	if _, err := deployments.Patch(ctx, "web", types.MergePatchType, []byte(`{"spec":{"replicas":3}}`), metav1.PatchOptions{}, "scale"); err != nil {
		t.Fatal(err)
	}
	got, err = deployments.Get(ctx, "web", metav1.GetOptions{})
	if err != nil || *got.Spec.Replicas != 3 || got.Generation != 2 {
		t.Fatalf("after scaling to 3: replicas %d, generation %d, %v; want 3, 2", *got.Spec.Replicas, got.Generation, err)
	}
	_, err = deployments.UpdateScale(ctx, "web", &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"}, Spec: autoscalingv1.ScaleSpec{Replicas: -1},
	}, metav1.UpdateOptions{})
	wantInvalid(t, "scale to -1", err, "spec.replicas")

	bad := web()
	bad.Name = "bad"
	bad.Spec.Template.Labels = map[string]string{"app": "other"}
	_, err = deployments.Create(ctx, bad, metav1.CreateOptions{})
	wantInvalid(t, "template labels the selector does not match", err, "spec.template.metadata.labels")

	got.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "tier": "front"}}
	got.Spec.Template.Labels = got.Spec.Selector.MatchLabels
	_, err = deployments.Update(ctx, got, metav1.UpdateOptions{})
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
