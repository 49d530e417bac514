package history

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
)

func rev(name string, n int64, data string) *appsv1.ControllerRevision {
	return &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: types.UID("uid-" + name)},
		Data:       runtime.RawExtension{Raw: []byte(`{"v":"` + data + `"}`)},
		Revision:   n,
	}
}

func names(revs []*appsv1.ControllerRevision) string {
	var out []string
	for _, r := range revs {
		out = append(out, r.Name)
	}
	return strings.Join(out, ",")
}

func TestNumbersAndOrder(t *testing.T) {
	t.Parallel()
	revs := []*appsv1.ControllerRevision{rev("c", 3, "x"), rev("a", 1, "y"), rev("b", 3, "x")}
	if got := Next(revs); got != 4 {
		t.Errorf("Next = %d, want 4", got)
	}
	if got := Next(nil); got != 1 {
		t.Errorf("Next(nil) = %d, want 1", got)
	}
	Sort(revs)
	if got := names(revs); got != "a,b,c" {
		t.Errorf("sorted %s, want a,b,c", got)
	}
	if got := names(FindEqual(revs, []byte(`{"v":"x"}`), nil)); got != "b,c" {
		t.Errorf("FindEqual x = %s, want b,c", got)
	}
	if got := Name(strings.Repeat("n", 300), "h"); len(got) != 225 || !strings.HasSuffix(got, "n-h") {
		t.Errorf("Name of a long owner: %d characters", len(got))
	}
	if a, b := Hash([]byte("x"), nil), Hash([]byte("x"), new(int32)); a == b || Hash([]byte("x"), nil) != a {
		t.Errorf("Hash: %s without a count, %s with 0: want different, and stable", a, b)
	}
}

func TestTemplatePatch(t *testing.T) {
	t.Parallel()
	set := &appsv1.StatefulSet{Spec: appsv1.StatefulSetSpec{Template: corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}},
	}}}
	got, err := TemplatePatch(set)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"spec":{"template":{"$patch":"replace","metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"image":"nginx","name":"c","resources":{}}]}}}}`
	if string(got) != want {
		t.Errorf("TemplatePatch =\n%s\nwant\n%s", got, want)
	}
	if _, err := TemplatePatch(struct{}{}); err == nil {
		t.Error("TemplatePatch of an object without a template: no error")
	}
}

func TestCreateRenumberTrim(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	client := fake.NewClientset()
	first, err := Create(ctx, client, rev("web-1", 1, "a"))
	if err != nil {
		t.Fatal(err)
	}
	if again, err := Create(ctx, client, rev("web-1", 1, "a")); err != nil || again.UID != first.UID {
		t.Errorf("Create of the same revision again: %v, %v; want the existing one", again, err)
	}
	if _, err := Create(ctx, client, rev("web-1", 2, "b")); !errors.Is(err, ErrHashCollision) {
		t.Errorf("Create over other data: %v, want ErrHashCollision", err)
	}
	renumbered, err := Renumber(ctx, client, first, 7)
	if err != nil || renumbered.Revision != 7 {
		t.Fatalf("Renumber: %v, %v", renumbered, err)
	}

	var revs []*appsv1.ControllerRevision
	for i := range 5 {
		r, err := Create(ctx, client, rev(fmt.Sprintf("r%d", i), int64(i+10), fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		revs = append([]*appsv1.ControllerRevision{r}, revs...)
	}
	live := func(r *appsv1.ControllerRevision) bool { return r.Name == "r0" }
	if err := Trim(ctx, client, revs, 2, live); err != nil {
		t.Fatal(err)
	}
	list, err := client.AppsV1().ControllerRevisions("ns").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, r := range list.Items {
		left = append(left, r.Name)
	}
	if got := strings.Join(left, ","); got != "r0,r3,r4,web-1" {
		t.Errorf("after Trim: %s, want the live r0 kept and the next two oldest (r1, r2) gone", got)
	}
	if err := Delete(ctx, client, revs[0], revs[0]); err != nil {
		t.Errorf("Delete of a revision already gone: %v", err)
	}
}
