package workload

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// WideColumns are the columns -o wide adds for workloads that select
// their pods: the template's containers and images, and the selector.
func WideColumns() []metav1.TableColumnDefinition {
	return append(TemplateColumns(),
		metav1.TableColumnDefinition{Name: "Selector", Type: "string", Priority: 1, Description: "The label query over pods that the workload manages."})
}

// TemplateColumns are the CONTAINERS and IMAGES columns of -o wide.
func TemplateColumns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		{Name: "Containers", Type: "string", Priority: 1, Description: "Names of the containers in the pod template."},
		{Name: "Images", Type: "string", Priority: 1, Description: "Images of the containers in the pod template."},
	}
}

// TemplateCells are the cells of TemplateColumns: the names and the
// images of the template's containers, each joined by commas.
func TemplateCells(spec *corev1.PodSpec) []any {
	names := make([]string, len(spec.Containers))
	images := make([]string, len(spec.Containers))
	for i, c := range spec.Containers {
		names[i], images[i] = c.Name, c.Image
	}
	return []any{strings.Join(names, ","), strings.Join(images, ",")}
}

// WideCells are the cells of WideColumns.
func WideCells(spec *corev1.PodSpec, selector *metav1.LabelSelector) []any {
	return append(TemplateCells(spec), metav1.FormatLabelSelector(selector))
}
