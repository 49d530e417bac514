package apiserver

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/authorization/authorizerfactory"
	"k8s.io/apiserver/pkg/authorization/union"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/apiserver/nodeauthz"
	"github.com/fakecluster/fakecluster/pkg/apiserver/rbac"
	"github.com/fakecluster/fakecluster/pkg/apiserver/rbac/bootstrappolicy"
)

// The authorization modes, as kube-apiserver's --authorization-mode names
// them.
const (
	// ModeNode is kube-apiserver's Node authorizer: a kubelet may read
	// what the pods bound to its node use, and otherwise what the
	// system:node role allows.
	ModeNode = "Node"
	// ModeRBAC authorizes by Roles, ClusterRoles and their bindings.
	ModeRBAC = "RBAC"
	// ModeAlwaysAllow allows every authenticated request.
	ModeAlwaysAllow = "AlwaysAllow"
)

// DefaultAuthorizationModes are kube-apiserver's: Node, then RBAC.
func DefaultAuthorizationModes() []string { return []string{ModeNode, ModeRBAC} }

// ValidateAuthorizationModes checks a mode list: at least one, each a known
// mode, none twice.
func ValidateAuthorizationModes(modes []string) error {
	const rule = "must be a comma-separated list of Node, RBAC and AlwaysAllow, each at most once, e.g. Node,RBAC (the default)"
	if len(modes) == 0 {
		return fmt.Errorf("no authorization mode: %s", rule)
	}
	seen := map[string]bool{}
	for _, m := range modes {
		switch {
		case m != ModeNode && m != ModeRBAC && m != ModeAlwaysAllow:
			return fmt.Errorf("unknown authorization mode %q: %s", m, rule)
		case seen[m]:
			return fmt.Errorf("authorization mode %q given more than once: %s", m, rule)
		}
		seen[m] = true
	}
	return nil
}

// authorization is the API server's authorizer and what it reads.
type authorization struct {
	authorizer authorizer.Authorizer
	rules      authorizer.RuleResolver
	// synced report whether the informers of the Node and RBAC
	// authorizers have synced.
	synced []cache.InformerSynced
}

// newAuthorization builds the authorizer of modes (nil: the defaults), as
// kube-apiserver's: members of system:masters are always allowed, then
// each mode in order has its say. RBAC reads the policy through f's
// informers.
func newAuthorization(modes []string, f informers.SharedInformerFactory) (*authorization, error) {
	if modes == nil {
		modes = DefaultAuthorizationModes()
	}
	if err := ValidateAuthorizationModes(modes); err != nil {
		return nil, err
	}
	a := &authorization{}
	var rules []authorizer.RuleResolver
	chain := []union.NamedAuthorizer{{AuthorizerName: "privileged", Authorizer: authorizerfactory.NewPrivilegedGroups(user.SystemPrivilegedGroup)}}
	for _, m := range modes {
		switch m {
		case ModeNode:
			node, synced, err := nodeauthz.New(f, nodeauthz.Options{})
			if err != nil {
				return nil, err
			}
			a.synced = append(a.synced, synced...)
			rules = append(rules, node)
			chain = append(chain, union.NamedAuthorizer{AuthorizerName: "node", Authorizer: node})
		case ModeAlwaysAllow:
			allow := authorizerfactory.NewAlwaysAllowAuthorizer()
			rules = append(rules, allow)
			chain = append(chain, union.NamedAuthorizer{AuthorizerName: "alwaysallow", Authorizer: allow})
		case ModeRBAC:
			rbacInformers := f.Rbac().V1()
			listers := rbac.Listers{
				Roles:               rbacInformers.Roles().Lister(),
				ClusterRoles:        rbacInformers.ClusterRoles().Lister(),
				RoleBindings:        rbacInformers.RoleBindings().Lister(),
				ClusterRoleBindings: rbacInformers.ClusterRoleBindings().Lister(),
			}
			a.synced = append(a.synced,
				rbacInformers.Roles().Informer().HasSynced, rbacInformers.ClusterRoles().Informer().HasSynced,
				rbacInformers.RoleBindings().Informer().HasSynced, rbacInformers.ClusterRoleBindings().Informer().HasSynced)
			authz := rbac.NewAuthorizer(listers)
			rules = append(rules, authz)
			chain = append(chain, union.NamedAuthorizer{AuthorizerName: "rbac", Authorizer: authz})
		}
	}
	u, err := union.New(chain...)
	if err != nil {
		return nil, err
	}
	a.authorizer, a.rules = u, union.NewRuleResolvers(rules...)
	return a, nil
}

// bootstrapRBAC is kube-apiserver's rbac/bootstrap-roles post-start hook:
// once the RBAC informers have synced (so the server is not ready before
// it can authorize), the bootstrap policy is reconciled, retried each
// second for up to 30 s as upstream's.
func bootstrapRBAC(ctx genericapiserver.PostStartHookContext, client kubernetes.Interface, a *authorization) error {
	if len(a.synced) > 0 && !cache.WaitForCacheSync(ctx.Done(), a.synced...) {
		return fmt.Errorf("rbac/bootstrap-roles: RBAC informers did not sync")
	}
	policy, err := bootstrappolicy.Load()
	if err != nil {
		return err
	}
	logger := klog.FromContext(ctx)
	var last error
	err = wait.PollUntilContextTimeout(ctx, time.Second, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		if last = bootstrappolicy.Reconcile(ctx, client, policy); last != nil {
			logger.Error(last, "Reconciling the bootstrap RBAC policy; retrying")
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("rbac/bootstrap-roles: %w (last: %v)", err, last)
	}
	return nil
}
