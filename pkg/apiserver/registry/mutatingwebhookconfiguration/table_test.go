package mutatingwebhookconfiguration

import (
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func TestTable(t *testing.T) {
	t.Parallel()
	empty := &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "empty", CreationTimestamp: tablestest.Ago(40 * time.Second)}}
	two := &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "sidecar-injector", CreationTimestamp: tablestest.Ago(3 * 24 * time.Hour)},
		Webhooks:   []admissionregistrationv1.MutatingWebhook{{Name: "pods.sidecar.example.com"}, {Name: "jobs.sidecar.example.com"}},
	}
	tablestest.Golden{Name: "mutatingwebhookconfigurations", Table: table}.Check(t, []tablestest.Case{
		{Name: "no webhooks", Obj: empty},
		{Name: "two webhooks", Obj: two},
		{Name: "list", Obj: &admissionregistrationv1.MutatingWebhookConfigurationList{ListMeta: metav1.ListMeta{ResourceVersion: "5"}, Items: []admissionregistrationv1.MutatingWebhookConfiguration{*empty, *two}}},
	})
}
