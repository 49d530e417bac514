package apiserver

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"
	schedulinglisters "k8s.io/client-go/listers/scheduling/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
)

func priorityClass(name string, value int32, globalDefault bool, policy corev1.PreemptionPolicy) *schedulingv1.PriorityClass {
	return &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Value: value, GlobalDefault: globalDefault, PreemptionPolicy: &policy}
}

func testPodPriority(t *testing.T, classes ...*schedulingv1.PriorityClass) *podPriority {
	t.Helper()
	idx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	for _, c := range classes {
		if err := idx.Add(c); err != nil {
			t.Fatal(err)
		}
	}
	return &podPriority{Handler: admission.NewHandler(admission.Create, admission.Update, admission.Delete), classes: schedulinglisters.NewPriorityClassLister(idx)}
}

// TestPriorityAdmit resolves new pods' priorities against sets of classes,
// with upstream's refusals.
func TestPriorityAdmit(t *testing.T) {
	t.Parallel()
	high := priorityClass("high", 1000, false, corev1.PreemptLowerPriority)
	never := priorityClass("batch", 10, false, corev1.PreemptNever)
	def := priorityClass("normal", 100, true, corev1.PreemptLowerPriority)
	lowDef := priorityClass("low", 5, true, corev1.PreemptNever)
	const prefix = `pods "x" is forbidden: `
	tests := []struct {
		name       string
		classes    []*schedulingv1.PriorityClass
		className  string
		priority   *int32
		policy     *corev1.PreemptionPolicy
		wantClass  string
		wantValue  int32
		wantPolicy corev1.PreemptionPolicy
		wantErr    string
	}{
		{name: "no class, no default", classes: []*schedulingv1.PriorityClass{high}, wantValue: 0, wantPolicy: corev1.PreemptLowerPriority},
		{name: "named class", classes: []*schedulingv1.PriorityClass{high, def}, className: "high", wantClass: "high", wantValue: 1000, wantPolicy: corev1.PreemptLowerPriority},
		{name: "class that never preempts", classes: []*schedulingv1.PriorityClass{never}, className: "batch", wantClass: "batch", wantValue: 10, wantPolicy: corev1.PreemptNever},
		{name: "global default named", classes: []*schedulingv1.PriorityClass{high, def}, wantClass: "normal", wantValue: 100, wantPolicy: corev1.PreemptLowerPriority},
		{name: "two defaults: the lower wins", classes: []*schedulingv1.PriorityClass{def, lowDef}, wantClass: "low", wantValue: 5, wantPolicy: corev1.PreemptNever},
		{name: "system class", classes: []*schedulingv1.PriorityClass{priorityClass("system-node-critical", 2000001000, false, corev1.PreemptLowerPriority)},
			className: "system-node-critical", wantClass: "system-node-critical", wantValue: 2000001000, wantPolicy: corev1.PreemptLowerPriority},
		{name: "missing class", classes: []*schedulingv1.PriorityClass{high}, className: "x", wantErr: prefix + "no PriorityClass with name x was found"},
		{name: "matching priority given", classes: []*schedulingv1.PriorityClass{high}, className: "high", priority: ptr.To[int32](1000),
			wantClass: "high", wantValue: 1000, wantPolicy: corev1.PreemptLowerPriority},
		{name: "other priority given", classes: []*schedulingv1.PriorityClass{high}, className: "high", priority: ptr.To[int32](7),
			wantErr: prefix + "the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name"},
		{name: "priority given without class", priority: ptr.To[int32](7),
			wantErr: prefix + "the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name"},
		{name: "other policy given", classes: []*schedulingv1.PriorityClass{high}, className: "high", policy: ptr.To(corev1.PreemptNever),
			wantErr: prefix + "the string value of PreemptionPolicy (Never) must not be provided in pod spec; priority admission controller computed PreemptLowerPriority from the given PriorityClass name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pod := podWith(container("app", nil, nil))
			pod.Spec.PriorityClassName, pod.Spec.Priority, pod.Spec.PreemptionPolicy = tc.className, tc.priority, tc.policy
			err := testPodPriority(t, tc.classes...).Admit(t.Context(), kindAttrs(pod, nil, "Pod", "pods", admission.Create), nil)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error = %v\nwant    %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if pod.Spec.PriorityClassName != tc.wantClass {
				t.Errorf("priorityClassName = %q, want %q", pod.Spec.PriorityClassName, tc.wantClass)
			}
			if pod.Spec.Priority == nil || *pod.Spec.Priority != tc.wantValue {
				t.Errorf("priority = %v, want %d", pod.Spec.Priority, tc.wantValue)
			}
			if pod.Spec.PreemptionPolicy == nil || *pod.Spec.PreemptionPolicy != tc.wantPolicy {
				t.Errorf("preemptionPolicy = %v, want %s", pod.Spec.PreemptionPolicy, tc.wantPolicy)
			}
		})
	}

	t.Run("update keeps the stored priority", func(t *testing.T) {
		t.Parallel()
		old := podWith(container("app", nil, nil))
		old.Spec.Priority, old.Spec.PreemptionPolicy = ptr.To[int32](1000), ptr.To(corev1.PreemptNever)
		pod := podWith(container("app", nil, nil))
		if err := testPodPriority(t).Admit(t.Context(), kindAttrs(pod, old, "Pod", "pods", admission.Update), nil); err != nil {
			t.Fatal(err)
		}
		if pod.Spec.Priority == nil || *pod.Spec.Priority != 1000 || pod.Spec.PreemptionPolicy == nil || *pod.Spec.PreemptionPolicy != corev1.PreemptNever {
			t.Errorf("priority %v, policy %v; want the stored 1000, Never", pod.Spec.Priority, pod.Spec.PreemptionPolicy)
		}
	})
}

// TestPriorityValidateDefault allows one global default class.
func TestPriorityValidateDefault(t *testing.T) {
	t.Parallel()
	def := priorityClass("normal", 100, true, corev1.PreemptLowerPriority)
	attrs := func(c, old *schedulingv1.PriorityClass, op admission.Operation) admission.Attributes {
		var oldObj runtime.Object
		if old != nil {
			oldObj = old
		}
		return admission.NewAttributesRecord(c, oldObj, schedulingv1.SchemeGroupVersion.WithKind("PriorityClass"), "", c.Name,
			schedulingv1.SchemeGroupVersion.WithResource("priorityclasses"), "", op, nil, false, &user.DefaultInfo{})
	}
	tests := []struct {
		name    string
		classes []*schedulingv1.PriorityClass
		attrs   admission.Attributes
		wantErr string
	}{
		{name: "first default", attrs: attrs(def, nil, admission.Create)},
		{name: "not a default", classes: []*schedulingv1.PriorityClass{def}, attrs: attrs(priorityClass("high", 1, false, corev1.PreemptLowerPriority), nil, admission.Create)},
		{name: "second default", classes: []*schedulingv1.PriorityClass{def}, attrs: attrs(priorityClass("other", 1, true, corev1.PreemptLowerPriority), nil, admission.Create),
			wantErr: `priorityclasses.scheduling.k8s.io "other" is forbidden: PriorityClass normal is marked as default. Only one default can exist`},
		{name: "the default updated", classes: []*schedulingv1.PriorityClass{def}, attrs: attrs(def, def, admission.Update)},
		{name: "another made default", classes: []*schedulingv1.PriorityClass{def}, attrs: attrs(priorityClass("other", 1, true, corev1.PreemptLowerPriority), priorityClass("other", 1, false, corev1.PreemptLowerPriority), admission.Update),
			wantErr: `priorityclasses.scheduling.k8s.io "other" is forbidden: PriorityClass normal is marked as default. Only one default can exist`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := testPodPriority(t, tc.classes...).Validate(t.Context(), tc.attrs, nil)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.wantErr {
				t.Errorf("error = %q\nwant    %q", got, tc.wantErr)
			}
		})
	}
}

// TestDefaultTolerationSeconds adds the two NoExecute tolerations a pod
// lacks, and only those.
func TestDefaultTolerationSeconds(t *testing.T) {
	t.Parallel()
	notReady := corev1.Toleration{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)}
	unreachable := corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)}
	own := corev1.Toleration{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](10)}
	everything := corev1.Toleration{Operator: corev1.TolerationOpExists}
	noSchedule := corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}
	anyEffect := corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists}
	tests := []struct {
		name        string
		given, want []corev1.Toleration
		subresource string
	}{
		{name: "none", want: []corev1.Toleration{notReady, unreachable}},
		{name: "own not-ready kept", given: []corev1.Toleration{own}, want: []corev1.Toleration{own, unreachable}},
		{name: "tolerates everything", given: []corev1.Toleration{everything}, want: []corev1.Toleration{everything}},
		{name: "NoSchedule is another taint", given: []corev1.Toleration{noSchedule}, want: []corev1.Toleration{noSchedule, notReady, unreachable}},
		{name: "every effect of unreachable", given: []corev1.Toleration{anyEffect}, want: []corev1.Toleration{anyEffect, notReady}},
		{name: "subresource untouched", subresource: "status"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pod := podWith(container("app", nil, nil))
			pod.Spec.Tolerations = tc.given
			a := admission.NewAttributesRecord(pod, nil, corev1.SchemeGroupVersion.WithKind("Pod"), "default", "x",
				corev1.SchemeGroupVersion.WithResource("pods"), tc.subresource, admission.Create, nil, false, &user.DefaultInfo{})
			if err := newDefaultTolerationSeconds().Admit(t.Context(), a, nil); err != nil {
				t.Fatal(err)
			}
			if len(pod.Spec.Tolerations) != len(tc.want) {
				t.Fatalf("tolerations = %+v, want %+v", pod.Spec.Tolerations, tc.want)
			}
			for i := range tc.want {
				if !pod.Spec.Tolerations[i].MatchToleration(&tc.want[i]) || !ptrEqual(pod.Spec.Tolerations[i].TolerationSeconds, tc.want[i].TolerationSeconds) {
					t.Errorf("toleration %d = %+v, want %+v", i, pod.Spec.Tolerations[i], tc.want[i])
				}
			}
		})
	}
}

func ptrEqual(a, b *int64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
