package validatingadmissionpolicybinding

import (
	"context"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/admissionregistration"
)

type binding = admissionregistrationv1.ValidatingAdmissionPolicyBinding

// definition is the validatingadmissionpolicybindings resource as
// kube-apiserver serves it: cluster-scoped, in category api-extensions,
// its generation counting spec changes.
func definition() resource.Definition {
	return resource.Define[binding, admissionregistrationv1.ValidatingAdmissionPolicyBindingList](resource.Definition{
		Resource:   admissionregistrationv1.SchemeGroupVersion.WithResource("validatingadmissionpolicybindings"),
		Categories: []string{"api-extensions"},
		Table:      table,
		Spec:       func(obj runtime.Object) any { return obj.(*binding).Spec },
		Defaults: func(obj runtime.Object) {
			admissionregistration.DefaultMatchResources(obj.(*binding).Spec.MatchResources)
		},
		Validate: func(_ context.Context, obj runtime.Object) field.ErrorList {
			return validate(obj.(*binding))
		},
	})
}
