// Package ttlafterfinished is kube-controller-manager's
// ttl-after-finished-controller, written over client-go: a Job with
// spec.ttlSecondsAfterFinished is deleted, its pods with it (foreground
// propagation), that many seconds after its Complete or Failed condition
// became True, as upstream v1.37 does. It does not decide when a Job is
// finished; the job-controller (pkg/controller/job) does.
package ttlafterfinished
