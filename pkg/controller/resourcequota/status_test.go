package resourcequota

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	quotav1 "k8s.io/apiserver/pkg/quota/v1"
	"k8s.io/apiserver/pkg/quota/v1/generic"

	"github.com/fakecluster/fakecluster/pkg/api/quota"
)

func list(pairs ...string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for i := 0; i < len(pairs); i += 2 {
		out[corev1.ResourceName(pairs[i])] = resource.MustParse(pairs[i+1])
	}
	return out
}

func testPod(name string, cpu string, phase corev1.PodPhase) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}}, Status: corev1.PodStatus{Phase: phase}}
	if cpu != "" {
		p.Spec.Containers[0].Resources.Requests = list("cpu", cpu)
	}
	return p
}

// TestComputeStatus checks the status the controller writes for a quota
// over a namespace of three pods (one best effort, one finished) and two
// ConfigMaps, and when it writes it.
func TestComputeStatus(t *testing.T) {
	t.Parallel()
	pods := []runtime.Object{testPod("a", "500m", corev1.PodRunning), testPod("b", "", corev1.PodPending), testPod("done", "2", corev1.PodSucceeded)}
	byNamespace := func(objs []runtime.Object) generic.ListFuncByNamespace {
		return func(ns string) ([]runtime.Object, error) {
			if ns != "ns" {
				return nil, nil
			}
			return objs, nil
		}
	}
	failing := func(string) ([]runtime.Object, error) { return nil, errors.New("not yet synced") }
	configMaps := []runtime.Object{&corev1.ConfigMap{}, &corev1.ConfigMap{}}
	registry := func(secrets generic.ListFuncByNamespace) quotav1.Registry {
		return generic.NewRegistry([]quotav1.Evaluator{
			quota.NewPodEvaluator(byNamespace(pods), nil),
			generic.NewObjectCountEvaluator(corev1.Resource("configmaps"), byNamespace(configMaps), corev1.ResourceConfigMaps),
			generic.NewObjectCountEvaluator(corev1.Resource("secrets"), secrets, corev1.ResourceSecrets),
		})
	}
	quotaOf := func(spec corev1.ResourceQuotaSpec, status corev1.ResourceQuotaStatus) *corev1.ResourceQuota {
		return &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "q", Namespace: "ns"}, Spec: spec, Status: status}
	}
	tests := []struct {
		name      string
		quota     *corev1.ResourceQuota
		secrets   generic.ListFuncByNamespace
		want      corev1.ResourceQuotaStatus
		wantDirty bool
		wantErr   bool
	}{
		{
			name:      "first sync",
			quota:     quotaOf(corev1.ResourceQuotaSpec{Hard: list("pods", "10", "requests.cpu", "2", "count/pods", "10", "configmaps", "5")}, corev1.ResourceQuotaStatus{}),
			want:      corev1.ResourceQuotaStatus{Hard: list("pods", "10", "requests.cpu", "2", "count/pods", "10", "configmaps", "5"), Used: list("pods", "2", "requests.cpu", "500m", "count/pods", "3", "configmaps", "2")},
			wantDirty: true,
		},
		{
			name: "up to date",
			quota: quotaOf(corev1.ResourceQuotaSpec{Hard: list("pods", "10")},
				corev1.ResourceQuotaStatus{Hard: list("pods", "10"), Used: list("pods", "2")}),
			want: corev1.ResourceQuotaStatus{Hard: list("pods", "10"), Used: list("pods", "2")},
		},
		{
			name: "usage drifted",
			quota: quotaOf(corev1.ResourceQuotaSpec{Hard: list("pods", "10")},
				corev1.ResourceQuotaStatus{Hard: list("pods", "10"), Used: list("pods", "3")}),
			want:      corev1.ResourceQuotaStatus{Hard: list("pods", "10"), Used: list("pods", "2")},
			wantDirty: true,
		},
		{
			name: "a limit removed drops its usage",
			quota: quotaOf(corev1.ResourceQuotaSpec{Hard: list("pods", "4")},
				corev1.ResourceQuotaStatus{Hard: list("pods", "10", "configmaps", "5"), Used: list("pods", "2", "configmaps", "2")}),
			want:      corev1.ResourceQuotaStatus{Hard: list("pods", "4"), Used: list("pods", "2")},
			wantDirty: true,
		},
		{
			name:      "scopes",
			quota:     quotaOf(corev1.ResourceQuotaSpec{Hard: list("pods", "10"), Scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeBestEffort}}, corev1.ResourceQuotaStatus{}),
			want:      corev1.ResourceQuotaStatus{Hard: list("pods", "10"), Used: list("pods", "1")},
			wantDirty: true,
		},
		{
			name: "scope selector",
			quota: quotaOf(corev1.ResourceQuotaSpec{Hard: list("pods", "10"), ScopeSelector: &corev1.ScopeSelector{MatchExpressions: []corev1.ScopedResourceSelectorRequirement{
				{ScopeName: corev1.ResourceQuotaScopeNotBestEffort, Operator: corev1.ScopeSelectorOpExists},
			}}}, corev1.ResourceQuotaStatus{}),
			want:      corev1.ResourceQuotaStatus{Hard: list("pods", "10"), Used: list("pods", "1")},
			wantDirty: true,
		},
		{
			name:      "a name no evaluator measures has no usage",
			quota:     quotaOf(corev1.ResourceQuotaSpec{Hard: list("pods", "10", "count/widgets.example.com", "3")}, corev1.ResourceQuotaStatus{}),
			want:      corev1.ResourceQuotaStatus{Hard: list("pods", "10", "count/widgets.example.com", "3"), Used: list("pods", "2")},
			wantDirty: true,
		},
		{
			name: "what cannot be measured keeps its last value",
			quota: quotaOf(corev1.ResourceQuotaSpec{Hard: list("pods", "10", "secrets", "5")},
				corev1.ResourceQuotaStatus{Hard: list("pods", "10", "secrets", "5"), Used: list("pods", "1", "secrets", "4")}),
			secrets:   failing,
			want:      corev1.ResourceQuotaStatus{Hard: list("pods", "10", "secrets", "5"), Used: list("pods", "2", "secrets", "4")},
			wantDirty: true,
			wantErr:   true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			secrets := tc.secrets
			if secrets == nil {
				secrets = byNamespace(nil)
			}
			before := tc.quota.DeepCopy()
			got, dirty, err := computeStatus(tc.quota, registry(secrets))
			if (err != nil) != tc.wantErr {
				t.Errorf("error: %v, want error %v", err, tc.wantErr)
			}
			if dirty != tc.wantDirty {
				t.Errorf("dirty: got %v, want %v", dirty, tc.wantDirty)
			}
			if !quotav1.Equals(tc.want.Hard, got.Hard) || !quotav1.Equals(tc.want.Used, got.Used) {
				t.Errorf("status:\n got hard %v used %v\nwant hard %v used %v", got.Hard, got.Used, tc.want.Hard, tc.want.Used)
			}
			if diff := cmp.Diff(before, tc.quota); diff != "" {
				t.Errorf("computeStatus changed its quota (-before +after):\n%s", diff)
			}
		})
	}
}

// TestCountedResource checks which resource a quota name counts.
func TestCountedResource(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   corev1.ResourceName
		want   schema.GroupResource
		alias  corev1.ResourceName
		wantOK bool
	}{
		{"count/deployments.apps", schema.GroupResource{Group: "apps", Resource: "deployments"}, "", true},
		{"count/widgets.stable.example.com", schema.GroupResource{Group: "stable.example.com", Resource: "widgets"}, "", true},
		{"count/serviceaccounts", corev1.Resource("serviceaccounts"), "", true},
		{"configmaps", corev1.Resource("configmaps"), corev1.ResourceConfigMaps, true},
		{"count/secrets", corev1.Resource("secrets"), corev1.ResourceSecrets, true},
		{"requests.cpu", schema.GroupResource{}, "", false},
		{"count/", schema.GroupResource{}, "", false},
	}
	for _, tc := range tests {
		t.Run(string(tc.name), func(t *testing.T) {
			t.Parallel()
			gr, alias, ok := countedResource(tc.name, quota.LegacyCounts())
			if gr != tc.want || alias != tc.alias || ok != tc.wantOK {
				t.Errorf("countedResource(%q) = %v, %q, %v; want %v, %q, %v", tc.name, gr, alias, ok, tc.want, tc.alias, tc.wantOK)
			}
		})
	}
}
