package controllerrevision_test

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// TestServed creates a ControllerRevision through a real API server: it
// needs data, its revision may be renumbered, and its data cannot change.
func TestServed(t *testing.T) {
	t.Parallel()
	revisions := clustertest.Client(t, clustertest.StartAPI(t, cluster.Options{})).AppsV1().ControllerRevisions("default")
	ctx := t.Context()

	in := &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{Name: "db-1"},
		Data:       runtime.RawExtension{Raw: []byte(`{"spec":{"template":{"metadata":{"labels":{"app":"db"}}}}}`)},
		Revision:   1,
	}
	got, err := revisions.Create(ctx, in, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Generation != 0 {
		t.Errorf("generation = %d, want 0 (none)", got.Generation)
	}

	_, err = revisions.Create(ctx, &appsv1.ControllerRevision{ObjectMeta: metav1.ObjectMeta{Name: "empty"}, Revision: 1}, metav1.CreateOptions{})
	wantInvalid(t, "no data", err, "data")

	got.Revision = 4
	if got, err = revisions.Update(ctx, got, metav1.UpdateOptions{}); err != nil || got.Revision != 4 {
		t.Fatalf("renumbering: %v, %v; want revision 4", got, err)
	}
	got.Data = runtime.RawExtension{Raw: []byte(`{"spec":{}}`)}
	_, err = revisions.Update(ctx, got, metav1.UpdateOptions{})
	wantInvalid(t, "data change", err, "data")
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
