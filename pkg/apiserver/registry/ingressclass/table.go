package ingressclass

import (
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of ingress classes: NAME
// CONTROLLER PARAMETERS AGE, where the default class's name says
// "(default)" and PARAMETERS is Kind[.apiGroup]/name.
func table(t *tables.Convertors) tables.Convertor {
	columns := []metav1.TableColumnDefinition{
		tables.NameColumn(),
		{Name: "Controller", Type: "string", Description: "Controller refers to the name of the controller that should handle this class."},
		{Name: "Parameters", Type: "string", Description: "Parameters is a link to a custom resource containing additional configuration for the controller."},
		tables.AgeColumn(),
	}
	return tables.NewConvertor[*networkingv1.IngressClassList](t, columns, func(c *networkingv1.IngressClass, now time.Time) []any {
		name := c.Name
		if c.Annotations[networkingv1.AnnotationIsDefaultIngressClass] == "true" {
			name += " (default)"
		}
		return []any{name, c.Spec.Controller, parameters(c.Spec.Parameters), tables.Age(c.CreationTimestamp, now)}
	})
}

func parameters(p *networkingv1.IngressClassParametersReference) string {
	if p == nil {
		return "<none>"
	}
	kind := p.Kind
	if p.APIGroup != nil {
		kind += "." + *p.APIGroup
	}
	return kind + "/" + p.Name
}
