// Package cronjob serves batch/v1 CronJobs with their status subresource,
// upstream's defaults, validation (schedules parsed as kube-apiserver parses
// them, time zones looked up in the IANA database) and table. It does not
// create their Jobs on schedule; that is a controller's job.
package cronjob
