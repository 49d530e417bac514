package workers

import (
	"fmt"

	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Handler is one informer event handler a controller adds in its New.
type Handler struct {
	// What names the informer's objects in the error ("pod").
	What     string
	Informer cache.SharedIndexInformer
	Handler  cache.ResourceEventHandler
}

// AddHandlers adds each handler to its informer and returns what Loop.Synced
// wants: each registration's HasSynced, so that workers start only once
// every handler has seen its informer's initial list. The error, if any, is
// what Loop.SetupErr takes.
func AddHandlers(handlers ...Handler) ([]cache.InformerSynced, error) {
	var synced []cache.InformerSynced
	for _, h := range handlers {
		reg, err := h.Informer.AddEventHandler(h.Handler)
		if err != nil {
			return nil, fmt.Errorf("add %s event handler: %w", h.What, err)
		}
		synced = append(synced, reg.HasSynced)
	}
	return synced, nil
}

// Enqueue adds obj's namespace/name key to queue, also for the tombstone a
// delete handler may get. An object without a key is reported, not queued.
func Enqueue(queue workqueue.TypedInterface[string], obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("couldn't get key for object %#v: %w", obj, err))
		return
	}
	queue.Add(key)
}
