package validatingadmissionpolicybinding

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/admissionregistration"
	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of validating admission policy
// bindings: NAME POLICYNAME PARAMREF AGE, as upstream's
// printValidatingAdmissionPolicyBinding.
func table(t *tables.Convertors) tables.Convertor {
	return tables.NewNameAgeConvertor[*admissionregistrationv1.ValidatingAdmissionPolicyBindingList](t, admissionregistration.BindingColumns(),
		func(b *binding) []any {
			return []any{b.Spec.PolicyName, admissionregistration.ParamRefCell(b.Spec.ParamRef)}
		})
}
