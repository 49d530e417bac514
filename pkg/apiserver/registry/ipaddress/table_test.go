package ipaddress

import (
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func TestTable(t *testing.T) {
	t.Parallel()
	svc := &networkingv1.IPAddress{
		ObjectMeta: metav1.ObjectMeta{Name: "10.96.12.34", CreationTimestamp: tablestest.Ago(3 * time.Hour)},
		Spec:       networkingv1.IPAddressSpec{ParentRef: &networkingv1.ParentReference{Resource: "services", Namespace: "default", Name: "web"}},
	}
	v6 := &networkingv1.IPAddress{
		ObjectMeta: metav1.ObjectMeta{Name: "fd00-10-96--1234", CreationTimestamp: tablestest.Ago(3 * time.Hour)},
		Spec:       networkingv1.IPAddressSpec{ParentRef: &networkingv1.ParentReference{Group: "gateway.networking.k8s.io", Resource: "Gateways", Name: "shared"}},
	}
	orphan := &networkingv1.IPAddress{ObjectMeta: metav1.ObjectMeta{Name: "10.96.0.99", CreationTimestamp: tablestest.Ago(time.Minute)}}
	tablestest.Golden{Name: "ipaddresses", Table: table, ExtraCells: 1}.Check(t, []tablestest.Case{
		{Name: "service in the core group", Obj: svc},
		{Name: "cluster-scoped parent in a named group", Obj: v6},
		{Name: "no parent", Obj: orphan},
		{Name: "list", Obj: &networkingv1.IPAddressList{Items: []networkingv1.IPAddress{*svc, *orphan}}},
	})
}
