package controllerrevision

import (
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of controller revisions: NAME
// CONTROLLER REVISION AGE.
func table(t *tables.Convertors) tables.Convertor {
	columns := []metav1.TableColumnDefinition{
		tables.NameColumn(),
		{Name: "Controller", Type: "string", Description: "The workload that owns the revision, as kind.group/name."},
		{Name: "Revision", Type: "integer", Description: "The revision number; the highest is the newest."},
		tables.AgeColumn(),
	}
	return tables.NewConvertor[*appsv1.ControllerRevisionList](t, columns, func(r *appsv1.ControllerRevision, now time.Time) []any {
		return []any{r.Name, controller(r), r.Revision, tables.Age(r.CreationTimestamp, now)}
	})
}

// controller renders the revision's controller owner reference as
// kubectl names objects, the kind and group in lower case and joined with
// a dot ("statefulset.apps/web", "pod/p" for the core group), or "<none>"
// if no owner is its controller.
func controller(r *appsv1.ControllerRevision) string {
	ref := metav1.GetControllerOf(r)
	if ref == nil {
		return "<none>"
	}
	kind := schema.FromAPIVersionAndKind(ref.APIVersion, ref.Kind).GroupKind()
	if kind.Empty() {
		return ref.Name
	}
	return strings.ToLower(kind.String()) + "/" + ref.Name
}
