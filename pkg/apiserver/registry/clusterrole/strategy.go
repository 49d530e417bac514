package clusterrole

import (
	"context"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/rbac"
	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// definition is the clusterroles resource as kube-apiserver serves it:
// cluster-scoped, names any path segment, created by PUT too, guarded by g
// (nil: unguarded, for tests of the rest).
func definition(g *rbac.Guard) resource.Definition {
	d := resource.Definition{
		Resource:       rbacv1.SchemeGroupVersion.WithResource("clusterroles"),
		CreateOnUpdate: true,
		NameFunc:       rbac.NameFunc,
		Table:          table,
		Validate: func(_ context.Context, obj runtime.Object) field.ErrorList {
			return validate(obj.(*rbacv1.ClusterRole), false)
		},
		ValidateUpdate: func(_ context.Context, obj, old runtime.Object) field.ErrorList {
			return validate(obj.(*rbacv1.ClusterRole), rbac.HasInvalidLabelValues(old.(*rbacv1.ClusterRole).AggregationRule))
		},
	}
	if g != nil {
		d.BeginCreate, d.BeginUpdate = g.RoleCreate(), g.RoleUpdate()
	}
	return resource.Define[rbacv1.ClusterRole, rbacv1.ClusterRoleList](d)
}

// validate checks a ClusterRole's rules and aggregationRule as
// ValidateClusterRole does (metadata is the resource package's); an update
// keeps selector label values the old object had, valid or not.
func validate(r *rbacv1.ClusterRole, allowInvalidLabelValues bool) field.ErrorList {
	errs := rbac.ValidateRules(r.Rules, false, field.NewPath("rules"))
	return append(errs, rbac.ValidateAggregationRule(r.AggregationRule, allowInvalidLabelValues)...)
}

// table returns the kubectl get columns of clusterroles: NAME and CREATED
// AT, as upstream's printClusterRole.
func table(t *tables.Convertors) tables.Convertor {
	columns := []metav1.TableColumnDefinition{
		tables.NameColumn(),
		{Name: "Created At", Type: "date", Description: metav1.ObjectMeta{}.SwaggerDoc()["creationTimestamp"]},
	}
	return tables.NewConvertor[*rbacv1.ClusterRoleList](t, columns, func(r *rbacv1.ClusterRole, _ time.Time) []any {
		return []any{r.Name, r.CreationTimestamp.UTC().Format(time.RFC3339)}
	})
}
