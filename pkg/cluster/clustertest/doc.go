// Package clustertest starts a throw-away cluster for one Go test or
// benchmark. It is for tests only (it imports testing); programs use
// pkg/cluster directly.
package clustertest
