package job_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

func pi() *batchv1.Job {
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "pi", Namespace: "default"},
		Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers:    []corev1.Container{{Name: "pi", Image: "perl"}},
		}}},
	}
}

// TestServed creates Jobs through a real API server: a Job is defaulted,
// gets the selector and labels of its own uid, its generation counts spec
// changes and not status writes, status.successful selects it, and a bad
// spec or a changed completions count is a 422 naming the field.
func TestServed(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartAPI(t, cluster.Options{}))
	jobs := client.BatchV1().Jobs("default")
	ctx := t.Context()

	sent := pi()
	sent.Status.Active = 3
	got, err := jobs.Create(ctx, sent, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *got.Spec.Completions != 1 || *got.Spec.Parallelism != 1 || *got.Spec.BackoffLimit != 6 || *got.Spec.Suspend ||
		*got.Spec.ManualSelector || *got.Spec.PodReplacementPolicy != batchv1.TerminatingOrFailed ||
		*got.Spec.CompletionMode != batchv1.NonIndexedCompletion || got.Spec.Template.Spec.DNSPolicy != corev1.DNSClusterFirst {
		t.Errorf("defaults: %+v", got.Spec)
	}
	uid := string(got.UID)
	generated := map[string]string{
		"batch.kubernetes.io/controller-uid": uid,
		"batch.kubernetes.io/job-name":       "pi",
		"controller-uid":                     uid,
		"job-name":                           "pi",
	}
	if diff := cmp.Diff(generated, got.Spec.Template.Labels); diff != "" {
		t.Errorf("template labels (-want +got):\n%s", diff)
	}
	// Defaults give a Job without labels its template's.
	if diff := cmp.Diff(generated, got.Labels); diff != "" {
		t.Errorf("job labels (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&metav1.LabelSelector{MatchLabels: map[string]string{"batch.kubernetes.io/controller-uid": uid}}, got.Spec.Selector); diff != "" {
		t.Errorf("selector (-want +got):\n%s", diff)
	}
	if got.Generation != 1 || got.Status.Active != 0 {
		t.Errorf("on create: generation %d, active %d; want 1 and the status sent dropped", got.Generation, got.Status.Active)
	}

	got.Status.Succeeded = 1
	got.Status.StartTime = ptr.To(metav1.Now())
	if got, err = jobs.UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil || got.Generation != 1 {
		t.Fatalf("status update: generation %d, %v; want 1", got.Generation, err)
	}
	list, err := jobs.List(ctx, metav1.ListOptions{FieldSelector: "status.successful=1"})
	if err != nil || len(list.Items) != 1 {
		t.Errorf("jobs with status.successful=1: %v, %v; want pi", list, err)
	}

	got.Spec.Parallelism = ptr.To[int32](2)
	if got, err = jobs.Update(ctx, got, metav1.UpdateOptions{}); err != nil || got.Generation != 2 {
		t.Fatalf("parallelism update: generation %d, %v; want 2", got.Generation, err)
	}

	manual := pi()
	manual.Name = "manual"
	manual.Spec.ManualSelector = ptr.To(true)
	manual.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "pi"}}
	manual.Spec.Template.Labels = map[string]string{"app": "pi"}
	if m, err := jobs.Create(ctx, manual, metav1.CreateOptions{}); err != nil {
		t.Errorf("manual selector: %v", err)
	} else if diff := cmp.Diff(map[string]string{"app": "pi"}, m.Spec.Template.Labels); diff != "" {
		t.Errorf("manual selector: template labels (-want +got):\n%s", diff)
	}

	always := pi()
	always.Name = "always"
	always.Spec.Template.Spec.RestartPolicy = ""
	_, err = jobs.Create(ctx, always, metav1.CreateOptions{})
	wantInvalid(t, "restartPolicy Always", err, "spec.template.spec.restartPolicy")

	long := pi()
	long.Name = "a-name-that-is-longer-than-a-dns-label-can-be-with-an-index-xx"
	long.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
	long.Spec.Completions = ptr.To[int32](10)
	_, err = jobs.Create(ctx, long, metav1.CreateOptions{})
	wantInvalid(t, "Indexed Job whose pods' hostnames are too long", err, "metadata.name")

	got.Spec.Completions = ptr.To[int32](3)
	_, err = jobs.Update(ctx, got, metav1.UpdateOptions{})
	wantInvalid(t, "completions change", err, "spec.completions")
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
