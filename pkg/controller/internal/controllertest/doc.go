// Package controllertest runs a controller under test against a real
// cluster (pkg/cluster/clustertest) that runs every controller but that
// one, so that the two do not race, and holds the Service fixture the
// endpoint controllers' tests share. It is for the tests of pkg/controller's
// packages only (it imports testing), not for programs, and not for
// polling, clients or REST configs: clustertest has those.
package controllertest
