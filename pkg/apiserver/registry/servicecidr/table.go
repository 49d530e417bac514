package servicecidr

import (
	"strings"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of service CIDRs: NAME CIDRS AGE.
func table(t *tables.Convertors) tables.Convertor {
	columns := []metav1.TableColumnDefinition{
		tables.NameColumn(),
		{Name: "CIDRs", Type: "string", Description: "The ranges service cluster IPs are allocated from."},
		tables.AgeColumn(),
	}
	return tables.NewConvertor(t, columns, func(s *networkingv1.ServiceCIDR, now time.Time) []any {
		return []any{s.Name, strings.Join(s.Spec.CIDRs, ","), tables.Age(s.CreationTimestamp, now)}
	}, func(l *networkingv1.ServiceCIDRList) []*networkingv1.ServiceCIDR { return tables.Pointers(l.Items) })
}
