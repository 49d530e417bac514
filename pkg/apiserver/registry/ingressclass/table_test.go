package ingressclass

import (
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func TestTable(t *testing.T) {
	t.Parallel()
	plain := &networkingv1.IngressClass{
		ObjectMeta: metav1.ObjectMeta{Name: "nginx", CreationTimestamp: tablestest.Ago(10 * time.Second)},
		Spec:       networkingv1.IngressClassSpec{Controller: "k8s.io/ingress-nginx"},
	}
	withDefault := &networkingv1.IngressClass{
		ObjectMeta: metav1.ObjectMeta{
			Name: "nginx-default", CreationTimestamp: tablestest.Ago(3 * time.Hour),
			Annotations: map[string]string{networkingv1.AnnotationIsDefaultIngressClass: "true"},
		},
		Spec: networkingv1.IngressClassSpec{
			Controller: "k8s.io/ingress-nginx",
			Parameters: &networkingv1.IngressClassParametersReference{APIGroup: ptr.To("k8s.example.com"), Kind: "IngressParameters", Name: "nginx-config"},
		},
	}
	tablestest.Golden{Name: "ingressclasses", Table: table}.Check(t, []tablestest.Case{
		{Name: "no parameters", Obj: plain},
		{Name: "default, with parameters", Obj: withDefault},
		{Name: "list", Obj: &networkingv1.IngressClassList{ListMeta: metav1.ListMeta{ResourceVersion: "3"}, Items: []networkingv1.IngressClass{*plain, *withDefault}}},
	})
}
