// Package event is the registry of Events in both APIs that serve them,
// core/v1 and events.k8s.io/v1: fakecluster's
// k8s.io/kubernetes/pkg/registry/core/event, which upstream's
// k8s.io/kubernetes/pkg/registry/events reuses. Both store core/v1 Events
// under /registry/events, converted on the way in and out, so each API sees
// what the other writes.
package event
