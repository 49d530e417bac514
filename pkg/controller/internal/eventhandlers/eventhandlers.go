package eventhandlers

import (
	"fmt"

	"k8s.io/client-go/tools/cache"
)

// Handler is one typed event handler for one informer, made by For.
type Handler struct {
	what string
	add  func() (cache.ResourceEventHandlerRegistration, error)
}

// For is handler for informer's events; what names the informer's objects
// in Add's error ("pod"). The informer casts each object to T and unwraps
// tombstones into a cache.DeletedObject[T], so that handler does neither.
func For[T cache.Object](what string, informer cache.TypedSharedIndexInformer[T], handler cache.TypedResourceEventHandler[T]) Handler {
	return Handler{what: what, add: func() (cache.ResourceEventHandlerRegistration, error) {
		return informer.AddTypedEventHandler(handler)
	}}
}

// Add adds each handler to its informer, in order, and returns each
// registration's HasSynced, so that workers start only once every handler
// has seen its informer's initial list. It stops at the first handler that
// cannot be added (its informer has stopped) and returns why, naming it.
func Add(handlers ...Handler) ([]cache.InformerSynced, error) {
	synced := make([]cache.InformerSynced, 0, len(handlers))
	for _, h := range handlers {
		reg, err := h.add()
		if err != nil {
			return nil, fmt.Errorf("add %s event handler: %w", h.what, err)
		}
		synced = append(synced, reg.HasSynced)
	}
	return synced, nil
}
