// Package app is the fakecluster command line: it turns flags into a checked
// configuration (Options → Complete → Validate → Run) and runs a cluster with
// it. It is not the cluster itself, which lives in pkg/cluster so that tests
// can start one without going through flags.
package app
