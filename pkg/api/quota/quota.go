package quota

import (
	"errors"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	quota "k8s.io/apiserver/pkg/quota/v1"
	"k8s.io/apiserver/pkg/quota/v1/generic"
)

// ErrNoLister is returned by an evaluator's UsageStats when it was built
// without a way to list objects, as admission's are: admission measures
// the object of a request, never a namespace.
var ErrNoLister = errors.New("quota evaluator has no lister")

// Clock tells the time a pod's deletion grace period is measured against.
type Clock interface{ Now() time.Time }

// legacyCounts are the quota names that count objects from before
// count/<resource>: configmaps, secrets, resourcequotas and
// replicationcontrollers, each counted also as count/<resource>.
var legacyCounts = map[schema.GroupResource]corev1.ResourceName{
	corev1.Resource("configmaps"):             corev1.ResourceConfigMaps,
	corev1.Resource("secrets"):                corev1.ResourceSecrets,
	corev1.Resource("resourcequotas"):         corev1.ResourceQuotas,
	corev1.Resource("replicationcontrollers"): corev1.ResourceReplicationControllers,
}

// LegacyCounts returns the group resources counted under a legacy quota
// name, and those names.
func LegacyCounts() map[schema.GroupResource]corev1.ResourceName {
	out := make(map[schema.GroupResource]corev1.ResourceName, len(legacyCounts))
	for gr, name := range legacyCounts {
		out[gr] = name
	}
	return out
}

// Evaluators returns the evaluators of pods, services and
// persistentvolumeclaims, and the object counters of the legacy names.
// listers lists the objects of a resource for UsageStats (the
// controller's); nil means none (admission's). now is the clock; nil
// means the real one.
func Evaluators(listers quota.ListerForResourceFunc, now Clock) []quota.Evaluator {
	if now == nil {
		now = realClock{}
	}
	out := []quota.Evaluator{
		NewPodEvaluator(listFunc(listers, corev1.SchemeGroupVersion.WithResource("pods")), now),
		NewServiceEvaluator(listFunc(listers, corev1.SchemeGroupVersion.WithResource("services"))),
		NewPersistentVolumeClaimEvaluator(listFunc(listers, corev1.SchemeGroupVersion.WithResource("persistentvolumeclaims"))),
	}
	for gr, alias := range legacyCounts {
		out = append(out, generic.NewObjectCountEvaluator(gr, listFunc(listers, gr.WithVersion("v1")), alias))
	}
	return out
}

// listFunc lists gvr's objects in a namespace through listers, or fails
// with ErrNoLister when there are none.
func listFunc(listers quota.ListerForResourceFunc, gvr schema.GroupVersionResource) generic.ListFuncByNamespace {
	if listers == nil {
		return func(string) ([]runtime.Object, error) { return nil, ErrNoLister }
	}
	return generic.ListResourceUsingListerFunc(listers, gvr)
}

// IgnoredResources are the resources quota never counts, as upstream:
// virtual resources nothing stores (bindings, reviews) and events.
func IgnoredResources() map[schema.GroupResource]struct{} {
	return map[schema.GroupResource]struct{}{
		corev1.Resource("bindings"):                                            {},
		corev1.Resource("componentstatuses"):                                   {},
		{Group: "authentication.k8s.io", Resource: "tokenreviews"}:             {},
		{Group: "authentication.k8s.io", Resource: "selfsubjectreviews"}:       {},
		{Group: "authorization.k8s.io", Resource: "subjectaccessreviews"}:      {},
		{Group: "authorization.k8s.io", Resource: "selfsubjectaccessreviews"}:  {},
		{Group: "authorization.k8s.io", Resource: "localsubjectaccessreviews"}: {},
		{Group: "authorization.k8s.io", Resource: "selfsubjectrulesreviews"}:   {},
		corev1.Resource("events"):                                              {},
		{Group: eventsv1.GroupName, Resource: "events"}:                        {},
	}
}

// NewConfiguration is the quota configuration of admission: Evaluators
// without listers and IgnoredResources.
func NewConfiguration() quota.Configuration {
	return generic.NewConfiguration(Evaluators(nil, nil), IgnoredResources())
}

// ChangesUsage reports whether an update of an object of gr from old to
// cur can lower what quota charges for it, so that the controller must
// recalculate: a pod that reached a terminal phase or whose resources
// changed, a Service whose type changed between a counted kind
// (NodePort, LoadBalancer) and another, a claim whose allocated storage or
// volume attributes classes changed. Deletions always do; creations are
// charged by admission.
func ChangesUsage(gr schema.GroupResource, old, cur any, now Clock) bool {
	if now == nil {
		now = realClock{}
	}
	switch gr {
	case corev1.Resource("pods"):
		o, ok1 := old.(*corev1.Pod)
		c, ok2 := cur.(*corev1.Pod)
		if !ok1 || !ok2 {
			return false
		}
		if Charged(o, now) && !Charged(c, now) {
			return true
		}
		return !quota.Equals(podComputeUsage(o), podComputeUsage(c))
	case corev1.Resource("services"):
		o, ok1 := old.(*corev1.Service)
		c, ok2 := cur.(*corev1.Service)
		return ok1 && ok2 && quotaServiceType(o) != quotaServiceType(c)
	case corev1.Resource("persistentvolumeclaims"):
		o, ok1 := old.(*corev1.PersistentVolumeClaim)
		c, ok2 := cur.(*corev1.PersistentVolumeClaim)
		return ok1 && ok2 && claimNeedsReplenish(c, o)
	}
	return false
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
