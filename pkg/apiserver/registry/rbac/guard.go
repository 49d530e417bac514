package rbac

import (
	"context"
	"errors"
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	rbacpolicy "github.com/fakecluster/fakecluster/pkg/apiserver/rbac"
)

// Guard keeps requesters from granting what they do not hold, as
// upstream's policybased storages: a Role or ClusterRole may have only
// rules its writer holds unless they may "escalate" it (an aggregationRule
// needs full authority), and a binding may refer only to a role whose
// rules its writer holds unless they may "bind" it. Members of
// system:masters are never checked. The hooks it returns read the four RBAC
// stores, given to Read once they are built (each guards the others, so
// none can be built after them all).
type Guard struct {
	authorizer authorizer.Authorizer
	resolver   *rbacpolicy.Resolver
	stores     *storeGetters
}

// NewGuard returns a guard that asks a whether a requester may escalate or
// bind.
func NewGuard(a authorizer.Authorizer) *Guard {
	stores := &storeGetters{}
	return &Guard{authorizer: a, resolver: rbacpolicy.NewResolver(stores), stores: stores}
}

// Read makes g read the rules requesters hold from the four stores; until
// then the hooks refuse every write they would check.
func (g *Guard) Read(roles, clusterRoles, roleBindings, clusterRoleBindings rest.Getter) error {
	rb, ok1 := roleBindings.(rest.Lister)
	crb, ok2 := clusterRoleBindings.(rest.Lister)
	if roles == nil || clusterRoles == nil || !ok1 || !ok2 {
		return errors.New("rbac guard: the role stores must be getters and the binding stores listers")
	}
	*g.stores = storeGetters{roles: roles, clusterRoles: clusterRoles, roleBindings: rb, clusterRoleBindings: crb}
	return nil
}

func finishNothing(context.Context, bool) {}

// roleRules returns the rules and whether a Role or ClusterRole aggregates.
func roleRules(obj runtime.Object) (name string, rules []rbacv1.PolicyRule, aggregates bool) {
	switch r := obj.(type) {
	case *rbacv1.Role:
		return r.Name, r.Rules, false
	case *rbacv1.ClusterRole:
		return r.Name, r.Rules, r.AggregationRule != nil && len(r.AggregationRule.ClusterRoleSelectors) > 0
	}
	return "", nil, false
}

// checkRole is the escalation check of a Role or ClusterRole write; old is
// nil on create.
func (g *Guard) checkRole(ctx context.Context, obj, old runtime.Object) error {
	if rbacpolicy.EscalationAllowed(ctx) || rbacpolicy.RoleEscalationAuthorized(ctx, g.authorizer) {
		return nil
	}
	if old != nil && rbacpolicy.OnlyGCFieldsChange(obj, old) {
		return nil
	}
	gr := resourceOf(obj)
	name, rules, aggregates := roleRules(obj)
	if err := rbacpolicy.ConfirmNoEscalation(ctx, g.resolver, rules); err != nil {
		return apierrors.NewForbidden(gr, name, err)
	}
	if old != nil {
		_, _, oldAggregates := roleRules(old)
		aggregates = aggregates || oldAggregates
	}
	if aggregates {
		if err := rbacpolicy.ConfirmNoEscalation(ctx, g.resolver, rbacpolicy.FullAuthority); err != nil {
			return apierrors.NewForbidden(gr, name, errors.New("must have cluster-admin privileges to use the aggregationRule"))
		}
	}
	return nil
}

// RoleCreate and RoleUpdate are the create and update hooks of roles and
// clusterroles.
func (g *Guard) RoleCreate() genericregistry.BeginCreateFunc {
	return func(ctx context.Context, obj runtime.Object, _ *metav1.CreateOptions) (genericregistry.FinishFunc, error) {
		return finishNothing, g.checkRole(ctx, obj, nil)
	}
}

func (g *Guard) RoleUpdate() genericregistry.BeginUpdateFunc {
	return func(ctx context.Context, obj, old runtime.Object, _ *metav1.UpdateOptions) (genericregistry.FinishFunc, error) {
		return finishNothing, g.checkRole(ctx, obj, old)
	}
}

// checkBinding is the escalation check of a binding write; old is nil on
// create.
func (g *Guard) checkBinding(ctx context.Context, obj, old runtime.Object) error {
	if rbacpolicy.EscalationAllowed(ctx) {
		return nil
	}
	if old != nil && rbacpolicy.OnlyGCFieldsChange(obj, old) {
		return nil
	}
	var (
		name      string
		ref       rbacv1.RoleRef
		namespace string
	)
	switch b := obj.(type) {
	case *rbacv1.RoleBinding:
		ns, ok := genericapirequest.NamespaceFrom(ctx)
		if !ok || ns == "" {
			return apierrors.NewBadRequest("namespace is required")
		}
		name, ref, namespace = b.Name, b.RoleRef, ns
	case *rbacv1.ClusterRoleBinding:
		name, ref = b.Name, b.RoleRef
	default:
		return fmt.Errorf("rbac guard: %T is not a binding", obj)
	}
	if rbacpolicy.BindingAuthorized(ctx, ref, namespace, g.authorizer) {
		return nil
	}
	rules, err := g.resolver.GetRoleReferenceRules(ctx, ref, namespace)
	if err != nil {
		return err
	}
	if err := rbacpolicy.ConfirmNoEscalation(ctx, g.resolver, rules); err != nil {
		return apierrors.NewForbidden(resourceOf(obj), name, err)
	}
	return nil
}

// BindingCreate and BindingUpdate are the create and update hooks of
// rolebindings and clusterrolebindings.
func (g *Guard) BindingCreate() genericregistry.BeginCreateFunc {
	return func(ctx context.Context, obj runtime.Object, _ *metav1.CreateOptions) (genericregistry.FinishFunc, error) {
		return finishNothing, g.checkBinding(ctx, obj, nil)
	}
}

func (g *Guard) BindingUpdate() genericregistry.BeginUpdateFunc {
	return func(ctx context.Context, obj, old runtime.Object, _ *metav1.UpdateOptions) (genericregistry.FinishFunc, error) {
		return finishNothing, g.checkBinding(ctx, obj, old)
	}
}

// resourceOf names the resource of an RBAC object in forbidden errors.
func resourceOf(obj runtime.Object) schema.GroupResource {
	var resource string
	switch obj.(type) {
	case *rbacv1.Role:
		resource = "roles"
	case *rbacv1.ClusterRole:
		resource = "clusterroles"
	case *rbacv1.RoleBinding:
		resource = "rolebindings"
	case *rbacv1.ClusterRoleBinding:
		resource = "clusterrolebindings"
	}
	return rbacv1.Resource(resource)
}

// storeGetters reads the policy from the registry's stores, as upstream's
// escalation checks read storage, not a cache: a Role just created can be
// bound at once.
type storeGetters struct {
	roles, clusterRoles               rest.Getter
	roleBindings, clusterRoleBindings rest.Lister
}

var _ rbacpolicy.Getters = (*storeGetters)(nil)

var errNotReady = errors.New("rbac guard: the role stores are not set")

// storeContext is ctx without its values (the request's info, which the
// store would name its errors after) in namespace, as upstream reads roles
// in a new context: a missing Role is `roles... "x" not found`, not the
// resource being written.
func storeContext(ctx context.Context, namespace string) context.Context {
	return genericapirequest.WithNamespace(valueless{ctx}, namespace)
}

// valueless keeps a context's deadline and cancellation, not its values.
type valueless struct{ context.Context }

func (valueless) Value(any) any { return nil }

func (s *storeGetters) GetRole(ctx context.Context, namespace, name string) (*rbacv1.Role, error) {
	if s.roles == nil {
		return nil, errNotReady
	}
	obj, err := s.roles.Get(storeContext(ctx, namespace), name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return obj.(*rbacv1.Role), nil
}

func (s *storeGetters) GetClusterRole(ctx context.Context, name string) (*rbacv1.ClusterRole, error) {
	if s.clusterRoles == nil {
		return nil, errNotReady
	}
	obj, err := s.clusterRoles.Get(storeContext(ctx, ""), name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return obj.(*rbacv1.ClusterRole), nil
}

func (s *storeGetters) ListRoleBindings(ctx context.Context, namespace string) ([]*rbacv1.RoleBinding, error) {
	if s.roleBindings == nil {
		return nil, errNotReady
	}
	obj, err := s.roleBindings.List(storeContext(ctx, namespace), &metainternalversion.ListOptions{})
	if err != nil {
		return nil, err
	}
	list := obj.(*rbacv1.RoleBindingList)
	out := make([]*rbacv1.RoleBinding, len(list.Items))
	for i := range list.Items {
		out[i] = &list.Items[i]
	}
	return out, nil
}

func (s *storeGetters) ListClusterRoleBindings(ctx context.Context) ([]*rbacv1.ClusterRoleBinding, error) {
	if s.clusterRoleBindings == nil {
		return nil, errNotReady
	}
	obj, err := s.clusterRoleBindings.List(storeContext(ctx, ""), &metainternalversion.ListOptions{})
	if err != nil {
		return nil, err
	}
	list := obj.(*rbacv1.ClusterRoleBindingList)
	out := make([]*rbacv1.ClusterRoleBinding, len(list.Items))
	for i := range list.Items {
		out[i] = &list.Items[i]
	}
	return out, nil
}
