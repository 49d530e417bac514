package rbac

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/component-helpers/auth/rbac/validation"
)

// FullAuthority is what cluster-admin holds: every verb on every resource
// and every non-resource URL. Setting an aggregationRule needs it.
var FullAuthority = []rbacv1.PolicyRule{
	{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}},
	{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}},
}

// ConfirmNoEscalation returns an error, in upstream's words, unless the
// requester in ctx holds every one of rules in the request's namespace (or
// cluster-wide): `user "x" (groups=["a" "b"]) is attempting to grant RBAC
// permissions not currently held:` and the missing rules, one a line.
func ConfirmNoEscalation(ctx context.Context, r *Resolver, rules []rbacv1.PolicyRule) error {
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return errors.New("no user on request")
	}
	namespace, _ := genericapirequest.NamespaceFrom(ctx)
	held, resolveErr := r.RulesFor(ctx, u, namespace)
	covered, missing := validation.Covers(held, rules)
	if covered {
		return nil
	}
	var lines []string
	for _, rule := range compactRules(missing) {
		lines = append(lines, CompactString(rule))
	}
	slices.Sort(lines)
	lines = slices.Compact(lines)
	msg := fmt.Sprintf("user %q (groups=%q) is attempting to grant RBAC permissions not currently held:\n%s", u.GetName(), u.GetGroups(), strings.Join(lines, "\n"))
	if resolveErr != nil {
		msg += fmt.Sprintf("; resolution errors: %v", []error{resolveErr})
	}
	return errors.New(msg)
}

// CompactString is a rule as escalation errors print it:
// {APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}, leaving out
// empty fields.
func CompactString(r rbacv1.PolicyRule) string {
	var parts []string
	add := func(name string, values []string) {
		if len(values) > 0 {
			parts = append(parts, fmt.Sprintf("%s:%q", name, values))
		}
	}
	add("APIGroups", r.APIGroups)
	add("Resources", r.Resources)
	add("NonResourceURLs", r.NonResourceURLs)
	add("ResourceNames", r.ResourceNames)
	add("Verbs", r.Verbs)
	return "{" + strings.Join(parts, ", ") + "}"
}

// simpleResource is what compactRules merges the verbs of: rules on one
// group and one resource, with at most one name.
type simpleResource struct {
	group, resource string
	hasName         bool
	name            string
}

// compactRules merges the verbs of rules that differ only in them, as
// upstream does before listing missing rules (Covers breaks every rule
// down to one verb).
func compactRules(rules []rbacv1.PolicyRule) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	simple := map[simpleResource]int{}
	for _, rule := range rules {
		key, ok := simpleKey(rule)
		if !ok {
			out = append(out, rule)
			continue
		}
		if i, seen := simple[key]; seen {
			out[i].Verbs = append(out[i].Verbs, rule.Verbs...)
			continue
		}
		simple[key] = len(out)
		out = append(out, *rule.DeepCopy())
	}
	return out
}

func simpleKey(r rbacv1.PolicyRule) (simpleResource, bool) {
	if len(r.ResourceNames) > 1 || len(r.NonResourceURLs) > 0 || len(r.APIGroups) != 1 || len(r.Resources) != 1 {
		return simpleResource{}, false
	}
	key := simpleResource{group: r.APIGroups[0], resource: r.Resources[0]}
	if len(r.ResourceNames) == 1 {
		key.hasName, key.name = true, r.ResourceNames[0]
	}
	return key, true
}

// EscalationAllowed reports whether the requester may grant anything:
// members of system:masters (the API server's own loopback requests among
// them), and requests without a user.
func EscalationAllowed(ctx context.Context) bool {
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return true
	}
	return slices.Contains(u.GetGroups(), user.SystemPrivilegedGroup)
}

var (
	roleResource        = rbacv1.SchemeGroupVersion.WithResource("roles").GroupResource()
	clusterRoleResource = rbacv1.SchemeGroupVersion.WithResource("clusterroles").GroupResource()
)

// RoleEscalationAuthorized reports whether a authorizes the requester to
// escalate the Role or ClusterRole the request is for.
func RoleEscalationAuthorized(ctx context.Context, a authorizer.Authorizer) bool {
	if a == nil {
		return false
	}
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return false
	}
	info, ok := genericapirequest.RequestInfoFrom(ctx)
	if !ok || !info.IsResourceRequest {
		return false
	}
	if gr := (schema.GroupResource{Group: info.APIGroup, Resource: info.Resource}); gr != roleResource && gr != clusterRoleResource {
		return false
	}
	return authorized(ctx, a, authorizer.AttributesRecord{
		User: u, Verb: "escalate", APIGroup: info.APIGroup, APIVersion: "*", Resource: info.Resource,
		Name: info.Name, Namespace: info.Namespace, ResourceRequest: true,
	})
}

// BindingAuthorized reports whether a authorizes the requester to bind the
// role ref names in bindingNamespace ("" for a ClusterRoleBinding).
func BindingAuthorized(ctx context.Context, ref rbacv1.RoleRef, bindingNamespace string, a authorizer.Authorizer) bool {
	if a == nil {
		return false
	}
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return false
	}
	attrs := authorizer.AttributesRecord{
		User: u, Verb: "bind", Namespace: bindingNamespace, ResourceRequest: true,
		APIGroup: ref.APIGroup, APIVersion: "*", Name: ref.Name,
	}
	switch ref.Kind {
	case "ClusterRole":
		attrs.Resource = "clusterroles"
	case "Role":
		attrs.Resource = "roles"
	default:
		return false
	}
	return authorized(ctx, a, attrs)
}

func authorized(ctx context.Context, a authorizer.Authorizer, attrs authorizer.AttributesRecord) bool {
	decision, _, err := a.Authorize(ctx, attrs)
	if err != nil {
		utilruntime.HandleErrorWithContext(ctx, err, "Authorizing", "verb", attrs.Verb, "resource", attrs.Resource, "name", attrs.Name, "namespace", attrs.Namespace)
	}
	return decision == authorizer.DecisionAllow
}

// OnlyGCFieldsChange reports whether obj differs from old at most in what
// the garbage collector changes (owner references and finalizers) and in
// managed fields: such updates are not checked for escalation.
func OnlyGCFieldsChange(obj, old runtime.Object) bool {
	if old == nil {
		return false
	}
	copied := obj.DeepCopyObject()
	copiedMeta, err := meta.Accessor(copied)
	if err != nil {
		return false
	}
	oldMeta, err := meta.Accessor(old)
	if err != nil {
		return false
	}
	copiedMeta.SetOwnerReferences(oldMeta.GetOwnerReferences())
	copiedMeta.SetFinalizers(oldMeta.GetFinalizers())
	copiedMeta.SetSelfLink(oldMeta.GetSelfLink())
	copiedMeta.SetManagedFields(oldMeta.GetManagedFields())
	return apiequality.Semantic.DeepEqual(copied, old)
}
