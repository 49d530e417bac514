// Package job is kube-controller-manager's job-controller, written over
// client-go: it runs each Job's pods to completion from its template
// (NonIndexed or Indexed, within parallelism and the completions left),
// counts finished pods through the batch.kubernetes.io/job-tracking
// finalizer and status.uncountedTerminatedPods, replaces failed pods after
// an exponential back-off (per index, with backoffLimitPerIndex and
// maxFailedIndexes, for an Indexed Job that has them), applies
// backoffLimit, podFailurePolicy, successPolicy, activeDeadlineSeconds and
// suspend, and finishes a Job with
// SuccessCriteriaMet or FailureTarget and then, once its pods are gone,
// Complete or Failed, as upstream v1.37 does. It is not the API's
// defaulting or validation of Jobs (pkg/apiserver/registry/job), nor the
// deletion of finished Jobs after ttlSecondsAfterFinished, upstream's
// ttl-after-finished-controller.
package job
