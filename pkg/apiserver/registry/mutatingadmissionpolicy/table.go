package mutatingadmissionpolicy

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/admissionregistration"
	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of mutating admission policies:
// NAME MUTATIONS PARAMKIND AGE, as upstream's printMutatingAdmissionPolicy.
func table(t *tables.Convertors) tables.Convertor {
	return tables.NewNameAgeConvertor[*admissionregistrationv1.MutatingAdmissionPolicyList](t, []metav1.TableColumnDefinition{
		{Name: "Mutations", Type: "integer", Description: "How many mutations the policy has."},
		admissionregistration.ParamKindColumn(),
	}, func(p *policy) []any {
		return []any{int64(len(p.Spec.Mutations)), admissionregistration.ParamKindCell(p.Spec.ParamKind)}
	})
}
