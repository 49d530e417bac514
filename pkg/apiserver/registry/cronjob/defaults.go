package cronjob

import (
	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/job"
)

// setDefaults is batch/v1's SetObjectDefaults_CronJob: concurrent runs
// allowed, not suspended, three succeeded and one failed Job kept, and the
// jobTemplate's spec defaulted only as far as any job spec is
// (job.SetSpecDefaults). Its completions, parallelism and the rest stay
// unset: each Job made from it is defaulted when it is created.
func setDefaults(cj *batchv1.CronJob) {
	spec := &cj.Spec
	if spec.ConcurrencyPolicy == "" {
		spec.ConcurrencyPolicy = batchv1.AllowConcurrent
	}
	if spec.Suspend == nil {
		spec.Suspend = ptr.To(false)
	}
	if spec.SuccessfulJobsHistoryLimit == nil {
		spec.SuccessfulJobsHistoryLimit = ptr.To[int32](3)
	}
	if spec.FailedJobsHistoryLimit == nil {
		spec.FailedJobsHistoryLimit = ptr.To[int32](1)
	}
	job.SetSpecDefaults(&spec.JobTemplate.Spec)
}
