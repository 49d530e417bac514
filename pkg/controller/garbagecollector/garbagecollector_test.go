package garbagecollector_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/controllertest"
)

// settle is how long a test waits to see that something does not happen.
const settle = 500 * time.Millisecond

func TestBackgroundDeletion(t *testing.T) {
	t.Parallel()
	client := startGCCluster(t)

	for _, tt := range []struct {
		name   string
		prefix string
		owner  kind
		policy *metav1.DeletionPropagation
	}{
		{"configmap owner, default policy", "cm", configMaps, nil},
		{"configmap owner, background", "cm-bg", configMaps, policy(metav1.DeletePropagationBackground)},
		{"secret owner", "secret", secrets, nil},
		{"pod owner", "pod", pods, nil},
		{"service owner", "svc", services, nil},
		{"cluster-scoped node owner", "node", nodes, nil},
		{"cluster-scoped node owner, background", "node-bg", nodes, policy(metav1.DeletePropagationBackground)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			prefix := tt.prefix
			owner := create(t, client, tt.owner, "default", prefix+"-owner", nil)
			refs := []metav1.OwnerReference{owner.ref(false)}
			var deps []obj
			for _, k := range []kind{configMaps, secrets, pods, services} {
				deps = append(deps, create(t, client, k, "default", fmt.Sprintf("%s-dep-%s", prefix, lower(k.name)), refs))
			}
			bystander := create(t, client, configMaps, "default", prefix+"-bystander", nil)

			del(t, client, owner, tt.policy)
			clustertest.Poll(t, 10*time.Second, gone(t, client, append(deps, owner)...))
			mustExist(t, client, bystander)
		})
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func TestForegroundDeletionWaitsForBlockingDependents(t *testing.T) {
	t.Parallel()
	client := startGCCluster(t)

	for _, owner := range []kind{configMaps, nodes} {
		t.Run(owner.name, func(t *testing.T) {
			t.Parallel()
			p := "fg-" + lower(owner.name)
			o := create(t, client, owner, "default", p+"-owner", nil)
			// blocker blocks and is held by a finalizer once deleted;
			// nonblocking does not block; pod blocks but goes at once.
			blocker := create(t, client, secrets, "default", p+"-blocker", []metav1.OwnerReference{o.ref(true)}, holdFinalizer)
			nonblocking := create(t, client, configMaps, "default", p+"-nonblocking", []metav1.OwnerReference{o.ref(false)})
			pod := create(t, client, pods, "default", p+"-pod", []metav1.OwnerReference{o.ref(true)})

			del(t, client, o, policy(metav1.DeletePropagationForeground))
			m := get(t, client, o)
			if m == nil || m.GetDeletionTimestamp() == nil || !slices.Contains(m.GetFinalizers(), metav1.FinalizerDeleteDependents) {
				t.Fatalf("after a foreground delete the owner should remain with a deletionTimestamp and the %q finalizer, got %s", metav1.FinalizerDeleteDependents, summary(m))
			}
			clustertest.Poll(t, 10*time.Second, gone(t, client, nonblocking, pod))
			clustertest.Poll(t, 10*time.Second, func() error {
				if m := get(t, client, blocker); m == nil || m.GetDeletionTimestamp() == nil {
					return fmt.Errorf("%s not being deleted: %s", blocker, summary(m))
				}
				return nil
			})
			time.Sleep(settle)
			if m := get(t, client, o); m == nil || !slices.Contains(m.GetFinalizers(), metav1.FinalizerDeleteDependents) {
				t.Fatalf("owner must wait for its blocking dependent, got %s", summary(m))
			}

			if err := blocker.kind.patch(t.Context(), client, blocker.ns, blocker.name, []byte(`{"metadata":{"finalizers":null}}`)); err != nil {
				t.Fatalf("release %s: %v", blocker, err)
			}
			clustertest.Poll(t, 10*time.Second, gone(t, client, blocker, o))
		})
	}
}

// A dependent that has dependents of its own is deleted in the foreground
// too, so the owner waits for the whole tree.
func TestForegroundDeletionPropagates(t *testing.T) {
	t.Parallel()
	client := startGCCluster(t)

	owner := create(t, client, configMaps, "default", "root", nil)
	child := create(t, client, secrets, "default", "child", []metav1.OwnerReference{owner.ref(true)})
	grandchild := create(t, client, pods, "default", "grandchild", []metav1.OwnerReference{child.ref(true)}, holdFinalizer)
	// The collector's graph, like upstream's, learns of objects through
	// informers: a child deleted before its own dependent is in the graph
	// has nothing to wait for. Let the watches deliver the tree first.
	time.Sleep(settle)

	del(t, client, owner, policy(metav1.DeletePropagationForeground))
	clustertest.Poll(t, 10*time.Second, func() error {
		m := get(t, client, child)
		if m == nil || m.GetDeletionTimestamp() == nil || !slices.Contains(m.GetFinalizers(), metav1.FinalizerDeleteDependents) {
			return fmt.Errorf("child should be deleted in the foreground, got %s", summary(m))
		}
		if m := get(t, client, grandchild); m == nil || m.GetDeletionTimestamp() == nil {
			return fmt.Errorf("grandchild should be being deleted, got %s", summary(m))
		}
		return nil
	})
	time.Sleep(settle)
	if get(t, client, owner) == nil || get(t, client, child) == nil {
		t.Fatal("owner and child must wait for the held grandchild")
	}
	if err := grandchild.kind.patch(t.Context(), client, grandchild.ns, grandchild.name, []byte(`{"metadata":{"finalizers":null}}`)); err != nil {
		t.Fatalf("release grandchild: %v", err)
	}
	clustertest.Poll(t, 10*time.Second, gone(t, client, grandchild, child, owner))
}

func TestOrphanDeletion(t *testing.T) {
	t.Parallel()
	client := startGCCluster(t)

	for _, owner := range []kind{configMaps, nodes} {
		t.Run(owner.name, func(t *testing.T) {
			t.Parallel()
			p := "orphan-" + lower(owner.name)
			o := create(t, client, owner, "default", p+"-owner", nil)
			keeper := create(t, client, configMaps, "default", p+"-keeper", nil)
			only := create(t, client, secrets, "default", p+"-only", []metav1.OwnerReference{o.ref(true)})
			shared := create(t, client, pods, "default", p+"-shared", []metav1.OwnerReference{o.ref(false), keeper.ref(false)})
			svc := create(t, client, services, "default", p+"-svc", []metav1.OwnerReference{o.ref(false)})

			del(t, client, o, policy(metav1.DeletePropagationOrphan))
			if m := get(t, client, o); m != nil && !slices.Contains(m.GetFinalizers(), metav1.FinalizerOrphanDependents) {
				t.Fatalf("an orphaning delete should leave the %q finalizer until the dependents are orphaned, got %v", metav1.FinalizerOrphanDependents, m.GetFinalizers())
			}
			clustertest.Poll(t, 10*time.Second, gone(t, client, o))
			time.Sleep(settle)
			mustExist(t, client, only, shared, svc, keeper)
			for _, dep := range []obj{only, svc} {
				if uids := ownerUIDs(t, client, dep); len(uids) != 0 {
					t.Errorf("%s keeps ownerReferences to %v, want none", dep, uids)
				}
			}
			if err := wantOwners(t, client, shared, keeper.uid); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestDependentWithTwoOwners(t *testing.T) {
	t.Parallel()
	client := startGCCluster(t)

	first := create(t, client, configMaps, "default", "first", nil)
	second := create(t, client, nodes, "", "second", nil)
	dep := create(t, client, secrets, "default", "dep", []metav1.OwnerReference{first.ref(false), second.ref(false)})

	del(t, client, first, nil)
	// The dependent stays while an owner remains; the reference to the
	// gone owner is removed.
	clustertest.Poll(t, 10*time.Second, func() error { return wantOwners(t, client, dep, second.uid) })
	mustExist(t, client, dep)

	del(t, client, second, nil)
	clustertest.Poll(t, 10*time.Second, gone(t, client, dep))
}

// An owner being deleted in the foreground does not take a dependent that
// has another owner: the reference to it is dropped instead.
func TestForegroundOwnerOfSharedDependent(t *testing.T) {
	t.Parallel()
	client := startGCCluster(t)

	doomed := create(t, client, configMaps, "default", "doomed", nil)
	keeper := create(t, client, configMaps, "default", "keeper", nil)
	dep := create(t, client, secrets, "default", "dep", []metav1.OwnerReference{doomed.ref(true), keeper.ref(true)})

	del(t, client, doomed, policy(metav1.DeletePropagationForeground))
	clustertest.Poll(t, 10*time.Second, gone(t, client, doomed))
	mustExist(t, client, dep, keeper)
	if err := wantOwners(t, client, dep, keeper.uid); err != nil {
		t.Error(err)
	}
}

func TestOwnerUIDMismatch(t *testing.T) {
	t.Parallel()
	client := startGCCluster(t)

	owner := create(t, client, configMaps, "default", "owner", nil)
	impostor := owner
	impostor.uid = "00000000-0000-0000-0000-000000000000"
	good := create(t, client, secrets, "default", "good", []metav1.OwnerReference{owner.ref(false)})
	bad := create(t, client, secrets, "default", "bad", []metav1.OwnerReference{impostor.ref(false)})
	clustertest.Poll(t, 10*time.Second, gone(t, client, bad))

	// An owner deleted and made again under the same name is another
	// owner: the old one's dependents go.
	del(t, client, owner, nil)
	again := create(t, client, configMaps, "default", "owner", nil)
	clustertest.Poll(t, 10*time.Second, gone(t, client, good))
	mustExist(t, client, again)
}

// Dependents whose owner went while no garbage collector ran are collected
// by the next one, which builds its graph from lists.
func TestCollectsAfterControllerRestart(t *testing.T) {
	t.Parallel()
	c := controllertest.StartWithout(t, ownController...)
	client := clustertest.Client(t, c)
	stop := startGC(t, clustertest.Config(c))

	owner := create(t, client, configMaps, "default", "owner", nil)
	node := create(t, client, nodes, "", "node", nil)
	deps := []obj{
		create(t, client, secrets, "default", "dep", []metav1.OwnerReference{owner.ref(true)}),
		create(t, client, pods, "default", "pod", []metav1.OwnerReference{node.ref(false)}),
	}
	// Orphaning needs a running collector: the owner waits for it.
	orphan := create(t, client, services, "default", "orphan", []metav1.OwnerReference{owner.ref(false)})
	time.Sleep(settle)
	stop()

	del(t, client, owner, nil)
	del(t, client, node, nil)
	time.Sleep(settle)
	requireNoCollector(t, client, append(deps, orphan)...)

	startGC(t, clustertest.Config(c))
	clustertest.Poll(t, 10*time.Second, gone(t, client, append(deps, orphan)...))
}

// The same across a restart of the whole cluster on its data dir.
func TestCollectsAfterClusterRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := clustertest.StartControlPlane(t, cluster.Options{DataDir: dir, Controllers: controllertest.Without(ownController...)})
	client := clustertest.Client(t, c)

	owner := create(t, client, configMaps, "default", "owner", nil)
	node := create(t, client, nodes, "", "node", nil)
	orphaned := create(t, client, configMaps, "default", "orphaned-owner", nil)
	deps := []obj{
		create(t, client, secrets, "default", "dep", []metav1.OwnerReference{owner.ref(false)}),
		create(t, client, pods, "default", "pod", []metav1.OwnerReference{node.ref(false)}),
	}
	kept := create(t, client, secrets, "default", "kept", []metav1.OwnerReference{orphaned.ref(false)})
	del(t, client, owner, nil)
	del(t, client, node, nil)
	// Asked to orphan while no collector runs: the owner waits with its
	// finalizer across the restart.
	del(t, client, orphaned, policy(metav1.DeletePropagationOrphan))
	time.Sleep(settle)
	requireNoCollector(t, client, deps...)
	if err := c.Stop(); err != nil {
		t.Fatalf("stop cluster: %v", err)
	}

	c = clustertest.StartControlPlane(t, cluster.Options{DataDir: dir, Controllers: controllertest.Without(ownController...)})
	client = clustertest.Client(t, c)
	startGC(t, clustertest.Config(c))
	clustertest.Poll(t, 10*time.Second, gone(t, client, append(deps, orphaned)...))
	mustExist(t, client, kept)
	if uids := ownerUIDs(t, client, kept); len(uids) != 0 {
		t.Errorf("%s keeps ownerReferences to %v, want none", kept, uids)
	}
}

// requireNoCollector fails t if deps, whose owners are gone, were
// collected although the test runs no garbage collector: the cluster then
// runs one of its own, and the test cannot show what it is for.
func requireNoCollector(t *testing.T, client kubernetes.Interface, deps ...obj) {
	t.Helper()
	for _, d := range deps {
		if get(t, client, d) == nil {
			t.Fatalf("%s was collected while this test ran no garbage collector: the cluster runs its own, so this test needs a cluster without one", d)
		}
	}
}

// Namespaces are owners too: the API server adds the garbage collector's
// finalizers to a namespace deleted with a propagation policy, and its
// dependents elsewhere follow that policy.
func TestNamespaceOwner(t *testing.T) {
	t.Parallel()
	client := startGCCluster(t)

	for _, tt := range []struct {
		name      string
		policy    *metav1.DeletionPropagation
		finalizer string
		collected bool
	}{
		{name: "default", collected: true},
		{name: "background", policy: policy(metav1.DeletePropagationBackground), collected: true},
		{name: "foreground", policy: policy(metav1.DeletePropagationForeground), finalizer: metav1.FinalizerDeleteDependents, collected: true},
		{name: "orphan", policy: policy(metav1.DeletePropagationOrphan), finalizer: metav1.FinalizerOrphanDependents},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ns := create(t, client, namespaces, "", "owner-"+tt.name, nil)
			dep := create(t, client, configMaps, "default", "ns-dep-"+tt.name, []metav1.OwnerReference{ns.ref(true)})
			del(t, client, ns, tt.policy)
			if m := get(t, client, ns); tt.finalizer != "" && m != nil && !slices.Contains(m.GetFinalizers(), tt.finalizer) {
				// The collector may have been quick: then it has done its
				// part already.
				d := get(t, client, dep)
				done := d == nil || d.GetDeletionTimestamp() != nil
				if !tt.collected {
					done = d != nil && len(d.GetOwnerReferences()) == 0
				}
				if !done {
					t.Errorf("namespace deleted with %s propagation has finalizers %v, want %q", *tt.policy, m.GetFinalizers(), tt.finalizer)
				}
			}
			clustertest.Poll(t, 20*time.Second, gone(t, client, ns))
			if tt.collected {
				clustertest.Poll(t, 10*time.Second, gone(t, client, dep))
				return
			}
			time.Sleep(settle)
			mustExist(t, client, dep)
			if uids := ownerUIDs(t, client, dep); len(uids) != 0 {
				t.Errorf("%s keeps ownerReferences to %v, want none", dep, uids)
			}
		})
	}
}

// A namespaced owner can only own objects in its namespace: a dependent
// elsewhere that names it gets a warning event and, its owner being absent
// from its namespace, is collected.
func TestOwnerInAnotherNamespace(t *testing.T) {
	t.Parallel()
	client := startGCCluster(t)

	create(t, client, namespaces, "", "elsewhere", nil)
	owner := create(t, client, configMaps, "elsewhere", "owner", nil)
	local := create(t, client, secrets, "elsewhere", "local", []metav1.OwnerReference{owner.ref(false)})
	stray := create(t, client, secrets, "default", "stray", []metav1.OwnerReference{owner.ref(false)})

	clustertest.Poll(t, 10*time.Second, gone(t, client, stray))
	mustExist(t, client, owner, local)
	clustertest.Poll(t, 10*time.Second, func() error {
		events, err := client.CoreV1().Events("default").List(t.Context(), metav1.ListOptions{FieldSelector: "involvedObject.name=stray"})
		if err != nil {
			return err
		}
		for _, e := range events.Items {
			want := fmt.Sprintf("ownerRef [v1/ConfigMap, namespace: default, name: owner, uid: %s] does not exist in namespace %q", owner.uid, "default")
			if e.Reason == "OwnerRefInvalidNamespace" && e.Type == "Warning" && e.Message == want && e.InvolvedObject.UID == stray.uid {
				return nil
			}
		}
		return fmt.Errorf("no OwnerRefInvalidNamespace warning for %s among %d events", stray, len(events.Items))
	})
}
