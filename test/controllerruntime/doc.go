// Package controllerruntime holds the test that a controller-runtime
// manager, as operator authors write them, runs against a fakecluster
// started in the test's process: the job fakecluster takes over from
// envtest. controller-runtime is a dependency of this test alone.
package controllerruntime
