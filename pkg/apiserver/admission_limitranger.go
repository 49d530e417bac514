package apiserver

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
)

// limitRangerAnnotation lists on a pod the defaults LimitRanger set.
const limitRangerAnnotation = "kubernetes.io/limit-ranger"

// liveLookupTTL is how long LimitRanger trusts a live list of a
// namespace's LimitRanges, made when its informer has none there.
const liveLookupTTL = 30 * time.Second

// limitRanger is kube-apiserver's LimitRanger admission plugin: a pod
// being created gets the default requests and limits of its namespace's
// Container LimitRange items, then must keep within each item's min, max
// and maxLimitRequestRatio, per container and (Pod items) per pod; a
// claim's storage request must keep within the PersistentVolumeClaim
// items' min and max. Errors are upstream's texts, all of them at once.
type limitRanger struct {
	*admission.Handler
	lister corelisters.LimitRangeLister
	client kubernetes.Interface

	mu   sync.Mutex
	live map[string]liveLookup // namespace → its last live list
}

// liveLookup is a live list of one namespace's LimitRanges.
type liveLookup struct {
	expiry time.Time
	items  []*corev1.LimitRange
}

var (
	_ admission.MutationInterface   = (*limitRanger)(nil)
	_ admission.ValidationInterface = (*limitRanger)(nil)
)

// newLimitRanger reads LimitRanges through f, which the caller starts,
// and lists a namespace live through client when the informer has none
// there yet (a LimitRange created just before a pod).
func newLimitRanger(client kubernetes.Interface, f informers.SharedInformerFactory) *limitRanger {
	informer := f.Core().V1().LimitRanges()
	p := &limitRanger{Handler: admission.NewHandler(admission.Create, admission.Update), lister: informer.Lister(), client: client, live: map[string]liveLookup{}}
	p.SetReadyFunc(informer.Informer().HasSynced)
	return p
}

// Admit fills in a new pod's default requests and limits.
func (p *limitRanger) Admit(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	return p.run(ctx, a, func(lr *corev1.LimitRange) error {
		if pod, ok := a.GetObject().(*corev1.Pod); ok {
			applyLimitRangeDefaults(lr, pod)
		}
		return nil
	})
}

// Validate enforces the bounds on pods and claims.
func (p *limitRanger) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	return p.run(ctx, a, func(lr *corev1.LimitRange) error {
		switch obj := a.GetObject().(type) {
		case *corev1.Pod:
			return validatePodLimits(lr, obj)
		case *corev1.PersistentVolumeClaim:
			old, _ := a.GetOldObject().(*corev1.PersistentVolumeClaim)
			return validateClaimLimits(lr, obj, old)
		}
		return nil
	})
}

// run applies fn to each LimitRange of the request's namespace, for the
// requests LimitRanger looks at: pods being created, claims being created
// or updated, nothing being deleted.
func (p *limitRanger) run(ctx context.Context, a admission.Attributes, fn func(*corev1.LimitRange) error) error {
	if a.GetSubresource() != "" {
		return nil
	}
	switch a.GetKind().GroupKind() {
	case corev1.SchemeGroupVersion.WithKind("Pod").GroupKind():
		if a.GetOperation() == admission.Update {
			return nil
		}
	case corev1.SchemeGroupVersion.WithKind("PersistentVolumeClaim").GroupKind():
	default:
		return nil
	}
	if old := a.GetOldObject(); old != nil {
		m, err := meta.Accessor(old)
		if err != nil {
			return admission.NewForbidden(a, err)
		}
		if m.GetDeletionTimestamp() != nil {
			return nil
		}
	}
	items, err := p.limitRanges(ctx, a)
	if err != nil {
		return err
	}
	for _, lr := range items {
		if err := fn(lr); err != nil {
			return admission.NewForbidden(a, err)
		}
	}
	return nil
}

// limitRanges returns the namespace's LimitRanges from the informer, or
// from a live list (kept for liveLookupTTL) when the informer has none.
func (p *limitRanger) limitRanges(ctx context.Context, a admission.Attributes) ([]*corev1.LimitRange, error) {
	ns := a.GetNamespace()
	items, err := p.lister.LimitRanges(ns).List(labels.Everything())
	if err != nil {
		return nil, admission.NewForbidden(a, fmt.Errorf("unable to %s %v at this time because there was an error enforcing limit ranges", a.GetOperation(), a.GetResource()))
	}
	if len(items) > 0 {
		return items, nil
	}
	p.mu.Lock()
	entry, ok := p.live[ns]
	p.mu.Unlock()
	if ok && time.Now().Before(entry.expiry) {
		return entry.items, nil
	}
	list, err := p.client.CoreV1().LimitRanges(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, admission.NewForbidden(a, err)
	}
	entry = liveLookup{expiry: time.Now().Add(liveLookupTTL)}
	for i := range list.Items {
		entry.items = append(entry.items, &list.Items[i])
	}
	p.mu.Lock()
	p.live[ns] = entry
	p.mu.Unlock()
	return entry.items, nil
}

// applyLimitRangeDefaults gives every container and init container of pod
// the default limits and requests of lr's Container items that it lacks,
// and records what it set in the kubernetes.io/limit-ranger annotation.
func applyLimitRangeDefaults(lr *corev1.LimitRange, pod *corev1.Pod) {
	limits, requests := corev1.ResourceList{}, corev1.ResourceList{}
	for _, item := range lr.Spec.Limits {
		if item.Type != corev1.LimitTypeContainer {
			continue
		}
		maps.Copy(requests, item.DefaultRequest)
		maps.Copy(limits, item.Default)
	}
	var notes []string
	for i := range pod.Spec.Containers {
		notes = defaultContainer(&pod.Spec.Containers[i], limits, requests, "container", notes)
	}
	for i := range pod.Spec.InitContainers {
		notes = defaultContainer(&pod.Spec.InitContainers[i], limits, requests, "init container", notes)
	}
	if len(notes) > 0 {
		if pod.Annotations == nil {
			pod.Annotations = map[string]string{}
		}
		pod.Annotations[limitRangerAnnotation] = "LimitRanger plugin set: " + strings.Join(notes, "; ")
	}
}

// defaultContainer fills in c's missing limits and requests and appends
// what it set to notes.
func defaultContainer(c *corev1.Container, limits, requests corev1.ResourceList, kind string, notes []string) []string {
	if c.Resources.Limits == nil {
		c.Resources.Limits = corev1.ResourceList{}
	}
	if c.Resources.Requests == nil {
		c.Resources.Requests = corev1.ResourceList{}
	}
	setLimits := fillMissing(c.Resources.Limits, limits)
	setRequests := fillMissing(c.Resources.Requests, requests)
	if len(setRequests) > 0 {
		notes = append(notes, strings.Join(setRequests, ", ")+fmt.Sprintf(" request for %s %s", kind, c.Name))
	}
	if len(setLimits) > 0 {
		notes = append(notes, strings.Join(setLimits, ", ")+fmt.Sprintf(" limit for %s %s", kind, c.Name))
	}
	return notes
}

// fillMissing copies into list what it lacks of defaults and returns the
// names it copied, sorted.
func fillMissing(list, defaults corev1.ResourceList) []string {
	var set []string
	for name, q := range defaults {
		if _, ok := list[name]; !ok {
			list[name] = q.DeepCopy()
			set = append(set, string(name))
		}
	}
	sort.Strings(set)
	return set
}

// validatePodLimits checks pod against lr's Container items (each
// container and init container) and Pod items (the pod's effective
// requests and limits).
func validatePodLimits(lr *corev1.LimitRange, pod *corev1.Pod) error {
	var errs []error
	for _, item := range lr.Spec.Limits {
		switch item.Type {
		case corev1.LimitTypeContainer:
			for _, containers := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
				for i := range containers {
					errs = append(errs, checkItem(item, containers[i].Resources.Requests, containers[i].Resources.Limits)...)
				}
			}
		case corev1.LimitTypePod:
			errs = append(errs, checkItem(item, podTotals(pod, false), podTotals(pod, true))...)
		}
	}
	return utilerrors.NewAggregate(errs)
}

// checkItem checks requests and limits against item's min, max and
// maxLimitRequestRatio, resources in name order.
func checkItem(item corev1.LimitRangeItem, requests, limits corev1.ResourceList) []error {
	var errs []error
	t := string(item.Type)
	for _, name := range slices.Sorted(maps.Keys(item.Min)) {
		errs = appendErr(errs, checkMin(t, name, item.Min[name], requests, limits))
	}
	for _, name := range slices.Sorted(maps.Keys(item.Max)) {
		errs = appendErr(errs, checkMax(t, name, item.Max[name], requests, limits))
	}
	for _, name := range slices.Sorted(maps.Keys(item.MaxLimitRequestRatio)) {
		errs = appendErr(errs, checkRatio(t, name, item.MaxLimitRequestRatio[name], requests, limits))
	}
	return errs
}

func appendErr(errs []error, err error) []error {
	if err != nil {
		return append(errs, err)
	}
	return errs
}

// validateClaimLimits checks a claim's storage requests against lr's
// PersistentVolumeClaim items; on update a request the stored claim old
// already holds is not checked again.
func validateClaimLimits(lr *corev1.LimitRange, claim, old *corev1.PersistentVolumeClaim) error {
	var errs []error
	requests := claim.Spec.Resources.Requests
	var oldRequests corev1.ResourceList
	if old != nil {
		oldRequests = old.Spec.Resources.Requests
	}
	unchanged := func(name corev1.ResourceName) bool {
		q, ok := requests[name]
		o, oldOK := oldRequests[name]
		return ok && oldOK && q.Cmp(o) == 0
	}
	for _, item := range lr.Spec.Limits {
		if item.Type != corev1.LimitTypePersistentVolumeClaim {
			continue
		}
		t := string(item.Type)
		for _, name := range slices.Sorted(maps.Keys(item.Min)) {
			if !unchanged(name) {
				errs = appendErr(errs, checkMin(t, name, item.Min[name], requests, nil))
			}
		}
		for _, name := range slices.Sorted(maps.Keys(item.Max)) {
			if unchanged(name) {
				continue
			}
			enforced := item.Max[name]
			req, ok := requests[name]
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("maximum %s usage per %s is %s.  No request is specified", name, t, enforced.String()))
			case req.Cmp(enforced) > 0:
				errs = append(errs, fmt.Errorf("maximum %s usage per %s is %s, but request is %s", name, t, enforced.String(), req.String()))
			}
		}
	}
	return utilerrors.NewAggregate(errs)
}

func checkMin(t string, name corev1.ResourceName, enforced resource.Quantity, requests, limits corev1.ResourceList) error {
	req, hasReq := requests[name]
	lim, hasLim := limits[name]
	switch {
	case !hasReq:
		return fmt.Errorf("minimum %s usage per %s is %s.  No request is specified", name, t, enforced.String())
	case enforced.Cmp(req) > 0:
		return fmt.Errorf("minimum %s usage per %s is %s, but request is %s", name, t, enforced.String(), req.String())
	case hasLim && enforced.Cmp(lim) > 0:
		return fmt.Errorf("minimum %s usage per %s is %s, but limit is %s", name, t, enforced.String(), lim.String())
	}
	return nil
}

func checkMax(t string, name corev1.ResourceName, enforced resource.Quantity, requests, limits corev1.ResourceList) error {
	req, hasReq := requests[name]
	lim, hasLim := limits[name]
	switch {
	case !hasLim:
		return fmt.Errorf("maximum %s usage per %s is %s.  No limit is specified", name, t, enforced.String())
	case lim.Cmp(enforced) > 0:
		return fmt.Errorf("maximum %s usage per %s is %s, but limit is %s", name, t, enforced.String(), lim.String())
	case hasReq && req.Cmp(enforced) > 0:
		return fmt.Errorf("maximum %s usage per %s is %s, but request is %s", name, t, enforced.String(), req.String())
	}
	return nil
}

func checkRatio(t string, name corev1.ResourceName, enforced resource.Quantity, requests, limits corev1.ResourceList) error {
	req, hasReq := requests[name]
	lim, hasLim := limits[name]
	if !hasReq || req.Sign() == 0 {
		return fmt.Errorf("%s max limit to request ratio per %s is %s, but no request is specified or request is 0", name, t, enforced.String())
	}
	if !hasLim || lim.Sign() == 0 {
		return fmt.Errorf("%s max limit to request ratio per %s is %s, but no limit is specified or limit is 0", name, t, enforced.String())
	}
	// Compared in thousandths where nothing overflows, as upstream.
	reqV, limV := req.Value(), lim.Value()
	if reqV <= resource.MaxMilliValue && limV <= resource.MaxMilliValue && enforced.Value() <= resource.MaxMilliValue {
		reqV, limV = req.MilliValue(), lim.MilliValue()
	}
	ratio := float64(limV) / float64(reqV)
	observed, allowed := ratio, float64(enforced.Value())
	if enforced.Value() <= resource.MaxMilliValue {
		observed, allowed = ratio*1000, float64(enforced.MilliValue())
	}
	if observed > allowed {
		return fmt.Errorf("%s max limit to request ratio per %s is %s, but provided ratio is %f", name, t, enforced.String(), ratio)
	}
	return nil
}

// podTotals is what the pod as a whole asks for of each resource (its
// limits, or its requests), as upstream's PodRequests and PodLimits compute
// it from the spec: the sum of the containers and sidecars, or more if an
// init container (with the sidecars started before it) needs more;
// pod-level cpu and memory, if set, replace the containers' sums.
func podTotals(pod *corev1.Pod, limits bool) corev1.ResourceList {
	of := func(c *corev1.Container) corev1.ResourceList {
		if limits {
			return c.Resources.Limits
		}
		return c.Resources.Requests
	}
	total := corev1.ResourceList{}
	for i := range pod.Spec.Containers {
		addResources(total, of(&pod.Spec.Containers[i]))
	}
	sidecars, initMax := corev1.ResourceList{}, corev1.ResourceList{}
	for i := range pod.Spec.InitContainers {
		c := &pod.Spec.InitContainers[i]
		need := corev1.ResourceList{}
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			addResources(total, of(c))
			addResources(sidecars, of(c))
			addResources(need, sidecars)
		} else {
			addResources(need, of(c))
			addResources(need, sidecars)
		}
		maxResources(initMax, need)
	}
	maxResources(total, initMax)
	if r := pod.Spec.Resources; r != nil {
		level := r.Requests
		if limits {
			level = r.Limits
		}
		for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if q, ok := level[name]; ok {
				total[name] = q.DeepCopy()
			}
		}
	}
	return total
}

func addResources(list, add corev1.ResourceList) {
	for name, q := range add {
		if v, ok := list[name]; ok {
			v.Add(q)
			list[name] = v
		} else {
			list[name] = q.DeepCopy()
		}
	}
}

func maxResources(list, other corev1.ResourceList) {
	for name, q := range other {
		if v, ok := list[name]; !ok || q.Cmp(v) > 0 {
			list[name] = q.DeepCopy()
		}
	}
}
