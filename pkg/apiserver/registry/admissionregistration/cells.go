package admissionregistration

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ParamKindCell is the PARAMKIND cell of a policy's table row:
// apiVersion/kind, or <unset>.
func ParamKindCell(k *admissionregistrationv1.ParamKind) string {
	if k == nil {
		return "<unset>"
	}
	return k.APIVersion + "/" + k.Kind
}

// ParamRefCell is the PARAMREF cell of a binding's table row: namespace/name
// of a named parameter ("*/name" without a namespace, as the printer
// cannot tell whether the kind is namespaced), the selector as the API
// type prints itself, or <unset>.
func ParamRefCell(p *admissionregistrationv1.ParamRef) string {
	switch {
	case p == nil:
		return "<unset>"
	case p.Name != "" && p.Namespace != "":
		return p.Namespace + "/" + p.Name
	case p.Name != "":
		return "*/" + p.Name
	case p.Selector != nil:
		return p.Selector.String()
	}
	return "<unset>"
}

// BindingColumns are the columns of a binding's table between NAME and
// AGE: POLICYNAME and PARAMREF.
func BindingColumns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		{Name: "PolicyName", Type: "string", Description: "The policy the binding applies."},
		{Name: "ParamRef", Type: "string", Description: "The parameters the binding gives the policy."},
	}
}

// ParamKindColumn is the PARAMKIND column of a policy's table.
func ParamKindColumn() metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: "ParamKind", Type: "string", Description: "The apiVersion/kind of the policy's parameters."}
}
