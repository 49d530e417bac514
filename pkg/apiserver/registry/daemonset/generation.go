package daemonset

import (
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
)

// kube-apiserver stores a DaemonSet's template generation (a field of its
// internal type, gone from apps/v1) in the deprecated.daemonset.template.generation
// annotation: 1 on create, one more for each change of the pod template,
// never set by clients. Controllers label the pods with it
// (pod-template-generation), so that a fake cluster's pods look alike.

// startTemplateGeneration sets a new DaemonSet's template generation: what
// the client sent if that is a positive number, as upstream keeps it, else 1.
func startTemplateGeneration(ds *appsv1.DaemonSet) {
	if g := templateGeneration(ds); g < 1 {
		setTemplateGeneration(ds, 1)
	}
}

// countTemplateChange sets an updated DaemonSet's template generation to
// the stored one, plus one if the pod template changed.
func countTemplateChange(ds, old *appsv1.DaemonSet) {
	g := templateGeneration(old)
	if !apiequality.Semantic.DeepEqual(ds.Spec.Template, old.Spec.Template) {
		g++
	}
	setTemplateGeneration(ds, g)
}

// keepTemplateGeneration gives a status update the stored template
// generation, which the status subresource must not change.
func keepTemplateGeneration(to, from *appsv1.DaemonSet) {
	setTemplateGeneration(to, templateGeneration(from))
}

// templateGeneration reads the annotation; 0 when it is missing or not a
// number.
func templateGeneration(ds *appsv1.DaemonSet) int64 {
	g, err := strconv.ParseInt(ds.Annotations[appsv1.DeprecatedTemplateGeneration], 10, 64)
	if err != nil {
		return 0
	}
	return g
}

func setTemplateGeneration(ds *appsv1.DaemonSet, g int64) {
	if ds.Annotations == nil {
		ds.Annotations = map[string]string{}
	}
	ds.Annotations[appsv1.DeprecatedTemplateGeneration] = strconv.FormatInt(g, 10)
}
