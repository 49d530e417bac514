// Package triggers remembers, per Service, the trigger time of endpoint
// changes whose write failed, so that the retry still reports them in the
// endpoints.kubernetes.io/last-change-trigger-time annotation; it is not
// the tracker that computes trigger times (k8s.io/endpointslice/util has
// that).
package triggers
