package apiserver_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// crudClient is what every typed client-go resource client offers.
type crudClient[T runtime.Object, L runtime.Object] interface {
	Create(context.Context, T, metav1.CreateOptions) (T, error)
	Get(context.Context, string, metav1.GetOptions) (T, error)
	Update(context.Context, T, metav1.UpdateOptions) (T, error)
	List(context.Context, metav1.ListOptions) (L, error)
	Delete(context.Context, string, metav1.DeleteOptions) error
}

// crudCase walks one object through create, get, list, update and delete.
type crudCase[T runtime.Object, L runtime.Object] struct {
	client crudClient[T, L]
	// obj is created; namespace is where it must land ("" when cluster-scoped).
	obj       T
	namespace string
	// check tests what the server made of obj after create.
	check func(t *testing.T, created T)
	// mutate changes a copy for update; checkUpdate tests the result.
	mutate      func(T)
	checkUpdate func(t *testing.T, updated T)
}

func (c crudCase[T, L]) run(t *testing.T) {
	ctx := t.Context()
	name := metaOf(t, c.obj).GetName()

	created, err := c.client.Create(ctx, c.obj.DeepCopyObject().(T), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	m := metaOf(t, created)
	if m.GetName() != name || m.GetNamespace() != c.namespace || m.GetUID() == "" ||
		m.GetCreationTimestamp().Time.IsZero() || m.GetResourceVersion() == "" {
		t.Errorf("created object meta: name %q namespace %q uid %q created %v rv %q; want name %q, namespace %q and the rest set",
			m.GetName(), m.GetNamespace(), m.GetUID(), m.GetCreationTimestamp(), m.GetResourceVersion(), name, c.namespace)
	}
	if c.check != nil {
		c.check(t, created)
	}

	if _, err := c.client.Create(ctx, c.obj.DeepCopyObject().(T), metav1.CreateOptions{}); !apierrors.IsAlreadyExists(err) {
		t.Errorf("create again: err = %v, want AlreadyExists", err)
	}

	got, err := c.client.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if diff := cmp.Diff(created, got); diff != "" {
		t.Errorf("get differs from what create returned (-create +get):\n%s", diff)
	}

	list, err := c.client.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if !listHas(t, list, name) {
		t.Errorf("list does not hold %s", name)
	}
	listMeta, err := meta.ListAccessor(list)
	if err != nil {
		t.Fatal(err)
	}
	if rv(t, listMeta.GetResourceVersion()) < rv(t, m.GetResourceVersion()) {
		t.Errorf("list resourceVersion %s is older than the object's %s", listMeta.GetResourceVersion(), m.GetResourceVersion())
	}

	changed := got.DeepCopyObject().(T)
	c.mutate(changed)
	updated, err := c.client.Update(ctx, changed, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if um := metaOf(t, updated); rv(t, um.GetResourceVersion()) <= rv(t, m.GetResourceVersion()) || um.GetUID() != m.GetUID() {
		t.Errorf("update: rv %s uid %s, want rv after %s and uid %s", um.GetResourceVersion(), um.GetUID(), m.GetResourceVersion(), m.GetUID())
	}
	c.checkUpdate(t, updated)
	again, err := c.client.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get after update: %v", err)
	}
	if diff := cmp.Diff(updated, again); diff != "" {
		t.Errorf("get after update differs from what update returned (-update +get):\n%s", diff)
	}

	if err := c.client.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := c.client.Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("get after delete: err = %v, want NotFound", err)
	}
	if err := c.client.Delete(ctx, name, metav1.DeleteOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("delete again: err = %v, want NotFound", err)
	}
	list, err = c.client.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list after delete: %v", err)
	}
	if listHas(t, list, name) {
		t.Errorf("list after delete still holds %s", name)
	}
}

func TestCRUD(t *testing.T) {
	t.Parallel()
	// The node IPAM controller would patch the Node under test between
	// its update and the get that compares them.
	c := clustertest.StartControlPlane(t, cluster.Options{Controllers: []string{"*", "-node-ipam-controller", "-node-lifecycle-controller"}})
	client := clustertest.Client(t, c)

	tests := []struct {
		name string
		run  func(t *testing.T)
	}{{
		name: "configmaps",
		run: crudCase[*corev1.ConfigMap, *corev1.ConfigMapList]{
			client:    client.CoreV1().ConfigMaps("default"),
			obj:       &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm"}, Data: map[string]string{"a": "1"}},
			namespace: "default",
			mutate:    func(cm *corev1.ConfigMap) { cm.Data["b"] = "2" },
			checkUpdate: func(t *testing.T, cm *corev1.ConfigMap) {
				if diff := cmp.Diff(map[string]string{"a": "1", "b": "2"}, cm.Data); diff != "" {
					t.Errorf("data (-want +got):\n%s", diff)
				}
			},
		}.run,
	}, {
		name: "secrets",
		run: crudCase[*corev1.Secret, *corev1.SecretList]{
			client:    client.CoreV1().Secrets("default"),
			obj:       &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s"}, Data: map[string][]byte{"password": []byte("hunter2")}},
			namespace: "default",
			check: func(t *testing.T, s *corev1.Secret) {
				if s.Type != corev1.SecretTypeOpaque {
					t.Errorf("type = %q, want Opaque by default", s.Type)
				}
			},
			mutate: func(s *corev1.Secret) { s.Data["user"] = []byte("root") },
			checkUpdate: func(t *testing.T, s *corev1.Secret) {
				if string(s.Data["user"]) != "root" || string(s.Data["password"]) != "hunter2" {
					t.Errorf("data = %q, want password and user", s.Data)
				}
			},
		}.run,
	}, {
		name: "pods",
		run: crudCase[*corev1.Pod, *corev1.PodList]{
			client:    client.CoreV1().Pods("default"),
			obj:       newPod("web", "default"),
			namespace: "default",
			check: func(t *testing.T, p *corev1.Pod) {
				if p.Status.Phase != corev1.PodPending || p.Status.QOSClass != corev1.PodQOSBestEffort {
					t.Errorf("status: phase %q qosClass %q, want Pending BestEffort", p.Status.Phase, p.Status.QOSClass)
				}
			},
			mutate: func(p *corev1.Pod) { p.Spec.Containers[0].Image = "nginx:1.29" },
			checkUpdate: func(t *testing.T, p *corev1.Pod) {
				if p.Spec.Containers[0].Image != "nginx:1.29" {
					t.Errorf("image = %q, want nginx:1.29", p.Spec.Containers[0].Image)
				}
			},
		}.run,
	}, {
		name: "services",
		run: crudCase[*corev1.Service, *corev1.ServiceList]{
			client: client.CoreV1().Services("default"),
			obj: &corev1.Service{
				ObjectMeta: metav1.ObjectMeta{Name: "web"},
				Spec: corev1.ServiceSpec{
					Selector: map[string]string{"app": "web"},
					Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt(8080), Protocol: corev1.ProtocolTCP}},
				},
			},
			namespace: "default",
			mutate:    func(s *corev1.Service) { s.Spec.Selector["tier"] = "front" },
			checkUpdate: func(t *testing.T, s *corev1.Service) {
				if diff := cmp.Diff(map[string]string{"app": "web", "tier": "front"}, s.Spec.Selector); diff != "" {
					t.Errorf("selector (-want +got):\n%s", diff)
				}
			},
		}.run,
	}, {
		name: "nodes",
		run: crudCase[*corev1.Node, *corev1.NodeList]{
			client: client.CoreV1().Nodes(),
			obj: &corev1.Node{
				ObjectMeta: metav1.ObjectMeta{Name: "worker0", Labels: map[string]string{"kubernetes.io/hostname": "worker0"}},
				Status: corev1.NodeStatus{
					Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "172.18.0.2"}},
				},
			},
			check: func(t *testing.T, n *corev1.Node) {
				// A kubelet registers its node with its status.
				if len(n.Status.Addresses) != 1 || n.Status.Addresses[0].Address != "172.18.0.2" {
					t.Errorf("status.addresses = %v, want the registered InternalIP kept", n.Status.Addresses)
				}
			},
			mutate: func(n *corev1.Node) { n.Spec.Unschedulable = true },
			checkUpdate: func(t *testing.T, n *corev1.Node) {
				if !n.Spec.Unschedulable {
					t.Error("spec.unschedulable = false after update, want true")
				}
			},
		}.run,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t)
		})
	}
}

// TestNamespaceLifecycle follows a namespace as kube-apiserver treats one with
// no namespace controller running: created Active with the kubernetes
// finalizer, marked Terminating by delete, gone once finalized and deleted.
func TestNamespaceLifecycle(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartControlPlane(t, cluster.Options{}))
	ctx := t.Context()
	nsClient := client.CoreV1().Namespaces()

	ns, err := nsClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a", Labels: map[string]string{"owner": "me"}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ns.Status.Phase != corev1.NamespaceActive || !cmp.Equal(ns.Spec.Finalizers, []corev1.FinalizerName{corev1.FinalizerKubernetes}) {
		t.Errorf("new namespace: phase %q finalizers %v, want Active [kubernetes]", ns.Status.Phase, ns.Spec.Finalizers)
	}
	if _, err := nsClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "Team_A"}}, metav1.CreateOptions{}); !apierrors.IsInvalid(err) {
		t.Errorf("create namespace Team_A: err = %v, want Invalid (not a DNS label)", err)
	}
	ns.Labels["team"] = "a"
	if _, err = nsClient.Update(ctx, ns, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CoreV1().ConfigMaps("team-a").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm"}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create in the new namespace: %v", err)
	}

	if err := nsClient.Delete(ctx, "team-a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	ns, err = nsClient.Get(ctx, "team-a", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get after delete: %v; want the namespace kept, Terminating, until it is finalized", err)
	}
	if ns.Status.Phase != corev1.NamespaceTerminating || ns.DeletionTimestamp == nil || ns.Labels["team"] != "a" {
		t.Errorf("after delete: phase %q deletionTimestamp %v labels %v, want Terminating, set, team=a", ns.Status.Phase, ns.DeletionTimestamp, ns.Labels)
	}
	_, err = client.CoreV1().ConfigMaps("team-a").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "late"}}, metav1.CreateOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "because it is being terminated") {
		t.Errorf("create in a terminating namespace: err = %v, want Forbidden ... because it is being terminated", err)
	}

	ns.Spec.Finalizers = nil
	if _, err := nsClient.Finalize(ctx, ns, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("finalize: %v", err)
	}
	if err := nsClient.Delete(ctx, "team-a", metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatalf("delete after finalize: %v", err)
	}
	if _, err := nsClient.Get(ctx, "team-a", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("get after finalize and delete: err = %v, want NotFound", err)
	}
}

// TestNamespaceNameLabel: kube-apiserver labels every namespace with its own
// name (kubernetes.io/metadata.name), and keeps the label on update, so that
// namespace selectors can pick a namespace by name.
func TestNamespaceNameLabel(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartControlPlane(t, cluster.Options{}))
	ctx := t.Context()
	nsClient := client.CoreV1().Namespaces()
	ns, err := nsClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ns.Labels[corev1.LabelMetadataName]; got != "team-a" {
		t.Errorf("after create: label %s = %q, want team-a", corev1.LabelMetadataName, got)
	}
	ns.Labels = map[string]string{"team": "a"}
	if ns, err = nsClient.Update(ctx, ns, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"team": "a", corev1.LabelMetadataName: "team-a"}, ns.Labels); diff != "" {
		t.Errorf("labels after an update that drops the name label (-want +got):\n%s", diff)
	}
	for _, name := range []string{"default", "kube-system"} {
		ns, err := nsClient.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := ns.Labels[corev1.LabelMetadataName]; got != name {
			t.Errorf("bootstrapped namespace %s: label %s = %q", name, corev1.LabelMetadataName, got)
		}
	}
	list, err := nsClient.List(ctx, metav1.ListOptions{LabelSelector: corev1.LabelMetadataName + "=team-a"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"team-a"}, names(t, list)); diff != "" {
		t.Errorf("namespaces selected by name label (-want +got):\n%s", diff)
	}
}

// TestSecretStringData: stringData is a write-only convenience; the server
// folds it into data, stringData winning, and never returns it.
func TestSecretStringData(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartControlPlane(t, cluster.Options{}))
	ctx := t.Context()
	secrets := client.CoreV1().Secrets("default")
	created, err := secrets.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "s"},
		Data:       map[string][]byte{"user": []byte("root"), "password": []byte("old")},
		StringData: map[string]string{"password": "hunter2"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{"user": []byte("root"), "password": []byte("hunter2")}
	if diff := cmp.Diff(want, created.Data); diff != "" || len(created.StringData) != 0 {
		t.Errorf("after create: stringData %q, data (-want +got):\n%s", created.StringData, diff)
	}
	got, err := secrets.Get(ctx, "s", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got.Data); diff != "" || len(got.StringData) != 0 {
		t.Errorf("get: stringData %q, data (-want +got):\n%s", got.StringData, diff)
	}
	got.StringData = map[string]string{"token": "abc"}
	updated, err := secrets.Update(ctx, got, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if string(updated.Data["token"]) != "abc" || len(updated.StringData) != 0 {
		t.Errorf("after update: data %q stringData %q, want token folded into data", updated.Data, updated.StringData)
	}
}

func TestSystemNamespacesCannotBeDeleted(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartControlPlane(t, cluster.Options{}))
	for _, name := range []string{"default", "kube-system", "kube-public"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := client.CoreV1().Namespaces().Delete(t.Context(), name, metav1.DeleteOptions{})
			if !apierrors.IsForbidden(err) {
				t.Fatalf("delete namespace %s: err = %v, want Forbidden", name, err)
			}
			if want := `namespaces "` + name + `" is forbidden: this namespace may not be deleted`; err.Error() != want {
				t.Errorf("error = %q, want %q", err, want)
			}
			ns, err := client.CoreV1().Namespaces().Get(t.Context(), name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if ns.DeletionTimestamp != nil || ns.Status.Phase != corev1.NamespaceActive {
				t.Errorf("after the refused delete: deletionTimestamp %v phase %q, want unset, Active", ns.DeletionTimestamp, ns.Status.Phase)
			}
		})
	}
}

// TestNamespacesHaveNoDeleteCollection: kube-apiserver does not serve
// deletecollection for namespaces, so no request can remove them all at once,
// bypassing the Terminating phase.
func TestNamespacesHaveNoDeleteCollection(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartControlPlane(t, cluster.Options{}))
	ctx := t.Context()
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// client-go has no typed call for it either.
	err := client.CoreV1().RESTClient().Delete().Resource("namespaces").Do(ctx).Error()
	if !apierrors.IsMethodNotSupported(err) {
		t.Errorf("delete every namespace at once: err = %v, want MethodNotSupported (405)", err)
	}
	list, err := client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range list.Items {
		if ns.DeletionTimestamp != nil {
			t.Errorf("namespace %s is being deleted", ns.Name)
		}
	}
	if diff := cmp.Diff([]string{"default", "kube-node-lease", "kube-public", "kube-system", "team-a"}, names(t, list)); diff != "" {
		t.Errorf("namespaces after the refused deletecollection (-want +got):\n%s", diff)
	}
}

func TestCreateInMissingNamespace(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartControlPlane(t, cluster.Options{}))
	ctx := t.Context()
	_, err := client.CoreV1().ConfigMaps("nope").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm"}}, metav1.CreateOptions{})
	if !apierrors.IsNotFound(err) {
		t.Fatalf("create in namespace nope: err = %v, want NotFound", err)
	}
	if want := `namespaces "nope" not found`; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if _, err := client.CoreV1().Pods("nope").Create(ctx, newPod("web", "nope"), metav1.CreateOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("create pod in namespace nope: err = %v, want NotFound", err)
	}
	// Reads of a missing namespace are simply empty, as upstream.
	list, err := client.CoreV1().ConfigMaps("nope").List(ctx, metav1.ListOptions{})
	if err != nil || len(list.Items) != 0 {
		t.Errorf("list in namespace nope = %d items, %v; want none, no error", len(list.Items), err)
	}
}

func TestUpdateConflict(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartControlPlane(t, cluster.Options{}))
	ctx := t.Context()
	cms := client.CoreV1().ConfigMaps("default")
	v1, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm"}, Data: map[string]string{"n": "1"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v2 := v1.DeepCopy()
	v2.Data["n"] = "2"
	if _, err := cms.Update(ctx, v2, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	stale := v1.DeepCopy()
	stale.Data["n"] = "stale"
	_, err = cms.Update(ctx, stale, metav1.UpdateOptions{})
	if !apierrors.IsConflict(err) {
		t.Fatalf("update with resourceVersion %s after another update: err = %v, want Conflict", v1.ResourceVersion, err)
	}
	const want = `Operation cannot be fulfilled on configmaps "cm": the object has been modified; please apply your changes to the latest version and try again`
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if code := err.(apierrors.APIStatus).Status().Code; code != 409 {
		t.Errorf("status code = %d, want 409", code)
	}

	err = cms.Delete(ctx, "cm", metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &v1.ResourceVersion}})
	if !apierrors.IsConflict(err) {
		t.Errorf("delete with a stale resourceVersion precondition: err = %v, want Conflict", err)
	}
	got, err := cms.Get(ctx, "cm", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Data["n"] != "2" {
		t.Errorf("data after the refused writes = %v, want n=2", got.Data)
	}

	// Without a resourceVersion, update is unconditional.
	got.ResourceVersion = ""
	got.Data["n"] = "3"
	if _, err := cms.Update(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Errorf("update without resourceVersion: %v", err)
	}
}

func TestGenerateName(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartControlPlane(t, cluster.Options{}))
	ctx := t.Context()
	seen := map[string]bool{}
	for range 5 {
		pod := newPod("", "default")
		pod.GenerateName = "web-"
		got, err := client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(got.Name, "web-") || len(got.Name) != len("web-")+5 || got.GenerateName != "web-" {
			t.Errorf("generated name %q (generateName %q), want web- and 5 random characters", got.Name, got.GenerateName)
		}
		if seen[got.Name] {
			t.Errorf("name %q generated twice", got.Name)
		}
		seen[got.Name] = true
	}
	list, err := client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 5 {
		t.Errorf("list = %d pods, want 5", len(list.Items))
	}

	_, err = client.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{}, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "name or generateName is required") {
		t.Errorf("create with neither name nor generateName: err = %v, want Invalid: name or generateName is required", err)
	}
}

func TestDryRun(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartControlPlane(t, cluster.Options{}))
	ctx := t.Context()
	cms := client.CoreV1().ConfigMaps("default")
	dryRun := []string{metav1.DryRunAll}

	got, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "dry"}, Data: map[string]string{"a": "1"}},
		metav1.CreateOptions{DryRun: dryRun})
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "dry" || got.Data["a"] != "1" || got.CreationTimestamp.IsZero() {
		t.Errorf("dry-run create returned %+v, want the object as it would be created", got)
	}
	if _, err := cms.Get(ctx, "dry", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("get after dry-run create: err = %v, want NotFound", err)
	}

	real, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "real"}, Data: map[string]string{"a": "1"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	changed := real.DeepCopy()
	changed.Data["a"] = "2"
	if got, err := cms.Update(ctx, changed, metav1.UpdateOptions{DryRun: dryRun}); err != nil || got.Data["a"] != "2" {
		t.Errorf("dry-run update = %v, %v; want the updated object", got.Data, err)
	}
	if err := cms.Delete(ctx, "real", metav1.DeleteOptions{DryRun: dryRun}); err != nil {
		t.Errorf("dry-run delete: %v", err)
	}
	after, err := cms.Get(ctx, "real", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get after dry-run update and delete: %v", err)
	}
	if after.ResourceVersion != real.ResourceVersion || after.Data["a"] != "1" {
		t.Errorf("after dry runs: rv %s data %v, want rv %s data a=1 (nothing persisted)", after.ResourceVersion, after.Data, real.ResourceVersion)
	}
}

func newPod(name, namespace string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "app", Image: "nginx"}},
		},
	}
}

func metaOf(tb testing.TB, obj runtime.Object) metav1.Object {
	tb.Helper()
	m, err := meta.Accessor(obj)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func listHas(tb testing.TB, list runtime.Object, name string) bool {
	tb.Helper()
	items, err := meta.ExtractList(list)
	if err != nil {
		tb.Fatal(err)
	}
	for _, item := range items {
		if metaOf(tb, item).GetName() == name {
			return true
		}
	}
	return false
}

func rv(tb testing.TB, s string) int64 {
	tb.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		tb.Fatalf("resourceVersion %q is not a number: %v", s, err)
	}
	return n
}

// names are the names of a list's items, in order.
func names(tb testing.TB, list runtime.Object) []string {
	tb.Helper()
	items, err := meta.ExtractList(list)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, item := range items {
		out = append(out, metaOf(tb, item).GetName())
	}
	return out
}

var _ crudClient[*corev1.Pod, *corev1.PodList] = corev1client.PodInterface(nil)
