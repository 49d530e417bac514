package mutatingwebhookconfiguration

import (
	"context"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/admissionregistration"
)

// definition is the mutatingwebhookconfigurations resource as
// kube-apiserver serves it: cluster-scoped, in category api-extensions,
// its generation counting changes of the webhooks.
func definition() resource.Definition {
	return resource.Define[admissionregistrationv1.MutatingWebhookConfiguration, admissionregistrationv1.MutatingWebhookConfigurationList](resource.Definition{
		Resource:   admissionregistrationv1.SchemeGroupVersion.WithResource("mutatingwebhookconfigurations"),
		Categories: []string{"api-extensions"},
		Table:      table,
		Spec: func(obj runtime.Object) any {
			return obj.(*admissionregistrationv1.MutatingWebhookConfiguration).Webhooks
		},
		Defaults: func(obj runtime.Object) {
			admissionregistration.DefaultWebhooks(admissionregistration.MutatingWebhooks(obj.(*admissionregistrationv1.MutatingWebhookConfiguration).Webhooks))
		},
		Validate: func(_ context.Context, obj runtime.Object) field.ErrorList {
			c := obj.(*admissionregistrationv1.MutatingWebhookConfiguration)
			return admissionregistration.ValidateWebhooks(admissionregistration.MutatingWebhooks(c.Webhooks), admissionregistration.CreateOptions())
		},
		ValidateUpdate: func(_ context.Context, obj, old runtime.Object) field.ErrorList {
			hooks := admissionregistration.MutatingWebhooks(obj.(*admissionregistrationv1.MutatingWebhookConfiguration).Webhooks)
			oldHooks := admissionregistration.MutatingWebhooks(old.(*admissionregistrationv1.MutatingWebhookConfiguration).Webhooks)
			return admissionregistration.ValidateWebhooks(hooks, admissionregistration.UpdateOptions(hooks, oldHooks))
		},
	})
}
