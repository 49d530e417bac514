package event

import "github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"

// NewStorage returns the storage of core/v1 events.
func NewStorage(opts resource.Options) (*resource.Storage, error) {
	return resource.NewStorage(definition(), opts)
}

// NewEventsV1Storage returns the storage of events.k8s.io/v1 events, the
// same objects as NewStorage's.
func NewEventsV1Storage(opts resource.Options) (*resource.Storage, error) {
	return resource.NewStorage(eventsV1Definition(), opts)
}
