package daemonset

import (
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func TestTable(t *testing.T) {
	t.Parallel()
	labels := map[string]string{"app": "agent"}
	linux := &appsv1.DaemonSet{
		ObjectMeta: tablestest.ObjectMeta("agent", 2*time.Hour),
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				NodeSelector: map[string]string{"kubernetes.io/os": "linux", "node-role.kubernetes.io/worker": ""},
				Containers:   []corev1.Container{{Name: "agent", Image: "agent:1"}, {Name: "logs", Image: "fluent-bit"}},
			}},
		},
		Status: appsv1.DaemonSetStatus{
			DesiredNumberScheduled: 3, CurrentNumberScheduled: 3, NumberReady: 2, UpdatedNumberScheduled: 1, NumberAvailable: 2,
		},
	}
	everywhere := &appsv1.DaemonSet{
		ObjectMeta: tablestest.ObjectMeta("kube-proxy", 20*time.Second),
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "k8s-app", Operator: metav1.LabelSelectorOpIn, Values: []string{"kube-proxy"}},
			}},
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "kube-proxy", Image: "registry.k8s.io/kube-proxy"}}}},
		},
	}
	tablestest.Golden{Name: "daemonsets", Table: table}.Check(t, []tablestest.Case{
		{Name: "on linux nodes, rolling out", Obj: linux},
		{Name: "on every node, no status yet", Obj: everywhere},
		{Name: "list", Obj: &appsv1.DaemonSetList{ListMeta: metav1.ListMeta{ResourceVersion: "12"}, Items: []appsv1.DaemonSet{*linux, *everywhere}}},
	})
}
