// Package cronjob is kube-controller-manager's cronjob-controller, written
// over client-go: at each start time of a CronJob's spec.schedule (in
// spec.timeZone or the controller's zone) it creates a Job from
// spec.jobTemplate, named after the scheduled minute, within
// startingDeadlineSeconds, unless suspended, and as concurrencyPolicy
// allows (Allow, Forbid, or Replace the running Jobs); it keeps
// status.active, lastScheduleTime and lastSuccessfulTime, and deletes the
// finished Jobs beyond the history limits, oldest first, as upstream v1.37
// does. It is not the API's defaulting or validation of CronJobs
// (pkg/apiserver/registry/cronjob), nor the running of the Jobs, which is
// the job controller's (pkg/controller/job).
package cronjob
