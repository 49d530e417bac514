package garbagecollector_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/ktesting"

	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
	"github.com/fakecluster/fakecluster/pkg/controller/garbagecollector"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/controllertest"
)

// holdFinalizer keeps a dependent around after its deletion until the test
// removes it, so that a foreground deletion has something to wait for.
const holdFinalizer = "fakecluster.test/hold"

// startGC runs a garbage collector against cfg until the returned stop is
// called (or t ends) and returns once it has listed every resource.
func startGC(t testing.TB, cfg *rest.Config) (stop func()) {
	t.Helper()
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatalf("clientset: %v", err)
	}
	meta, err := metadata.NewForConfig(cfg)
	if err != nil {
		t.Fatalf("metadata client: %v", err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatalf("discovery client: %v", err)
	}
	logger := logr.Discard()
	if tt, ok := t.(*testing.T); ok {
		logger = ktesting.NewLogger(tt, ktesting.NewConfig(ktesting.Verbosity(2)))
	}
	gc := garbagecollector.New(client, meta, disc)
	ctx := klog.NewContext(context.Background(), logger)
	stop = controllertest.Run(ctx, t, nil, func(ctx context.Context) { gc.Run(ctx, 5) })
	deadline := time.Now().Add(30 * time.Second)
	for !gc.HasSynced() {
		if time.Now().After(deadline) {
			t.Fatal("garbage collector did not list every resource within 30s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return stop
}

// startGCCluster starts a control plane without the garbage collector and
// runs one for t against it, returning a client of the cluster.
func startGCCluster(t *testing.T) kubernetes.Interface {
	t.Helper()
	c := controllertest.StartWithout(t, ownController...)
	startGC(t, clustertest.Config(c))
	return clustertest.Client(t, c)
}

// wantOwners checks that o's ownerReferences name exactly uids.
func wantOwners(t testing.TB, c kubernetes.Interface, o obj, uids ...types.UID) error {
	t.Helper()
	if got := ownerUIDs(t, c, o); !slices.Equal(got, uids) {
		return fmt.Errorf("%s has ownerReferences to %v, want %v", o, got, uids)
	}
	return nil
}

// kind is what the tests need of any kind: a way to create, read,
// update and delete one object of it by name.
type kind struct {
	name       string
	namespaced bool
	create     func(ctx context.Context, c kubernetes.Interface, ns, name string, refs []metav1.OwnerReference, finalizers []string) (metav1.Object, error)
	get        func(ctx context.Context, c kubernetes.Interface, ns, name string) (metav1.Object, error)
	delete     func(ctx context.Context, c kubernetes.Interface, ns, name string, opts metav1.DeleteOptions) error
	// patch applies a JSON merge patch.
	patch func(ctx context.Context, c kubernetes.Interface, ns, name string, data []byte) error
}

// typedClient is what every client-go typed client of objects T offers.
type typedClient[T metav1.Object] interface {
	Create(ctx context.Context, obj T, opts metav1.CreateOptions) (T, error)
	Get(ctx context.Context, name string, opts metav1.GetOptions) (T, error)
	Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error
	Patch(ctx context.Context, name string, pt types.PatchType, data []byte, opts metav1.PatchOptions, subresources ...string) (T, error)
}

// kindOf is the kind whose objects client reaches (in namespace ns, which
// cluster-scoped kinds ignore) and newObj builds from their metadata.
func kindOf[T metav1.Object](name string, namespaced bool, client func(c kubernetes.Interface, ns string) typedClient[T], newObj func(metav1.ObjectMeta) T) kind {
	return kind{
		name: name, namespaced: namespaced,
		create: func(ctx context.Context, c kubernetes.Interface, ns, name string, refs []metav1.OwnerReference, f []string) (metav1.Object, error) {
			return client(c, ns).Create(ctx, newObj(meta(ns, name, refs, f)), metav1.CreateOptions{})
		},
		get: func(ctx context.Context, c kubernetes.Interface, ns, name string) (metav1.Object, error) {
			return client(c, ns).Get(ctx, name, metav1.GetOptions{})
		},
		delete: func(ctx context.Context, c kubernetes.Interface, ns, name string, opts metav1.DeleteOptions) error {
			return client(c, ns).Delete(ctx, name, opts)
		},
		patch: func(ctx context.Context, c kubernetes.Interface, ns, name string, data []byte) error {
			_, err := client(c, ns).Patch(ctx, name, types.MergePatchType, data, metav1.PatchOptions{})
			return err
		},
	}
}

func meta(ns, name string, refs []metav1.OwnerReference, finalizers []string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name, OwnerReferences: refs, Finalizers: finalizers}
}

var (
	configMaps = kindOf("ConfigMap", true,
		func(c kubernetes.Interface, ns string) typedClient[*corev1.ConfigMap] {
			return c.CoreV1().ConfigMaps(ns)
		},
		func(m metav1.ObjectMeta) *corev1.ConfigMap {
			return &corev1.ConfigMap{ObjectMeta: m, Data: map[string]string{"k": "v"}}
		})
	secrets = kindOf("Secret", true,
		func(c kubernetes.Interface, ns string) typedClient[*corev1.Secret] { return c.CoreV1().Secrets(ns) },
		func(m metav1.ObjectMeta) *corev1.Secret {
			return &corev1.Secret{ObjectMeta: m, StringData: map[string]string{"k": "v"}}
		})
	pods     = podKind()
	services = kindOf("Service", true,
		func(c kubernetes.Interface, ns string) typedClient[*corev1.Service] { return c.CoreV1().Services(ns) },
		func(m metav1.ObjectMeta) *corev1.Service {
			return &corev1.Service{ObjectMeta: m, Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}}
		})
	nodes = kindOf("Node", false,
		func(c kubernetes.Interface, _ string) typedClient[*corev1.Node] { return c.CoreV1().Nodes() },
		func(m metav1.ObjectMeta) *corev1.Node { return &corev1.Node{ObjectMeta: m} })
	namespaces = kindOf("Namespace", false,
		func(c kubernetes.Interface, _ string) typedClient[*corev1.Namespace] { return c.CoreV1().Namespaces() },
		func(m metav1.ObjectMeta) *corev1.Namespace { return &corev1.Namespace{ObjectMeta: m} })
)

// podKind is the Pod kind, whose creates first make sure the namespace has
// the default service account pods need, which may not be made yet.
func podKind() kind {
	k := kindOf("Pod", true,
		func(c kubernetes.Interface, ns string) typedClient[*corev1.Pod] { return c.CoreV1().Pods(ns) },
		func(m metav1.ObjectMeta) *corev1.Pod {
			return &corev1.Pod{ObjectMeta: m, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
		})
	create := k.create
	k.create = func(ctx context.Context, c kubernetes.Interface, ns, name string, refs []metav1.OwnerReference, f []string) (metav1.Object, error) {
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "default"}}
		if _, err := c.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, err
		}
		return create(ctx, c, ns, name, refs, f)
	}
	return k
}

// obj is one object the test made.
type obj struct {
	kind kind
	ns   string
	name string
	uid  types.UID
}

func (o obj) String() string {
	if o.ns == "" {
		return o.kind.name + " " + o.name
	}
	return o.kind.name + " " + o.ns + "/" + o.name
}

// ref is an ownerReference to o.
func (o obj) ref(block bool) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: "v1", Kind: o.kind.name, Name: o.name, UID: o.uid, BlockOwnerDeletion: &block}
}

func create(t testing.TB, c kubernetes.Interface, k kind, ns, name string, refs []metav1.OwnerReference, finalizers ...string) obj {
	t.Helper()
	if !k.namespaced {
		ns = ""
	}
	m, err := k.create(context.Background(), c, ns, name, refs, finalizers)
	if err != nil {
		t.Fatalf("create %s %s: %v", k.name, name, err)
	}
	return obj{kind: k, ns: ns, name: name, uid: m.GetUID()}
}

// get returns o's current state, nil if o (that uid) is gone.
func get(t testing.TB, c kubernetes.Interface, o obj) metav1.Object {
	t.Helper()
	m, err := o.kind.get(context.Background(), c, o.ns, o.name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatalf("get %s: %v", o, err)
	}
	if m.GetUID() != o.uid {
		return nil
	}
	return m
}

func del(t testing.TB, c kubernetes.Interface, o obj, policy *metav1.DeletionPropagation) {
	t.Helper()
	if err := o.kind.delete(context.Background(), c, o.ns, o.name, metav1.DeleteOptions{PropagationPolicy: policy}); err != nil {
		t.Fatalf("delete %s: %v", o, err)
	}
}

// gone is nil once every one of objs is gone.
func gone(t testing.TB, c kubernetes.Interface, objs ...obj) func() error {
	return func() error {
		for _, o := range objs {
			if m := get(t, c, o); m != nil {
				return fmt.Errorf("%s still exists: %s", o, summary(m))
			}
		}
		return nil
	}
}

// mustExist fails t unless every one of objs exists and is not being
// deleted.
func mustExist(t testing.TB, c kubernetes.Interface, objs ...obj) {
	t.Helper()
	for _, o := range objs {
		m := get(t, c, o)
		if m == nil {
			t.Fatalf("%s was deleted", o)
		}
		if m.GetDeletionTimestamp() != nil {
			t.Fatalf("%s is being deleted", o)
		}
	}
}

// ownerUIDs are the uids o's ownerReferences name.
func ownerUIDs(t testing.TB, c kubernetes.Interface, o obj) []types.UID {
	t.Helper()
	m := get(t, c, o)
	if m == nil {
		t.Fatalf("%s was deleted", o)
	}
	var uids []types.UID
	for _, r := range m.GetOwnerReferences() {
		uids = append(uids, r.UID)
	}
	slices.Sort(uids)
	return uids
}

func policy(p metav1.DeletionPropagation) *metav1.DeletionPropagation { return &p }

// summary is what the tests care about of m, for messages.
func summary(m metav1.Object) string {
	if m == nil {
		return "<gone>"
	}
	var owners []string
	for _, r := range m.GetOwnerReferences() {
		owners = append(owners, fmt.Sprintf("%s/%s(%s)", r.Kind, r.Name, r.UID))
	}
	return fmt.Sprintf("{deletionTimestamp: %v, finalizers: %v, ownerReferences: %v}", m.GetDeletionTimestamp(), m.GetFinalizers(), owners)
}
