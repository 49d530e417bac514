package deployment

import (
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func TestTable(t *testing.T) {
	t.Parallel()
	rollingOut := &appsv1.Deployment{
		ObjectMeta: tablestest.ObjectMeta("web", 4*time.Minute),
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](3),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "tier": "front"}},
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{
				{Name: "nginx", Image: "nginx:1.29"}, {Name: "sidecar", Image: "envoy"},
			}}},
		},
		Status: appsv1.DeploymentStatus{Replicas: 4, UpdatedReplicas: 1, ReadyReplicas: 3, AvailableReplicas: 3},
	}
	scaledToZero := &appsv1.Deployment{
		ObjectMeta: tablestest.ObjectMeta("batch", 5*24*time.Hour),
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](0),
			Selector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "app", Operator: metav1.LabelSelectorOpIn, Values: []string{"batch", "worker"}},
			}},
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "worker", Image: "worker"}}}},
		},
	}
	tablestest.Golden{Name: "deployments", Table: table}.Check(t, []tablestest.Case{
		{Name: "rolling out, two containers", Obj: rollingOut},
		{Name: "scaled to zero, expression selector", Obj: scaledToZero},
		{Name: "list", Obj: &appsv1.DeploymentList{ListMeta: metav1.ListMeta{ResourceVersion: "31"}, Items: []appsv1.Deployment{*rollingOut, *scaledToZero}}},
	})
}
