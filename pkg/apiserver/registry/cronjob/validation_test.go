package cronjob

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// hello is the CronJob a client sends, changed by edit, then defaulted.
func hello(edit func(*batchv1.CronJob)) *batchv1.CronJob {
	cj := &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "hello", Namespace: "default"},
		Spec: batchv1.CronJobSpec{
			Schedule: "*/5 * * * *",
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyOnFailure,
				Containers:    []corev1.Container{{Name: "hello", Image: "busybox"}},
			}}}},
		},
	}
	if edit != nil {
		edit(cj)
	}
	setDefaults(cj)
	return cj
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	cj := hello(nil)
	s := &cj.Spec
	if s.ConcurrencyPolicy != batchv1.AllowConcurrent || *s.Suspend || *s.SuccessfulJobsHistoryLimit != 3 || *s.FailedJobsHistoryLimit != 1 {
		t.Errorf("spec defaults: %+v", s)
	}
	if s.StartingDeadlineSeconds != nil || s.TimeZone != nil {
		t.Errorf("startingDeadlineSeconds and timeZone have no defaults: %+v", s)
	}
	js := &s.JobTemplate.Spec
	if js.Completions != nil || js.Parallelism != nil || js.BackoffLimit != nil || js.Suspend != nil || js.ManualSelector != nil || js.CompletionMode != nil {
		t.Errorf("the jobTemplate's spec is left for its Jobs' defaults: %+v", js)
	}
	if js.Template.Spec.DNSPolicy != corev1.DNSClusterFirst || js.Template.Spec.Containers[0].ImagePullPolicy != corev1.PullAlways {
		t.Errorf("the jobTemplate's pod spec is defaulted as a Pod's: %+v", js.Template.Spec)
	}

	kept := hello(func(cj *batchv1.CronJob) {
		cj.Spec.ConcurrencyPolicy = batchv1.ForbidConcurrent
		cj.Spec.Suspend = ptr.To(true)
		cj.Spec.SuccessfulJobsHistoryLimit = ptr.To[int32](0)
		cj.Spec.FailedJobsHistoryLimit = ptr.To[int32](0)
		cj.Spec.JobTemplate.Spec.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
			Action:          batchv1.PodFailurePolicyActionIgnore,
			OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget}},
		}}}
	})
	if s := &kept.Spec; s.ConcurrencyPolicy != batchv1.ForbidConcurrent || !*s.Suspend || *s.SuccessfulJobsHistoryLimit != 0 || *s.FailedJobsHistoryLimit != 0 {
		t.Errorf("values set are kept: %+v", s)
	}
	if st := kept.Spec.JobTemplate.Spec.PodFailurePolicy.Rules[0].OnPodConditions[0].Status; st != corev1.ConditionTrue {
		t.Errorf("pod failure policy pattern status = %q, want True", st)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cj   *batchv1.CronJob
		want []string // "path: type: detail" of each error, in order
	}{
		{"defaulted", hello(nil), nil},
		{"descriptor", hello(func(cj *batchv1.CronJob) { cj.Spec.Schedule = "@hourly" }), nil},
		{"time zone", hello(func(cj *batchv1.CronJob) { cj.Spec.TimeZone = ptr.To("Europe/Paris") }), nil},
		{"UTC, legacy name", hello(func(cj *batchv1.CronJob) { cj.Spec.TimeZone = ptr.To("Etc/GMT+5") }), nil},
		{"no schedule", hello(func(cj *batchv1.CronJob) { cj.Spec.Schedule = "" }), []string{`spec.schedule: Required value: `}},
		{"minute out of range", hello(func(cj *batchv1.CronJob) { cj.Spec.Schedule = "61 * * * *" }),
			[]string{`spec.schedule: Invalid value: end of range (61) above maximum (59): 61`}},
		{"too few fields", hello(func(cj *batchv1.CronJob) { cj.Spec.Schedule = "every day" }),
			[]string{`spec.schedule: Invalid value: expected exactly 5 fields, found 2: [every day]`}},
		{"unknown descriptor", hello(func(cj *batchv1.CronJob) { cj.Spec.Schedule = "@fortnightly" }),
			[]string{`spec.schedule: Invalid value: unrecognized descriptor: @fortnightly`}},
		{"CRON_TZ in the schedule", hello(func(cj *batchv1.CronJob) { cj.Spec.Schedule = "CRON_TZ=UTC 0 * * * *" }),
			[]string{`spec.schedule: Invalid value: cannot use TZ or CRON_TZ in schedule, use timeZone field instead`}},
		{"TZ in the schedule", hello(func(cj *batchv1.CronJob) { cj.Spec.Schedule = "TZ=Europe/Paris 0 3 * * *" }),
			[]string{`spec.schedule: Invalid value: cannot use TZ or CRON_TZ in schedule, use timeZone field instead`}},
		{"unknown time zone", hello(func(cj *batchv1.CronJob) { cj.Spec.TimeZone = ptr.To("Europe/Pariss") }),
			[]string{`spec.timeZone: Invalid value: unknown time zone Europe/Pariss`}},
		{"time zone that is a path", hello(func(cj *batchv1.CronJob) { cj.Spec.TimeZone = ptr.To("../etc/passwd") }),
			[]string{`spec.timeZone: Invalid value: unknown time zone ../etc/passwd`}},
		{"time zone with a space", hello(func(cj *batchv1.CronJob) { cj.Spec.TimeZone = ptr.To("America/New York") }),
			[]string{`spec.timeZone: Invalid value: unknown time zone America/New York`}},
		{"Local", hello(func(cj *batchv1.CronJob) { cj.Spec.TimeZone = ptr.To("Local") }),
			[]string{`spec.timeZone: Invalid value: timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones`}},
		{"empty time zone", hello(func(cj *batchv1.CronJob) { cj.Spec.TimeZone = ptr.To("") }),
			[]string{`spec.timeZone: Invalid value: timeZone must be nil or non-empty string`}},
		{"unknown concurrency policy", hello(func(cj *batchv1.CronJob) { cj.Spec.ConcurrencyPolicy = "Sometimes" }),
			[]string{`spec.concurrencyPolicy: Unsupported value: supported values: "Allow", "Forbid", "Replace"`}},
		{"negative counts", hello(func(cj *batchv1.CronJob) {
			cj.Spec.StartingDeadlineSeconds = ptr.To[int64](-1)
			cj.Spec.SuccessfulJobsHistoryLimit = ptr.To[int32](-1)
			cj.Spec.FailedJobsHistoryLimit = ptr.To[int32](-1)
		}), []string{
			`spec.startingDeadlineSeconds: Invalid value: must be greater than or equal to 0`,
			`spec.successfulJobsHistoryLimit: Invalid value: must be greater than or equal to 0`,
			`spec.failedJobsHistoryLimit: Invalid value: must be greater than or equal to 0`,
		}},
		{"name of 52 characters", hello(func(cj *batchv1.CronJob) { cj.Name = strings.Repeat("a", 52) }), nil},
		{"name of 53 characters", hello(func(cj *batchv1.CronJob) { cj.Name = strings.Repeat("a", 53) }),
			[]string{`metadata.name: Invalid value: must be no more than 52 characters`}},
		{"job template", hello(func(cj *batchv1.CronJob) {
			js := &cj.Spec.JobTemplate.Spec
			js.Template.Spec.RestartPolicy = corev1.RestartPolicyAlways
			js.Parallelism = ptr.To[int32](-1)
			js.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "hello"}}
			js.ManualSelector = ptr.To(true)
		}), []string{
			`spec.jobTemplate.spec.parallelism: Invalid value: must be greater than or equal to 0`,
			`spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"`,
			"spec.jobTemplate.spec.selector: Invalid value: `selector` will be auto-generated",
			`spec.jobTemplate.spec.manualSelector: Unsupported value: supported values: "nil", "false"`,
		}},
		{"Indexed job template without completions", hello(func(cj *batchv1.CronJob) {
			cj.Spec.JobTemplate.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
		}), []string{`spec.jobTemplate.spec.completions: Required value: when completion mode is Indexed`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkErrors(t, validate(tc.cj), tc.want)
		})
	}
}

func TestValidateUpdate(t *testing.T) {
	t.Parallel()
	legacy := hello(func(cj *batchv1.CronJob) { cj.Spec.Schedule = "TZ=UTC 0 * * * *" })
	tooLong := hello(func(cj *batchv1.CronJob) { cj.Name = strings.Repeat("a", 60) })
	// A time zone the stored object already has is not looked up again:
	// one that a newer API server's database dropped stays updatable.
	storedZone := hello(func(cj *batchv1.CronJob) { cj.Spec.TimeZone = ptr.To("Mars/Olympus_Mons") })
	for _, tc := range []struct {
		name string
		old  *batchv1.CronJob
		edit func(*batchv1.CronJob)
		want []string
	}{
		{"schedule and suspension change", hello(nil), func(cj *batchv1.CronJob) {
			cj.Spec.Schedule = "0 0 * * *"
			cj.Spec.Suspend = ptr.To(true)
		}, nil},
		{"TZ added", hello(nil), func(cj *batchv1.CronJob) { cj.Spec.Schedule = "TZ=UTC 0 * * * *" },
			[]string{`spec.schedule: Invalid value: cannot use TZ or CRON_TZ in schedule, use timeZone field instead`}},
		{"TZ kept", legacy, func(cj *batchv1.CronJob) { cj.Spec.Suspend = ptr.To(true) }, nil},
		{"TZ changed", legacy, func(cj *batchv1.CronJob) { cj.Spec.Schedule = "CRON_TZ=Europe/Paris 0 * * * *" }, nil},
		{"TZ removed", legacy, func(cj *batchv1.CronJob) { cj.Spec.Schedule = "0 * * * *" }, nil},
		{"TZ kept beside a new timeZone", legacy, func(cj *batchv1.CronJob) { cj.Spec.TimeZone = ptr.To("UTC") },
			[]string{`spec.schedule: Invalid value: cannot use both timeZone field and TZ or CRON_TZ in schedule`}},
		{"long name kept", tooLong, func(cj *batchv1.CronJob) { cj.Spec.Suspend = ptr.To(true) }, nil},
		{"stored time zone kept", storedZone, func(cj *batchv1.CronJob) { cj.Spec.Suspend = ptr.To(true) }, nil},
		{"time zone changed to an unknown one", hello(nil), func(cj *batchv1.CronJob) { cj.Spec.TimeZone = ptr.To("Mars/Olympus_Mons") },
			[]string{`spec.timeZone: Invalid value: unknown time zone Mars/Olympus_Mons`}},
		{"job template changes", hello(nil), func(cj *batchv1.CronJob) {
			cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Image = "busybox:1.37"
			cj.Spec.JobTemplate.Spec.Completions = ptr.To[int32](3)
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			updated := tc.old.DeepCopy()
			tc.edit(updated)
			checkErrors(t, validateUpdate(updated, tc.old), tc.want)
		})
	}
}

// checkErrors compares errs with want, each "path: type: detail".
func checkErrors(t *testing.T, errs field.ErrorList, want []string) {
	t.Helper()
	got := make([]string, len(errs))
	for i, err := range errs {
		got[i] = fmt.Sprintf("%s: %s: %s", err.Field, err.Type, err.Detail)
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}
