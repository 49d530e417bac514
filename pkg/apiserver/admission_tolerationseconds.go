package apiserver

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/utils/ptr"
)

// defaultTolerationSeconds is how long a pod stays bound to a node that is
// not ready or unreachable: kube-apiserver's
// --default-not-ready-toleration-seconds and
// --default-unreachable-toleration-seconds.
const defaultTolerationSeconds = 300

// tolerationSeconds is kube-apiserver's DefaultTolerationSeconds admission
// plugin: a pod that does not tolerate the not-ready or the unreachable
// NoExecute taint gets a toleration of it for defaultTolerationSeconds, so
// that the taint-eviction controller evicts it only after five minutes.
type tolerationSeconds struct {
	*admission.Handler
}

var _ admission.MutationInterface = (*tolerationSeconds)(nil)

func newDefaultTolerationSeconds() *tolerationSeconds {
	return &tolerationSeconds{Handler: admission.NewHandler(admission.Create, admission.Update)}
}

// Admit adds the tolerations a pod lacks.
func (p *tolerationSeconds) Admit(_ context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetResource().GroupResource() != corev1.Resource("pods") || a.GetSubresource() != "" {
		return nil
	}
	pod, ok := a.GetObject().(*corev1.Pod)
	if !ok {
		return apierrors.NewBadRequest(fmt.Sprintf("expected *api.Pod but got %T", a.GetObject()))
	}
	for _, key := range []string{corev1.TaintNodeNotReady, corev1.TaintNodeUnreachable} {
		if !toleratesNoExecute(pod.Spec.Tolerations, key) {
			pod.Spec.Tolerations = append(pod.Spec.Tolerations, corev1.Toleration{
				Key: key, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute,
				TolerationSeconds: ptr.To[int64](defaultTolerationSeconds),
			})
		}
	}
	return nil
}

// toleratesNoExecute reports whether tolerations already cover the
// NoExecute taint key: a toleration of that key or of every key, for
// NoExecute or every effect.
func toleratesNoExecute(tolerations []corev1.Toleration, key string) bool {
	for _, t := range tolerations {
		if (t.Key == key || t.Key == "") && (t.Effect == corev1.TaintEffectNoExecute || t.Effect == "") {
			return true
		}
	}
	return false
}
