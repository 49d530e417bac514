package apiserver

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/client-go/informers"
	schedulinglisters "k8s.io/client-go/listers/scheduling/v1"
	"k8s.io/utils/ptr"
)

// podPriority is kube-apiserver's Priority admission plugin. A pod being
// created gets the value and preemption policy of the PriorityClass its
// spec.priorityClassName names, or of the global default class (whose name
// it then takes), or priority 0 and PreemptLowerPriority if there is none;
// a priority or policy the pod sets itself must agree. An update keeps
// the stored priority and policy. Of PriorityClasses it allows one
// globalDefault.
type podPriority struct {
	*admission.Handler
	classes schedulinglisters.PriorityClassLister
}

var (
	_ admission.MutationInterface   = (*podPriority)(nil)
	_ admission.ValidationInterface = (*podPriority)(nil)
)

// newPodPriority reads PriorityClasses through f, which the caller starts.
func newPodPriority(f informers.SharedInformerFactory) *podPriority {
	informer := f.Scheduling().V1().PriorityClasses()
	p := &podPriority{Handler: admission.NewHandler(admission.Create, admission.Update, admission.Delete), classes: informer.Lister()}
	p.SetReadyFunc(informer.Informer().HasSynced)
	return p
}

// Admit resolves a pod's priority.
func (p *podPriority) Admit(_ context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	op := a.GetOperation()
	if a.GetSubresource() != "" || a.GetResource().GroupResource() != corev1.Resource("pods") || (op != admission.Create && op != admission.Update) {
		return nil // a deletion has no pod to resolve
	}
	pod, ok := a.GetObject().(*corev1.Pod)
	if !ok {
		return apierrors.NewBadRequest("resource was marked with kind Pod but was unable to be converted")
	}
	switch a.GetOperation() {
	case admission.Update:
		old, ok := a.GetOldObject().(*corev1.Pod)
		if !ok {
			return apierrors.NewBadRequest("resource was marked with kind Pod but was unable to be converted")
		}
		if pod.Spec.Priority == nil {
			pod.Spec.Priority = old.Spec.Priority
		}
		if pod.Spec.PreemptionPolicy == nil {
			pod.Spec.PreemptionPolicy = old.Spec.PreemptionPolicy
		}
		return nil
	case admission.Create:
		return p.resolve(a, pod)
	}
	return nil
}

// resolve sets a new pod's priority and preemption policy from its class.
func (p *podPriority) resolve(a admission.Attributes, pod *corev1.Pod) error {
	var priority int32
	policy := ptr.To(corev1.PreemptLowerPriority)
	if pod.Spec.PriorityClassName == "" {
		def, err := p.defaultClass()
		if err != nil {
			return fmt.Errorf("failed to get default priority class: %v", err)
		}
		if def != nil {
			pod.Spec.PriorityClassName, priority, policy = def.Name, def.Value, def.PreemptionPolicy
		}
	} else {
		class, err := p.classes.Get(pod.Spec.PriorityClassName)
		if apierrors.IsNotFound(err) {
			return admission.NewForbidden(a, fmt.Errorf("no PriorityClass with name %v was found", pod.Spec.PriorityClassName))
		}
		if err != nil {
			return fmt.Errorf("failed to get PriorityClass with name %s: %v", pod.Spec.PriorityClassName, err)
		}
		priority, policy = class.Value, class.PreemptionPolicy
	}
	if pod.Spec.Priority != nil && *pod.Spec.Priority != priority {
		return admission.NewForbidden(a, fmt.Errorf("the integer value of priority (%d) must not be provided in pod spec; priority admission controller computed %d from the given PriorityClass name", *pod.Spec.Priority, priority))
	}
	pod.Spec.Priority = &priority
	if policy != nil {
		if pod.Spec.PreemptionPolicy != nil && *pod.Spec.PreemptionPolicy != *policy {
			return admission.NewForbidden(a, fmt.Errorf("the string value of PreemptionPolicy (%s) must not be provided in pod spec; priority admission controller computed %s from the given PriorityClass name", *pod.Spec.PreemptionPolicy, *policy))
		}
		pod.Spec.PreemptionPolicy = ptr.To(*policy)
	}
	return nil
}

// Validate allows a PriorityClass to be the global default only while no
// other one is.
func (p *podPriority) Validate(_ context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetSubresource() != "" || a.GetResource().GroupResource() != schedulingv1.Resource("priorityclasses") {
		return nil
	}
	if a.GetOperation() != admission.Create && a.GetOperation() != admission.Update {
		return nil
	}
	class, ok := a.GetObject().(*schedulingv1.PriorityClass)
	if !ok {
		return apierrors.NewBadRequest("resource was marked with kind PriorityClass but was unable to be converted")
	}
	if !class.GlobalDefault {
		return nil
	}
	def, err := p.defaultClass()
	if err != nil {
		return fmt.Errorf("failed to get default priority class: %v", err)
	}
	if def != nil && (a.GetOperation() == admission.Create || def.Name != class.Name) {
		return admission.NewForbidden(a, fmt.Errorf("PriorityClass %v is marked as default. Only one default can exist", def.Name))
	}
	return nil
}

// defaultClass is the global default class, the one of lowest value if a
// race made several; nil if there is none.
func (p *podPriority) defaultClass() (*schedulingv1.PriorityClass, error) {
	all, err := p.classes.List(labels.Everything())
	if err != nil {
		return nil, err
	}
	var def *schedulingv1.PriorityClass
	for _, c := range all {
		if c.GlobalDefault && (def == nil || c.Value < def.Value) {
			def = c
		}
	}
	return def, nil
}
