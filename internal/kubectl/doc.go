// Command kubectl is the real kubectl, built from k8s.io/kubectl at the
// version go.mod pins, so end-to-end tests drive fakecluster with exactly the
// client a user of Kubernetes v1.37 has. It is a test tool, not part of the
// fakecluster binary. Build it with `make kubectl`, which stamps the version
// `kubectl version` prints.
package main
