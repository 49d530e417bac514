package mutatingadmissionpolicy

import (
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func TestTable(t *testing.T) {
	t.Parallel()
	plain := newPolicy(nil)
	plain.CreationTimestamp = tablestest.Ago(5 * time.Minute)
	params := newPolicy(func(s *admissionregistrationv1.MutatingAdmissionPolicySpec) {
		s.ParamKind = &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"}
		s.Mutations = nil
	})
	params.Name, params.CreationTimestamp = "from-config", tablestest.Ago(26*time.Hour)
	tablestest.Golden{Name: "mutatingadmissionpolicies", Table: table}.Check(t, []tablestest.Case{
		{Name: "one mutation", Obj: plain},
		{Name: "param kind, no mutations", Obj: params},
		{Name: "list", Obj: &admissionregistrationv1.MutatingAdmissionPolicyList{ListMeta: metav1.ListMeta{ResourceVersion: "9"}, Items: []policy{*plain, *params}}},
	})
}
