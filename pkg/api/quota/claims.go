package quota

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/admission"
	quota "k8s.io/apiserver/pkg/quota/v1"
	"k8s.io/apiserver/pkg/quota/v1/generic"
	storagehelpers "k8s.io/component-helpers/storage/volume"
)

var claimCountName = generic.ObjectCountQuotaResourceNameFor(corev1.Resource("persistentvolumeclaims"))

// claimResources are the claim's quota names; each may also be limited
// per StorageClass as <class>.storageclass.storage.k8s.io/<name>.
var claimResources = []corev1.ResourceName{
	corev1.ResourcePersistentVolumeClaims,
	corev1.ResourceRequestsStorage,
}

// storageClassSuffix joins a StorageClass's name and a claim quota name.
const storageClassSuffix = ".storageclass.storage.k8s.io/"

// ByStorageClass is the quota name of resource for claims of class, such
// as gold.storageclass.storage.k8s.io/requests.storage.
func ByStorageClass(class string, name corev1.ResourceName) corev1.ResourceName {
	return corev1.ResourceName(class + storageClassSuffix + string(name))
}

type claimEvaluator struct {
	list generic.ListFuncByNamespace
}

var _ quota.Evaluator = (*claimEvaluator)(nil)

// NewPersistentVolumeClaimEvaluator returns the evaluator of claims:
// persistentvolumeclaims, count/persistentvolumeclaims and
// requests.storage, overall and per StorageClass, and the
// VolumeAttributesClass scope.
func NewPersistentVolumeClaimEvaluator(list generic.ListFuncByNamespace) quota.Evaluator {
	return &claimEvaluator{list: list}
}

func (c *claimEvaluator) GroupResource() schema.GroupResource {
	return corev1.Resource("persistentvolumeclaims")
}

func (c *claimEvaluator) Constraints([]corev1.ResourceName, runtime.Object) error { return nil }

// Handles creations and updates, and status updates that change what the
// claim is charged for (its allocated storage, its attributes classes).
func (c *claimEvaluator) Handles(a admission.Attributes) bool {
	switch a.GetSubresource() {
	case "":
		return a.GetOperation() == admission.Create || a.GetOperation() == admission.Update
	case "status":
		cur, ok1 := a.GetObject().(*corev1.PersistentVolumeClaim)
		old, ok2 := a.GetOldObject().(*corev1.PersistentVolumeClaim)
		return ok1 && ok2 && claimNeedsReplenish(cur, old)
	}
	return false
}

func (c *claimEvaluator) Matches(q *corev1.ResourceQuota, item runtime.Object) (bool, error) {
	return generic.Matches(q, item, c.MatchingResources, claimMatchesScope)
}

func (c *claimEvaluator) MatchingResources(input []corev1.ResourceName) []corev1.ResourceName {
	out := []corev1.ResourceName{}
	for _, r := range input {
		if r == claimCountName || quota.Contains(claimResources, r) {
			out = append(out, r)
			continue
		}
		for _, base := range claimResources {
			if strings.HasSuffix(string(r), storageClassSuffix+string(base)) {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

func (c *claimEvaluator) MatchingScopes(item runtime.Object, selectors []corev1.ScopedResourceSelectorRequirement) ([]corev1.ScopedResourceSelectorRequirement, error) {
	out := []corev1.ScopedResourceSelectorRequirement{}
	for _, s := range selectors {
		ok, err := claimMatchesScope(s, item)
		if err != nil {
			return []corev1.ScopedResourceSelectorRequirement{}, fmt.Errorf("error on matching scope %v: %w", s, err)
		}
		if ok {
			out = append(out, s)
		}
	}
	return out, nil
}

func (c *claimEvaluator) UncoveredQuotaScopes(limited, matched []corev1.ScopedResourceSelectorRequirement) ([]corev1.ScopedResourceSelectorRequirement, error) {
	return uncoveredScopes(limited, matched), nil
}

// Usage charges one claim and its requested storage (the allocated size
// if that is larger, rounded up to a whole byte), overall and to its
// StorageClass.
func (c *claimEvaluator) Usage(item runtime.Object) (corev1.ResourceList, error) {
	pvc, err := toClaim(item)
	if err != nil {
		return corev1.ResourceList{}, err
	}
	one := *resource.NewQuantity(1, resource.DecimalSI)
	out := corev1.ResourceList{
		corev1.ResourcePersistentVolumeClaims: one,
		claimCountName:                        one,
	}
	class := storagehelpers.GetPersistentVolumeClaimClass(pvc)
	if class != "" {
		out[ByStorageClass(class, corev1.ResourcePersistentVolumeClaims)] = one
	}
	if storage := claimStorage(pvc); storage != nil {
		out[corev1.ResourceRequestsStorage] = *storage
		if class != "" {
			out[ByStorageClass(class, corev1.ResourceRequestsStorage)] = *storage
		}
	}
	return out, nil
}

// claimStorage is the storage a claim is charged for: its request, or its
// allocated storage when that is larger; nil without a request.
func claimStorage(pvc *corev1.PersistentVolumeClaim) *resource.Quantity {
	roundUp := func(q resource.Quantity) *resource.Quantity {
		r := q.DeepCopy()
		r.RoundUp(0)
		return &r
	}
	req, ok := pvc.Spec.Resources.Requests[corev1.ResourceStorage]
	if !ok {
		return nil
	}
	out := roundUp(req)
	if alloc, ok := pvc.Status.AllocatedResources[corev1.ResourceStorage]; ok && alloc.Cmp(*out) > 0 {
		out = roundUp(alloc)
	}
	return out
}

func (c *claimEvaluator) UsageStats(opts quota.UsageStatsOptions) (quota.UsageStats, error) {
	return generic.CalculateUsageStats(opts, c.list, claimMatchesScope, c.Usage)
}

func toClaim(item runtime.Object) (*corev1.PersistentVolumeClaim, error) {
	pvc, ok := item.(*corev1.PersistentVolumeClaim)
	if !ok {
		return nil, fmt.Errorf("expect *v1.PersistentVolumeClaim, got %T", item)
	}
	return pvc, nil
}

// claimNeedsReplenish is true when a claim's allocated storage or the
// attributes classes it refers to changed.
func claimNeedsReplenish(cur, old *corev1.PersistentVolumeClaim) bool {
	if !old.Status.AllocatedResources.Storage().Equal(*cur.Status.AllocatedResources.Storage()) {
		return true
	}
	return !attributesClasses(old).Equal(attributesClasses(cur))
}

// claimMatchesScope tells whether a claim is in a quota scope: only
// VolumeAttributesClass applies to claims.
func claimMatchesScope(s corev1.ScopedResourceSelectorRequirement, item runtime.Object) (bool, error) {
	pvc, err := toClaim(item)
	if err != nil {
		return false, err
	}
	if s.ScopeName != corev1.ResourceQuotaScopeVolumeAttributesClass {
		return false, nil
	}
	names := attributesClasses(pvc)
	if s.Operator == corev1.ScopeSelectorOpExists {
		return names.Len() != 0, nil
	}
	if names.Len() == 0 {
		return scopeSelectorMatches(s, labels.Set{})
	}
	for _, n := range sets.List(names) {
		ok, err := scopeSelectorMatches(s, labels.Set{string(corev1.ResourceQuotaScopeVolumeAttributesClass): n})
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// attributesClasses are the VolumeAttributesClasses a claim names: in its
// spec, its status and a modification in progress.
func attributesClasses(pvc *corev1.PersistentVolumeClaim) sets.Set[string] {
	out := sets.New[string]()
	if n := pvc.Spec.VolumeAttributesClassName; n != nil && *n != "" {
		out.Insert(*n)
	}
	if n := pvc.Status.CurrentVolumeAttributesClassName; n != nil && *n != "" {
		out.Insert(*n)
	}
	if m := pvc.Status.ModifyVolumeStatus; m != nil && m.TargetVolumeAttributesClassName != "" {
		out.Insert(m.TargetVolumeAttributesClassName)
	}
	return out
}
