// Package job serves batch/v1 Jobs with their status subresource,
// upstream's defaults, generated selector, validation and table. It does not
// run their pods; that is a controller's job. The CronJob registry reuses its
// job-spec defaults and checks for a CronJob's jobTemplate.
package job
