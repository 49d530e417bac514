package node

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// definition is the nodes resource as kube-apiserver serves it.
func definition() resource.Definition {
	gv := corev1.SchemeGroupVersion
	return resource.Define[corev1.Node, corev1.NodeList](resource.Definition{
		Resource:   gv.WithResource("nodes"),
		ShortNames: []string{"no"}, Table: table,
		// A kubelet registers its node with status filled in.
		Status: resource.NewStatusSplit(gv.String(), func(n *corev1.Node) *corev1.NodeStatus { return &n.Status },
			func(to, from *corev1.Node) { to.Spec = from.Spec }, false),
		Defaults: func(obj runtime.Object) { setDefaults(obj.(*corev1.Node)) },
		Fields: func(obj runtime.Object) fields.Set {
			return fields.Set{"spec.unschedulable": strconv.FormatBool(obj.(*corev1.Node).Spec.Unschedulable)}
		},
		FieldLabels:    []string{"spec.unschedulable"},
		Validate:       validateNode,
		ValidateUpdate: validateNodeUpdate,
	})
}

// setDefaults lets a node that reports capacity but no allocatable
// allocate all of it.
func setDefaults(n *corev1.Node) {
	if len(n.Status.Capacity) > 0 && len(n.Status.Allocatable) == 0 {
		n.Status.Allocatable = n.Status.Capacity.DeepCopy()
	}
}
