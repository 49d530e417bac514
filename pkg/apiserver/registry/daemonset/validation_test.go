package daemonset

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// agent is a defaulted DaemonSet.
func agent(edit func(*appsv1.DaemonSet)) *appsv1.DaemonSet {
	labels := map[string]string{"app": "agent"}
	ds := &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: "agent", Namespace: "kube-system"},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "agent", Image: "agent"}}},
			},
		},
	}
	setDefaults(ds)
	if edit != nil {
		edit(ds)
	}
	return ds
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	ds := agent(nil)
	ru := ds.Spec.UpdateStrategy.RollingUpdate
	if ds.Spec.UpdateStrategy.Type != appsv1.RollingUpdateDaemonSetStrategyType || ru == nil ||
		*ru.MaxUnavailable != intstr.FromInt32(1) || *ru.MaxSurge != intstr.FromInt32(0) || *ds.Spec.RevisionHistoryLimit != 10 {
		t.Errorf("spec defaults: %+v", ds.Spec)
	}
	if ds.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyAlways {
		t.Errorf("pod template defaults: %+v", ds.Spec.Template.Spec)
	}
	onDelete := &appsv1.DaemonSet{Spec: appsv1.DaemonSetSpec{UpdateStrategy: appsv1.DaemonSetUpdateStrategy{Type: appsv1.OnDeleteDaemonSetStrategyType}}}
	setDefaults(onDelete)
	if onDelete.Spec.UpdateStrategy.RollingUpdate != nil {
		t.Errorf("OnDelete got rollingUpdate %+v", onDelete.Spec.UpdateStrategy.RollingUpdate)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	rolling := func(unavailable, surge intstr.IntOrString) func(*appsv1.DaemonSet) {
		return func(ds *appsv1.DaemonSet) {
			ds.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateDaemonSet{MaxUnavailable: &unavailable, MaxSurge: &surge}
		}
	}
	for _, tc := range []struct {
		name string
		ds   *appsv1.DaemonSet
		want []string // "path: text" of each error, in order
	}{
		{"defaulted", agent(nil), nil},
		{"on delete", agent(func(ds *appsv1.DaemonSet) {
			ds.Spec.UpdateStrategy = appsv1.DaemonSetUpdateStrategy{Type: appsv1.OnDeleteDaemonSetStrategyType}
		}), nil},
		{"surge instead of unavailable", agent(rolling(intstr.FromInt32(0), intstr.FromString("10%"))), nil},
		{"both unavailable and surge", agent(rolling(intstr.FromInt32(1), intstr.FromInt32(1))),
			[]string{`spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero`}},
		{"neither unavailable nor surge", agent(rolling(intstr.FromString("0%"), intstr.FromInt32(0))),
			[]string{`spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0`}},
		{"bad bounds", agent(rolling(intstr.FromString("150%"), intstr.FromString("x"))), []string{
			`spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: "x": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`,
			`spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: "150%": must not be greater than 100%`,
		}},
		{"rolling update without rollingUpdate", agent(func(ds *appsv1.DaemonSet) { ds.Spec.UpdateStrategy.RollingUpdate = nil }),
			[]string{`spec.updateStrategy.rollingUpdate: Required value`}},
		{"unknown update strategy", agent(func(ds *appsv1.DaemonSet) {
			ds.Spec.UpdateStrategy = appsv1.DaemonSetUpdateStrategy{Type: "Recreate"}
		}), []string{`spec.updateStrategy: Unsupported value: {"type":"Recreate"}: supported values: "RollingUpdate", "OnDelete"`}},
		{"negative counts", agent(func(ds *appsv1.DaemonSet) {
			ds.Spec.MinReadySeconds = -1
			ds.Spec.RevisionHistoryLimit = ptr.To[int32](-1)
		}), []string{
			`spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0`,
			`spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0`,
		}},
		{"empty selector", agent(func(ds *appsv1.DaemonSet) { ds.Spec.Selector = &metav1.LabelSelector{} }),
			[]string{`spec.selector: Invalid value: {}: empty selector is invalid for daemonset`}},
		{"template not selected, deadline set", agent(func(ds *appsv1.DaemonSet) {
			ds.Spec.Template.Labels = map[string]string{"app": "other"}
			ds.Spec.Template.Spec.ActiveDeadlineSeconds = ptr.To[int64](60)
		}), []string{
			`spec.template.metadata.labels: Invalid value: {"app":"other"}: ` + "`selector` does not match template `labels`",
			`spec.template.spec.activeDeadlineSeconds: Invalid value: 60: activeDeadlineSeconds in DaemonSet is not Supported`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkErrors(t, validate(tc.ds), tc.want)
		})
	}
}

func TestSelectorIsImmutable(t *testing.T) {
	t.Parallel()
	old := agent(nil)
	changed := agent(func(ds *appsv1.DaemonSet) {
		ds.Spec.Selector.MatchLabels = map[string]string{"app": "agent", "tier": "node"}
		ds.Spec.Template.Labels = ds.Spec.Selector.MatchLabels
	})
	checkErrors(t, validateUpdate(changed, old),
		[]string{`spec.selector: Invalid value: {"matchLabels":{"app":"agent","tier":"node"}}: field is immutable`})
	checkErrors(t, validateUpdate(agent(func(ds *appsv1.DaemonSet) { ds.Spec.Template.Spec.Containers[0].Image = "agent:2" }), old), nil)
}

func TestTemplateGeneration(t *testing.T) {
	t.Parallel()
	ds := agent(nil)
	startTemplateGeneration(ds)
	if g := ds.Annotations[appsv1.DeprecatedTemplateGeneration]; g != "1" {
		t.Fatalf("on create: %q, want 1", g)
	}
	sent := agent(func(ds *appsv1.DaemonSet) {
		ds.Annotations = map[string]string{appsv1.DeprecatedTemplateGeneration: "4"}
	})
	startTemplateGeneration(sent)
	if g := sent.Annotations[appsv1.DeprecatedTemplateGeneration]; g != "4" {
		t.Errorf("on create with 4: %q, want 4 kept", g)
	}

	for _, tc := range []struct {
		name string
		edit func(*appsv1.DaemonSet)
		want string
	}{
		{"spec change outside the template", func(ds *appsv1.DaemonSet) { ds.Spec.MinReadySeconds = 5 }, "1"},
		{"client sets the annotation", func(ds *appsv1.DaemonSet) { ds.Annotations[appsv1.DeprecatedTemplateGeneration] = "9" }, "1"},
		{"template change", func(ds *appsv1.DaemonSet) { ds.Spec.Template.Spec.Containers[0].Image = "agent:2" }, "2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			updated := ds.DeepCopy()
			tc.edit(updated)
			countTemplateChange(updated, ds)
			if g := updated.Annotations[appsv1.DeprecatedTemplateGeneration]; g != tc.want {
				t.Errorf("template generation = %q, want %s", g, tc.want)
			}
		})
	}
}

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
