package replicaset

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
	selector := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "pod-template-hash": "7d4b9c8f6"}}
	current := &appsv1.ReplicaSet{
		ObjectMeta: tablestest.ObjectMeta("web-7d4b9c8f6", 10*time.Minute),
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To[int32](3),
			Selector: selector,
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{
				{Name: "nginx", Image: "nginx:1.29"}, {Name: "sidecar", Image: "envoy"},
			}}},
		},
		Status: appsv1.ReplicaSetStatus{Replicas: 3, ReadyReplicas: 2},
	}
	old := &appsv1.ReplicaSet{
		ObjectMeta: tablestest.ObjectMeta("web-5f6c7b8d9", 3*24*time.Hour),
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To[int32](0),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "pod-template-hash": "5f6c7b8d9"}},
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx", Image: "nginx:1.28"}}}},
		},
	}
	tablestest.Golden{Name: "replicasets", Table: table}.Check(t, []tablestest.Case{
		{Name: "current, two of three ready", Obj: current},
		{Name: "old, scaled down", Obj: old},
		{Name: "list", Obj: &appsv1.ReplicaSetList{ListMeta: metav1.ListMeta{ResourceVersion: "44"}, Items: []appsv1.ReplicaSet{*current, *old}}},
	})
}
