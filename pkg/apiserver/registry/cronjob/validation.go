package cronjob

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	// Time zones are looked up in the IANA database compiled into the
	// binary when the host has none, as kube-apiserver embeds it, so that
	// spec.timeZone is accepted or refused alike on every machine.
	_ "time/tzdata"

	"github.com/robfig/cron/v3"
	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/fieldcheck"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/job"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/workload"
)

// maxNameLength is how long a new CronJob's name may be: the cronjob
// controller names each Job it makes after the CronJob and an 11-character
// "-<scheduled time>" suffix, and a Job's name must fit in a DNS label.
const maxNameLength = validation.DNS1035LabelMaxLength - 11

// timeZoneComponent is what each "/"-separated part of an IANA time zone
// name may hold, by the database's naming rules (letters, '.', '-', '_',
// and the digits and '+' of legacy names, at most 14 characters), checked
// before the name reaches the file system through time.LoadLocation.
var timeZoneComponent = regexp.MustCompile(`^[A-Za-z.\-_0-9+]{1,14}$`)

// validate checks a new CronJob as ValidateCronJobCreate does; metadata is
// the resource package's.
func validate(cj *batchv1.CronJob) field.ErrorList {
	errs := validateSpec(&cj.Spec, nil, field.NewPath("spec"))
	if len(cj.Name) > maxNameLength {
		errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), cj.Name, fmt.Sprintf("must be no more than %d characters", maxNameLength)))
	}
	return errs
}

// validateUpdate is ValidateCronJobUpdate: the spec checked against the
// stored one, and no name limit, so that CronJobs created before it can
// still be updated and deleted.
func validateUpdate(cj, old *batchv1.CronJob) field.ErrorList {
	return validateSpec(&cj.Spec, &old.Spec, field.NewPath("spec"))
}

// validateSpec is validateCronJobSpec. old is the stored spec on update,
// nil on create: a schedule that already carried a TZ= prefix may keep it,
// and a time zone is looked up only when it is new or changed.
func validateSpec(spec, old *batchv1.CronJobSpec, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if spec.Schedule == "" {
		errs = append(errs, field.Required(fld.Child("schedule"), ""))
	} else {
		hadTZ := old != nil && strings.Contains(old.Schedule, "TZ")
		errs = append(errs, validateSchedule(spec.Schedule, hadTZ, spec.TimeZone, fld.Child("schedule"))...)
	}
	errs = append(errs, workload.ValidateNonnegativeIfSet(spec.StartingDeadlineSeconds, fld.Child("startingDeadlineSeconds"))...)
	if old == nil || !ptr.Equal(old.TimeZone, spec.TimeZone) {
		errs = append(errs, validateTimeZone(spec.TimeZone, fld.Child("timeZone"))...)
	}
	errs = append(errs, fieldcheck.Enum(spec.ConcurrencyPolicy, fld.Child("concurrencyPolicy"),
		batchv1.AllowConcurrent, batchv1.ForbidConcurrent, batchv1.ReplaceConcurrent)...)
	errs = append(errs, job.ValidateTemplate(&spec.JobTemplate, fld.Child("jobTemplate"))...)
	errs = append(errs, workload.ValidateNonnegativeIfSet(spec.SuccessfulJobsHistoryLimit, fld.Child("successfulJobsHistoryLimit"))...)
	return append(errs, workload.ValidateNonnegativeIfSet(spec.FailedJobsHistoryLimit, fld.Child("failedJobsHistoryLimit"))...)
}

// validateSchedule parses a schedule as the cronjob controller will:
// five fields or a descriptor such as @hourly (robfig/cron's
// ParseStandard, whose error is the message). The time zone belongs in
// spec.timeZone; a TZ= or CRON_TZ= prefix, which the parser would also
// accept, is refused unless the stored schedule had one already (CronJobs
// from before spec.timeZone), and even then not beside a timeZone.
func validateSchedule(schedule string, hadTZ bool, timeZone *string, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if _, err := cron.ParseStandard(schedule); err != nil {
		errs = append(errs, field.Invalid(fld, schedule, err.Error()))
	}
	switch hasTZ := strings.Contains(schedule, "TZ"); {
	case hasTZ && !hadTZ:
		errs = append(errs, field.Invalid(fld, schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
	case hasTZ && timeZone != nil:
		errs = append(errs, field.Invalid(fld, schedule, "cannot use both timeZone field and TZ or CRON_TZ in schedule"))
	}
	return errs
}

// validateTimeZone checks an explicit IANA time zone name that this
// binary's time package can load; "Local", the API server's own zone, is
// not one. nil means the controller's local zone.
func validateTimeZone(tz *string, fld *field.Path) field.ErrorList {
	switch {
	case tz == nil:
		return nil
	case *tz == "":
		return field.ErrorList{field.Invalid(fld, *tz, "timeZone must be nil or non-empty string")}
	}
	for _, part := range strings.Split(*tz, "/") {
		if part == "." || part == ".." || strings.HasPrefix(part, "-") || !timeZoneComponent.MatchString(part) {
			return field.ErrorList{field.Invalid(fld, *tz, "unknown time zone "+*tz)}
		}
	}
	var errs field.ErrorList
	if strings.EqualFold(*tz, "Local") {
		errs = append(errs, field.Invalid(fld, *tz, "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"))
	}
	if _, err := time.LoadLocation(*tz); err != nil {
		errs = append(errs, field.Invalid(fld, *tz, err.Error()))
	}
	return errs
}
