package servicecidr

import (
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of service CIDRs: NAME CIDRS AGE.
func table(t *tables.Convertors) tables.Convertor {
	return tables.NewNameAgeConvertor[*networkingv1.ServiceCIDRList](t, []metav1.TableColumnDefinition{
		{Name: "CIDRs", Type: "string", Description: "The ranges service cluster IPs are allocated from."},
	}, func(s *networkingv1.ServiceCIDR) []any { return []any{strings.Join(s.Spec.CIDRs, ",")} })
}
