package protection

import (
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestNextAndToggle(t *testing.T) {
	const f = "kubernetes.io/pvc-protection"
	now := metav1.Now()
	tests := []struct {
		name       string
		finalizers []string
		deleting   bool
		want       Step
		after      []string
	}{
		{"live without", []string{"other"}, false, Add, []string{"other", f}},
		{"live with", []string{f}, false, Nothing, []string{f}},
		{"deleting with", []string{"other", f}, true, Release, []string{"other"}},
		{"deleting without", []string{"other"}, true, Nothing, []string{"other"}},
	}
	for _, tt := range tests {
		obj := &metav1.ObjectMeta{Finalizers: slices.Clone(tt.finalizers)}
		if tt.deleting {
			obj.DeletionTimestamp = &now
		}
		step := Next(obj, f)
		if step != tt.want {
			t.Errorf("%s: Next = %v, want %v", tt.name, step, tt.want)
		}
		Toggle(obj, f, step)
		if !slices.Equal(obj.Finalizers, tt.after) {
			t.Errorf("%s: finalizers after Toggle %v, want %v", tt.name, obj.Finalizers, tt.after)
		}
	}
}
