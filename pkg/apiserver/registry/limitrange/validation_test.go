package limitrange

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func list(pairs ...string) corev1.ResourceList {
	l := corev1.ResourceList{}
	for i := 0; i+1 < len(pairs); i += 2 {
		l[corev1.ResourceName(pairs[i])] = resource.MustParse(pairs[i+1])
	}
	return l
}

func ranges(items ...corev1.LimitRangeItem) *corev1.LimitRange {
	return &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: "limits", Namespace: "default"}, Spec: corev1.LimitRangeSpec{Limits: items}}
}

// TestDefaults: a Container item's default falls back to max, its default
// request to the default, then to min; other items are left alone.
func TestDefaults(t *testing.T) {
	t.Parallel()
	lr := ranges(
		corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Max: list("cpu", "2", "memory", "1Gi"), Min: list("ephemeral-storage", "1Gi"), Default: list("memory", "512Mi")},
		corev1.LimitRangeItem{Type: corev1.LimitTypePod, Max: list("cpu", "4")},
	)
	setDefaults(lr)
	c := lr.Spec.Limits[0]
	if diff := cmp.Diff(list("cpu", "2", "memory", "512Mi"), c.Default); diff != "" {
		t.Errorf("default (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(list("cpu", "2", "memory", "512Mi", "ephemeral-storage", "1Gi"), c.DefaultRequest); diff != "" {
		t.Errorf("defaultRequest (-want +got):\n%s", diff)
	}
	if p := lr.Spec.Limits[1]; p.Default != nil || p.DefaultRequest != nil {
		t.Errorf("Pod item defaulted: %+v", p)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		lr   *corev1.LimitRange
		want []string
	}{
		{"valid container bounds", ranges(corev1.LimitRangeItem{Type: corev1.LimitTypeContainer,
			Min: list("cpu", "100m"), DefaultRequest: list("cpu", "200m"), Default: list("cpu", "500m"), Max: list("cpu", "1"), MaxLimitRequestRatio: list("cpu", "4")}), nil},
		{"valid claim bounds", ranges(corev1.LimitRangeItem{Type: corev1.LimitTypePersistentVolumeClaim, Min: list("storage", "1Gi"), Max: list("storage", "10Gi")}), nil},
		{"min over max", ranges(corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Min: list("cpu", "2"), Max: list("cpu", "1")}),
			[]string{`spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1`}},
		{"default request under min", ranges(corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Min: list("memory", "1Gi"), DefaultRequest: list("memory", "512Mi"), Default: list("memory", "2Gi")}),
			[]string{`spec.limits[0].defaultRequest[memory]: Invalid value: "512Mi": min value 1Gi is greater than default request value 512Mi`}},
		{"default request over max and default", ranges(corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, DefaultRequest: list("cpu", "2"), Default: list("cpu", "1"), Max: list("cpu", "1")}),
			[]string{
				`spec.limits[0].defaultRequest[cpu]: Invalid value: "2": default request value 2 is greater than max value 1`,
				`spec.limits[0].defaultRequest[cpu]: Invalid value: "2": default request value 2 is greater than default limit value 1`,
			}},
		{"default under min", ranges(corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Min: list("cpu", "1"), Default: list("cpu", "500m"), DefaultRequest: list("cpu", "1")}),
			[]string{
				`spec.limits[0].defaultRequest[cpu]: Invalid value: "1": default request value 1 is greater than default limit value 500m`,
				`spec.limits[0].default[cpu]: Invalid value: "1": min value 1 is greater than default value 500m`,
			}},
		{"default over max", ranges(corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Default: list("cpu", "2"), DefaultRequest: list("cpu", "1"), Max: list("cpu", "1")}),
			[]string{`spec.limits[0].default[cpu]: Invalid value: "1": default value 2 is greater than max value 1`}},
		{"ratio under 1", ranges(corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, MaxLimitRequestRatio: list("cpu", "500m")}),
			[]string{`spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: "500m": ratio 500m is less than 1`}},
		{"ratio over max/min", ranges(corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Min: list("cpu", "1"), Max: list("cpu", "2"), MaxLimitRequestRatio: list("cpu", "3")}),
			[]string{`spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: "3": ratio 3 is greater than max/min = 2.000000`}},
		{"pod item with defaults", ranges(corev1.LimitRangeItem{Type: corev1.LimitTypePod, Default: list("cpu", "1"), DefaultRequest: list("cpu", "1")}),
			[]string{
				"spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'",
				"spec.limits[0].defaultRequest: Forbidden: may not be specified when `type` is 'Pod'",
			}},
		{"claim item without storage", ranges(corev1.LimitRangeItem{Type: corev1.LimitTypePersistentVolumeClaim}),
			[]string{"spec.limits[0].limits: Required value: either minimum or maximum storage value is required, but neither was provided"}},
		{"duplicate type", ranges(corev1.LimitRangeItem{Type: corev1.LimitTypeContainer}, corev1.LimitRangeItem{Type: corev1.LimitTypeContainer}),
			[]string{`spec.limits[1].type: Duplicate value: "Container"`}},
		{"unknown type", ranges(corev1.LimitRangeItem{Type: "Node"}),
			[]string{`spec.limits[0].type: Invalid value: "Node": must be a standard limit type or fully qualified`}},
		{"storage is no container resource", ranges(corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Max: list("storage", "1Gi")}),
			[]string{`spec.limits[0].max[storage]: Invalid value: "storage": must be a standard resource for containers`}},
		{"GPU default must equal its request", ranges(corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Default: list("example.com/gpu", "2"), DefaultRequest: list("example.com/gpu", "1")}),
			[]string{`spec.limits[0].defaultRequest[example.com/gpu]: Invalid value: "1": default value 2 must equal to defaultRequest value 1 in example.com/gpu`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			errs := validate(tc.lr)
			var got []string
			for _, err := range errs {
				got = append(got, err.Error())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}
