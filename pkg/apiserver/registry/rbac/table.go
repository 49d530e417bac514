package rbac

import (
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// BindingColumns are a binding's kubectl get columns as upstream's printer
// has them: NAME ROLE AGE, and with -o wide USERS GROUPS SERVICEACCOUNTS;
// kind is "roleBinding" or "clusterRoleBinding", as their descriptions say.
func BindingColumns(roleRefDoc, kind string) []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		tables.NameColumn(),
		{Name: "Role", Type: "string", Description: roleRefDoc},
		tables.AgeColumn(),
		{Name: "Users", Type: "string", Priority: 1, Description: "Users in the " + kind},
		{Name: "Groups", Type: "string", Priority: 1, Description: "Groups in the " + kind},
		{Name: "ServiceAccounts", Type: "string", Priority: 1, Description: "ServiceAccounts in the " + kind},
	}
}

// BindingCells are the ROLE cell ("Kind/name") and the three subject cells
// of a binding, each subject list joined by ", "; a ServiceAccount shows as
// namespace/name, its namespace empty if the subject names none.
func BindingCells(ref rbacv1.RoleRef, subjects []rbacv1.Subject) (role, users, groups, serviceAccounts string) {
	var u, g, sa []string
	for _, s := range subjects {
		switch s.Kind {
		case rbacv1.ServiceAccountKind:
			sa = append(sa, s.Namespace+"/"+s.Name)
		case rbacv1.UserKind:
			u = append(u, s.Name)
		case rbacv1.GroupKind:
			g = append(g, s.Name)
		}
	}
	return fmt.Sprintf("%s/%s", ref.Kind, ref.Name), strings.Join(u, ", "), strings.Join(g, ", "), strings.Join(sa, ", ")
}
