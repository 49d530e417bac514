package rolebinding

import (
	"context"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/rbac"
	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// definition is the rolebindings resource as kube-apiserver serves it:
// namespaced, names any path segment, created by PUT too, guarded by g
// (nil: unguarded, for tests of the rest).
func definition(g *rbac.Guard) resource.Definition {
	d := resource.Definition{
		Resource:       rbacv1.SchemeGroupVersion.WithResource("rolebindings"),
		Namespaced:     true,
		CreateOnUpdate: true,
		NameFunc:       rbac.NameFunc,
		Table:          table,
		Validate: func(_ context.Context, obj runtime.Object) field.ErrorList {
			return validate(obj.(*rbacv1.RoleBinding))
		},
		ValidateUpdate: func(_ context.Context, obj, old runtime.Object) field.ErrorList {
			return validateUpdate(obj.(*rbacv1.RoleBinding), old.(*rbacv1.RoleBinding))
		},
	}
	if g != nil {
		d.BeginCreate, d.BeginUpdate = g.BindingCreate(), g.BindingUpdate()
	}
	return resource.Define[rbacv1.RoleBinding, rbacv1.RoleBindingList](d)
}

// validate checks the role reference (a Role or ClusterRole) and subjects
// as ValidateRoleBinding.
func validate(b *rbacv1.RoleBinding) field.ErrorList {
	return rbac.ValidateBinding(b.RoleRef, b.Subjects, []string{"Role", "ClusterRole"}, true)
}

// validateUpdate is validate with the role reference fixed.
func validateUpdate(b, old *rbacv1.RoleBinding) field.ErrorList {
	return append(validate(b), rbac.ValidateRoleRefUpdate(b.RoleRef, old.RoleRef)...)
}

// table returns the kubectl get columns of rolebindings: NAME ROLE AGE and
// wide USERS GROUPS SERVICEACCOUNTS, as upstream's printRoleBinding.
func table(t *tables.Convertors) tables.Convertor {
	columns := rbac.BindingColumns(rbacv1.RoleBinding{}.SwaggerDoc()["roleRef"], "roleBinding")
	return tables.NewConvertor[*rbacv1.RoleBindingList](t, columns, func(b *rbacv1.RoleBinding, now time.Time) []any {
		role, users, groups, sas := rbac.BindingCells(b.RoleRef, b.Subjects)
		return []any{b.Name, role, tables.Age(b.CreationTimestamp, now), users, groups, sas}
	})
}
