package podservices

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	coreinformers "k8s.io/client-go/informers/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/util/workqueue"
	endpointsliceutil "k8s.io/endpointslice/util"
)

// Handler is a pod informer's event handler that queues, batch after the
// change, the keys of the Services a pod is or was selected by, or, when
// only its labels changed, just those it joined or left (upstream's
// projection of pod updates, from k8s.io/endpointslice/util).
func Handler(services corelisters.ServiceLister, queue workqueue.TypedDelayingInterface[string], batch time.Duration) coreinformers.PodHandlerFuncs {
	changed := func(old, cur *corev1.Pod) {
		key := endpointsliceutil.GetPodUpdateProjectionKey(orNil(old), orNil(cur))
		keys, err := endpointsliceutil.GetServicesToUpdate(services, key)
		if err != nil {
			utilruntime.HandleError(fmt.Errorf("find services of a changed pod: %w", err))
			return
		}
		for svc := range keys {
			queue.AddAfter(svc, batch)
		}
	}
	return coreinformers.PodHandlerFuncs{
		AddFunc:    func(pod *corev1.Pod) { changed(nil, pod) },
		UpdateFunc: changed,
		// A deleted pod whose last state is unknown is a nil OptionalObj,
		// which the projection reports and skips, as it did its tombstone.
		DeleteFunc: func(d coreinformers.DeletedPod) { changed(d.OptionalObj, nil) },
	}
}

// orNil is pod as the projection takes it: an untyped nil for no pod, not a
// nil *Pod in an interface.
func orNil(pod *corev1.Pod) any {
	if pod == nil {
		return nil
	}
	return pod
}
