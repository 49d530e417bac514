package job

import (
	"math"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/pod"
)

// setDefaults is batch/v1's SetObjectDefaults_Job: one completion at a
// parallelism of one when neither is set, six retries (no overall limit
// when retries are counted per index), NonIndexed completion, not
// suspended, pods replaced once terminating or failed (only once failed
// under a pod failure policy), no manual selector, and SetSpecDefaults.
//
// A Job without labels takes its template's, as upstream does: the very
// same map, so that the labels generateSelector adds to the template on
// create label the Job as well, as they do in kube-apiserver.
func setDefaults(j *batchv1.Job) {
	spec := &j.Spec
	if spec.Completions == nil && spec.Parallelism == nil {
		spec.Completions = ptr.To[int32](1)
	}
	if spec.Parallelism == nil {
		spec.Parallelism = ptr.To[int32](1)
	}
	if spec.BackoffLimit == nil {
		if spec.BackoffLimitPerIndex != nil {
			spec.BackoffLimit = ptr.To[int32](math.MaxInt32)
		} else {
			spec.BackoffLimit = ptr.To[int32](6)
		}
	}
	if spec.Template.Labels != nil && len(j.Labels) == 0 {
		j.Labels = spec.Template.Labels
	}
	if spec.CompletionMode == nil {
		spec.CompletionMode = ptr.To(batchv1.NonIndexedCompletion)
	}
	if spec.Suspend == nil {
		spec.Suspend = ptr.To(false)
	}
	if spec.PodReplacementPolicy == nil {
		if spec.PodFailurePolicy != nil {
			spec.PodReplacementPolicy = ptr.To(batchv1.Failed)
		} else {
			spec.PodReplacementPolicy = ptr.To(batchv1.TerminatingOrFailed)
		}
	}
	if spec.ManualSelector == nil {
		spec.ManualSelector = ptr.To(false)
	}
	SetSpecDefaults(spec)
}

// SetSpecDefaults is the part of a job spec's defaults that batch/v1 applies
// wherever the spec appears, in a Job and in a CronJob's jobTemplate alike
// (whose other fields stay unset until the Job is made): pod failure
// policy patterns match a condition whose status is True, and the pod
// template's spec gets a Pod's defaults.
func SetSpecDefaults(spec *batchv1.JobSpec) {
	if policy := spec.PodFailurePolicy; policy != nil {
		for i := range policy.Rules {
			for k := range policy.Rules[i].OnPodConditions {
				if p := &policy.Rules[i].OnPodConditions[k]; p.Status == "" {
					p.Status = corev1.ConditionTrue
				}
			}
		}
	}
	pod.SetSpecDefaults(&spec.Template.Spec)
}
