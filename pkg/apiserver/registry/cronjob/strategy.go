package cronjob

import (
	"context"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// definition is the cronjobs resource as kube-apiserver serves it:
// namespaced, short name cj, in the all category, a generation that counts
// spec changes, and status.
func definition() resource.Definition {
	return resource.Define[batchv1.CronJob, batchv1.CronJobList](resource.Definition{
		Resource:   batchv1.SchemeGroupVersion.WithResource("cronjobs"),
		Namespaced: true,
		ShortNames: []string{"cj"},
		Categories: []string{"all"},
		Table:      table,
		Status: resource.NewStatusSplit(batchv1.SchemeGroupVersion.String(),
			func(cj *batchv1.CronJob) *batchv1.CronJobStatus { return &cj.Status },
			func(to, from *batchv1.CronJob) { to.Spec = from.Spec }, true),
		Spec:     func(obj runtime.Object) any { return obj.(*batchv1.CronJob).Spec },
		Defaults: func(obj runtime.Object) { setDefaults(obj.(*batchv1.CronJob)) },
		Validate: func(_ context.Context, obj runtime.Object) field.ErrorList {
			return validate(obj.(*batchv1.CronJob))
		},
		ValidateUpdate: func(_ context.Context, obj, old runtime.Object) field.ErrorList {
			return validateUpdate(obj.(*batchv1.CronJob), old.(*batchv1.CronJob))
		},
	})
}
