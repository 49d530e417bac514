package apiserver

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apiserver/pkg/admission"
)

// taintNodesByCondition is kube-apiserver's TaintNodesByCondition admission
// plugin: every Node is created with the not-ready NoSchedule taint, so
// that nothing is scheduled onto it before the node lifecycle controller
// has seen its conditions (and removes the taint once the Node is ready).
// Only creation is touched: a taint removed later stays removed.
type taintNodesByCondition struct {
	*admission.Handler
}

var _ admission.MutationInterface = (*taintNodesByCondition)(nil)

func newTaintNodesByCondition() *taintNodesByCondition {
	return &taintNodesByCondition{Handler: admission.NewHandler(admission.Create)}
}

// Admit adds the not-ready NoSchedule taint to a Node being created,
// unless it has a taint of that key and effect already.
func (p *taintNodesByCondition) Admit(_ context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetOperation() != admission.Create || a.GetResource().GroupResource() != corev1.Resource("nodes") || a.GetSubresource() != "" {
		return nil
	}
	node, ok := a.GetObject().(*corev1.Node)
	if !ok {
		return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetObject()))
	}
	taint := corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoSchedule}
	for i := range node.Spec.Taints {
		if node.Spec.Taints[i].MatchTaint(&taint) {
			return nil
		}
	}
	node.Spec.Taints = append(node.Spec.Taints, taint)
	return nil
}
