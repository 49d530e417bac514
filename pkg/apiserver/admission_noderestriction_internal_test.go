package apiserver

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	resourcev1 "k8s.io/api/resource/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"
)

var (
	nrNode    = &user.DefaultInfo{Name: "system:node:n1", Groups: []string{user.NodesGroup, user.AllAuthenticated}}
	nrAlice   = &user.DefaultInfo{Name: "alice", Groups: []string{user.AllAuthenticated}}
	nrNoGroup = &user.DefaultInfo{Name: "system:node:n1", Groups: []string{user.AllAuthenticated}}
	nrNoName  = &user.DefaultInfo{Name: "system:node:", Groups: []string{user.NodesGroup}}
)

// nrCase is one request to NodeRestriction and what it answers: nothing,
// a 403 with wantErr as upstream's text, or another status code.
type nrCase struct {
	name        string
	user        user.Info // node n1 unless set
	op          admission.Operation
	resource    schema.GroupResource
	subresource string
	namespace   string
	objName     string
	obj, old    runtime.Object
	wantErr     string
	wantCode    int32 // 403 when wantErr is set, unless told
}

// newTestNodeRestriction is the plugin over n1, its pods and other
// node's, with an authorizer that lets n1 request tokens for the audience
// "granted" of service account sa.
func newTestNodeRestriction(t testing.TB) *nodeRestriction {
	t.Helper()
	f := informers.NewSharedInformerFactory(fake.NewClientset(), 0)
	authz := authorizer.AuthorizerFunc(func(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
		if a.GetUser().GetName() == "system:node:n1" && a.GetVerb() == "request-serviceaccounts-token-audience" &&
			a.GetResource() == "granted" && a.GetName() == "sa" && a.GetNamespace() == "ns" && a.IsResourceRequest() {
			return authorizer.DecisionAllow, "", nil
		}
		return authorizer.DecisionNoOpinion, "", nil
	})
	p := newNodeRestriction(f, authz)
	for _, obj := range []runtime.Object{
		nrPod("p1", "n1", nil), nrPod("p2", "n2", nil),
		nrPod("audiences", "n1", func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "t", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
				{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token"}},
				{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "vault", Audience: "vault"}},
			}}}}}
		}),
	} {
		if err := f.Core().V1().Pods().Informer().GetIndexer().Add(obj); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Core().V1().Nodes().Informer().GetIndexer().Add(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", UID: "node-uid"}}); err != nil {
		t.Fatal(err)
	}
	return p
}

func nrPod(name, node string, mutate func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID("uid-" + name), Labels: map[string]string{"app": "a"}},
		Spec:       corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}
	if mutate != nil {
		mutate(p)
	}
	return p
}

// mirror is a mirror pod of n1 as a kubelet creates it.
func mirror(mutate func(*corev1.Pod)) *corev1.Pod {
	return nrPod("static-n1", "n1", func(p *corev1.Pod) {
		p.Annotations = map[string]string{corev1.MirrorPodAnnotationKey: "hash"}
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: "n1", UID: "node-uid", Controller: ptr.To(true)}}
		if mutate != nil {
			mutate(p)
		}
	})
}

func nrNodeObject(name string, mutate func(*corev1.Node)) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		corev1.LabelHostname: name, corev1.LabelOSStable: "linux", corev1.LabelArchStable: "amd64",
		"beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64",
	}}}
	if mutate != nil {
		mutate(n)
	}
	return n
}

func runNRCases(t *testing.T, p *nodeRestriction, cases []nrCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			who := tc.user
			if who == nil {
				who = nrNode
			}
			gvr := tc.resource.WithVersion("v1")
			a := admission.NewAttributesRecord(tc.obj, tc.old, schema.GroupVersionKind{}, tc.namespace, tc.objName, gvr, tc.subresource, tc.op, nil, false, who)
			err := p.Admit(context.Background(), a, nil)
			want := tc.wantCode
			if want == 0 && tc.wantErr != "" {
				want = http.StatusForbidden
			}
			switch {
			case want == 0 && err != nil:
				t.Fatalf("Admit: %v; want it admitted", err)
			case want == 0:
				return
			case err == nil:
				t.Fatalf("Admit admitted it; want %d %q", want, tc.wantErr)
			}
			var status *apierrors.StatusError
			if !errors.As(err, &status) || status.ErrStatus.Code != want {
				t.Fatalf("Admit: %v (%T); want status %d", err, err, want)
			}
			if tc.wantErr != "" && !strings.HasSuffix(err.Error(), " is forbidden: "+tc.wantErr) {
				t.Errorf("Admit: %q; want it to end %q", err.Error(), " is forbidden: "+tc.wantErr)
			}
		})
	}
}

var (
	podsGR   = corev1.Resource("pods")
	nodesGR  = corev1.Resource("nodes")
	pvcsGR   = corev1.Resource("persistentvolumeclaims")
	saGR     = corev1.Resource("serviceaccounts")
	secretGR = corev1.Resource("secrets")
)

func TestNodeRestrictionWho(t *testing.T) {
	t.Parallel()
	p := newTestNodeRestriction(t)
	runNRCases(t, p, []nrCase{
		{name: "not a node updates another node", user: nrAlice, op: admission.Update, resource: nodesGR, objName: "n2", obj: nrNodeObject("n2", nil), old: nrNodeObject("n2", nil)},
		{name: "node name outside the nodes group", user: nrNoGroup, op: admission.Update, resource: nodesGR, objName: "n2", obj: nrNodeObject("n2", nil), old: nrNodeObject("n2", nil)},
		{name: "node without a name", user: nrNoName, op: admission.Update, resource: nodesGR, objName: "n1", obj: nrNodeObject("n1", nil), old: nrNodeObject("n1", nil),
			wantErr: `could not determine node from user "system:node:"`},
		{name: "node writes a secret", op: admission.Create, resource: secretGR, namespace: "ns", obj: &corev1.Secret{}},
	})
}

func TestNodeRestrictionNodes(t *testing.T) {
	t.Parallel()
	p := newTestNodeRestriction(t)
	withLabels := func(labels map[string]string) *corev1.Node {
		return nrNodeObject("n1", func(n *corev1.Node) {
			for k, v := range labels {
				n.Labels[k] = v
			}
		})
	}
	taint := func(n *corev1.Node) { n.Spec.Taints = []corev1.Taint{{Key: "x", Effect: corev1.TaintEffectNoSchedule}} }
	config := func(n *corev1.Node) {
		//lint:ignore SA1019 the plugin must still refuse the removed field.
		n.Spec.ConfigSource = &corev1.NodeConfigSource{ConfigMap: &corev1.ConfigMapNodeConfigSource{Namespace: "kube-system", Name: "c", KubeletConfigKey: "k"}}
	}
	update := func(name string, obj, old *corev1.Node) nrCase {
		return nrCase{name: name, op: admission.Update, resource: nodesGR, objName: obj.Name, obj: obj, old: old}
	}
	cases := []nrCase{
		{name: "register itself as the kubelet does", op: admission.Create, resource: nodesGR, objName: "n1", obj: nrNodeObject("n1", nil)},
		{name: "register another node", op: admission.Create, resource: nodesGR, objName: "n2", obj: nrNodeObject("n2", nil), wantErr: `node "n1" is not allowed to modify node "n2"`},
		{name: "register with kubelet labels", op: admission.Create, resource: nodesGR, objName: "n1", obj: withLabels(map[string]string{
			"topology.kubernetes.io/zone": "z", "failure-domain.beta.kubernetes.io/region": "r", "node.kubernetes.io/instance-type": "t",
			"beta.kubernetes.io/instance-type": "t", "kubelet.kubernetes.io/x": "y", "a.node.kubernetes.io/x": "y", "example.com/free": "z", "plain": "p",
		})},
		{name: "register with a node-role label", op: admission.Create, resource: nodesGR, objName: "n1", obj: withLabels(map[string]string{"node-role.kubernetes.io/control-plane": ""}),
			wantErr: `node "n1" is not allowed to set the following labels: node-role.kubernetes.io/control-plane`},
		{name: "register with node-restriction labels", op: admission.Create, resource: nodesGR, objName: "n1", obj: withLabels(map[string]string{"node-restriction.kubernetes.io/a": "", "x.node-restriction.kubernetes.io/b": ""}),
			wantErr: `node "n1" is not allowed to set the following labels: node-restriction.kubernetes.io/a, x.node-restriction.kubernetes.io/b`},
		{name: "register with other kubernetes.io and k8s.io labels", op: admission.Create, resource: nodesGR, objName: "n1", obj: withLabels(map[string]string{"kubernetes.io/unknown": "", "foo.k8s.io/x": "", "k8s.io/y": ""}),
			wantErr: `node "n1" is not allowed to set the following labels: foo.k8s.io/x, k8s.io/y, kubernetes.io/unknown`},
		{name: "register with a config source", op: admission.Create, resource: nodesGR, objName: "n1", obj: nrNodeObject("n1", config),
			wantErr: `node "n1" is not allowed to create pods with a non-nil configSource`},
		update("update its status", nrNodeObject("n1", nil), nrNodeObject("n1", nil)),
		update("keep its taints", nrNodeObject("n1", taint), nrNodeObject("n1", taint)),
		update("add a taint", nrNodeObject("n1", taint), nrNodeObject("n1", nil)),
		update("remove its taints", nrNodeObject("n1", nil), nrNodeObject("n1", taint)),
		update("change a kubelet label", withLabels(map[string]string{corev1.LabelOSStable: "windows", "topology.kubernetes.io/zone": "b"}), withLabels(map[string]string{"topology.kubernetes.io/zone": "a"})),
		update("change a custom label", withLabels(map[string]string{"example.com/x": "new"}), withLabels(map[string]string{"example.com/x": "old"})),
		update("remove a node-role label", nrNodeObject("n1", nil), withLabels(map[string]string{"node-role.kubernetes.io/worker": ""})),
		update("keep a node-role label set by an admin", withLabels(map[string]string{"node-role.kubernetes.io/worker": ""}), withLabels(map[string]string{"node-role.kubernetes.io/worker": ""})),
		update("add a config source", nrNodeObject("n1", config), nrNodeObject("n1", nil)),
		update("drop its config source", nrNodeObject("n1", nil), nrNodeObject("n1", config)),
		update("update another node", nrNodeObject("n2", nil), nrNodeObject("n2", nil)),
		{name: "delete itself", op: admission.Delete, resource: nodesGR, objName: "n1", old: nrNodeObject("n1", nil)},
		{name: "delete another node", op: admission.Delete, resource: nodesGR, objName: "n2", old: nrNodeObject("n2", nil), wantErr: `node "n1" is not allowed to modify node "n2"`},
	}
	wantErrs := map[string]string{
		"add a taint":              `node "n1" is not allowed to modify taints`,
		"remove its taints":        `node "n1" is not allowed to modify taints`,
		"remove a node-role label": "is not allowed to modify labels: node-role.kubernetes.io/worker",
		"add a config source":      `node "n1" is not allowed to update configSource to a new non-nil configSource`,
		"update another node":      `node "n1" is not allowed to modify node "n2"`,
	}
	for i := range cases {
		if want, ok := wantErrs[cases[i].name]; ok {
			cases[i].wantErr = want
		}
	}
	runNRCases(t, p, cases)
}

func TestNodeRestrictionPods(t *testing.T) {
	t.Parallel()
	p := newTestNodeRestriction(t)
	create := func(name string, pod *corev1.Pod, wantErr string) nrCase {
		return nrCase{name: name, op: admission.Create, resource: podsGR, namespace: "ns", objName: pod.Name, obj: pod, wantErr: wantErr}
	}
	vol := func(src corev1.VolumeSource) func(*corev1.Pod) {
		return func(p *corev1.Pod) {
			p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "v", VolumeSource: src})
		}
	}
	proj := func(src corev1.VolumeProjection) func(*corev1.Pod) {
		return vol(corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{src}}})
	}
	status := func(name string, obj, old *corev1.Pod, wantErr string) nrCase {
		return nrCase{name: name, op: admission.Update, resource: podsGR, subresource: "status", namespace: "ns", objName: obj.Name, obj: obj, old: old, wantErr: wantErr}
	}
	claimStatus := func(claim string) func(*corev1.Pod) {
		return func(p *corev1.Pod) {
			p.Status.ResourceClaimStatuses = []corev1.PodResourceClaimStatus{{Name: "c", ResourceClaimName: ptr.To(claim)}}
		}
	}
	eviction := func(name, podName, evictionName string, wantCode int32, wantErr string) nrCase {
		return nrCase{name: name, op: admission.Create, resource: podsGR, subresource: "eviction", namespace: "ns", objName: podName,
			obj: &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: evictionName}}, wantCode: wantCode, wantErr: wantErr}
	}
	runNRCases(t, p, []nrCase{
		create("mirror pod of its own", mirror(nil), ""),
		create("mirror pod with emptyDir, hostPath, downward API and projected downward API", mirror(func(p *corev1.Pod) {
			vol(corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}})(p)
			vol(corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}})(p)
			vol(corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{}})(p)
			proj(corev1.VolumeProjection{DownwardAPI: &corev1.DownwardAPIProjection{}})(p)
		}), ""),
		create("pod that is no mirror", nrPod("x", "n1", nil), `pod does not have "kubernetes.io/config.mirror" annotation, node "n1" can only create mirror pods`),
		create("mirror pod of another node", mirror(func(p *corev1.Pod) { p.Spec.NodeName = "n2" }), `node "n1" can only create pods with spec.nodeName set to itself`),
		create("mirror pod without an owner", mirror(func(p *corev1.Pod) { p.OwnerReferences = nil }), `node "n1" can only create pods with an owner reference set to itself`),
		create("mirror pod with two owners", mirror(func(p *corev1.Pod) { p.OwnerReferences = append(p.OwnerReferences, p.OwnerReferences[0]) }),
			`node "n1" can only create pods with a single owner reference set to itself`),
		create("mirror pod owned by another node", mirror(func(p *corev1.Pod) { p.OwnerReferences[0].Name = "n2" }), `node "n1" can only create pods with an owner reference set to itself`),
		create("mirror pod owned by a pod", mirror(func(p *corev1.Pod) { p.OwnerReferences[0].Kind = "Pod" }), `node "n1" can only create pods with an owner reference set to itself`),
		create("mirror pod whose owner is no controller", mirror(func(p *corev1.Pod) { p.OwnerReferences[0].Controller = nil }),
			`node "n1" can only create pods with a controller owner reference set to itself`),
		create("mirror pod blocking its owner's deletion", mirror(func(p *corev1.Pod) { p.OwnerReferences[0].BlockOwnerDeletion = ptr.To(true) }),
			`node "n1" must not set blockOwnerDeletion on an owner reference`),
		create("mirror pod with another node UID", mirror(func(p *corev1.Pod) { p.OwnerReferences[0].UID = "other" }), `node n1 UID mismatch: expected other got node-uid`),
		create("mirror pod with a service account", mirror(func(p *corev1.Pod) { p.Spec.ServiceAccountName = "default" }), `node "n1" can not create pods that reference serviceaccounts`),
		create("mirror pod with a secret volume", mirror(vol(corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "s"}})), `node "n1" can not create pods that reference secrets`),
		create("mirror pod with an image pull secret", mirror(func(p *corev1.Pod) { p.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "s"}} }),
			`node "n1" can not create pods that reference secrets`),
		create("mirror pod with a config map env", mirror(func(p *corev1.Pod) {
			p.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "c"}}}}
		}), `node "n1" can not create pods that reference configmaps`),
		create("mirror pod with a resource claim", mirror(func(p *corev1.Pod) {
			p.Spec.ResourceClaims = []corev1.PodResourceClaim{{Name: "c", ResourceClaimName: ptr.To("c")}}
		}),
			`node "n1" can not create pods that reference resourceclaims`),
		create("mirror pod with a claim", mirror(vol(corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "c"}})),
			`node "n1" can not create pods that reference persistentvolumeclaims`),
		create("mirror pod with an ephemeral volume", mirror(vol(corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{}})),
			`node "n1" can not create pods that reference persistentvolumeclaims (via ephemeral volumes)`),
		create("mirror pod with a CSI volume", mirror(vol(corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{Driver: "d"}})), `node "n1" can not create pods that reference csidrivers (via CSI volumes)`),
		create("mirror pod with a projected token", mirror(proj(corev1.VolumeProjection{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "t"}})),
			`node "n1" can not create pods that reference serviceaccounts (via projected volumes)`),
		create("mirror pod with a cluster trust bundle", mirror(proj(corev1.VolumeProjection{ClusterTrustBundle: &corev1.ClusterTrustBundleProjection{Path: "b"}})),
			`node "n1" can not create pods that reference clustertrustbundles`),
		create("mirror pod with a pod certificate", mirror(proj(corev1.VolumeProjection{PodCertificate: &corev1.PodCertificateProjection{SignerName: "s"}})),
			`node "n1" can not create pods that reference unknown source for projected volume`),
		create("mirror pod with an unknown volume type", mirror(vol(corev1.VolumeSource{})), `node "n1" can not create pods that reference unknown volume type`),
		{name: "update a pod", op: admission.Update, resource: podsGR, namespace: "ns", objName: "p1", obj: nrPod("p1", "n1", nil), old: nrPod("p1", "n1", nil),
			wantErr: `unexpected operation "UPDATE", node "n1" can only create and delete mirror pods`},
		{name: "delete its pod", op: admission.Delete, resource: podsGR, namespace: "ns", objName: "p1"},
		{name: "delete another node's pod", op: admission.Delete, resource: podsGR, namespace: "ns", objName: "p2", wantErr: `node "n1" can only delete pods with spec.nodeName set to itself`},
		{name: "delete a missing pod", op: admission.Delete, resource: podsGR, namespace: "ns", objName: "gone", wantCode: http.StatusNotFound},
		{name: "not a node deletes another node's pod", user: nrAlice, op: admission.Delete, resource: podsGR, namespace: "ns", objName: "p2"},
		status("update its pod's status", nrPod("p1", "n1", func(p *corev1.Pod) { p.Status.Phase = corev1.PodRunning }), nrPod("p1", "n1", nil), ""),
		status("update another node's pod's status", nrPod("p2", "n2", nil), nrPod("p2", "n2", nil), `node "n1" can only update pod status for pods with spec.nodeName set to itself`),
		status("bind a pod through its status", nrPod("p3", "n1", nil), nrPod("p3", "", nil), `node "n1" can only update pod status for pods with spec.nodeName set to itself`),
		status("change labels through status", nrPod("p1", "n1", func(p *corev1.Pod) { p.Labels["x"] = "y" }), nrPod("p1", "n1", nil), `node "n1" cannot update labels through pod status`),
		status("empty and no labels are alike", nrPod("p1", "n1", func(p *corev1.Pod) { p.Labels = map[string]string{} }), nrPod("p1", "n1", func(p *corev1.Pod) { p.Labels = nil }), ""),
		status("keep resource claim statuses", nrPod("p1", "n1", claimStatus("a")), nrPod("p1", "n1", claimStatus("a")), ""),
		status("change a resource claim status", nrPod("p1", "n1", claimStatus("b")), nrPod("p1", "n1", claimStatus("a")), `node "n1" cannot update resource claim statues`),
		status("add a resource claim status", nrPod("p1", "n1", claimStatus("b")), nrPod("p1", "n1", nil), `node "n1" cannot update resource claim statues`),
		status("set the extended resource claim", nrPod("p1", "n1", func(p *corev1.Pod) {
			p.Status.ExtendedResourceClaimStatus = &corev1.PodExtendedResourceClaimStatus{ResourceClaimName: "x"}
		}), nrPod("p1", "n1", nil), `node "n1" cannot update resource claim statues`),
		{name: "create a pod status", op: admission.Create, resource: podsGR, subresource: "status", namespace: "ns", obj: nrPod("p1", "n1", nil), wantErr: `unexpected operation "CREATE"`},
		eviction("evict its pod", "p1", "", 0, ""),
		eviction("evict its pod named in the eviction", "", "p1", 0, ""),
		eviction("evict another node's pod", "p2", "p2", 0, "node n1 can only evict pods with spec.nodeName set to itself"),
		eviction("evict a missing pod", "gone", "", http.StatusNotFound, ""),
		eviction("evict no pod", "", "", 0, "could not determine pod from request data"),
		{name: "other pod subresource", op: admission.Update, resource: podsGR, subresource: "ephemeralcontainers", namespace: "ns", objName: "p1", obj: nrPod("p1", "n1", nil), old: nrPod("p1", "n1", nil),
			wantErr: `unexpected pod subresource "ephemeralcontainers", only 'status' and 'eviction' are allowed`},
	})
}

func TestNodeRestrictionClaimStatus(t *testing.T) {
	t.Parallel()
	p := newTestNodeRestriction(t)
	claim := func(mutate func(*corev1.PersistentVolumeClaim)) *corev1.PersistentVolumeClaim {
		c := &corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "c", ResourceVersion: "5"},
			Spec:       corev1.PersistentVolumeClaimSpec{Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}},
			Status:     corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound, Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
		}
		if mutate != nil {
			mutate(c)
		}
		return c
	}
	update := func(name string, obj *corev1.PersistentVolumeClaim, denied bool) nrCase {
		c := nrCase{name: name, op: admission.Update, resource: pvcsGR, subresource: "status", namespace: "ns", objName: "c", obj: obj, old: claim(nil)}
		if denied {
			c.wantCode = http.StatusForbidden
		}
		return c
	}
	runNRCases(t, p, []nrCase{
		update("grow its capacity", claim(func(c *corev1.PersistentVolumeClaim) {
			c.Status.Capacity[corev1.ResourceStorage] = resource.MustParse("2Gi")
			c.ResourceVersion = ""
		}), false),
		update("set conditions and allocations", claim(func(c *corev1.PersistentVolumeClaim) {
			c.Status.Conditions = []corev1.PersistentVolumeClaimCondition{{Type: corev1.PersistentVolumeClaimFileSystemResizePending, Status: corev1.ConditionTrue}}
			c.Status.AllocatedResources = corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("2Gi")}
			c.Status.AllocatedResourceStatuses = map[corev1.ResourceName]corev1.ClaimResourceStatus{corev1.ResourceStorage: corev1.PersistentVolumeClaimNodeResizeInProgress}
		}), false),
		update("change the phase", claim(func(c *corev1.PersistentVolumeClaim) { c.Status.Phase = corev1.ClaimLost }), true),
		update("change the spec", claim(func(c *corev1.PersistentVolumeClaim) {
			c.Spec.Resources.Requests[corev1.ResourceStorage] = resource.MustParse("5Gi")
		}), true),
		update("change labels", claim(func(c *corev1.PersistentVolumeClaim) { c.Labels = map[string]string{"a": "b"} }), true),
		{name: "update the claim", op: admission.Update, resource: pvcsGR, namespace: "ns", objName: "c", obj: claim(nil), old: claim(nil), wantErr: "may only update PVC status"},
		{name: "create a claim", op: admission.Create, resource: pvcsGR, namespace: "ns", obj: claim(nil), wantErr: "may only update PVC status"},
		{name: "delete a claim status", op: admission.Delete, resource: pvcsGR, subresource: "status", namespace: "ns", objName: "c", old: claim(nil), wantErr: `unexpected operation "DELETE"`},
	})
	// The refusal names the fields that changed, as upstream's does.
	a := admission.NewAttributesRecord(claim(func(c *corev1.PersistentVolumeClaim) { c.Status.Phase = corev1.ClaimLost }), claim(nil), schema.GroupVersionKind{},
		"ns", "c", pvcsGR.WithVersion("v1"), "status", admission.Update, nil, false, nrNode)
	err := p.Admit(context.Background(), a, nil)
	const prefix = `persistentvolumeclaims "c" is forbidden: node "n1" is not allowed to update fields other than status.quantity and status.conditions: `
	if err == nil || !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), "Lost") {
		t.Errorf("Admit: %v; want %q and a diff naming the phase", err, prefix)
	}
}

func TestNodeRestrictionTokens(t *testing.T) {
	t.Parallel()
	p := newTestNodeRestriction(t)
	podRef := func(name string) *authenticationv1.BoundObjectReference {
		return &authenticationv1.BoundObjectReference{APIVersion: "v1", Kind: "Pod", Name: name, UID: types.UID("uid-" + name)}
	}
	token := func(name string, ref *authenticationv1.BoundObjectReference, audiences []string, wantCode int32, wantErr string) nrCase {
		return nrCase{name: name, op: admission.Create, resource: saGR, subresource: "token", namespace: "ns", objName: "sa",
			obj: &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{Audiences: audiences, BoundObjectRef: ref}}, wantCode: wantCode, wantErr: wantErr}
	}
	runNRCases(t, p, []nrCase{
		token("API server audience its pod projects", podRef("audiences"), nil, 0, ""),
		token("audience its pod projects", podRef("audiences"), []string{"vault"}, 0, ""),
		token("audience the node is authorized for", podRef("audiences"), []string{"granted"}, 0, ""),
		token("audience its pod does not use", podRef("audiences"), []string{"other"}, 0,
			`audience "other" not found in pod spec volume, system:node:n1 is not authorized to request tokens for this audience`),
		token("API server audience of a pod without token volumes", podRef("p1"), nil, 0,
			`audience "" not found in pod spec volume, system:node:n1 is not authorized to request tokens for this audience`),
		token("two audiences", podRef("audiences"), []string{"vault", "granted"}, 0, "node may only request 0 or 1 audiences"),
		token("not bound", nil, nil, 0, "node requested token not bound to a pod"),
		token("bound to a secret", &authenticationv1.BoundObjectReference{APIVersion: "v1", Kind: "Secret", Name: "s", UID: "u"}, nil, 0, "node requested token not bound to a pod"),
		token("bound to a pod without a UID", &authenticationv1.BoundObjectReference{APIVersion: "v1", Kind: "Pod", Name: "p1"}, nil, 0, "node requested token with a pod binding without a uid"),
		token("bound to a recreated pod", &authenticationv1.BoundObjectReference{APIVersion: "v1", Kind: "Pod", Name: "p1", UID: "old"}, nil, 0,
			"the UID in the bound object reference (old) does not match the UID in record. The object might have been deleted and then recreated"),
		token("bound to another node's pod", podRef("p2"), nil, 0, "node requested token bound to a pod scheduled on a different node"),
		token("bound to a missing pod", podRef("gone"), nil, http.StatusNotFound, ""),
		{name: "other service account writes", op: admission.Update, resource: saGR, namespace: "ns", objName: "sa", obj: &corev1.ServiceAccount{}, old: &corev1.ServiceAccount{}},
	})
}

func TestNodeRestrictionOwnObjects(t *testing.T) {
	t.Parallel()
	p := newTestNodeRestriction(t)
	leases := schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}
	csiNodes := schema.GroupResource{Group: "storage.k8s.io", Resource: "csinodes"}
	slices := schema.GroupResource{Group: "resource.k8s.io", Resource: "resourceslices"}
	lease := func(ns, name string) *coordinationv1.Lease {
		return &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	}
	slice := func(node string) *resourcev1.ResourceSlice {
		s := &resourcev1.ResourceSlice{ObjectMeta: metav1.ObjectMeta{Name: "s"}}
		if node != "" {
			s.Spec.NodeName = ptr.To(node)
		}
		return s
	}
	runNRCases(t, p, []nrCase{
		{name: "create its lease", op: admission.Create, resource: leases, namespace: "kube-node-lease", obj: lease("kube-node-lease", "n1")},
		{name: "create another node's lease", op: admission.Create, resource: leases, namespace: "kube-node-lease", obj: lease("kube-node-lease", "n2"),
			wantErr: "can only access node lease with the same name as the requesting node"},
		{name: "update its lease", op: admission.Update, resource: leases, namespace: "kube-node-lease", objName: "n1", obj: lease("kube-node-lease", "n1"), old: lease("kube-node-lease", "n1")},
		{name: "delete another node's lease", op: admission.Delete, resource: leases, namespace: "kube-node-lease", objName: "n2", old: lease("kube-node-lease", "n2"),
			wantErr: "can only access node lease with the same name as the requesting node"},
		{name: "lease in another namespace", op: admission.Create, resource: leases, namespace: "default", obj: lease("default", "n1"),
			wantErr: `can only access leases in the "kube-node-lease" system namespace`},
		{name: "create its CSINode", op: admission.Create, resource: csiNodes, obj: &storagev1.CSINode{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}},
		{name: "create another CSINode", op: admission.Create, resource: csiNodes, obj: &storagev1.CSINode{ObjectMeta: metav1.ObjectMeta{Name: "n2"}},
			wantErr: "can only access CSINode with the same name as the requesting node"},
		{name: "update another CSINode", op: admission.Update, resource: csiNodes, objName: "n2", obj: &storagev1.CSINode{}, old: &storagev1.CSINode{},
			wantErr: "can only access CSINode with the same name as the requesting node"},
		{name: "create its resource slice", op: admission.Create, resource: slices, obj: slice("n1")},
		{name: "create another node's resource slice", op: admission.Create, resource: slices, obj: slice("n2"),
			wantErr: "can only create ResourceSlice with the same NodeName as the requesting node"},
		{name: "create a resource slice of no node", op: admission.Create, resource: slices, obj: slice(""),
			wantErr: "can only create ResourceSlice with the same NodeName as the requesting node"},
		{name: "delete another node's resource slice", op: admission.Delete, resource: slices, objName: "s", old: slice("n2"),
			wantErr: "can only delete ResourceSlice with the same NodeName as the requesting node"},
		{name: "update a resource slice", op: admission.Update, resource: slices, objName: "s", obj: slice("n2"), old: slice("n2")},
	})
}

func TestNodeRestrictionCSRs(t *testing.T) {
	t.Parallel()
	p := newTestNodeRestriction(t)
	csrs := schema.GroupResource{Group: "certificates.k8s.io", Resource: "certificatesigningrequests"}
	csr := func(cn, signer string) *certificatesv1.CertificateSigningRequest {
		return &certificatesv1.CertificateSigningRequest{Spec: certificatesv1.CertificateSigningRequestSpec{SignerName: signer, Request: csrPEM(t, cn)}}
	}
	create := func(name string, obj *certificatesv1.CertificateSigningRequest, wantErr string) nrCase {
		return nrCase{name: name, op: admission.Create, resource: csrs, obj: obj, wantErr: wantErr}
	}
	runNRCases(t, p, []nrCase{
		create("client certificate of its own", csr("system:node:n1", certificatesv1.KubeAPIServerClientKubeletSignerName), ""),
		create("serving certificate of its own", csr("system:node:n1", certificatesv1.KubeletServingSignerName), ""),
		create("client certificate of another node", csr("system:node:n2", certificatesv1.KubeAPIServerClientKubeletSignerName), "can only create a node CSR with CN=system:node:n1"),
		create("serving certificate of another node", csr("system:node:n2", certificatesv1.KubeletServingSignerName), "can only create a node CSR with CN=system:node:n1"),
		create("another signer", csr("anyone", "example.com/custom"), ""),
		create("garbage", &certificatesv1.CertificateSigningRequest{Spec: certificatesv1.CertificateSigningRequestSpec{SignerName: certificatesv1.KubeletServingSignerName, Request: []byte("garbage")}},
			"unable to parse csr: PEM block type must be CERTIFICATE REQUEST"),
	})
}

func csrPEM(t testing.TB, cn string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}
