// Package podservices queues the Services a pod change concerns, for the
// controllers that keep Services' endpoints (Endpoints, EndpointSlices); it
// does not decide what a Service's endpoints are.
package podservices
