package quota

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	quotav1 "k8s.io/apiserver/pkg/quota/v1"
	"k8s.io/apiserver/pkg/quota/v1/generic"
	"k8s.io/utils/ptr"
)

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

var now = fixedClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))

// list is a ResourceList from name=quantity pairs.
func list(pairs ...string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for i := 0; i < len(pairs); i += 2 {
		out[corev1.ResourceName(pairs[i])] = resource.MustParse(pairs[i+1])
	}
	return out
}

// sameUsage compares resource lists by value (quantities' formats aside).
func sameUsage(t *testing.T, want, got corev1.ResourceList) {
	t.Helper()
	if !quotav1.Equals(want, got) {
		t.Errorf("usage:\n got %v\nwant %v", got, want)
	}
}

func container(name string, requests, limits corev1.ResourceList) corev1.Container {
	return corev1.Container{Name: name, Image: "busybox", Resources: corev1.ResourceRequirements{Requests: requests, Limits: limits}}
}

func pod(containers ...corev1.Container) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}, Spec: corev1.PodSpec{Containers: containers}}
}

func TestPodUsage(t *testing.T) {
	t.Parallel()
	deleted := metav1.NewTime(time.Time(now).Add(-time.Minute))
	tests := []struct {
		name string
		pod  *corev1.Pod
		want corev1.ResourceList
	}{
		{
			name: "best effort",
			pod:  pod(container("c", nil, nil)),
			want: list("count/pods", "1", "pods", "1"),
		},
		{
			name: "requests and limits of two containers",
			pod: pod(
				container("a", list("cpu", "100m", "memory", "64Mi"), list("cpu", "200m", "memory", "128Mi")),
				container("b", list("cpu", "250m", "ephemeral-storage", "1Gi"), list("cpu", "1")),
			),
			want: list("count/pods", "1", "pods", "1",
				"cpu", "350m", "requests.cpu", "350m", "limits.cpu", "1200m",
				"memory", "64Mi", "requests.memory", "64Mi", "limits.memory", "128Mi",
				"ephemeral-storage", "1Gi", "requests.ephemeral-storage", "1Gi"),
		},
		{
			name: "an init container asking for more counts instead",
			pod: func() *corev1.Pod {
				p := pod(container("c", list("cpu", "100m"), nil))
				p.Spec.InitContainers = []corev1.Container{container("init", list("cpu", "500m"), nil)}
				return p
			}(),
			want: list("count/pods", "1", "pods", "1", "cpu", "500m", "requests.cpu", "500m"),
		},
		{
			name: "hugepages and an extended resource",
			pod:  pod(container("c", list("hugepages-2Mi", "4Mi", "example.com/gpu", "2"), list("hugepages-2Mi", "4Mi", "example.com/gpu", "2"))),
			want: list("count/pods", "1", "pods", "1",
				"hugepages-2Mi", "4Mi", "requests.hugepages-2Mi", "4Mi", "requests.example.com/gpu", "2"),
		},
		{
			name: "pod overhead is charged",
			pod: func() *corev1.Pod {
				p := pod(container("c", list("cpu", "100m"), list("cpu", "100m")))
				p.Spec.Overhead = list("cpu", "10m")
				return p
			}(),
			want: list("count/pods", "1", "pods", "1", "cpu", "110m", "requests.cpu", "110m", "limits.cpu", "110m"),
		},
		{
			name: "a succeeded pod keeps only its object count",
			pod: func() *corev1.Pod {
				p := pod(container("c", list("cpu", "1"), nil))
				p.Status.Phase = corev1.PodSucceeded
				return p
			}(),
			want: list("count/pods", "1"),
		},
		{
			name: "a failed pod keeps only its object count",
			pod: func() *corev1.Pod {
				p := pod(container("c", list("cpu", "1"), nil))
				p.Status.Phase = corev1.PodFailed
				return p
			}(),
			want: list("count/pods", "1"),
		},
		{
			name: "deleted past its grace period",
			pod: func() *corev1.Pod {
				p := pod(container("c", list("cpu", "1"), nil))
				p.DeletionTimestamp, p.DeletionGracePeriodSeconds = &deleted, ptr.To[int64](30)
				return p
			}(),
			want: list("count/pods", "1"),
		},
		{
			name: "deleted within its grace period is still charged",
			pod: func() *corev1.Pod {
				p := pod(container("c", list("cpu", "1"), nil))
				p.DeletionTimestamp, p.DeletionGracePeriodSeconds = &deleted, ptr.To[int64](120)
				return p
			}(),
			want: list("count/pods", "1", "pods", "1", "cpu", "1", "requests.cpu", "1"),
		},
	}
	e := NewPodEvaluator(nil, now)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := e.Usage(tc.pod)
			if err != nil {
				t.Fatal(err)
			}
			sameUsage(t, tc.want, got)
		})
	}
}

func TestPodConstraints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		required []corev1.ResourceName
		pod      *corev1.Pod
		wantErr  string
	}{
		{
			name:     "pods alone requires nothing",
			required: []corev1.ResourceName{"pods"},
			pod:      pod(container("c", nil, nil)),
		},
		{
			name:     "ephemeral-storage is never required",
			required: []corev1.ResourceName{"requests.ephemeral-storage"},
			pod:      pod(container("c", nil, nil)),
		},
		{
			name:     "cpu and memory requested by every container",
			required: []corev1.ResourceName{"requests.cpu", "requests.memory", "pods"},
			pod:      pod(container("a", list("cpu", "1", "memory", "1Gi"), nil), container("b", list("cpu", "1", "memory", "1Gi"), nil)),
		},
		{
			name:     "missing requests and limits name the containers",
			required: []corev1.ResourceName{"requests.cpu", "limits.memory"},
			pod:      pod(container("a", list("cpu", "1"), nil), container("b", nil, nil), container("c", nil, list("memory", "1Gi"))),
			wantErr:  "must specify limits.memory for: a,b; requests.cpu for: b,c",
		},
		{
			name:     "init containers too",
			required: []corev1.ResourceName{"cpu"},
			pod: func() *corev1.Pod {
				p := pod(container("c", list("cpu", "1"), nil))
				p.Spec.InitContainers = []corev1.Container{container("init", nil, nil)}
				return p
			}(),
			wantErr: "must specify cpu for: init",
		},
	}
	e := NewPodEvaluator(nil, now)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := e.Constraints(tc.required, tc.pod)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.wantErr {
				t.Errorf("Constraints: got %q, want %q", got, tc.wantErr)
			}
		})
	}
}

func TestPodScopes(t *testing.T) {
	t.Parallel()
	bestEffort := pod(container("c", nil, nil))
	burstable := pod(container("c", list("cpu", "1"), nil))
	terminating := pod(container("c", nil, nil))
	terminating.Spec.ActiveDeadlineSeconds = ptr.To[int64](60)
	high := pod(container("c", nil, nil))
	high.Spec.PriorityClassName = "high"
	crossNS := pod(container("c", nil, nil))
	crossNS.Spec.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{TopologyKey: "zone", Namespaces: []string{"other"}}},
	}}
	exists := func(s corev1.ResourceQuotaScope) corev1.ScopedResourceSelectorRequirement {
		return corev1.ScopedResourceSelectorRequirement{ScopeName: s, Operator: corev1.ScopeSelectorOpExists}
	}
	priorityIn := corev1.ScopedResourceSelectorRequirement{ScopeName: corev1.ResourceQuotaScopePriorityClass, Operator: corev1.ScopeSelectorOpIn, Values: []string{"high", "medium"}}
	priorityNotIn := corev1.ScopedResourceSelectorRequirement{ScopeName: corev1.ResourceQuotaScopePriorityClass, Operator: corev1.ScopeSelectorOpNotIn, Values: []string{"high"}}
	tests := []struct {
		name  string
		scope corev1.ScopedResourceSelectorRequirement
		pod   *corev1.Pod
		want  bool
	}{
		{"BestEffort, best effort pod", exists(corev1.ResourceQuotaScopeBestEffort), bestEffort, true},
		{"BestEffort, burstable pod", exists(corev1.ResourceQuotaScopeBestEffort), burstable, false},
		{"NotBestEffort, burstable pod", exists(corev1.ResourceQuotaScopeNotBestEffort), burstable, true},
		{"NotBestEffort, best effort pod", exists(corev1.ResourceQuotaScopeNotBestEffort), bestEffort, false},
		{"Terminating, with a deadline", exists(corev1.ResourceQuotaScopeTerminating), terminating, true},
		{"Terminating, without", exists(corev1.ResourceQuotaScopeTerminating), bestEffort, false},
		{"NotTerminating, without a deadline", exists(corev1.ResourceQuotaScopeNotTerminating), bestEffort, true},
		{"NotTerminating, with one", exists(corev1.ResourceQuotaScopeNotTerminating), terminating, false},
		{"PriorityClass Exists, with a class", exists(corev1.ResourceQuotaScopePriorityClass), high, true},
		{"PriorityClass Exists, without", exists(corev1.ResourceQuotaScopePriorityClass), bestEffort, false},
		{"PriorityClass In, named", priorityIn, high, true},
		{"PriorityClass In, without a class", priorityIn, bestEffort, false},
		{"PriorityClass NotIn, named", priorityNotIn, high, false},
		{"PriorityClass NotIn, without a class", priorityNotIn, bestEffort, true},
		{"CrossNamespacePodAffinity, with namespaces", exists(corev1.ResourceQuotaScopeCrossNamespacePodAffinity), crossNS, true},
		{"CrossNamespacePodAffinity, without", exists(corev1.ResourceQuotaScopeCrossNamespacePodAffinity), bestEffort, false},
		{"a claim scope never matches a pod", exists(corev1.ResourceQuotaScopeVolumeAttributesClass), bestEffort, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := podMatchesScope(tc.scope, tc.pod)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("matches: got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestPodUsageStats counts a namespace's pods through a quota's scopes, as
// the controller does.
func TestPodUsageStats(t *testing.T) {
	t.Parallel()
	a := pod(container("c", list("cpu", "1"), nil))
	b := pod(container("c", nil, nil))
	done := pod(container("c", list("cpu", "2"), nil))
	done.Status.Phase = corev1.PodSucceeded
	e := NewPodEvaluator(func(ns string) ([]runtime.Object, error) {
		if ns != "ns" {
			return nil, nil
		}
		return []runtime.Object{a, b, done}, nil
	}, now)
	tests := []struct {
		name   string
		scopes []corev1.ResourceQuotaScope
		want   corev1.ResourceList
	}{
		// Usage stats carry every name an object uses (cpu here);
		// CalculateUsage masks them to the quota's.
		{name: "all", want: list("pods", "2", "count/pods", "3", "requests.cpu", "1", "cpu", "1")},
		{name: "BestEffort", scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeBestEffort}, want: list("pods", "1", "count/pods", "1", "requests.cpu", "0")},
		{name: "NotBestEffort", scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeNotBestEffort}, want: list("pods", "1", "count/pods", "2", "requests.cpu", "1", "cpu", "1")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stats, err := e.UsageStats(quotav1.UsageStatsOptions{Namespace: "ns", Scopes: tc.scopes, Resources: []corev1.ResourceName{"pods", "count/pods", "requests.cpu"}})
			if err != nil {
				t.Fatal(err)
			}
			sameUsage(t, tc.want, stats.Used)
		})
	}
}

func TestServiceUsage(t *testing.T) {
	t.Parallel()
	ports := []corev1.ServicePort{{Port: 80}, {Port: 443, NodePort: 30443}}
	tests := []struct {
		name string
		spec corev1.ServiceSpec
		want corev1.ResourceList
	}{
		{"ClusterIP", corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Ports: ports},
			list("services", "1", "count/services", "1", "services.nodeports", "0", "services.loadbalancers", "0")},
		{"NodePort", corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: ports},
			list("services", "1", "count/services", "1", "services.nodeports", "2", "services.loadbalancers", "0")},
		{"LoadBalancer", corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: ports},
			list("services", "1", "count/services", "1", "services.nodeports", "2", "services.loadbalancers", "1")},
		{"LoadBalancer without node ports counts the named ones", corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: ports, AllocateLoadBalancerNodePorts: ptr.To(false)},
			list("services", "1", "count/services", "1", "services.nodeports", "1", "services.loadbalancers", "1")},
		{"ExternalName", corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "example.com"},
			list("services", "1", "count/services", "1", "services.nodeports", "0", "services.loadbalancers", "0")},
	}
	e := NewServiceEvaluator(nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := e.Usage(&corev1.Service{Spec: tc.spec})
			if err != nil {
				t.Fatal(err)
			}
			sameUsage(t, tc.want, got)
		})
	}
}

func TestClaimUsage(t *testing.T) {
	t.Parallel()
	claim := func(class *string, request string, allocated string) *corev1.PersistentVolumeClaim {
		pvc := &corev1.PersistentVolumeClaim{Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: class}}
		if request != "" {
			pvc.Spec.Resources.Requests = list("storage", request)
		}
		if allocated != "" {
			pvc.Status.AllocatedResources = list("storage", allocated)
		}
		return pvc
	}
	tests := []struct {
		name string
		pvc  *corev1.PersistentVolumeClaim
		want corev1.ResourceList
	}{
		{"no class", claim(nil, "1Gi", ""),
			list("persistentvolumeclaims", "1", "count/persistentvolumeclaims", "1", "requests.storage", "1Gi")},
		{"a class is charged too", claim(ptr.To("gold"), "1Gi", ""),
			list("persistentvolumeclaims", "1", "count/persistentvolumeclaims", "1", "requests.storage", "1Gi",
				"gold.storageclass.storage.k8s.io/persistentvolumeclaims", "1", "gold.storageclass.storage.k8s.io/requests.storage", "1Gi")},
		{"an empty class is none", claim(ptr.To(""), "1Gi", ""),
			list("persistentvolumeclaims", "1", "count/persistentvolumeclaims", "1", "requests.storage", "1Gi")},
		{"larger allocated storage counts instead", claim(nil, "1Gi", "2Gi"),
			list("persistentvolumeclaims", "1", "count/persistentvolumeclaims", "1", "requests.storage", "2Gi")},
		{"smaller allocated storage does not", claim(nil, "2Gi", "1Gi"),
			list("persistentvolumeclaims", "1", "count/persistentvolumeclaims", "1", "requests.storage", "2Gi")},
		{"fractional bytes round up", claim(nil, "1500m", ""),
			list("persistentvolumeclaims", "1", "count/persistentvolumeclaims", "1", "requests.storage", "2")},
		{"no request", claim(nil, "", ""),
			list("persistentvolumeclaims", "1", "count/persistentvolumeclaims", "1")},
	}
	e := NewPersistentVolumeClaimEvaluator(nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := e.Usage(tc.pvc)
			if err != nil {
				t.Fatal(err)
			}
			sameUsage(t, tc.want, got)
		})
	}
}

func TestMatchingResources(t *testing.T) {
	t.Parallel()
	input := []corev1.ResourceName{
		"pods", "count/pods", "requests.cpu", "limits.memory", "cpu", "requests.hugepages-2Mi", "requests.example.com/gpu", "example.com/gpu",
		"services", "services.nodeports", "services.loadbalancers", "count/services",
		"persistentvolumeclaims", "requests.storage", "count/persistentvolumeclaims", "gold.storageclass.storage.k8s.io/requests.storage",
		"configmaps", "count/deployments.apps",
	}
	tests := []struct {
		name      string
		evaluator interface {
			MatchingResources([]corev1.ResourceName) []corev1.ResourceName
		}
		want []corev1.ResourceName
	}{
		{"pods", NewPodEvaluator(nil, now), []corev1.ResourceName{"pods", "count/pods", "requests.cpu", "limits.memory", "cpu", "requests.hugepages-2Mi", "requests.example.com/gpu"}},
		{"services", NewServiceEvaluator(nil), []corev1.ResourceName{"services", "services.nodeports", "services.loadbalancers", "count/services"}},
		{"claims", NewPersistentVolumeClaimEvaluator(nil), []corev1.ResourceName{"persistentvolumeclaims", "requests.storage", "count/persistentvolumeclaims", "gold.storageclass.storage.k8s.io/requests.storage"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sorted := cmpopts.SortSlices(func(a, b corev1.ResourceName) bool { return a < b })
			if diff := cmp.Diff(tc.want, tc.evaluator.MatchingResources(input), sorted); diff != "" {
				t.Errorf("MatchingResources (-want +got):\n%s", diff)
			}
		})
	}
}

// attrs is an admission request for Handles.
func attrs(op admission.Operation, resource, subresource string, obj, old runtime.Object) admission.Attributes {
	return admission.NewAttributesRecord(obj, old, schema.GroupVersionKind{}, "ns", "x",
		corev1.SchemeGroupVersion.WithResource(resource), subresource, op, nil, false, nil)
}

func TestHandles(t *testing.T) {
	t.Parallel()
	pvc := &corev1.PersistentVolumeClaim{}
	grown := &corev1.PersistentVolumeClaim{Status: corev1.PersistentVolumeClaimStatus{AllocatedResources: list("storage", "2Gi")}}
	tests := []struct {
		name  string
		eval  quotav1.Evaluator
		attrs admission.Attributes
		want  bool
	}{
		{"pod create", NewPodEvaluator(nil, now), attrs(admission.Create, "pods", "", &corev1.Pod{}, nil), true},
		{"pod update", NewPodEvaluator(nil, now), attrs(admission.Update, "pods", "", &corev1.Pod{}, &corev1.Pod{}), false},
		{"pod resize", NewPodEvaluator(nil, now), attrs(admission.Update, "pods", "resize", &corev1.Pod{}, &corev1.Pod{}), true},
		{"pod status", NewPodEvaluator(nil, now), attrs(admission.Update, "pods", "status", &corev1.Pod{}, &corev1.Pod{}), false},
		{"service update", NewServiceEvaluator(nil), attrs(admission.Update, "services", "", &corev1.Service{}, &corev1.Service{}), true},
		{"claim status, allocation changed", NewPersistentVolumeClaimEvaluator(nil), attrs(admission.Update, "persistentvolumeclaims", "status", grown, pvc), true},
		{"claim status, nothing charged changed", NewPersistentVolumeClaimEvaluator(nil), attrs(admission.Update, "persistentvolumeclaims", "status", pvc, pvc), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.eval.Handles(tc.attrs); got != tc.want {
				t.Errorf("Handles: got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestChangesUsage(t *testing.T) {
	t.Parallel()
	running := pod(container("c", list("cpu", "1"), nil))
	running.Status.Phase = corev1.PodRunning
	succeeded := running.DeepCopy()
	succeeded.Status.Phase = corev1.PodSucceeded
	relabelled := running.DeepCopy()
	relabelled.Labels = map[string]string{"a": "b"}
	resized := running.DeepCopy()
	resized.Spec.Containers[0].Resources.Requests = list("cpu", "2")
	clusterIP := &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP}}
	nodePort := &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort}}
	headless := &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, ClusterIP: "None"}}
	tests := []struct {
		name     string
		resource string
		old, cur any
		want     bool
	}{
		{"pod finished", "pods", running, succeeded, true},
		{"pod labels changed", "pods", running, relabelled, false},
		{"pod resized", "pods", running, resized, true},
		{"service became a NodePort", "services", clusterIP, nodePort, true},
		{"service stayed ClusterIP", "services", clusterIP, headless, false},
		{"configmaps never", "configmaps", &corev1.ConfigMap{}, &corev1.ConfigMap{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := ChangesUsage(corev1.Resource(tc.resource), tc.old, tc.cur, now); got != tc.want {
				t.Errorf("ChangesUsage: got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestAdmissionEvaluators checks that admission's evaluators, built
// without listers, cover the special resources and the legacy names and
// refuse to measure a namespace.
func TestAdmissionEvaluators(t *testing.T) {
	t.Parallel()
	registry := generic.NewRegistry(NewConfiguration().Evaluators())
	for _, gr := range []schema.GroupResource{
		corev1.Resource("pods"), corev1.Resource("services"), corev1.Resource("persistentvolumeclaims"),
		corev1.Resource("configmaps"), corev1.Resource("secrets"), corev1.Resource("resourcequotas"), corev1.Resource("replicationcontrollers"),
	} {
		e := registry.Get(gr)
		if e == nil {
			t.Errorf("no evaluator for %v", gr)
			continue
		}
		_, err := e.UsageStats(quotav1.UsageStatsOptions{Namespace: "ns", Resources: e.MatchingResources([]corev1.ResourceName{"count/" + corev1.ResourceName(gr.Resource)})})
		if err == nil || !strings.Contains(err.Error(), ErrNoLister.Error()) {
			t.Errorf("%v UsageStats: %v, want %v", gr, err, ErrNoLister)
		}
	}
	cm, err := registry.Get(corev1.Resource("configmaps")).Usage(&corev1.ConfigMap{})
	if err != nil {
		t.Fatal(err)
	}
	sameUsage(t, list("configmaps", "1", "count/configmaps", "1"), cm)
	if _, ok := NewConfiguration().IgnoredResources()[corev1.Resource("events")]; !ok {
		t.Error("events are not ignored")
	}
}

func TestClaimScopes(t *testing.T) {
	t.Parallel()
	plain := &corev1.PersistentVolumeClaim{}
	fast := &corev1.PersistentVolumeClaim{Spec: corev1.PersistentVolumeClaimSpec{VolumeAttributesClassName: ptr.To("fast")}}
	moving := &corev1.PersistentVolumeClaim{Status: corev1.PersistentVolumeClaimStatus{ModifyVolumeStatus: &corev1.ModifyVolumeStatus{TargetVolumeAttributesClassName: "fast"}}}
	vac := corev1.ResourceQuotaScopeVolumeAttributesClass
	tests := []struct {
		name  string
		scope corev1.ScopedResourceSelectorRequirement
		pvc   *corev1.PersistentVolumeClaim
		want  bool
	}{
		{"Exists, with a class", corev1.ScopedResourceSelectorRequirement{ScopeName: vac, Operator: corev1.ScopeSelectorOpExists}, fast, true},
		{"Exists, without", corev1.ScopedResourceSelectorRequirement{ScopeName: vac, Operator: corev1.ScopeSelectorOpExists}, plain, false},
		{"In, the target of a modification", corev1.ScopedResourceSelectorRequirement{ScopeName: vac, Operator: corev1.ScopeSelectorOpIn, Values: []string{"fast"}}, moving, true},
		{"NotIn, without a class", corev1.ScopedResourceSelectorRequirement{ScopeName: vac, Operator: corev1.ScopeSelectorOpNotIn, Values: []string{"fast"}}, plain, true},
		{"NotIn, named", corev1.ScopedResourceSelectorRequirement{ScopeName: vac, Operator: corev1.ScopeSelectorOpNotIn, Values: []string{"fast"}}, fast, false},
		{"a pod scope never matches a claim", corev1.ScopedResourceSelectorRequirement{ScopeName: corev1.ResourceQuotaScopeBestEffort, Operator: corev1.ScopeSelectorOpExists}, plain, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := claimMatchesScope(tc.scope, tc.pvc)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("matches: got %v, want %v", got, tc.want)
			}
		})
	}
}
