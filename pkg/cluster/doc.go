// Package cluster starts and stops one fakecluster: it is the composition root
// that wires storage and serving together, and the Go harness that
// cmd/fakecluster and tests both use. It is not where any component's logic
// lives; each part keeps its own package and this one only connects them.
//
// For now a cluster is a bbolt database in its data dir, the Kubernetes API
// server over it and the namespace controller, which reaches the API server
// through client-go like any other client. The other controllers and the
// kubelets are wired in here as later releases add them.
//
// Every Cluster is independent (its own data dir, port, storage and logger),
// so one process, such as a test binary, can run several at once.
package cluster
