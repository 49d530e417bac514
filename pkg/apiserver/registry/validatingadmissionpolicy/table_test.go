package validatingadmissionpolicy

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
	params := newPolicy(func(s *admissionregistrationv1.ValidatingAdmissionPolicySpec) {
		s.ParamKind = &admissionregistrationv1.ParamKind{APIVersion: "rules.example.com/v1", Kind: "ReplicaLimit"}
		s.Validations = append(s.Validations, admissionregistrationv1.Validation{Expression: "true"})
	})
	params.Name, params.CreationTimestamp = "replica-limit", tablestest.Ago(2*time.Hour)
	tablestest.Golden{Name: "validatingadmissionpolicies", Table: table}.Check(t, []tablestest.Case{
		{Name: "no params", Obj: plain},
		{Name: "param kind, two validations", Obj: params},
		{Name: "list", Obj: &admissionregistrationv1.ValidatingAdmissionPolicyList{ListMeta: metav1.ListMeta{ResourceVersion: "9"}, Items: []policy{*plain, *params}}},
	})
}
