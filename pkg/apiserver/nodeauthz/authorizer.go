package nodeauthz

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/apiserver/rbac"
	"github.com/fakecluster/fakecluster/pkg/apiserver/rbac/bootstrappolicy"
)

// nodeRole is the bootstrap ClusterRole whose rules decide what the
// authorizer does not subdivide.
const nodeRole = "system:node"

// Options says what the authorizer may read beyond pods and
// PersistentVolumes.
type Options struct {
	// VolumeAttachments is whether the server serves storage.k8s.io/v1
	// VolumeAttachments. Without them the authorizer watches none (an
	// informer of a resource that is not served never syncs) and relates
	// none to a node, so a kubelet's get of one is refused.
	VolumeAttachments bool
}

// Authorizer is the Node authorizer. Requests from nodes it subdivides it
// allows or refuses with upstream's reasons; other node requests it allows
// when a rule of the system:node ClusterRole does. It has no opinion on
// requests it does not allow, so that RBAC after it may still allow them,
// as in kube-apiserver's Node,RBAC chain.
type Authorizer struct {
	rules     []rbacv1.PolicyRule
	relations *relations
}

var (
	_ authorizer.Authorizer   = (*Authorizer)(nil)
	_ authorizer.RuleResolver = (*Authorizer)(nil)
)

// New returns the Node authorizer reading through f's informers, and the
// InformerSynced funcs the caller waits for (after starting f) before the
// authorizer answers right: until then a kubelet's reads of the objects
// its pods use are refused.
func New(f informers.SharedInformerFactory, opts Options) (*Authorizer, []cache.InformerSynced, error) {
	rules, err := nodeRules()
	if err != nil {
		return nil, nil, err
	}
	rel, synced, err := newRelations(f, opts)
	if err != nil {
		return nil, nil, err
	}
	return &Authorizer{rules: rules, relations: rel}, synced, nil
}

// nodeRules are the rules of the bootstrap policy's system:node role.
func nodeRules() ([]rbacv1.PolicyRule, error) {
	policy, err := bootstrappolicy.Load()
	if err != nil {
		return nil, fmt.Errorf("node authorizer: %w", err)
	}
	for _, r := range policy.ClusterRoles {
		if r.Name == nodeRole {
			return r.Rules, nil
		}
	}
	return nil, fmt.Errorf("node authorizer: the bootstrap policy has no ClusterRole %s", nodeRole)
}

var (
	secrets         = corev1.Resource("secrets")
	configMaps      = corev1.Resource("configmaps")
	pods            = corev1.Resource("pods")
	nodes           = corev1.Resource("nodes")
	pvcs            = corev1.Resource("persistentvolumeclaims")
	pvs             = corev1.Resource("persistentvolumes")
	serviceAccounts = corev1.Resource("serviceaccounts")
	resourceClaims  = schema.GroupResource{Group: "resource.k8s.io", Resource: "resourceclaims"}
	resourceSlices  = schema.GroupResource{Group: "resource.k8s.io", Resource: "resourceslices"}
	attachments     = schema.GroupResource{Group: "storage.k8s.io", Resource: "volumeattachments"}
	csiNodes        = schema.GroupResource{Group: "storage.k8s.io", Resource: "csinodes"}
	leases          = schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}
)

// Authorize implements authorizer.Authorizer.
func (a *Authorizer) Authorize(ctx context.Context, attrs authorizer.Attributes) (authorizer.Decision, string, error) {
	node, isNode := NodeIdentity(attrs.GetUser())
	if !isNode {
		return authorizer.DecisionNoOpinion, "", nil
	}
	d := decider{Authorizer: a, ctx: ctx, node: node, attrs: attrs}
	if node == "" {
		return d.deny(fmt.Sprintf("unknown node for user %q", attrs.GetUser().GetName()))
	}
	if attrs.IsResourceRequest() {
		switch (schema.GroupResource{Group: attrs.GetAPIGroup(), Resource: attrs.GetResource()}) {
		case secrets:
			return d.readNamespaced(kindSecret)
		case configMaps:
			return d.readNamespaced(kindConfigMap)
		case pvcs:
			if attrs.GetSubresource() == "status" {
				return d.statusUpdate(kindPVC)
			}
			return d.get(kindPVC)
		case pvs:
			return d.get(kindPV)
		case resourceClaims:
			return d.get(kindResourceClaim)
		case attachments:
			return d.get(kindVA)
		case serviceAccounts:
			return d.serviceAccount()
		case leases:
			return d.lease()
		case csiNodes:
			return d.csiNode()
		case resourceSlices:
			return d.resourceSlice()
		case nodes:
			return d.nodeObject()
		case pods:
			return d.pod()
		}
	}
	for i := range a.rules {
		if rbac.RuleAllows(attrs, &a.rules[i]) {
			return authorizer.DecisionAllow, "", nil
		}
	}
	return authorizer.DecisionNoOpinion, "", nil
}

// ConditionsAwareAuthorize implements authorizer.Authorizer: the Node
// authorizer has no conditions.
func (a *Authorizer) ConditionsAwareAuthorize(ctx context.Context, attrs authorizer.Attributes) authorizer.ConditionsAwareDecision {
	return authorizer.ConditionsAwareDecisionFromParts(a.Authorize(ctx, attrs))
}

// EvaluateConditions implements authorizer.Authorizer: the Node authorizer
// never returns a conditional decision.
func (a *Authorizer) EvaluateConditions(context.Context, authorizer.ConditionsAwareDecision, authorizer.ConditionsData) (authorizer.Decision, string, error) {
	return authorizer.DecisionDeny, "", authorizer.ErrorConditionEvaluationNotSupported
}

// errNoRuleResolution is RulesFor's answer for a node, whose permissions
// depend on its pods and cannot be listed as rules.
var errNoRuleResolution = errors.New("node authorizer does not support user rule resolution")

// RulesFor implements authorizer.RuleResolver, as upstream's: nothing for
// other users, and for a node nothing, incomplete, with an error.
func (a *Authorizer) RulesFor(_ context.Context, u user.Info, _ string) ([]authorizer.ResourceRuleInfo, []authorizer.NonResourceRuleInfo, bool, error) {
	if _, isNode := NodeIdentity(u); isNode {
		return nil, nil, true, errNoRuleResolution
	}
	return nil, nil, false, nil
}

// decider decides one node request.
type decider struct {
	*Authorizer
	ctx   context.Context
	node  string
	attrs authorizer.Attributes
}

func (d decider) allow() (authorizer.Decision, string, error) {
	return authorizer.DecisionAllow, "", nil
}

// deny has no opinion, for the reason given, and logs it as upstream's
// NODE DENY lines.
func (d decider) deny(reason string) (authorizer.Decision, string, error) {
	klog.FromContext(d.ctx).V(4).Info("NODE DENY", "node", d.node, "verb", d.attrs.GetVerb(),
		"resource", d.attrs.GetResource(), "subresource", d.attrs.GetSubresource(),
		"namespace", d.attrs.GetNamespace(), "name", d.attrs.GetName(), "reason", reason)
	return authorizer.DecisionNoOpinion, reason, nil
}

// statusUpdate allows update and patch of the status of an object
// related to the node.
func (d decider) statusUpdate(k kind) (authorizer.Decision, string, error) {
	switch d.attrs.GetVerb() {
	case "update", "patch":
	default:
		return d.deny("can only get/update/patch this type")
	}
	if d.attrs.GetSubresource() != "status" {
		return d.deny("can only update status subresource")
	}
	return d.related(k)
}

// get allows getting one object related to the node.
func (d decider) get(k kind) (authorizer.Decision, string, error) {
	if d.attrs.GetVerb() != "get" {
		return d.deny("can only get individual resources of this type")
	}
	if d.attrs.GetSubresource() != "" {
		return d.deny("cannot get subresource")
	}
	return d.related(k)
}

// readNamespaced allows get, list and watch of one namespaced object
// related to the node (a list or watch names it with a metadata.name
// field selector).
func (d decider) readNamespaced(k kind) (authorizer.Decision, string, error) {
	switch d.attrs.GetVerb() {
	case "get", "list", "watch":
	default:
		return d.deny("can only read resources of this type")
	}
	if d.attrs.GetSubresource() != "" {
		return d.deny("cannot read subresource")
	}
	if d.attrs.GetNamespace() == "" {
		return d.deny("can only read namespaced object of this type")
	}
	return d.related(k)
}

// related allows the request if the object it names is related to the
// node.
func (d decider) related(k kind) (authorizer.Decision, string, error) {
	if d.attrs.GetName() == "" {
		return d.deny("No Object name found")
	}
	ok, err := d.relations.related(d.node, k, d.attrs.GetNamespace(), d.attrs.GetName())
	if err != nil || !ok {
		if err != nil {
			klog.FromContext(d.ctx).V(4).Info("NODE DENY", "node", d.node, "err", err)
		}
		return d.deny(fmt.Sprintf("no relationship found between node '%s' and this object", d.node))
	}
	return d.allow()
}

// serviceAccount allows getting, and creating tokens of, a service account
// that a pod bound to the node runs as. The get is for the kubelet's image
// credential providers (KubeletServiceAccountTokenForCredentialProviders,
// on by default in v1.37).
func (d decider) serviceAccount() (authorizer.Decision, string, error) {
	if d.attrs.GetVerb() == "get" && d.attrs.GetSubresource() == "" {
		return d.related(kindServiceAccount)
	}
	if d.attrs.GetVerb() != "create" || d.attrs.GetName() == "" {
		return d.deny("can only create tokens for individual service accounts")
	}
	if d.attrs.GetSubresource() != "token" {
		return d.deny("can only create token subresource of serviceaccount")
	}
	return d.related(kindServiceAccount)
}

// ownObject allows the verbs upstream allows on a Lease or CSINode, and
// only on the node's own (which on create NodeRestriction checks, as the
// name is not known yet).
func (d decider) ownObject(what string) (authorizer.Decision, string, error) {
	verb := d.attrs.GetVerb()
	if verb != "create" && d.attrs.GetName() != d.node {
		return d.deny(fmt.Sprintf("can only access %s with the same name as the requesting node", what))
	}
	return d.allow()
}

func (d decider) lease() (authorizer.Decision, string, error) {
	switch d.attrs.GetVerb() {
	case "get", "create", "update", "patch", "delete":
	default:
		return d.deny("can only get, create, update, patch, or delete a node lease")
	}
	if d.attrs.GetNamespace() != corev1.NamespaceNodeLease {
		return d.deny(fmt.Sprintf("can only access leases in the %q system namespace", corev1.NamespaceNodeLease))
	}
	return d.ownObject("node lease")
}

func (d decider) csiNode() (authorizer.Decision, string, error) {
	switch d.attrs.GetVerb() {
	case "get", "create", "update", "patch", "delete":
	default:
		return d.deny("can only get, create, update, patch, or delete a CSINode")
	}
	if d.attrs.GetSubresource() != "" {
		return d.deny("cannot authorize CSINode subresources")
	}
	return d.ownObject("CSINode")
}

// resourceSlice allows creating slices (NodeRestriction checks their
// node), reading and writing one of the node's, and listing, watching and
// deleting them by a field selector on the node's name.
func (d decider) resourceSlice() (authorizer.Decision, string, error) {
	if d.attrs.GetSubresource() != "" {
		return d.deny("cannot authorize ResourceSlice subresources")
	}
	switch d.attrs.GetVerb() {
	case "create":
		return d.allow()
	case "get", "update", "patch", "delete":
		return d.related(kindResourceSlice)
	case "watch", "list", "deletecollection":
		if d.selects(resourceSliceNodeName) {
			return d.allow()
		}
		return d.deny("can only list/watch/deletecollection resourceslices with nodeName field selector")
	}
	return d.deny("only the following verbs are allowed for a ResourceSlice: get, watch, list, create, update, patch, delete, deletecollection")
}

// resourceSliceNodeName is the field a kubelet selects its ResourceSlices
// by (resource.k8s.io/v1 ResourceSliceSelectorNodeName).
const resourceSliceNodeName = "spec.nodeName"

// selects reports whether the request's field selector requires field to
// equal the node's name.
func (d decider) selects(field string) bool {
	reqs, _ := d.attrs.GetFieldSelector()
	for _, r := range reqs {
		if r.Field == field && r.Operator == selection.Equals && r.Value == d.node {
			return true
		}
	}
	return false
}

// nodeObject allows create, update and patch of Nodes and their status
// (NodeRestriction keeps a node to its own), and reads of its own Node
// only, by name, so that a kubelet can look for its Node before creating
// it.
func (d decider) nodeObject() (authorizer.Decision, string, error) {
	verb := d.attrs.GetVerb()
	switch d.attrs.GetSubresource() {
	case "":
		switch verb {
		case "create", "update", "patch":
			return d.allow()
		case "get", "list", "watch":
			switch name := d.attrs.GetName(); name {
			case d.node:
				return d.allow()
			case "":
				return d.deny(fmt.Sprintf("node '%s' cannot read all nodes, only its own Node object", d.node))
			default:
				return d.deny(fmt.Sprintf("node '%s' cannot read '%s', only its own Node object", d.node, name))
			}
		}
	case "status":
		if verb == "update" || verb == "patch" {
			return d.allow()
		}
	}
	return d.deny("")
}

// pod allows reads of the pods bound to the node (one by name, or all by
// a spec.nodeName field selector), and the writes a kubelet makes, which
// NodeRestriction keeps to the node's own pods: creating and deleting
// mirror pods, status updates, evictions.
func (d decider) pod() (authorizer.Decision, string, error) {
	verb := d.attrs.GetVerb()
	switch d.attrs.GetSubresource() {
	case "":
		switch verb {
		case "get":
			return d.get(kindPod)
		case "list", "watch":
			if d.selects("spec.nodeName") {
				return d.allow()
			}
			if d.attrs.GetName() != "" {
				return d.related(kindPod)
			}
			return d.deny("can only list/watch pods with spec.nodeName field selector")
		case "create", "delete":
			return d.allow()
		}
	case "status":
		if verb == "update" || verb == "patch" {
			return d.allow()
		}
	case "eviction":
		if verb == "create" {
			return d.allow()
		}
	}
	return d.deny("")
}
