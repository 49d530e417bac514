package templatehash

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestCompute(t *testing.T) {
	t.Parallel()
	tmpl := &corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx", Image: "nginx"}}},
	}
	a, b := Compute(tmpl, nil), Compute(tmpl.DeepCopy(), nil)
	if a != b {
		t.Errorf("same template: %q, %q", a, b)
	}
	if c := Compute(tmpl, ptr.To[int32](1)); c == a {
		t.Errorf("collision count 1 gives the same hash %q", c)
	}
	other := tmpl.DeepCopy()
	other.Spec.Containers[0].Image = "nginx:1.27"
	if d := Compute(other, nil); d == a {
		t.Errorf("another image gives the same hash %q", d)
	}
	for _, r := range a {
		if r == 'a' || r == 'e' || r == 'i' || r == 'o' || r == 'u' {
			t.Errorf("hash %q has a vowel: not rand's safe alphabet", a)
		}
	}
}
