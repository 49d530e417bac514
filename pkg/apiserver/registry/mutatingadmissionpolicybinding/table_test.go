package mutatingadmissionpolicybinding

import (
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func TestTable(t *testing.T) {
	t.Parallel()
	meta := func(name string, age time.Duration) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, CreationTimestamp: tablestest.Ago(age)}
	}
	spec := func(ref *admissionregistrationv1.ParamRef) admissionregistrationv1.MutatingAdmissionPolicyBindingSpec {
		return admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{PolicyName: "add-labels", ParamRef: ref}
	}
	items := []binding{
		{ObjectMeta: meta("no-params", time.Minute), Spec: spec(nil)},
		{ObjectMeta: meta("named", time.Hour), Spec: spec(&admissionregistrationv1.ParamRef{Name: "limits", Namespace: "prod"})},
		{ObjectMeta: meta("any-namespace", 2*time.Hour), Spec: spec(&admissionregistrationv1.ParamRef{Name: "limits"})},
		{ObjectMeta: meta("selected", 3*time.Hour), Spec: spec(&admissionregistrationv1.ParamRef{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"tier": "prod"}}})},
	}
	cases := []tablestest.Case{}
	for i := range items {
		cases = append(cases, tablestest.Case{Name: items[i].Name, Obj: &items[i]})
	}
	cases = append(cases, tablestest.Case{Name: "list", Obj: &admissionregistrationv1.MutatingAdmissionPolicyBindingList{ListMeta: metav1.ListMeta{ResourceVersion: "4"}, Items: items}})
	tablestest.Golden{Name: "mutatingadmissionpolicybindings", Table: table}.Check(t, cases)
}
