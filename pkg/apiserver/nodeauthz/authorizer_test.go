package nodeauthz_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/nodeauthz"
)

var (
	node1    = &user.DefaultInfo{Name: "system:node:n1", Groups: []string{user.NodesGroup, user.AllAuthenticated}}
	alice    = &user.DefaultInfo{Name: "alice", Groups: []string{user.AllAuthenticated}}
	noGroup  = &user.DefaultInfo{Name: "system:node:n1", Groups: []string{user.AllAuthenticated}}
	noName   = &user.DefaultInfo{Name: "system:node:", Groups: []string{user.NodesGroup}}
	noPrefix = &user.DefaultInfo{Name: "n1", Groups: []string{user.NodesGroup}}
)

func TestNodeIdentity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		user     user.Info
		wantName string
		wantNode bool
	}{
		{name: "node", user: node1, wantName: "n1", wantNode: true},
		{name: "not a node", user: alice},
		{name: "node name without the nodes group", user: noGroup},
		{name: "nodes group without the node name", user: noPrefix},
		{name: "node without a name", user: noName, wantNode: true},
		{name: "no user", user: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name, isNode := nodeauthz.NodeIdentity(tc.user)
			if name != tc.wantName || isNode != tc.wantNode {
				t.Errorf("NodeIdentity = %q, %v; want %q, %v", name, isNode, tc.wantName, tc.wantNode)
			}
		})
	}
}

// newAuthorizer is an authorizer over objs, put straight into its
// informers' stores (nothing is started).
func newAuthorizer(t testing.TB, opts nodeauthz.Options, objs ...any) *nodeauthz.Authorizer {
	t.Helper()
	f := informers.NewSharedInformerFactory(fake.NewClientset(), 0)
	a, synced, err := nodeauthz.New(f, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	want := 2
	if opts.VolumeAttachments {
		want = 3
	}
	if len(synced) != want {
		t.Errorf("New returned %d InformerSynced, want %d", len(synced), want)
	}
	for _, obj := range objs {
		var inf cache.SharedIndexInformer
		switch obj.(type) {
		case *corev1.Pod:
			inf = f.Core().V1().Pods().Informer()
		case *corev1.PersistentVolume:
			inf = f.Core().V1().PersistentVolumes().Informer()
		case *storagev1.VolumeAttachment:
			inf = f.Storage().V1().VolumeAttachments().Informer()
		default:
			t.Fatalf("unexpected object %T", obj)
		}
		if err := inf.GetIndexer().Add(obj); err != nil {
			t.Fatalf("add %T: %v", obj, err)
		}
	}
	return a
}

// fixtures is the state the table runs against: pods on n1 and n2 in ns,
// what they use, and volumes bound to their claims.
func fixtures() []any {
	onN1 := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p1"},
		Spec: corev1.PodSpec{
			NodeName:           "n1",
			ServiceAccountName: "sa1",
			ImagePullSecrets:   []corev1.LocalObjectReference{{Name: "pull"}},
			Containers: []corev1.Container{{
				Name: "c",
				Env: []corev1.EnvVar{
					{Name: "A", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "env-secret"}, Key: "k"}}},
					{Name: "B", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "env-cm"}, Key: "k"}}},
				},
			}},
			EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
				Name:    "debug",
				EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "debug-secret"}}}},
			}}},
			Volumes: []corev1.Volume{
				{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "vol-secret"}}},
				{Name: "proj", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
					{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"}}},
					{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token"}},
				}}}},
				{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "claim1"}}},
				{Name: "scratch", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{}}},
			},
			ResourceClaims: []corev1.PodResourceClaim{
				{Name: "gpu", ResourceClaimName: ptr.To("gpu-claim")},
				{Name: "tmpl", ResourceClaimTemplateName: ptr.To("t")},
				{Name: "pending", ResourceClaimTemplateName: ptr.To("t")},
			},
		},
		Status: corev1.PodStatus{ResourceClaimStatuses: []corev1.PodResourceClaimStatus{{Name: "tmpl", ResourceClaimName: ptr.To("p1-tmpl-x")}}},
	}
	onN2 := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p2"},
		Spec: corev1.PodSpec{
			NodeName:           "n2",
			ServiceAccountName: "sa2",
			Volumes: []corev1.Volume{
				{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "n2-secret"}}},
				{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "claim2"}}},
			},
		},
	}
	mirror := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "static-n1", Annotations: map[string]string{corev1.MirrorPodAnnotationKey: "x"}},
		Spec: corev1.PodSpec{
			NodeName:           "n1",
			ServiceAccountName: "mirror-sa",
			Volumes:            []corev1.Volume{{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "mirror-secret"}}}},
		},
	}
	unbound := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "pending"},
		Spec:       corev1.PodSpec{Volumes: []corev1.Volume{{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "pending-secret"}}}}},
	}
	otherNS := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "other", Name: "p1"},
		Spec:       corev1.PodSpec{NodeName: "n1", ServiceAccountName: "other-sa"},
	}
	csiPV := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "pv1"},
		Spec: corev1.PersistentVolumeSpec{
			ClaimRef: &corev1.ObjectReference{Namespace: "ns", Name: "claim1"},
			PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{
				Driver:                     "d",
				NodePublishSecretRef:       &corev1.SecretReference{Name: "publish", Namespace: "ns"},
				NodeStageSecretRef:         &corev1.SecretReference{Name: "stage", Namespace: "secrets"},
				ControllerPublishSecretRef: &corev1.SecretReference{Name: "controller", Namespace: "ns"},
			}},
		},
	}
	rbdPV := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "pv-ephemeral"},
		Spec: corev1.PersistentVolumeSpec{
			ClaimRef:               &corev1.ObjectReference{Namespace: "ns", Name: "p1-scratch"},
			PersistentVolumeSource: corev1.PersistentVolumeSource{RBD: &corev1.RBDPersistentVolumeSource{SecretRef: &corev1.SecretReference{Name: "rbd"}}},
		},
	}
	n2PV := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "pv2"},
		Spec:       corev1.PersistentVolumeSpec{ClaimRef: &corev1.ObjectReference{Namespace: "ns", Name: "claim2"}},
	}
	unboundPV := &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv-free"}}
	return []any{onN1, onN2, mirror, unbound, otherNS, csiPV, rbdPV, n2PV, unboundPV}
}

// request is a resource request of the node user n1 unless told.
type request struct {
	user                                     user.Info
	verb, group, resource, sub, namespace, n string
	fieldSelector                            string
	path                                     string // a non-resource request
}

func (r request) attributes(t testing.TB) authorizer.Attributes {
	u := r.user
	if u == nil {
		u = node1
	}
	a := authorizer.AttributesRecord{User: u, Verb: r.verb}
	if r.path != "" {
		a.Path = r.path
		return a
	}
	a.ResourceRequest = true
	a.APIGroup, a.APIVersion, a.Resource, a.Subresource, a.Namespace, a.Name = r.group, "v1", r.resource, r.sub, r.namespace, r.n
	if r.fieldSelector != "" {
		sel, err := fields.ParseSelector(r.fieldSelector)
		if err != nil {
			t.Fatalf("field selector %q: %v", r.fieldSelector, err)
		}
		a.FieldSelectorRequirements = sel.Requirements()
	}
	return a
}

const noRelation = "no relationship found between node 'n1' and this object"

func TestAuthorize(t *testing.T) {
	t.Parallel()
	a := newAuthorizer(t, nodeauthz.Options{}, fixtures()...)
	allow, none := authorizer.DecisionAllow, authorizer.DecisionNoOpinion
	secret := func(verb, name string) request {
		return request{verb: verb, resource: "secrets", namespace: "ns", n: name}
	}
	tests := []struct {
		name       string
		req        request
		want       authorizer.Decision
		wantReason string
	}{
		// who
		{name: "not a node", req: request{user: alice, verb: "get", resource: "secrets", namespace: "ns", n: "vol-secret"}, want: none},
		{name: "node name outside the nodes group", req: request{user: noGroup, verb: "get", resource: "nodes", n: "n1"}, want: none},
		{name: "node credential without a name", req: request{user: noName, verb: "get", resource: "nodes", n: "n1"}, want: none, wantReason: `unknown node for user "system:node:"`},

		// secrets
		{name: "secret volume of its pod", req: secret("get", "vol-secret"), want: allow},
		{name: "image pull secret of its pod", req: secret("get", "pull"), want: allow},
		{name: "env secret of its pod", req: secret("get", "env-secret"), want: allow},
		{name: "secret of an ephemeral container", req: secret("get", "debug-secret"), want: allow},
		{name: "watch of one secret by name", req: secret("watch", "vol-secret"), want: allow},
		{name: "list of one secret by name", req: secret("list", "vol-secret"), want: allow},
		{name: "secret of another node's pod", req: secret("get", "n2-secret"), want: none, wantReason: noRelation},
		{name: "secret of an unbound pod", req: secret("get", "pending-secret"), want: none, wantReason: noRelation},
		{name: "secret of a mirror pod", req: secret("get", "mirror-secret"), want: none, wantReason: noRelation},
		{name: "secret no pod names", req: secret("get", "nobody"), want: none, wantReason: noRelation},
		{name: "its pod's secret in another namespace", req: request{verb: "get", resource: "secrets", namespace: "other", n: "vol-secret"}, want: none, wantReason: noRelation},
		{name: "list of all secrets", req: request{verb: "list", resource: "secrets", namespace: "ns"}, want: none, wantReason: "No Object name found"},
		{name: "list of secrets in every namespace", req: request{verb: "list", resource: "secrets"}, want: none, wantReason: "can only read namespaced object of this type"},
		{name: "update of its pod's secret", req: secret("update", "vol-secret"), want: none, wantReason: "can only read resources of this type"},
		{name: "create a secret", req: request{verb: "create", resource: "secrets", namespace: "ns"}, want: none, wantReason: "can only read resources of this type"},
		{name: "secret subresource", req: request{verb: "get", resource: "secrets", sub: "x", namespace: "ns", n: "vol-secret"}, want: none, wantReason: "cannot read subresource"},
		{name: "node publish secret of its pod's volume", req: secret("get", "publish"), want: allow},
		{name: "node stage secret in another namespace", req: request{verb: "get", resource: "secrets", namespace: "secrets", n: "stage"}, want: allow},
		{name: "controller publish secret of its pod's volume", req: secret("get", "controller"), want: none, wantReason: noRelation},
		{name: "secret of the volume of its ephemeral claim", req: secret("get", "rbd"), want: allow},

		// configmaps
		{name: "env config map of its pod", req: request{verb: "get", resource: "configmaps", namespace: "ns", n: "env-cm"}, want: allow},
		{name: "projected config map of its pod", req: request{verb: "watch", resource: "configmaps", namespace: "ns", n: "kube-root-ca.crt"}, want: allow},
		{name: "config map no pod names", req: request{verb: "get", resource: "configmaps", namespace: "ns", n: "x"}, want: none, wantReason: noRelation},

		// claims and volumes
		{name: "claim of its pod", req: request{verb: "get", resource: "persistentvolumeclaims", namespace: "ns", n: "claim1"}, want: allow},
		{name: "ephemeral claim of its pod", req: request{verb: "get", resource: "persistentvolumeclaims", namespace: "ns", n: "p1-scratch"}, want: allow},
		{name: "claim of another node's pod", req: request{verb: "get", resource: "persistentvolumeclaims", namespace: "ns", n: "claim2"}, want: none, wantReason: noRelation},
		{name: "list claims", req: request{verb: "list", resource: "persistentvolumeclaims", namespace: "ns"}, want: none, wantReason: "can only get individual resources of this type"},
		{name: "patch its claim's status", req: request{verb: "patch", resource: "persistentvolumeclaims", sub: "status", namespace: "ns", n: "claim1"}, want: allow},
		{name: "update another claim's status", req: request{verb: "update", resource: "persistentvolumeclaims", sub: "status", namespace: "ns", n: "claim2"}, want: none, wantReason: noRelation},
		{name: "get its claim's status", req: request{verb: "get", resource: "persistentvolumeclaims", sub: "status", namespace: "ns", n: "claim1"}, want: none, wantReason: "can only get/update/patch this type"},
		{name: "update its claim", req: request{verb: "update", resource: "persistentvolumeclaims", namespace: "ns", n: "claim1"}, want: none, wantReason: "can only get individual resources of this type"},
		{name: "volume of its pod's claim", req: request{verb: "get", resource: "persistentvolumes", n: "pv1"}, want: allow},
		{name: "volume of another node's claim", req: request{verb: "get", resource: "persistentvolumes", n: "pv2"}, want: none, wantReason: noRelation},
		{name: "unbound volume", req: request{verb: "get", resource: "persistentvolumes", n: "pv-free"}, want: none, wantReason: noRelation},
		{name: "missing volume", req: request{verb: "get", resource: "persistentvolumes", n: "nope"}, want: none, wantReason: noRelation},
		{name: "volume subresource", req: request{verb: "get", resource: "persistentvolumes", sub: "status", n: "pv1"}, want: none, wantReason: "cannot get subresource"},
		{name: "volume attachment when none are served", req: request{verb: "get", group: "storage.k8s.io", resource: "volumeattachments", n: "va1"}, want: none, wantReason: noRelation},

		// resource claims and slices
		{name: "resource claim its pod names", req: request{verb: "get", group: "resource.k8s.io", resource: "resourceclaims", namespace: "ns", n: "gpu-claim"}, want: allow},
		{name: "resource claim generated for its pod", req: request{verb: "get", group: "resource.k8s.io", resource: "resourceclaims", namespace: "ns", n: "p1-tmpl-x"}, want: allow},
		{name: "resource claim of a template not yet generated", req: request{verb: "get", group: "resource.k8s.io", resource: "resourceclaims", namespace: "ns", n: "t"}, want: none, wantReason: noRelation},
		{name: "list resource claims", req: request{verb: "list", group: "resource.k8s.io", resource: "resourceclaims", namespace: "ns"}, want: none, wantReason: "can only get individual resources of this type"},
		{name: "create a resource slice", req: request{verb: "create", group: "resource.k8s.io", resource: "resourceslices"}, want: allow},
		{name: "watch its resource slices", req: request{verb: "watch", group: "resource.k8s.io", resource: "resourceslices", fieldSelector: "spec.nodeName=n1"}, want: allow},
		{name: "delete another node's resource slices", req: request{verb: "deletecollection", group: "resource.k8s.io", resource: "resourceslices", fieldSelector: "spec.nodeName=n2"}, want: none, wantReason: "can only list/watch/deletecollection resourceslices with nodeName field selector"},
		{name: "list all resource slices", req: request{verb: "list", group: "resource.k8s.io", resource: "resourceslices"}, want: none, wantReason: "can only list/watch/deletecollection resourceslices with nodeName field selector"},
		{name: "get a resource slice", req: request{verb: "get", group: "resource.k8s.io", resource: "resourceslices", n: "s"}, want: none, wantReason: noRelation},
		{name: "resource slice subresource", req: request{verb: "get", group: "resource.k8s.io", resource: "resourceslices", sub: "status", n: "s"}, want: none, wantReason: "cannot authorize ResourceSlice subresources"},
		{name: "escalate a resource slice", req: request{verb: "escalate", group: "resource.k8s.io", resource: "resourceslices", n: "s"}, want: none, wantReason: "only the following verbs are allowed for a ResourceSlice: get, watch, list, create, update, patch, delete, deletecollection"},

		// service accounts
		{name: "token of its pod's service account", req: request{verb: "create", resource: "serviceaccounts", sub: "token", namespace: "ns", n: "sa1"}, want: allow},
		{name: "token of another node's pod's service account", req: request{verb: "create", resource: "serviceaccounts", sub: "token", namespace: "ns", n: "sa2"}, want: none, wantReason: noRelation},
		{name: "token of a mirror pod's service account", req: request{verb: "create", resource: "serviceaccounts", sub: "token", namespace: "ns", n: "mirror-sa"}, want: none, wantReason: noRelation},
		{name: "token of its pod's service account in another namespace", req: request{verb: "create", resource: "serviceaccounts", sub: "token", namespace: "other", n: "other-sa"}, want: allow},
		{name: "get its pod's service account", req: request{verb: "get", resource: "serviceaccounts", namespace: "ns", n: "sa1"}, want: allow},
		{name: "get another service account", req: request{verb: "get", resource: "serviceaccounts", namespace: "ns", n: "sa2"}, want: none, wantReason: noRelation},
		{name: "list service accounts", req: request{verb: "list", resource: "serviceaccounts", namespace: "ns"}, want: none, wantReason: "can only create tokens for individual service accounts"},
		{name: "create a service account", req: request{verb: "create", resource: "serviceaccounts", namespace: "ns"}, want: none, wantReason: "can only create tokens for individual service accounts"},
		{name: "other service account subresource", req: request{verb: "create", resource: "serviceaccounts", sub: "x", namespace: "ns", n: "sa1"}, want: none, wantReason: "can only create token subresource of serviceaccount"},

		// leases and CSINodes
		{name: "get its lease", req: request{verb: "get", group: "coordination.k8s.io", resource: "leases", namespace: "kube-node-lease", n: "n1"}, want: allow},
		{name: "create a lease", req: request{verb: "create", group: "coordination.k8s.io", resource: "leases", namespace: "kube-node-lease"}, want: allow},
		{name: "update another node's lease", req: request{verb: "update", group: "coordination.k8s.io", resource: "leases", namespace: "kube-node-lease", n: "n2"}, want: none, wantReason: "can only access node lease with the same name as the requesting node"},
		{name: "lease in another namespace", req: request{verb: "get", group: "coordination.k8s.io", resource: "leases", namespace: "kube-system", n: "n1"}, want: none, wantReason: `can only access leases in the "kube-node-lease" system namespace`},
		{name: "list leases", req: request{verb: "list", group: "coordination.k8s.io", resource: "leases", namespace: "kube-node-lease"}, want: none, wantReason: "can only get, create, update, patch, or delete a node lease"},
		{name: "patch its CSINode", req: request{verb: "patch", group: "storage.k8s.io", resource: "csinodes", n: "n1"}, want: allow},
		{name: "delete another CSINode", req: request{verb: "delete", group: "storage.k8s.io", resource: "csinodes", n: "n2"}, want: none, wantReason: "can only access CSINode with the same name as the requesting node"},
		{name: "watch CSINodes", req: request{verb: "watch", group: "storage.k8s.io", resource: "csinodes"}, want: none, wantReason: "can only get, create, update, patch, or delete a CSINode"},
		{name: "CSINode subresource", req: request{verb: "get", group: "storage.k8s.io", resource: "csinodes", sub: "x", n: "n1"}, want: none, wantReason: "cannot authorize CSINode subresources"},

		// nodes
		{name: "get its node", req: request{verb: "get", resource: "nodes", n: "n1"}, want: allow},
		{name: "watch its node by name", req: request{verb: "watch", resource: "nodes", n: "n1", fieldSelector: "metadata.name=n1"}, want: allow},
		{name: "get another node", req: request{verb: "get", resource: "nodes", n: "n2"}, want: none, wantReason: "node 'n1' cannot read 'n2', only its own Node object"},
		{name: "list all nodes", req: request{verb: "list", resource: "nodes"}, want: none, wantReason: "node 'n1' cannot read all nodes, only its own Node object"},
		{name: "create a node", req: request{verb: "create", resource: "nodes"}, want: allow},
		{name: "update another node", req: request{verb: "update", resource: "nodes", n: "n2"}, want: allow}, // NodeRestriction refuses it
		{name: "patch its node status", req: request{verb: "patch", resource: "nodes", sub: "status", n: "n1"}, want: allow},
		{name: "delete its node", req: request{verb: "delete", resource: "nodes", n: "n1"}, want: none},
		{name: "node proxy", req: request{verb: "get", resource: "nodes", sub: "proxy", n: "n1"}, want: none},

		// pods
		{name: "get its pod", req: request{verb: "get", resource: "pods", namespace: "ns", n: "p1"}, want: allow},
		{name: "get its mirror pod", req: request{verb: "get", resource: "pods", namespace: "ns", n: "static-n1"}, want: allow},
		{name: "get another node's pod", req: request{verb: "get", resource: "pods", namespace: "ns", n: "p2"}, want: none, wantReason: noRelation},
		{name: "get a missing pod", req: request{verb: "get", resource: "pods", namespace: "ns", n: "nope"}, want: none, wantReason: noRelation},
		{name: "list its pods", req: request{verb: "list", resource: "pods", fieldSelector: "spec.nodeName=n1"}, want: allow},
		{name: "watch its pods", req: request{verb: "watch", resource: "pods", fieldSelector: "spec.nodeName=n1"}, want: allow},
		{name: "watch another node's pods", req: request{verb: "watch", resource: "pods", fieldSelector: "spec.nodeName=n2"}, want: none, wantReason: "can only list/watch pods with spec.nodeName field selector"},
		{name: "list pods not on it", req: request{verb: "list", resource: "pods", fieldSelector: "spec.nodeName!=n1"}, want: none, wantReason: "can only list/watch pods with spec.nodeName field selector"},
		{name: "list all pods", req: request{verb: "list", resource: "pods"}, want: none, wantReason: "can only list/watch pods with spec.nodeName field selector"},
		{name: "watch its pod by name", req: request{verb: "watch", resource: "pods", namespace: "ns", n: "p1", fieldSelector: "metadata.name=p1"}, want: allow},
		{name: "watch another node's pod by name", req: request{verb: "watch", resource: "pods", namespace: "ns", n: "p2", fieldSelector: "metadata.name=p2"}, want: none, wantReason: noRelation},
		{name: "create a pod", req: request{verb: "create", resource: "pods", namespace: "ns"}, want: allow},
		{name: "delete a pod", req: request{verb: "delete", resource: "pods", namespace: "ns", n: "p2"}, want: allow}, // NodeRestriction refuses it
		{name: "update a pod", req: request{verb: "update", resource: "pods", namespace: "ns", n: "p1"}, want: none},
		{name: "update a pod's status", req: request{verb: "update", resource: "pods", sub: "status", namespace: "ns", n: "p1"}, want: allow},
		{name: "evict a pod", req: request{verb: "create", resource: "pods", sub: "eviction", namespace: "ns", n: "p1"}, want: allow},
		{name: "exec into a pod", req: request{verb: "create", resource: "pods", sub: "exec", namespace: "ns", n: "p1"}, want: none},

		// the system:node role
		{name: "watch services", req: request{verb: "watch", resource: "services"}, want: allow},
		{name: "create an event", req: request{verb: "create", resource: "events", namespace: "ns"}, want: allow},
		{name: "patch an events.k8s.io event", req: request{verb: "patch", group: "events.k8s.io", resource: "events", namespace: "ns", n: "e"}, want: allow},
		{name: "create a token review", req: request{verb: "create", group: "authentication.k8s.io", resource: "tokenreviews"}, want: allow},
		{name: "get endpoints", req: request{verb: "get", resource: "endpoints", namespace: "ns", n: "e"}, want: allow},
		{name: "list endpoints", req: request{verb: "list", resource: "endpoints", namespace: "ns"}, want: none},
		{name: "list deployments", req: request{verb: "list", group: "apps", resource: "deployments"}, want: none},
		{name: "delete services", req: request{verb: "delete", resource: "services", namespace: "ns", n: "s"}, want: none},
		{name: "non-resource path", req: request{verb: "get", path: "/healthz"}, want: none},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, reason, err := a.Authorize(context.Background(), tc.req.attributes(t))
			if err != nil {
				t.Fatalf("Authorize: %v", err)
			}
			if got != tc.want || reason != tc.wantReason {
				t.Errorf("Authorize = %v, %q; want %v, %q", got, reason, tc.want, tc.wantReason)
			}
		})
	}
}

// TestVolumeAttachments checks that attachments count once they are
// served: each is related to the node it names.
func TestVolumeAttachments(t *testing.T) {
	t.Parallel()
	a := newAuthorizer(t, nodeauthz.Options{VolumeAttachments: true},
		&storagev1.VolumeAttachment{ObjectMeta: metav1.ObjectMeta{Name: "va1"}, Spec: storagev1.VolumeAttachmentSpec{NodeName: "n1"}},
		&storagev1.VolumeAttachment{ObjectMeta: metav1.ObjectMeta{Name: "va2"}, Spec: storagev1.VolumeAttachmentSpec{NodeName: "n2"}})
	tests := []struct {
		name, verb, attachment string
		want                   authorizer.Decision
		wantReason             string
	}{
		{name: "its attachment", verb: "get", attachment: "va1", want: authorizer.DecisionAllow},
		{name: "another node's attachment", verb: "get", attachment: "va2", want: authorizer.DecisionNoOpinion, wantReason: noRelation},
		{name: "missing attachment", verb: "get", attachment: "va3", want: authorizer.DecisionNoOpinion, wantReason: noRelation},
		{name: "list attachments", verb: "list", want: authorizer.DecisionNoOpinion, wantReason: "can only get individual resources of this type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := request{verb: tc.verb, group: "storage.k8s.io", resource: "volumeattachments", n: tc.attachment}
			got, reason, err := a.Authorize(context.Background(), req.attributes(t))
			if err != nil || got != tc.want || reason != tc.wantReason {
				t.Errorf("Authorize = %v, %q, %v; want %v, %q", got, reason, err, tc.want, tc.wantReason)
			}
		})
	}
}

func TestRulesFor(t *testing.T) {
	t.Parallel()
	a := newAuthorizer(t, nodeauthz.Options{})
	for _, tc := range []struct {
		name           string
		user           user.Info
		wantIncomplete bool
	}{
		{name: "node", user: node1, wantIncomplete: true},
		{name: "not a node", user: alice},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, nonRes, incomplete, err := a.RulesFor(context.Background(), tc.user, "ns")
			if len(res) != 0 || len(nonRes) != 0 || incomplete != tc.wantIncomplete || (err != nil) != tc.wantIncomplete {
				t.Errorf("RulesFor = %v, %v, %v, %v; want no rules, incomplete %v", res, nonRes, incomplete, err, tc.wantIncomplete)
			}
		})
	}
}

// BenchmarkAuthorizeNotANode measures what the authorizer costs everyone
// else: a string check.
func BenchmarkAuthorizeNotANode(b *testing.B) {
	a := newAuthorizer(b, nodeauthz.Options{}, fixtures()...)
	attrs := request{user: alice, verb: "get", resource: "secrets", namespace: "ns", n: "s"}.attributes(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if d, _, _ := a.Authorize(ctx, attrs); d != authorizer.DecisionNoOpinion {
			b.Fatal(d)
		}
	}
}
