package priorityclass

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

func class(name string, value int32, edit func(*schedulingv1.PriorityClass)) *schedulingv1.PriorityClass {
	c := &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Value: value}
	setDefaults(c)
	if edit != nil {
		edit(c)
	}
	return c
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	c := &schedulingv1.PriorityClass{}
	setDefaults(c)
	if p := c.PreemptionPolicy; p == nil || *p != corev1.PreemptLowerPriority {
		t.Errorf("preemptionPolicy = %v, want PreemptLowerPriority", p)
	}
	never := &schedulingv1.PriorityClass{PreemptionPolicy: ptr.To(corev1.PreemptNever)}
	setDefaults(never)
	if *never.PreemptionPolicy != corev1.PreemptNever {
		t.Errorf("set policy changed to %s", *never.PreemptionPolicy)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		class *schedulingv1.PriorityClass
		want  []string
	}{
		{"user class", class("high", 1000, nil), nil},
		{"highest user value", class("top", HighestUserDefinable, nil), nil},
		{"negative value", class("low", -10, nil), nil},
		{"over the user maximum", class("too-high", HighestUserDefinable+1, nil),
			[]string{"value: Forbidden: maximum allowed value of a user defined priority is 1000000000"}},
		{"system classes as they are", SystemClasses()[0], nil},
		{"system-cluster-critical", SystemClasses()[1], nil},
		{"unknown system name", class("system-mine", 10, nil),
			[]string{"metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class"}},
		{"system class with another value", class("system-node-critical", 5, nil),
			[]string{"metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: value of system-node-critical PriorityClass must be 2000001000"}},
		{"system class as global default", class("system-cluster-critical", 2000000000, func(c *schedulingv1.PriorityClass) { c.GlobalDefault = true }),
			[]string{"metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: globalDefault of system-cluster-critical PriorityClass must be false"}},
		{"bad policy", class("p", 1, func(c *schedulingv1.PriorityClass) { c.PreemptionPolicy = ptr.To(corev1.PreemptionPolicy("Sometimes")) }),
			[]string{`preemptionPolicy: Unsupported value: "Sometimes": supported values: "PreemptLowerPriority", "Never"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkErrors(t, validate(tc.class), tc.want)
		})
	}
}

func TestValidateUpdate(t *testing.T) {
	t.Parallel()
	old := class("high", 1000, nil)
	for _, tc := range []struct {
		name string
		new  *schedulingv1.PriorityClass
		want []string
	}{
		{"description and default change", class("high", 1000, func(c *schedulingv1.PriorityClass) { c.Description, c.GlobalDefault = "x", true }), nil},
		{"value", class("high", 999, nil), []string{"value: Forbidden: may not be changed in an update."}},
		{"policy", class("high", 1000, func(c *schedulingv1.PriorityClass) { c.PreemptionPolicy = ptr.To(corev1.PreemptNever) }),
			[]string{`preemptionPolicy: Invalid value: "Never": field is immutable`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkErrors(t, validateUpdate(tc.new, old), tc.want)
		})
	}
}

// checkErrors fails unless errs are exactly want, as "path: text".
func checkErrors(t *testing.T, errs field.ErrorList, want []string) {
	t.Helper()
	if len(errs) != len(want) {
		t.Fatalf("errors = %v, want %q", errs, want)
	}
	for i, err := range errs {
		if err.Error() != want[i] {
			t.Errorf("error %d = %q, want %q", i, err.Error(), want[i])
		}
	}
}
