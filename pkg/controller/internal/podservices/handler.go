package podservices

import (
	"fmt"
	"time"

	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	endpointsliceutil "k8s.io/endpointslice/util"
)

// Handler is a pod informer's event handler that queues, batch after the
// change, the keys of the Services a pod is or was selected by, or, when
// only its labels changed, just those it joined or left (upstream's
// projection of pod updates, from k8s.io/endpointslice/util).
func Handler(services corelisters.ServiceLister, queue workqueue.TypedDelayingInterface[string], batch time.Duration) cache.ResourceEventHandlerFuncs {
	changed := func(old, cur any) {
		key := endpointsliceutil.GetPodUpdateProjectionKey(old, cur)
		keys, err := endpointsliceutil.GetServicesToUpdate(services, key)
		if err != nil {
			utilruntime.HandleError(fmt.Errorf("find services of a changed pod: %w", err))
			return
		}
		for svc := range keys {
			queue.AddAfter(svc, batch)
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { changed(nil, obj) },
		UpdateFunc: changed,
		DeleteFunc: func(obj any) { changed(obj, nil) },
	}
}
