package validatingwebhookconfiguration

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of validating webhook
// configurations: NAME WEBHOOKS AGE, as upstream's printValidatingWebhook.
func table(t *tables.Convertors) tables.Convertor {
	return tables.NewNameAgeConvertor[*admissionregistrationv1.ValidatingWebhookConfigurationList](t, []metav1.TableColumnDefinition{
		{Name: "Webhooks", Type: "integer", Description: "How many webhooks the configuration registers."},
	}, func(c *admissionregistrationv1.ValidatingWebhookConfiguration) []any {
		return []any{int64(len(c.Webhooks))}
	})
}
