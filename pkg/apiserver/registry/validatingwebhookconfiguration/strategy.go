package validatingwebhookconfiguration

import (
	"context"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/admissionregistration"
)

// definition is the validatingwebhookconfigurations resource as
// kube-apiserver serves it: cluster-scoped, in category api-extensions,
// its generation counting changes of the webhooks.
func definition() resource.Definition {
	return resource.Define[admissionregistrationv1.ValidatingWebhookConfiguration, admissionregistrationv1.ValidatingWebhookConfigurationList](resource.Definition{
		Resource:   admissionregistrationv1.SchemeGroupVersion.WithResource("validatingwebhookconfigurations"),
		Categories: []string{"api-extensions"},
		Table:      table,
		Spec: func(obj runtime.Object) any {
			return obj.(*admissionregistrationv1.ValidatingWebhookConfiguration).Webhooks
		},
		Defaults: func(obj runtime.Object) {
			admissionregistration.DefaultWebhooks(admissionregistration.ValidatingWebhooks(obj.(*admissionregistrationv1.ValidatingWebhookConfiguration).Webhooks))
		},
		Validate: func(_ context.Context, obj runtime.Object) field.ErrorList {
			c := obj.(*admissionregistrationv1.ValidatingWebhookConfiguration)
			return admissionregistration.ValidateWebhooks(admissionregistration.ValidatingWebhooks(c.Webhooks), admissionregistration.CreateOptions())
		},
		ValidateUpdate: func(_ context.Context, obj, old runtime.Object) field.ErrorList {
			hooks := admissionregistration.ValidatingWebhooks(obj.(*admissionregistrationv1.ValidatingWebhookConfiguration).Webhooks)
			oldHooks := admissionregistration.ValidatingWebhooks(old.(*admissionregistrationv1.ValidatingWebhookConfiguration).Webhooks)
			return admissionregistration.ValidateWebhooks(hooks, admissionregistration.UpdateOptions(hooks, oldHooks))
		},
	})
}
