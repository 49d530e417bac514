package validatingadmissionpolicy

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/admissionregistration"
	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of validating admission policies:
// NAME VALIDATIONS PARAMKIND AGE, as upstream's printValidatingAdmissionPolicy.
func table(t *tables.Convertors) tables.Convertor {
	return tables.NewNameAgeConvertor[*admissionregistrationv1.ValidatingAdmissionPolicyList](t, []metav1.TableColumnDefinition{
		{Name: "Validations", Type: "integer", Description: "How many validations the policy has."},
		admissionregistration.ParamKindColumn(),
	}, func(p *policy) []any {
		return []any{int64(len(p.Spec.Validations)), admissionregistration.ParamKindCell(p.Spec.ParamKind)}
	})
}
