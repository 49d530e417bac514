package apiserver

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-cmp/cmp"
	authenticationv1 "k8s.io/api/authentication/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	resourcev1 "k8s.io/api/resource/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/client-go/informers"
	corelisters "k8s.io/client-go/listers/core/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/podrefs"
	"github.com/fakecluster/fakecluster/pkg/apiserver/nodeauthz"
)

// nodeRestriction is kube-apiserver v1.37's NodeRestriction admission
// plugin: what a node (a user nodeauthz.NodeIdentity names) may write,
// where the Node authorizer could not see the object. A node may write
// only its own Node (not its taints, nor labels outside the kubelet's
// set), create only mirror pods of its own that name no other API object,
// update the status and delete and evict only the pods bound to it, write
// only its own Lease, CSINode and ResourceSlices, change only the
// capacity, conditions and allocations of a claim's status, request
// tokens only bound to its own pods and for audiences those pods use
// (ServiceAccountNodeAudienceRestriction, on by default), and create only
// kubelet certificate requests in its own name
// (AllowInsecureKubeletCertificateSigningRequests off). Requests of
// anyone else pass untouched.
type nodeRestriction struct {
	*admission.Handler
	pods  corelisters.PodLister
	nodes corelisters.NodeLister
	// authz answers whether a node may request tokens for an audience its
	// pod does not use.
	authz authorizer.Authorizer
}

var _ admission.MutationInterface = (*nodeRestriction)(nil)

// newNodeRestriction reads pods and Nodes through f, which the caller
// starts, and asks authz, the server's authorizer, about token audiences.
func newNodeRestriction(f informers.SharedInformerFactory, authz authorizer.Authorizer) *nodeRestriction {
	pods, nodes := f.Core().V1().Pods(), f.Core().V1().Nodes()
	p := &nodeRestriction{
		Handler: admission.NewHandler(admission.Create, admission.Update, admission.Delete),
		pods:    pods.Lister(), nodes: nodes.Lister(), authz: authz,
	}
	podsSynced, nodesSynced := pods.Informer().HasSynced, nodes.Informer().HasSynced
	p.SetReadyFunc(func() bool { return podsSynced() && nodesSynced() })
	return p
}

var (
	leaseResource         = schema.GroupResource{Group: coordinationv1.GroupName, Resource: "leases"}
	csiNodeResource       = schema.GroupResource{Group: "storage.k8s.io", Resource: "csinodes"}
	resourceSliceResource = schema.GroupResource{Group: resourcev1.GroupName, Resource: "resourceslices"}
	csrResource           = schema.GroupResource{Group: certificatesv1.GroupName, Resource: "certificatesigningrequests"}
)

// Admit refuses what a node may not write, with upstream's texts.
func (p *nodeRestriction) Admit(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	nodeName, isNode := nodeauthz.NodeIdentity(a.GetUserInfo())
	if !isNode {
		return nil
	}
	if nodeName == "" {
		return admission.NewForbidden(a, fmt.Errorf("could not determine node from user %q", a.GetUserInfo().GetName()))
	}
	switch a.GetResource().GroupResource() {
	case corev1.Resource("pods"):
		switch a.GetSubresource() {
		case "":
			return p.admitPod(nodeName, a)
		case "status":
			return p.admitPodStatus(nodeName, a)
		case "eviction":
			return p.admitPodEviction(nodeName, a)
		}
		return admission.NewForbidden(a, fmt.Errorf("unexpected pod subresource %q, only 'status' and 'eviction' are allowed", a.GetSubresource()))
	case corev1.Resource("nodes"):
		return admitNode(nodeName, a)
	case corev1.Resource("persistentvolumeclaims"):
		if a.GetSubresource() == "status" {
			return admitPVCStatus(nodeName, a)
		}
		return admission.NewForbidden(a, errors.New("may only update PVC status"))
	case corev1.Resource("serviceaccounts"):
		return p.admitServiceAccount(ctx, nodeName, a)
	case leaseResource:
		if a.GetNamespace() != corev1.NamespaceNodeLease {
			return admission.NewForbidden(a, fmt.Errorf("can only access leases in the %q system namespace", corev1.NamespaceNodeLease))
		}
		return admitOwnObject(nodeName, "node lease", a)
	case csiNodeResource:
		return admitOwnObject(nodeName, "CSINode", a)
	case resourceSliceResource:
		return admitResourceSlice(nodeName, a)
	case csrResource:
		return admitCSR(nodeName, a)
	}
	return nil
}

// admitPod allows a node to create its own mirror pods and to delete the
// pods bound to it.
func (p *nodeRestriction) admitPod(nodeName string, a admission.Attributes) error {
	switch a.GetOperation() {
	case admission.Create:
		return p.admitMirrorPod(nodeName, a)
	case admission.Delete:
		pod, err := p.existingPod(a, a.GetName())
		if err != nil {
			return err
		}
		if pod.Spec.NodeName != nodeName {
			return admission.NewForbidden(a, fmt.Errorf("node %q can only delete pods with spec.nodeName set to itself", nodeName))
		}
		return nil
	}
	return admission.NewForbidden(a, fmt.Errorf("unexpected operation %q, node %q can only create and delete mirror pods", a.GetOperation(), nodeName))
}

// existingPod is the pod a node's request is about, as the informer has
// it: a missing pod is NotFound, as upstream's.
func (p *nodeRestriction) existingPod(a admission.Attributes, name string) (*corev1.Pod, error) {
	pod, err := p.pods.Pods(a.GetNamespace()).Get(name)
	switch {
	case apierrors.IsNotFound(err):
		return nil, err
	case err != nil:
		return nil, admission.NewForbidden(a, err)
	}
	return pod, nil
}

// admitMirrorPod allows a pod the node creates only as the mirror of one
// of its static pods: bound to it, owned by its Node, and naming no other
// API object, so that a node cannot grant itself access to one by creating
// a pod that uses it.
func (p *nodeRestriction) admitMirrorPod(nodeName string, a admission.Attributes) error {
	pod, ok := a.GetObject().(*corev1.Pod)
	if !ok {
		return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetObject()))
	}
	if _, mirror := pod.Annotations[corev1.MirrorPodAnnotationKey]; !mirror {
		return admission.NewForbidden(a, fmt.Errorf("pod does not have %q annotation, node %q can only create mirror pods", corev1.MirrorPodAnnotationKey, nodeName))
	}
	if pod.Spec.NodeName != nodeName {
		return admission.NewForbidden(a, fmt.Errorf("node %q can only create pods with spec.nodeName set to itself", nodeName))
	}
	switch len(pod.OwnerReferences) {
	case 0:
		return admission.NewForbidden(a, fmt.Errorf("node %q can only create pods with an owner reference set to itself", nodeName))
	case 1:
	default:
		return admission.NewForbidden(a, fmt.Errorf("node %q can only create pods with a single owner reference set to itself", nodeName))
	}
	owner := pod.OwnerReferences[0]
	if owner.APIVersion != corev1.SchemeGroupVersion.String() || owner.Kind != "Node" || owner.Name != nodeName {
		return admission.NewForbidden(a, fmt.Errorf("node %q can only create pods with an owner reference set to itself", nodeName))
	}
	if owner.Controller == nil || !*owner.Controller {
		return admission.NewForbidden(a, fmt.Errorf("node %q can only create pods with a controller owner reference set to itself", nodeName))
	}
	if owner.BlockOwnerDeletion != nil && *owner.BlockOwnerDeletion {
		return admission.NewForbidden(a, fmt.Errorf("node %q must not set blockOwnerDeletion on an owner reference", nodeName))
	}
	node, err := p.nodes.Get(nodeName)
	switch {
	case apierrors.IsNotFound(err):
		return err
	case err != nil:
		return admission.NewForbidden(a, fmt.Errorf("error looking up node %s to verify uid: %v", nodeName, err))
	case owner.UID != node.UID:
		return admission.NewForbidden(a, fmt.Errorf("node %s UID mismatch: expected %s got %s", nodeName, owner.UID, node.UID))
	}
	if what, ok := podrefs.APIObjectReference(pod); ok {
		return admission.NewForbidden(a, fmt.Errorf("node %q can not create pods that reference %s", nodeName, what))
	}
	return nil
}

// admitPodStatus allows a node to update the status of its own pods, but
// not their labels nor the ResourceClaims their status names (which the
// Node authorizer would then let it read).
func (p *nodeRestriction) admitPodStatus(nodeName string, a admission.Attributes) error {
	if a.GetOperation() != admission.Update {
		return admission.NewForbidden(a, fmt.Errorf("unexpected operation %q", a.GetOperation()))
	}
	old, ok := a.GetOldObject().(*corev1.Pod)
	if !ok {
		return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetOldObject()))
	}
	if old.Spec.NodeName != nodeName {
		return admission.NewForbidden(a, fmt.Errorf("node %q can only update pod status for pods with spec.nodeName set to itself", nodeName))
	}
	pod, ok := a.GetObject().(*corev1.Pod)
	if !ok {
		return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetObject()))
	}
	if !sameStringMap(old.Labels, pod.Labels) {
		return admission.NewForbidden(a, fmt.Errorf("node %q cannot update labels through pod status", nodeName))
	}
	if !sameClaimStatuses(old.Status.ResourceClaimStatuses, pod.Status.ResourceClaimStatuses) ||
		extendedClaim(old) != extendedClaim(pod) {
		return admission.NewForbidden(a, fmt.Errorf("node %q cannot update resource claim statues", nodeName))
	}
	return nil
}

// sameStringMap compares label maps, nil and empty alike.
func sameStringMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// sameClaimStatuses reports whether two pod statuses name the same
// ResourceClaims for the same pod claims, in order.
func sameClaimStatuses(a, b []corev1.PodResourceClaimStatus) bool {
	return slices.EqualFunc(a, b, func(x, y corev1.PodResourceClaimStatus) bool {
		return x.Name == y.Name && (x.ResourceClaimName == nil) == (y.ResourceClaimName == nil) &&
			(x.ResourceClaimName == nil || *x.ResourceClaimName == *y.ResourceClaimName)
	})
}

// extendedClaim is the ResourceClaim of the pod's extended resources.
func extendedClaim(pod *corev1.Pod) string {
	if s := pod.Status.ExtendedResourceClaimStatus; s != nil {
		return s.ResourceClaimName
	}
	return ""
}

// admitPodEviction allows a node to evict only the pods bound to it.
func (p *nodeRestriction) admitPodEviction(nodeName string, a admission.Attributes) error {
	if a.GetOperation() != admission.Create {
		return admission.NewForbidden(a, fmt.Errorf("unexpected operation %s", a.GetOperation()))
	}
	eviction, ok := a.GetObject().(*policyv1.Eviction)
	if !ok {
		return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetObject()))
	}
	name := a.GetName()
	if name == "" {
		if eviction.Name == "" {
			return admission.NewForbidden(a, errors.New("could not determine pod from request data"))
		}
		name = eviction.Name
	}
	pod, err := p.existingPod(a, name)
	if err != nil {
		return err
	}
	if pod.Spec.NodeName != nodeName {
		return admission.NewForbidden(a, fmt.Errorf("node %s can only evict pods with spec.nodeName set to itself", nodeName))
	}
	return nil
}

// admitPVCStatus allows a node to change only the capacity, conditions
// and allocated resources of a claim's status, as volume expansion on the
// node does (RecoverVolumeExpansionFailure is on in v1.37).
func admitPVCStatus(nodeName string, a admission.Attributes) error {
	if a.GetOperation() != admission.Update {
		return admission.NewForbidden(a, fmt.Errorf("unexpected operation %q", a.GetOperation()))
	}
	old, ok := a.GetOldObject().(*corev1.PersistentVolumeClaim)
	if !ok {
		return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetOldObject()))
	}
	pvc, ok := a.GetObject().(*corev1.PersistentVolumeClaim)
	if !ok {
		return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetObject()))
	}
	old, pvc = withoutNodeStatus(old), withoutNodeStatus(pvc)
	if !apiequality.Semantic.DeepEqual(old, pvc) {
		return admission.NewForbidden(a, fmt.Errorf("node %q is not allowed to update fields other than status.quantity and status.conditions: %v", nodeName, cmp.Diff(old, pvc)))
	}
	return nil
}

// withoutNodeStatus is a copy of pvc without what a node may change, nor
// the resourceVersion (an unconditional update leaves it empty) and
// managed fields.
func withoutNodeStatus(pvc *corev1.PersistentVolumeClaim) *corev1.PersistentVolumeClaim {
	pvc = pvc.DeepCopy()
	pvc.ResourceVersion = ""
	pvc.ManagedFields = nil
	pvc.Status.Capacity = nil
	pvc.Status.Conditions = nil
	pvc.Status.AllocatedResources = nil
	pvc.Status.AllocatedResourceStatuses = nil
	return pvc
}

// admitNode allows a node to write only its own Node, registering it with
// no config source and only labels a kubelet may set, and then changing
// neither its taints nor labels outside that set: otherwise a node could
// steer workloads to itself.
func admitNode(nodeName string, a admission.Attributes) error {
	if a.GetName() != nodeName {
		return admission.NewForbidden(a, fmt.Errorf("node %q is not allowed to modify node %q", nodeName, a.GetName()))
	}
	switch a.GetOperation() {
	case admission.Create:
		node, ok := a.GetObject().(*corev1.Node)
		if !ok {
			return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetObject()))
		}
		//lint:ignore SA1019 NodeRestriction still refuses the removed dynamic kubelet config, as upstream's.
		if node.Spec.ConfigSource != nil {
			return admission.NewForbidden(a, fmt.Errorf("node %q is not allowed to create pods with a non-nil configSource", nodeName))
		}
		if forbidden := forbiddenNodeLabels(node.Labels, nil); len(forbidden) > 0 {
			return admission.NewForbidden(a, fmt.Errorf("node %q is not allowed to set the following labels: %s", nodeName, strings.Join(forbidden, ", ")))
		}
	case admission.Update:
		node, ok := a.GetObject().(*corev1.Node)
		if !ok {
			return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetObject()))
		}
		old, ok := a.GetOldObject().(*corev1.Node)
		if !ok {
			return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetObject()))
		}
		// Only a new non-nil source counts: old kubelets drop the field.
		//lint:ignore SA1019 NodeRestriction still refuses the removed dynamic kubelet config, as upstream's.
		if node.Spec.ConfigSource != nil && !apiequality.Semantic.DeepEqual(node.Spec.ConfigSource, old.Spec.ConfigSource) {
			return admission.NewForbidden(a, fmt.Errorf("node %q is not allowed to update configSource to a new non-nil configSource", nodeName))
		}
		if !apiequality.Semantic.DeepEqual(node.Spec.Taints, old.Spec.Taints) {
			return admission.NewForbidden(a, fmt.Errorf("node %q is not allowed to modify taints", nodeName))
		}
		if forbidden := forbiddenNodeLabels(node.Labels, old.Labels); len(forbidden) > 0 {
			return admission.NewForbidden(a, fmt.Errorf("is not allowed to modify labels: %s", strings.Join(forbidden, ", ")))
		}
	}
	return nil
}

// kubeletLabels are the kubernetes.io labels a kubelet may set on its
// Node; kubeletLabelDomains are the label domains it may use, each with
// its subdomains (upstream's k8s.io/kubelet/pkg/apis).
var (
	kubeletLabels = []string{
		corev1.LabelHostname,
		corev1.LabelTopologyZone, corev1.LabelTopologyRegion,
		corev1.LabelFailureDomainBetaZone, corev1.LabelFailureDomainBetaRegion,
		corev1.LabelInstanceType, corev1.LabelInstanceTypeStable,
		corev1.LabelOSStable, corev1.LabelArchStable,
		"beta.kubernetes.io/os", "beta.kubernetes.io/arch",
	}
	kubeletLabelDomains = []string{corev1.LabelNamespaceSuffixKubelet, corev1.LabelNamespaceSuffixNode}
)

// forbiddenNodeLabels are the sorted keys a node adds, changes or removes
// going from old to labels that it may not: any under
// node-restriction.kubernetes.io, and any other kubernetes.io or k8s.io
// label (node-role.kubernetes.io/… among them) that is not a kubelet's.
func forbiddenNodeLabels(labels, old map[string]string) []string {
	var forbidden []string
	check := func(key string) {
		domain, _, ok := strings.Cut(key, "/")
		if !ok {
			return
		}
		if inDomain(domain, corev1.LabelNamespaceNodeRestriction) ||
			(inDomain(domain, "kubernetes.io") || inDomain(domain, "k8s.io")) && !isKubeletLabel(key, domain) {
			forbidden = append(forbidden, key)
		}
	}
	for k, v := range labels {
		if w, ok := old[k]; !ok || w != v {
			check(k)
		}
	}
	for k := range old {
		if _, ok := labels[k]; !ok {
			check(k)
		}
	}
	slices.Sort(forbidden)
	return forbidden
}

// inDomain reports whether a label domain is parent or one of its
// subdomains.
func inDomain(domain, parent string) bool {
	return domain == parent || strings.HasSuffix(domain, "."+parent)
}

func isKubeletLabel(key, domain string) bool {
	if slices.Contains(kubeletLabels, key) {
		return true
	}
	for _, d := range kubeletLabelDomains {
		if inDomain(domain, d) {
			return true
		}
	}
	return false
}

// admitServiceAccount allows a node to request only tokens bound to a pod
// of its own, for an audience that pod uses or that the node is
// authorized to request.
func (p *nodeRestriction) admitServiceAccount(ctx context.Context, nodeName string, a admission.Attributes) error {
	if a.GetOperation() != admission.Create || a.GetSubresource() != "token" {
		return nil
	}
	tr, ok := a.GetObject().(*authenticationv1.TokenRequest)
	if !ok {
		return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetObject()))
	}
	ref := tr.Spec.BoundObjectRef
	if ref == nil || ref.APIVersion != "v1" || ref.Kind != "Pod" || ref.Name == "" {
		return admission.NewForbidden(a, errors.New("node requested token not bound to a pod"))
	}
	if ref.UID == "" {
		return admission.NewForbidden(a, errors.New("node requested token with a pod binding without a uid"))
	}
	pod, err := p.existingPod(a, ref.Name)
	if err != nil {
		return err
	}
	if ref.UID != pod.UID {
		return admission.NewForbidden(a, fmt.Errorf("the UID in the bound object reference (%s) does not match the UID in record. The object might have been deleted and then recreated", ref.UID))
	}
	if pod.Spec.NodeName != nodeName {
		return admission.NewForbidden(a, errors.New("node requested token bound to a pod scheduled on a different node"))
	}
	return p.admitTokenAudience(ctx, nodeName, tr, pod, a)
}

// admitTokenAudience is ServiceAccountNodeAudienceRestriction: a node asks
// for at most one audience (none is the API server's own), which the pod's
// projected service account tokens use or which the node is authorized to
// request (verb request-serviceaccounts-token-audience on the audience as
// resource, the service account as name). fakecluster serves no CSIDrivers,
// so no CSI driver's token requests add audiences.
func (p *nodeRestriction) admitTokenAudience(ctx context.Context, nodeName string, tr *authenticationv1.TokenRequest, pod *corev1.Pod, a admission.Attributes) error {
	var audience string
	switch len(tr.Spec.Audiences) {
	case 0:
	case 1:
		audience = tr.Spec.Audiences[0]
	default:
		return admission.NewForbidden(a, errors.New("node may only request 0 or 1 audiences"))
	}
	for _, v := range pod.Spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, src := range v.Projected.Sources {
			if src.ServiceAccountToken != nil && src.ServiceAccountToken.Audience == audience {
				return nil
			}
		}
	}
	if p.authz != nil {
		decision, _, err := p.authz.Authorize(ctx, authorizer.AttributesRecord{
			User: a.GetUserInfo(), Verb: "request-serviceaccounts-token-audience",
			Namespace: a.GetNamespace(), APIVersion: "v1", Resource: audience, Name: a.GetName(),
			ResourceRequest: true,
		})
		if err == nil && decision == authorizer.DecisionAllow {
			return nil
		}
	}
	return admission.NewForbidden(a, fmt.Errorf("audience %q not found in pod spec volume, system:node:%s is not authorized to request tokens for this audience", audience, nodeName))
}

// admitOwnObject allows a node to write only the object of the resource
// (a node Lease, a CSINode) named after it; on create the name is the
// object's, which the Node authorizer could not see.
func admitOwnObject(nodeName, what string, a admission.Attributes) error {
	name := a.GetName()
	if a.GetOperation() == admission.Create {
		obj, err := meta.Accessor(a.GetObject())
		if err != nil {
			return admission.NewForbidden(a, errors.New("unable to access the object name"))
		}
		name = obj.GetName()
	}
	if name != nodeName {
		return admission.NewForbidden(a, fmt.Errorf("can only access %s with the same name as the requesting node", what))
	}
	return nil
}

// admitResourceSlice allows a node to create and delete only the
// ResourceSlices of its own node, which the Node authorizer cannot check
// on create nor for each object of a delete collection.
func admitResourceSlice(nodeName string, a admission.Attributes) error {
	var obj any
	verb := ""
	switch a.GetOperation() {
	case admission.Create:
		obj, verb = a.GetObject(), "create"
	case admission.Delete:
		obj, verb = a.GetOldObject(), "delete"
	default:
		return nil
	}
	slice, ok := obj.(*resourcev1.ResourceSlice)
	if !ok {
		return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", obj))
	}
	if slice.Spec.NodeName == nil || *slice.Spec.NodeName != nodeName {
		return admission.NewForbidden(a, fmt.Errorf("can only %s ResourceSlice with the same NodeName as the requesting node", verb))
	}
	return nil
}

// admitCSR allows a node to request a kubelet client or serving
// certificate only in its own name.
func admitCSR(nodeName string, a admission.Attributes) error {
	if a.GetOperation() != admission.Create {
		return nil
	}
	csr, ok := a.GetObject().(*certificatesv1.CertificateSigningRequest)
	if !ok {
		return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetObject()))
	}
	if csr.Spec.SignerName != certificatesv1.KubeletServingSignerName && csr.Spec.SignerName != certificatesv1.KubeAPIServerClientKubeletSignerName {
		return nil
	}
	req, err := parseCSR(csr.Spec.Request)
	if err != nil {
		return admission.NewForbidden(a, fmt.Errorf("unable to parse csr: %w", err))
	}
	if req.Subject.CommonName != "system:node:"+nodeName {
		return admission.NewForbidden(a, fmt.Errorf("can only create a node CSR with CN=system:node:%s", nodeName))
	}
	return nil
}

// parseCSR decodes a PEM-encoded certificate request.
func parseCSR(data []byte) (*x509.CertificateRequest, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return nil, errors.New("PEM block type must be CERTIFICATE REQUEST")
	}
	return x509.ParseCertificateRequest(block.Bytes)
}
