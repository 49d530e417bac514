// Command fakecluster runs a small Kubernetes cluster on this machine, in one
// process, until it is interrupted. It only reads the command line and
// signals; everything else is in package app and pkg/cluster.
package main
