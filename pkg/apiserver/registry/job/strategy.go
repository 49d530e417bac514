package job

import (
	"context"
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// definition is the jobs resource as kube-apiserver serves it: namespaced,
// no short name, in the all category, a generation that counts spec
// changes, status, a selector the server generates on create, and the
// status.successful field selector.
func definition() resource.Definition {
	return resource.Define[batchv1.Job, batchv1.JobList](resource.Definition{
		Resource:   batchv1.SchemeGroupVersion.WithResource("jobs"),
		Namespaced: true,
		Categories: []string{"all"},
		Table:      table,
		Status: resource.NewStatusSplit(batchv1.SchemeGroupVersion.String(),
			func(j *batchv1.Job) *batchv1.JobStatus { return &j.Status },
			func(to, from *batchv1.Job) { to.Spec = from.Spec }, true),
		Spec:     func(obj runtime.Object) any { return obj.(*batchv1.Job).Spec },
		Defaults: func(obj runtime.Object) { setDefaults(obj.(*batchv1.Job)) },
		PrepareForCreate: func(_ context.Context, obj runtime.Object) {
			// The generic store has filled metadata.uid by now (it does so
			// before BeginCreate and the strategy), so the generated
			// selector names the Job's own uid.
			if j := obj.(*batchv1.Job); !ptr.Deref(j.Spec.ManualSelector, false) {
				generateSelector(j)
			}
		},
		Validate: func(_ context.Context, obj runtime.Object) field.ErrorList {
			return validate(obj.(*batchv1.Job))
		},
		ValidateUpdate: func(_ context.Context, obj, old runtime.Object) field.ErrorList {
			return validateUpdate(obj.(*batchv1.Job), old.(*batchv1.Job))
		},
		Fields: func(obj runtime.Object) fields.Set {
			return fields.Set{"status.successful": strconv.Itoa(int(obj.(*batchv1.Job).Status.Succeeded))}
		},
		FieldLabels: []string{"status.successful"},
	})
}
