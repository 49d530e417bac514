package quota

import (
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apiserver/pkg/admission"
	quota "k8s.io/apiserver/pkg/quota/v1"
	"k8s.io/apiserver/pkg/quota/v1/generic"
	resourcehelper "k8s.io/component-helpers/resource"
	"k8s.io/kubectl/pkg/util/qos"
)

var podCountName = generic.ObjectCountQuotaResourceNameFor(corev1.Resource("pods"))

// podResources are the quota names a pod is charged under, besides the
// hugepages and extended resources matched by prefix.
var podResources = []corev1.ResourceName{
	podCountName,
	corev1.ResourceCPU,
	corev1.ResourceMemory,
	corev1.ResourceEphemeralStorage,
	corev1.ResourceRequestsCPU,
	corev1.ResourceRequestsMemory,
	corev1.ResourceRequestsEphemeralStorage,
	corev1.ResourceLimitsCPU,
	corev1.ResourceLimitsMemory,
	corev1.ResourceLimitsEphemeralStorage,
	corev1.ResourcePods,
}

// requiredCompute are the quota names that, when a quota limits them,
// every container of a new pod must ask for explicitly: upstream's
// backward-compatible rule for cpu and memory only.
var requiredCompute = sets.New[string](
	string(corev1.ResourceCPU),
	string(corev1.ResourceMemory),
	string(corev1.ResourceRequestsCPU),
	string(corev1.ResourceRequestsMemory),
	string(corev1.ResourceLimitsCPU),
	string(corev1.ResourceLimitsMemory),
)

type podEvaluator struct {
	list generic.ListFuncByNamespace
	now  Clock
}

var _ quota.Evaluator = (*podEvaluator)(nil)

// NewPodEvaluator returns the evaluator of pods: pods, count/pods,
// requests and limits of cpu, memory, ephemeral-storage, hugepages and
// extended resources, and the Terminating, NotTerminating, BestEffort,
// NotBestEffort, PriorityClass and CrossNamespacePodAffinity scopes. now
// nil means the real clock.
func NewPodEvaluator(list generic.ListFuncByNamespace, now Clock) quota.Evaluator {
	if now == nil {
		now = realClock{}
	}
	return &podEvaluator{list: list, now: now}
}

func (p *podEvaluator) GroupResource() schema.GroupResource { return corev1.Resource("pods") }

// Constraints requires every container and init container to ask for
// each of cpu and memory that a matching quota limits.
func (p *podEvaluator) Constraints(required []corev1.ResourceName, item runtime.Object) error {
	pod, err := toPod(item)
	if err != nil {
		return err
	}
	want := quota.ToSet(required).Intersection(sets.StringKeySet(requiredCompute))
	if want.Len() == 0 {
		return nil
	}
	missing := map[string]sets.Set[string]{}
	check := func(c *corev1.Container) {
		have := quota.ToSet(quota.ResourceNames(containerComputeUsage(c.Resources.Requests, c.Resources.Limits)))
		for _, r := range want.Difference(have).List() {
			if missing[r] == nil {
				missing[r] = sets.New[string]()
			}
			missing[r].Insert(c.Name)
		}
	}
	for i := range pod.Spec.Containers {
		check(&pod.Spec.Containers[i])
	}
	for i := range pod.Spec.InitContainers {
		check(&pod.Spec.InitContainers[i])
	}
	if len(missing) == 0 {
		return nil
	}
	names := sets.List(sets.KeySet(missing))
	parts := make([]string, 0, len(names))
	for _, r := range names {
		parts = append(parts, fmt.Sprintf("%s for: %s", r, strings.Join(sets.List(missing[r]), ",")))
	}
	return fmt.Errorf("must specify %s", strings.Join(parts, "; "))
}

// Handles is true for creations and for updates of pods/resize.
func (p *podEvaluator) Handles(a admission.Attributes) bool {
	switch a.GetSubresource() {
	case "":
		return a.GetOperation() == admission.Create
	case "resize":
		return a.GetOperation() == admission.Update
	}
	return false
}

func (p *podEvaluator) Matches(q *corev1.ResourceQuota, item runtime.Object) (bool, error) {
	return generic.Matches(q, item, p.MatchingResources, podMatchesScope)
}

func (p *podEvaluator) MatchingResources(input []corev1.ResourceName) []corev1.ResourceName {
	out := quota.Intersection(input, podResources)
	for _, r := range input {
		if strings.HasPrefix(string(r), corev1.ResourceHugePagesPrefix) ||
			strings.HasPrefix(string(r), corev1.ResourceRequestsHugePagesPrefix) ||
			isExtendedQuotaName(r) {
			out = append(out, r)
		}
	}
	return out
}

func (p *podEvaluator) MatchingScopes(item runtime.Object, selectors []corev1.ScopedResourceSelectorRequirement) ([]corev1.ScopedResourceSelectorRequirement, error) {
	out := []corev1.ScopedResourceSelectorRequirement{}
	for _, s := range selectors {
		ok, err := podMatchesScope(s, item)
		if err != nil {
			return []corev1.ScopedResourceSelectorRequirement{}, fmt.Errorf("error on matching scope %v: %v", s, err)
		}
		if ok {
			out = append(out, s)
		}
	}
	return out, nil
}

func (p *podEvaluator) UncoveredQuotaScopes(limited, matched []corev1.ScopedResourceSelectorRequirement) ([]corev1.ScopedResourceSelectorRequirement, error) {
	return uncoveredScopes(limited, matched), nil
}

// Usage charges count/pods always and, while the pod is not terminal nor
// past its deletion grace period, pods and its compute resources.
func (p *podEvaluator) Usage(item runtime.Object) (corev1.ResourceList, error) {
	pod, err := toPod(item)
	if err != nil {
		return corev1.ResourceList{}, err
	}
	out := corev1.ResourceList{podCountName: *resource.NewQuantity(1, resource.DecimalSI)}
	if !Charged(pod, p.now) {
		return out, nil
	}
	return quota.Add(out, podComputeUsage(pod)), nil
}

func (p *podEvaluator) UsageStats(opts quota.UsageStatsOptions) (quota.UsageStats, error) {
	return generic.CalculateUsageStats(opts, p.list, podMatchesScope, p.Usage)
}

// Charged reports whether quota charges a pod's compute resources: not
// once it has Succeeded or Failed, nor once its deletion grace period has
// run out (a pod stuck terminating on a lost node).
func Charged(pod *corev1.Pod, now Clock) bool {
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return false
	}
	if pod.DeletionTimestamp != nil && pod.DeletionGracePeriodSeconds != nil {
		end := pod.DeletionTimestamp.Add(time.Duration(*pod.DeletionGracePeriodSeconds) * time.Second)
		if now.Now().After(end) {
			return false
		}
	}
	return true
}

// podComputeUsage is the pod's effective requests and limits (init
// containers, sidecars, overhead, pod-level resources and resized
// resources in its status included) under their quota names.
func podComputeUsage(pod *corev1.Pod) corev1.ResourceList {
	opts := resourcehelper.PodResourcesOptions{UseStatusResources: true}
	return containerComputeUsage(resourcehelper.PodRequests(pod, opts), resourcehelper.PodLimits(pod, opts))
}

// containerComputeUsage names requests and limits as quota does: pods=1,
// cpu and requests.cpu for the cpu request, limits.cpu for its limit (the
// same for memory and ephemeral-storage), hugepages-<size> and
// requests.hugepages-<size>, and requests.<name> for an extended
// resource.
func containerComputeUsage(requests, limits corev1.ResourceList) corev1.ResourceList {
	out := corev1.ResourceList{corev1.ResourcePods: resource.MustParse("1")}
	for _, r := range []struct{ name, request, limit corev1.ResourceName }{
		{corev1.ResourceCPU, corev1.ResourceRequestsCPU, corev1.ResourceLimitsCPU},
		{corev1.ResourceMemory, corev1.ResourceRequestsMemory, corev1.ResourceLimitsMemory},
		{corev1.ResourceEphemeralStorage, corev1.ResourceRequestsEphemeralStorage, corev1.ResourceLimitsEphemeralStorage},
	} {
		if q, ok := requests[r.name]; ok {
			out[r.name] = q
			out[r.request] = q
		}
		if q, ok := limits[r.name]; ok {
			out[r.limit] = q
		}
	}
	for name, q := range requests {
		if strings.HasPrefix(string(name), corev1.ResourceHugePagesPrefix) {
			out[name] = q
			out[corev1.DefaultResourceRequestsPrefix+name] = q
		}
		if isExtendedResource(name) {
			out[corev1.DefaultResourceRequestsPrefix+name] = q
		}
	}
	return out
}

// isNativeResource is true for names without a domain or in
// kubernetes.io.
func isNativeResource(name corev1.ResourceName) bool {
	return !strings.Contains(string(name), "/") || strings.Contains(string(name), corev1.ResourceDefaultNamespacePrefix)
}

// isExtendedResource is true for a domain-qualified resource a pod may
// ask for, such as example.com/gpu.
func isExtendedResource(name corev1.ResourceName) bool {
	if isNativeResource(name) || strings.HasPrefix(string(name), corev1.DefaultResourceRequestsPrefix) {
		return false
	}
	return len(validation.IsQualifiedName(corev1.DefaultResourceRequestsPrefix+string(name))) == 0
}

// isExtendedQuotaName is true for requests.<extended resource>, the only
// quota name of an extended resource.
func isExtendedQuotaName(name corev1.ResourceName) bool {
	return !isNativeResource(name) && strings.HasPrefix(string(name), corev1.DefaultResourceRequestsPrefix)
}

func toPod(item runtime.Object) (*corev1.Pod, error) {
	pod, ok := item.(*corev1.Pod)
	if !ok {
		return nil, fmt.Errorf("expect *v1.Pod, got %T", item)
	}
	return pod, nil
}

// podMatchesScope tells whether a pod is in a quota scope.
func podMatchesScope(s corev1.ScopedResourceSelectorRequirement, item runtime.Object) (bool, error) {
	pod, err := toPod(item)
	if err != nil {
		return false, err
	}
	switch s.ScopeName {
	case corev1.ResourceQuotaScopeTerminating:
		return isTerminating(pod), nil
	case corev1.ResourceQuotaScopeNotTerminating:
		return !isTerminating(pod), nil
	case corev1.ResourceQuotaScopeBestEffort:
		return qos.GetPodQOS(pod) == corev1.PodQOSBestEffort, nil
	case corev1.ResourceQuotaScopeNotBestEffort:
		return qos.GetPodQOS(pod) != corev1.PodQOSBestEffort, nil
	case corev1.ResourceQuotaScopePriorityClass:
		if s.Operator == corev1.ScopeSelectorOpExists {
			return pod.Spec.PriorityClassName != "", nil
		}
		var set labels.Set
		if pod.Spec.PriorityClassName != "" {
			set = labels.Set{string(corev1.ResourceQuotaScopePriorityClass): pod.Spec.PriorityClassName}
		}
		return scopeSelectorMatches(s, set)
	case corev1.ResourceQuotaScopeCrossNamespacePodAffinity:
		return crossNamespaceAffinity(pod), nil
	}
	return false, nil
}

// isTerminating is true for a pod with an activeDeadlineSeconds.
func isTerminating(pod *corev1.Pod) bool {
	return pod.Spec.ActiveDeadlineSeconds != nil && *pod.Spec.ActiveDeadlineSeconds >= 0
}

// scopeSelectorMatches evaluates a scope selector requirement as a label
// selector over set, the scope name being the key.
func scopeSelectorMatches(s corev1.ScopedResourceSelectorRequirement, set labels.Set) (bool, error) {
	var op selection.Operator
	switch s.Operator {
	case corev1.ScopeSelectorOpIn:
		op = selection.In
	case corev1.ScopeSelectorOpNotIn:
		op = selection.NotIn
	case corev1.ScopeSelectorOpExists:
		op = selection.Exists
	case corev1.ScopeSelectorOpDoesNotExist:
		op = selection.DoesNotExist
	default:
		return false, fmt.Errorf("failed to parse and convert selector: %q is not a valid scope selector operator", s.Operator)
	}
	req, err := labels.NewRequirement(string(s.ScopeName), op, s.Values)
	if err != nil {
		return false, fmt.Errorf("failed to parse and convert selector: %v", err)
	}
	return labels.NewSelector().Add(*req).Matches(set), nil
}

// crossNamespaceAffinity is true for a pod whose pod affinity or
// anti-affinity terms name namespaces or a namespace selector.
func crossNamespaceAffinity(pod *corev1.Pod) bool {
	a := pod.Spec.Affinity
	if a == nil {
		return false
	}
	cross := func(t *corev1.PodAffinityTerm) bool { return len(t.Namespaces) != 0 || t.NamespaceSelector != nil }
	weighted := func(w corev1.WeightedPodAffinityTerm) bool { return cross(&w.PodAffinityTerm) }
	terms := func(ts []corev1.PodAffinityTerm) bool {
		return slices.ContainsFunc(ts, func(t corev1.PodAffinityTerm) bool { return cross(&t) })
	}
	if pa := a.PodAffinity; pa != nil && (terms(pa.RequiredDuringSchedulingIgnoredDuringExecution) || slices.ContainsFunc(pa.PreferredDuringSchedulingIgnoredDuringExecution, weighted)) {
		return true
	}
	if pa := a.PodAntiAffinity; pa != nil && (terms(pa.RequiredDuringSchedulingIgnoredDuringExecution) || slices.ContainsFunc(pa.PreferredDuringSchedulingIgnoredDuringExecution, weighted)) {
		return true
	}
	return false
}

// uncoveredScopes are the limited scopes no matched quota scope names.
func uncoveredScopes(limited, matched []corev1.ScopedResourceSelectorRequirement) []corev1.ScopedResourceSelectorRequirement {
	out := []corev1.ScopedResourceSelectorRequirement{}
	for _, l := range limited {
		if !slices.ContainsFunc(matched, func(m corev1.ScopedResourceSelectorRequirement) bool { return m.ScopeName == l.ScopeName }) {
			out = append(out, l)
		}
	}
	return out
}
