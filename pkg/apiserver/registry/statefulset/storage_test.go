package statefulset_test

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

func db() *appsv1.StatefulSet {
	labels := map[string]string{"app": "db"}
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "default"},
		Spec: appsv1.StatefulSetSpec{
			ServiceName: "db",
			Selector:    &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "postgres", Image: "postgres"}}},
			},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "data"}}},
		},
	}
}

// TestServed creates a StatefulSet through a real API server: it is
// defaulted, its generation counts spec changes and not status writes, the
// scale subresource reads and sets its replicas, a bad spec is a 422
// naming the field, and only the fields upstream lets change may.
func TestServed(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartAPI(t, cluster.Options{}))
	sets := client.AppsV1().StatefulSets("default")
	ctx := t.Context()

	got, err := sets.Create(ctx, db(), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	spec := got.Spec
	if *spec.Replicas != 1 || spec.PodManagementPolicy != appsv1.OrderedReadyPodManagement ||
		*spec.UpdateStrategy.RollingUpdate.Partition != 0 || *spec.RevisionHistoryLimit != 10 ||
		spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted != appsv1.RetainPersistentVolumeClaimRetentionPolicyType ||
		spec.Template.Spec.RestartPolicy != corev1.RestartPolicyAlways ||
		*spec.VolumeClaimTemplates[0].Spec.VolumeMode != corev1.PersistentVolumeFilesystem {
		t.Errorf("defaults: %+v", spec)
	}
	if got.Generation != 1 {
		t.Errorf("generation on create = %d, want 1", got.Generation)
	}

	got.Status.Replicas = 1
	if got, err = sets.UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil || got.Generation != 1 {
		t.Fatalf("status update: generation %d, %v; want 1", got.Generation, err)
	}

	scale, err := sets.GetScale(ctx, "db", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if scale.Spec.Replicas != 1 || scale.Status.Replicas != 1 || scale.Status.Selector != "app=db" {
		t.Errorf("scale = %+v", scale)
	}
	if _, err := sets.Patch(ctx, "db", types.MergePatchType, []byte(`{"spec":{"replicas":3}}`), metav1.PatchOptions{}, "scale"); err != nil {
		t.Fatal(err)
	}
	got, err = sets.Get(ctx, "db", metav1.GetOptions{})
	if err != nil || *got.Spec.Replicas != 3 || got.Generation != 2 {
		t.Fatalf("after scaling to 3: replicas %d, generation %d, %v; want 3, 2", *got.Spec.Replicas, got.Generation, err)
	}
	_, err = sets.UpdateScale(ctx, "db", &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "default"}, Spec: autoscalingv1.ScaleSpec{Replicas: -1},
	}, metav1.UpdateOptions{})
	wantInvalid(t, "scale to -1", err, "spec.replicas")

	bad := db()
	bad.Name = "bad"
	bad.Spec.PodManagementPolicy = "Sometimes"
	_, err = sets.Create(ctx, bad, metav1.CreateOptions{})
	wantInvalid(t, "unknown pod management policy", err, "spec.podManagementPolicy")

	dotted := db()
	dotted.Name = "db.v2"
	_, err = sets.Create(ctx, dotted, metav1.CreateOptions{})
	wantInvalid(t, "name that is no DNS label", err, "metadata.name")

	got.Spec.Template.Spec.Containers[0].Image = "postgres:18"
	if got, err = sets.Update(ctx, got, metav1.UpdateOptions{}); err != nil || got.Generation != 3 {
		t.Fatalf("template update: generation %d, %v; want 3", got.Generation, err)
	}
	got.Spec.ServiceName = "other"
	_, err = sets.Update(ctx, got, metav1.UpdateOptions{})
	wantInvalid(t, "service name change", err, "spec")
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
