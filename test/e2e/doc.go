// Package e2e drives the real fakecluster binary with a real kubectl and
// compares what kubectl prints with golden transcripts of what it prints
// against Kubernetes v1.37; it is not where fakecluster's packages are unit
// tested, which is beside their code.
//
// TestMain builds cmd/fakecluster and internal/kubectl (kubectl from the
// k8s.io/kubectl that go.mod pins, version-stamped as `make kubectl` does).
// TestKubectl starts one fakecluster per kubectl and runs each scenario's
// commands in order, each scenario in a namespace of its own. Every command,
// its stdout, stderr and exit code are recorded in testdata/<scenario>.golden
// as a shell-like transcript; what varies from run to run (ages, the port,
// UIDs, resourceVersions, timestamps, temporary paths) is replaced by
// <placeholders>. `go test ./test/e2e -update` rewrites the transcripts.
//
// A step where fakecluster is known to differ from Kubernetes keeps
// Kubernetes' output in the golden (by hand; -update leaves it alone) and is
// skipped, naming the difference, until it matches; then it fails, so that
// the marker is removed.
//
// A kubectl found on PATH runs the same scenarios as a second variant, to
// catch version skew; steps whose output differs between kubectl minors are
// checked there for their exit code only.
//
// `go test -short` skips everything that builds or runs binaries.
package e2e
