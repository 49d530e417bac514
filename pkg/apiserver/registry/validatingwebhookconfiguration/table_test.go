package validatingwebhookconfiguration

import (
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func TestTable(t *testing.T) {
	t.Parallel()
	empty := &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "empty", CreationTimestamp: tablestest.Ago(40 * time.Second)}}
	two := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "policy-agent", CreationTimestamp: tablestest.Ago(3 * 24 * time.Hour)},
		Webhooks:   []admissionregistrationv1.ValidatingWebhook{{Name: "pods.policy.example.com"}, {Name: "services.policy.example.com"}},
	}
	tablestest.Golden{Name: "validatingwebhookconfigurations", Table: table}.Check(t, []tablestest.Case{
		{Name: "no webhooks", Obj: empty},
		{Name: "two webhooks", Obj: two},
		{Name: "list", Obj: &admissionregistrationv1.ValidatingWebhookConfigurationList{ListMeta: metav1.ListMeta{ResourceVersion: "5"}, Items: []admissionregistrationv1.ValidatingWebhookConfiguration{*empty, *two}}},
	})
}
