package statefulset

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
	labels := map[string]string{"app": "db"}
	ready := &appsv1.StatefulSet{
		ObjectMeta: tablestest.ObjectMeta("db", 3*time.Hour),
		Spec: appsv1.StatefulSetSpec{
			Replicas: ptr.To[int32](3),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{
				{Name: "postgres", Image: "postgres:18"}, {Name: "exporter", Image: "prometheuscommunity/postgres-exporter"},
			}}},
		},
		Status: appsv1.StatefulSetStatus{Replicas: 3, ReadyReplicas: 2},
	}
	scaledToZero := &appsv1.StatefulSet{
		ObjectMeta: tablestest.ObjectMeta("cache", 45*time.Second),
		Spec: appsv1.StatefulSetSpec{
			Replicas: ptr.To[int32](0),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "redis", Image: "redis"}}}},
		},
	}
	tablestest.Golden{Name: "statefulsets", Table: table}.Check(t, []tablestest.Case{
		{Name: "two of three ready, two containers", Obj: ready},
		{Name: "scaled to zero", Obj: scaledToZero},
		{Name: "list", Obj: &appsv1.StatefulSetList{ListMeta: metav1.ListMeta{ResourceVersion: "9"}, Items: []appsv1.StatefulSet{*ready, *scaledToZero}}},
	})
}
