package role

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

// definition is the roles resource as kube-apiserver serves it:
// namespaced, names any path segment, created by PUT too, guarded by g
// (nil: unguarded, for tests of the rest).
func definition(g *rbac.Guard) resource.Definition {
	d := resource.Definition{
		Resource:       rbacv1.SchemeGroupVersion.WithResource("roles"),
		Namespaced:     true,
		CreateOnUpdate: true,
		NameFunc:       rbac.NameFunc,
		Table:          table,
		Validate: func(_ context.Context, obj runtime.Object) field.ErrorList {
			return validate(obj.(*rbacv1.Role))
		},
	}
	if g != nil {
		d.BeginCreate, d.BeginUpdate = g.RoleCreate(), g.RoleUpdate()
	}
	return resource.Define[rbacv1.Role, rbacv1.RoleList](d)
}

// validate checks a Role's rules as ValidateRole does (metadata is the
// resource package's).
func validate(r *rbacv1.Role) field.ErrorList {
	return rbac.ValidateRules(r.Rules, true, field.NewPath("rules"))
}

// table returns the kubectl get columns of roles: NAME and CREATED AT, as
// upstream's printRole.
func table(t *tables.Convertors) tables.Convertor {
	columns := []metav1.TableColumnDefinition{
		tables.NameColumn(),
		{Name: "Created At", Type: "date", Description: metav1.ObjectMeta{}.SwaggerDoc()["creationTimestamp"]},
	}
	return tables.NewConvertor[*rbacv1.RoleList](t, columns, func(r *rbacv1.Role, _ time.Time) []any {
		return []any{r.Name, r.CreationTimestamp.UTC().Format(time.RFC3339)}
	})
}
