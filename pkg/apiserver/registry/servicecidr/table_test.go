package servicecidr

import (
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func TestTable(t *testing.T) {
	t.Parallel()
	dual := &networkingv1.ServiceCIDR{ObjectMeta: metav1.ObjectMeta{Name: "kubernetes", CreationTimestamp: tablestest.Ago(6 * 24 * time.Hour)}, Spec: networkingv1.ServiceCIDRSpec{CIDRs: []string{"10.96.0.0/16", "fd00:10:96::/112"}}}
	single := &networkingv1.ServiceCIDR{ObjectMeta: metav1.ObjectMeta{Name: "extra", CreationTimestamp: tablestest.Ago(time.Hour)}, Spec: networkingv1.ServiceCIDRSpec{CIDRs: []string{"10.97.0.0/24"}}}
	tablestest.Golden{Name: "servicecidrs", Table: table}.Check(t, []tablestest.Case{
		{Name: "dual-stack", Obj: dual},
		{Name: "single range", Obj: single},
		{Name: "list", Obj: &networkingv1.ServiceCIDRList{ListMeta: metav1.ListMeta{ResourceVersion: "2"}, Items: []networkingv1.ServiceCIDR{*dual, *single}}},
	})
}
