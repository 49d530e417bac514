package statefulset_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/polymorphichelpers"
	"k8s.io/kubectl/pkg/util/podutils"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/controllertest"
	"github.com/fakecluster/fakecluster/pkg/controller/statefulset"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

const timeout = 60 * time.Second

// start runs a cluster with one node and every controller but this one
// (once the cluster knows it), runs this one against it and returns a
// client once the default namespace's ServiceAccount exists.
func start(t *testing.T) kubernetes.Interface {
	t.Helper()
	opts := cluster.Options{}
	if slices.Contains(cluster.ControllerNames(), statefulset.Name) {
		opts.Controllers = controllertest.Without(statefulset.Name)
	}
	c := clustertest.StartWith(t, opts)
	client := clustertest.Client(t, c)
	factory := informers.NewSharedInformerFactory(client, 0)
	sc, err := statefulset.New(client, factory)
	if err != nil {
		t.Fatalf("statefulset.New: %v", err)
	}
	controllertest.Run(controllertest.Context(t), t, factory, func(ctx context.Context) { sc.Run(ctx, 5) })
	clustertest.Poll(t, timeout, func() error {
		_, err := client.CoreV1().ServiceAccounts("default").Get(t.Context(), "default", metav1.GetOptions{})
		return err
	})
	return client
}

// web is the StatefulSet of the Kubernetes StatefulSet page: name web,
// service web, app=nginx, replicas pods of image.
func web(replicas int32, image string) *appsv1.StatefulSet {
	labels := map[string]string{"app": "nginx"}
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: appsv1.StatefulSetSpec{
			Replicas:    ptr.To(replicas),
			ServiceName: "web",
			Selector:    &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					TerminationGracePeriodSeconds: ptr.To[int64](1),
					Containers:                    []corev1.Container{{Name: "nginx", Image: image}},
				},
			},
		},
	}
}

func create(t *testing.T, client kubernetes.Interface, set *appsv1.StatefulSet) *appsv1.StatefulSet {
	t.Helper()
	created, err := client.AppsV1().StatefulSets(set.Namespace).Create(t.Context(), set, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create statefulset %s: %v", set.Name, err)
	}
	return created
}

func patch(t *testing.T, client kubernetes.Interface, name, p string) {
	t.Helper()
	if _, err := client.AppsV1().StatefulSets("default").Patch(t.Context(), name, types.StrategicMergePatchType, []byte(p), metav1.PatchOptions{}); err != nil {
		t.Fatalf("patch statefulset %s with %s: %v", name, p, err)
	}
}

// livePods are the pods of set not being deleted, by name.
func livePods(ctx context.Context, client kubernetes.Interface, set string) (map[string]*corev1.Pod, error) {
	list, err := client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := map[string]*corev1.Pod{}
	for i, p := range list.Items {
		if ref := metav1.GetControllerOf(&p); ref != nil && ref.Kind == "StatefulSet" && ref.Name == set && p.DeletionTimestamp == nil {
			out[p.Name] = &list.Items[i]
		}
	}
	return out, nil
}

// waitRolledOut waits until set has exactly the pods named, all running
// and ready with image, and a status that says so for its generation;
// it returns the set and its pods.
func waitRolledOut(t *testing.T, client kubernetes.Interface, name, image string, names ...string) (*appsv1.StatefulSet, map[string]*corev1.Pod) {
	t.Helper()
	var set *appsv1.StatefulSet
	var pods map[string]*corev1.Pod
	clustertest.Poll(t, timeout, func() error {
		var err error
		if set, err = client.AppsV1().StatefulSets("default").Get(t.Context(), name, metav1.GetOptions{}); err != nil {
			return err
		}
		if pods, err = livePods(t.Context(), client, name); err != nil {
			return err
		}
		var got []string
		for n, p := range pods {
			if p.Spec.Containers[0].Image != image || !podutils.IsPodReady(p) || p.Labels["controller-revision-hash"] != set.Status.UpdateRevision {
				return fmt.Errorf("pod %s: image %s, ready %v, revision %s; want %s, ready, %s", n, p.Spec.Containers[0].Image, podutils.IsPodReady(p), p.Labels["controller-revision-hash"], image, set.Status.UpdateRevision)
			}
			got = append(got, n)
		}
		slices.Sort(got)
		n := int32(len(names))
		s := set.Status
		if !slices.Equal(got, names) || s.Replicas != n || s.ReadyReplicas != n || s.AvailableReplicas != n ||
			s.UpdatedReplicas != n || s.CurrentReplicas != n || s.CurrentRevision != s.UpdateRevision || s.ObservedGeneration != set.Generation {
			return fmt.Errorf("pods %v, status %+v; want %v rolled out", got, s, names)
		}
		return nil
	})
	return set, pods
}

// rolloutStatus is what kubectl rollout status prints for set now.
func rolloutStatus(t *testing.T, client kubernetes.Interface, name string) string {
	t.Helper()
	set, err := client.AppsV1().StatefulSets("default").Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u, err := toUnstructured(set)
	if err != nil {
		t.Fatal(err)
	}
	msg, _, err := (&polymorphichelpers.StatefulSetStatusViewer{}).Status(u, 0)
	if err != nil {
		t.Fatalf("rollout status: %v", err)
	}
	return msg
}

// podEvents watches the pods of namespace default and reports, in order,
// "ADDED web-0", "READY web-0" and "DELETING web-0" as they happen.
func podEvents(t *testing.T, client kubernetes.Interface) <-chan string {
	t.Helper()
	w, err := client.CoreV1().Pods("default").Watch(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	out := make(chan string, 100)
	go func() {
		defer close(out)
		ready, deleting := map[types.UID]bool{}, map[types.UID]bool{}
		for ev := range w.ResultChan() {
			p, ok := ev.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			if ev.Type == watch.Added {
				out <- "ADDED " + p.Name
			}
			if podutils.IsPodReady(p) && !ready[p.UID] {
				ready[p.UID] = true
				out <- "READY " + p.Name
			}
			if (p.DeletionTimestamp != nil || ev.Type == watch.Deleted) && !deleting[p.UID] {
				deleting[p.UID] = true
				out <- "DELETING " + p.Name
			}
		}
	}()
	return out
}

// collect reads events until want have come (in any order among
// themselves) and returns all it read.
func collect(t *testing.T, events <-chan string, want ...string) []string {
	t.Helper()
	var got []string
	deadline := time.After(timeout)
	for {
		missing := slices.DeleteFunc(slices.Clone(want), func(w string) bool { return slices.Contains(got, w) })
		if len(missing) == 0 {
			return got
		}
		select {
		case e := <-events:
			got = append(got, e)
		case <-deadline:
			t.Fatalf("after %v saw %v, still waiting for %v", timeout, got, missing)
		}
	}
}

func before(t *testing.T, seen []string, a, b string) {
	t.Helper()
	i, j := slices.Index(seen, a), slices.Index(seen, b)
	if i < 0 || j < 0 || i > j {
		t.Errorf("saw %v: want %q before %q", seen, a, b)
	}
}

// eventMessages are the messages of the events about the StatefulSet name.
func eventMessages(t *testing.T, client kubernetes.Interface, name string) []string {
	t.Helper()
	list, err := client.CoreV1().Events("default").List(t.Context(), metav1.ListOptions{FieldSelector: "involvedObject.kind=StatefulSet,involvedObject.name=" + name})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range list.Items {
		out = append(out, e.Reason+": "+e.Message)
	}
	return out
}

func waitEvent(t *testing.T, client kubernetes.Interface, name, want string) {
	t.Helper()
	clustertest.Poll(t, timeout, func() error {
		if got := eventMessages(t, client, name); !slices.Contains(got, want) {
			return fmt.Errorf("events %q, want %q", got, want)
		}
		return nil
	})
}

// TestOrderedReady: the pods of an OrderedReady set come one by one, each
// after the one before is ready, with their identity; the status and
// kubectl rollout status say so; scaling down deletes from the highest
// ordinal, one at a time; a deleted pod comes back under its name.
func TestOrderedReady(t *testing.T) {
	t.Parallel()
	client := start(t)
	events := podEvents(t, client)
	create(t, client, web(3, "nginx:1.29"))
	seen := collect(t, events, "READY web-0", "READY web-1", "READY web-2")
	before(t, seen, "READY web-0", "ADDED web-1")
	before(t, seen, "READY web-1", "ADDED web-2")
	set, pods := waitRolledOut(t, client, "web", "nginx:1.29", "web-0", "web-1", "web-2")

	p := pods["web-1"]
	if p.Spec.Hostname != "web-1" || p.Spec.Subdomain != "web" {
		t.Errorf("web-1 hostname %q subdomain %q, want web-1 and web", p.Spec.Hostname, p.Spec.Subdomain)
	}
	if p.Labels[appsv1.StatefulSetPodNameLabel] != "web-1" || p.Labels[appsv1.PodIndexLabel] != "1" || p.Labels["app"] != "nginx" {
		t.Errorf("web-1 labels %v", p.Labels)
	}
	if ref := metav1.GetControllerOf(p); ref == nil || ref.UID != set.UID || ref.BlockOwnerDeletion == nil || !*ref.BlockOwnerDeletion {
		t.Errorf("web-1 controller %+v, want the set, blocking owner deletion", ref)
	}
	rev := set.Status.CurrentRevision
	if !strings.HasPrefix(rev, "web-") || *set.Status.CollisionCount != 0 {
		t.Errorf("status %+v", set.Status)
	}
	r, err := client.AppsV1().ControllerRevisions("default").Get(t.Context(), rev, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("current revision: %v", err)
	}
	if r.Revision != 1 || r.Labels["controller.kubernetes.io/hash"] != strings.TrimPrefix(rev, "web-") || r.Labels["app"] != "nginx" ||
		!strings.Contains(string(r.Data.Raw), `"$patch":"replace"`) || metav1.GetControllerOf(r).UID != set.UID {
		t.Errorf("revision %s: number %d, labels %v, data %s, owners %v", r.Name, r.Revision, r.Labels, r.Data.Raw, r.OwnerReferences)
	}
	if msg := rolloutStatus(t, client, "web"); msg != "partitioned roll out complete: 3 new pods have been updated...\n" {
		t.Errorf("rollout status %q", msg)
	}
	waitEvent(t, client, "web", "SuccessfulCreate: create Pod web-2 in StatefulSet web successful")

	// Down to one: web-2 goes before web-1 is touched.
	patch(t, client, "web", `{"spec":{"replicas":1}}`)
	seen = collect(t, events, "DELETING web-2", "DELETING web-1")
	before(t, seen, "DELETING web-2", "DELETING web-1")
	waitRolledOut(t, client, "web", "nginx:1.29", "web-0")
	waitEvent(t, client, "web", "SuccessfulDelete: delete Pod web-1 in StatefulSet web successful")

	// A deleted pod comes back under its name, as a new pod.
	if err := client.CoreV1().Pods("default").Delete(t.Context(), "web-0", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	_, pods = waitRolledOut(t, client, "web", "nginx:1.29", "web-0")
	if pods["web-0"].UID == p.UID || pods["web-0"].UID == "" {
		t.Errorf("web-0 not made again")
	}
}

// unschedulable is web whose pods fit no node: they stay Pending and
// never get ready.
func unschedulable(replicas int32, policy appsv1.PodManagementPolicyType) *appsv1.StatefulSet {
	set := web(replicas, "nginx:1.29")
	set.Spec.PodManagementPolicy = policy
	set.Spec.Template.Spec.NodeSelector = map[string]string{"nowhere": "true"}
	return set
}

// TestParallel: a Parallel set makes all its pods at once and deletes
// them at once, ready or not, where an OrderedReady one waits for its
// first pod; a failed pod is deleted and made again.
func TestParallel(t *testing.T) {
	t.Parallel()
	client := start(t)
	ordered := unschedulable(3, appsv1.OrderedReadyPodManagement)
	ordered.Name = "ordered"
	create(t, client, ordered)
	create(t, client, unschedulable(3, appsv1.ParallelPodManagement))
	var pods map[string]*corev1.Pod
	clustertest.Poll(t, timeout, func() error {
		var err error
		if pods, err = livePods(t.Context(), client, "web"); err != nil {
			return err
		}
		if len(pods) != 3 {
			return fmt.Errorf("%d pods of a Parallel set, want 3", len(pods))
		}
		return nil
	})
	clustertest.Poll(t, timeout, func() error {
		s, err := client.AppsV1().StatefulSets("default").Get(t.Context(), "ordered", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if s.Status.Replicas != 1 || s.Status.ReadyReplicas != 0 || s.Status.ObservedGeneration != s.Generation {
			return fmt.Errorf("ordered set status %+v, want 1 replica, none ready", s.Status)
		}
		return nil
	})
	// Its first pod never gets ready: the ordered set makes no other.
	time.Sleep(time.Second)
	if got, err := livePods(t.Context(), client, "ordered"); err != nil || len(got) != 1 || got["ordered-0"] == nil {
		t.Errorf("ordered set pods %v (%v), want ordered-0 only", got, err)
	}
	if msg := rolloutStatus(t, client, "ordered"); msg != "Waiting for 3 pods to be ready...\n" {
		t.Errorf("rollout status of the ordered set: %q", msg)
	}

	// A failed pod is deleted and made again.
	failed := pods["web-1"]
	clustertest.Poll(t, timeout, func() error {
		p, err := client.CoreV1().Pods("default").Get(t.Context(), "web-1", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if p.UID != failed.UID {
			t.Fatalf("web-1 replaced before it failed")
		}
		p.Status.Phase = corev1.PodFailed
		_, err = client.CoreV1().Pods("default").UpdateStatus(t.Context(), p, metav1.UpdateOptions{})
		return err
	})
	clustertest.Poll(t, timeout, func() error {
		p, err := client.CoreV1().Pods("default").Get(t.Context(), "web-1", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if p.UID == failed.UID {
			return fmt.Errorf("web-1 still the failed pod (phase %s)", p.Status.Phase)
		}
		return nil
	})

	// Down to zero at once, none of them ready.
	patch(t, client, "web", `{"spec":{"replicas":0}}`)
	clustertest.Poll(t, timeout, func() error {
		s, err := client.AppsV1().StatefulSets("default").Get(t.Context(), "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		got, err := livePods(t.Context(), client, "web")
		if err != nil {
			return err
		}
		if len(got) != 0 || s.Status.Replicas != 0 {
			return fmt.Errorf("%d pods, status %+v, want none", len(got), s.Status)
		}
		return nil
	})
}

// TestRollingUpdate: a new image rolls out to the pods from the partition
// up only, highest ordinal first; lowering the partition finishes it;
// kubectl rollout status says each stage as upstream; the revisions are
// numbered 1 and 2, and kubectl rollout undo to 1 renumbers it 3 and
// rolls the pods back.
func TestRollingUpdate(t *testing.T) {
	t.Parallel()
	client := start(t)
	set := web(3, "nginx:1.29")
	set.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{
		Type:          appsv1.RollingUpdateStatefulSetStrategyType,
		RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{Partition: ptr.To[int32](2)},
	}
	create(t, client, set)
	first, _ := waitRolledOut(t, client, "web", "nginx:1.29", "web-0", "web-1", "web-2")
	oldRev := first.Status.CurrentRevision

	events := podEvents(t, client)
	patch(t, client, "web", `{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.30"}]}}}}`)
	var s *appsv1.StatefulSet
	clustertest.Poll(t, timeout, func() error {
		var err error
		if s, err = client.AppsV1().StatefulSets("default").Get(t.Context(), "web", metav1.GetOptions{}); err != nil {
			return err
		}
		st := s.Status
		if st.UpdatedReplicas != 1 || st.ReadyReplicas != 3 || st.CurrentReplicas != 2 || st.CurrentRevision != oldRev || st.UpdateRevision == oldRev || st.ObservedGeneration != s.Generation {
			return fmt.Errorf("status %+v, want web-2 updated and ready", st)
		}
		return nil
	})
	newRev := s.Status.UpdateRevision
	pods, err := livePods(t.Context(), client, "web")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"web-0": oldRev, "web-1": oldRev, "web-2": newRev} {
		if got := pods[name].Labels["controller-revision-hash"]; got != want {
			t.Errorf("%s of revision %s, want %s", name, got, want)
		}
	}
	if msg := rolloutStatus(t, client, "web"); msg != "partitioned roll out complete: 1 new pods have been updated...\n" {
		t.Errorf("rollout status %q", msg)
	}

	patch(t, client, "web", `{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}`)
	seen := collect(t, events, "DELETING web-2", "DELETING web-1", "DELETING web-0", "READY web-0")
	before(t, seen, "DELETING web-1", "DELETING web-0")
	s, _ = waitRolledOut(t, client, "web", "nginx:1.30", "web-0", "web-1", "web-2")
	if s.Status.CurrentRevision != newRev {
		t.Errorf("current revision %s, want %s", s.Status.CurrentRevision, newRev)
	}
	if msg := rolloutStatus(t, client, "web"); msg != "partitioned roll out complete: 3 new pods have been updated...\n" {
		t.Errorf("rollout status %q", msg)
	}
	checkRevisions(t, client, map[string]int64{oldRev: 1, newRev: 2})

	// kubectl rollout undo --to-revision=1.
	rb, err := polymorphichelpers.RollbackerFor(appsv1.SchemeGroupVersion.WithKind("StatefulSet").GroupKind(), client)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := rb.Rollback(s, nil, 1, cmdutil.DryRunNone); err != nil {
		t.Fatalf("rollback: %v", err)
	} else if out != "rolled back" {
		t.Errorf("rollback said %q", out)
	}
	s, _ = waitRolledOut(t, client, "web", "nginx:1.29", "web-0", "web-1", "web-2")
	if s.Status.CurrentRevision != oldRev {
		t.Errorf("after undo current revision %s, want %s", s.Status.CurrentRevision, oldRev)
	}
	checkRevisions(t, client, map[string]int64{oldRev: 3, newRev: 2})
}

// checkRevisions waits until the set's revisions are those named, with
// those numbers.
func checkRevisions(t *testing.T, client kubernetes.Interface, want map[string]int64) {
	t.Helper()
	clustertest.Poll(t, timeout, func() error {
		list, err := client.AppsV1().ControllerRevisions("default").List(t.Context(), metav1.ListOptions{LabelSelector: "app=nginx"})
		if err != nil {
			return err
		}
		got := map[string]int64{}
		for _, r := range list.Items {
			got[r.Name] = r.Revision
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Errorf("revisions %v, want %v", got, want)
		}
		return nil
	})
}

// TestOnDelete: a new template replaces no pod until the user deletes it;
// the status tells the two revisions apart.
func TestOnDelete(t *testing.T) {
	t.Parallel()
	client := start(t)
	set := web(2, "nginx:1.29")
	set.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType}
	create(t, client, set)
	first, pods := waitRolledOut(t, client, "web", "nginx:1.29", "web-0", "web-1")
	patch(t, client, "web", `{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.30"}]}}}}`)
	var s *appsv1.StatefulSet
	clustertest.Poll(t, timeout, func() error {
		var err error
		if s, err = client.AppsV1().StatefulSets("default").Get(t.Context(), "web", metav1.GetOptions{}); err != nil {
			return err
		}
		st := s.Status
		if st.ObservedGeneration != s.Generation || st.UpdateRevision == first.Status.CurrentRevision || st.CurrentRevision != first.Status.CurrentRevision ||
			st.UpdatedReplicas != 0 || st.CurrentReplicas != 2 || st.ReadyReplicas != 2 {
			return fmt.Errorf("status %+v, want a new update revision and nothing updated", st)
		}
		return nil
	})
	time.Sleep(500 * time.Millisecond)
	now, err := livePods(t.Context(), client, "web")
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range pods {
		if now[name] == nil || now[name].UID != p.UID {
			t.Errorf("%s replaced under OnDelete", name)
		}
	}
	if err := client.CoreV1().Pods("default").Delete(t.Context(), "web-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	clustertest.Poll(t, timeout, func() error {
		p, err := client.CoreV1().Pods("default").Get(t.Context(), "web-1", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if p.DeletionTimestamp != nil || p.Spec.Containers[0].Image != "nginx:1.30" || p.Labels["controller-revision-hash"] != s.Status.UpdateRevision {
			return fmt.Errorf("web-1 image %s, revision %s", p.Spec.Containers[0].Image, p.Labels["controller-revision-hash"])
		}
		got, err := client.AppsV1().StatefulSets("default").Get(t.Context(), "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if got.Status.UpdatedReplicas != 1 || got.Status.CurrentReplicas != 1 {
			return fmt.Errorf("status %+v, want one pod of each revision", got.Status)
		}
		return nil
	})
}

// withClaims is web with the www claim template of the StatefulSet page,
// Parallel, so that its pods are made whether or not they can run (no
// provisioner binds the claims).
func withClaims(replicas int32, policy appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy) *appsv1.StatefulSet {
	set := web(replicas, "nginx:1.29")
	set.Spec.PodManagementPolicy = appsv1.ParallelPodManagement
	set.Spec.PersistentVolumeClaimRetentionPolicy = &policy
	set.Spec.Template.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "www", MountPath: "/usr/share/nginx/html"}}
	set.Spec.VolumeClaimTemplates = []corev1.PersistentVolumeClaim{{
		ObjectMeta: metav1.ObjectMeta{Name: "www", Labels: map[string]string{"tier": "storage"}},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
		},
	}}
	return set
}

// claimOwners waits until the claims named exist (and no other of the
// set's) and returns, for each, the kind/name of its owners.
func claimOwners(t *testing.T, client kubernetes.Interface, want map[string]string) {
	t.Helper()
	clustertest.Poll(t, timeout, func() error {
		list, err := client.CoreV1().PersistentVolumeClaims("default").List(t.Context(), metav1.ListOptions{LabelSelector: "app=nginx"})
		if err != nil {
			return err
		}
		got := map[string]string{}
		for _, c := range list.Items {
			if c.DeletionTimestamp != nil {
				continue
			}
			var owners []string
			for _, r := range c.OwnerReferences {
				owners = append(owners, r.Kind+"/"+r.Name)
			}
			got[c.Name] = strings.Join(owners, ",")
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Errorf("claims and their owners %v, want %v", got, want)
		}
		return nil
	})
}

// TestVolumeClaimTemplates: each pod gets its claim, made before it and
// mounted by it, with the template's labels and the set's; whenScaled
// Delete gives a scaled-down pod's claim to the pod, and the garbage
// collector deletes it with the pod; whenDeleted Delete gives the claims
// to the set, and they go with it.
func TestVolumeClaimTemplates(t *testing.T) {
	t.Parallel()
	client := start(t)
	create(t, client, withClaims(2, appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
		WhenDeleted: appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
		WhenScaled:  appsv1.DeletePersistentVolumeClaimRetentionPolicyType,
	}))
	claimOwners(t, client, map[string]string{"www-web-0": "", "www-web-1": ""})
	claim, err := client.CoreV1().PersistentVolumeClaims("default").Get(t.Context(), "www-web-0", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if claim.Labels["tier"] != "storage" || claim.Labels["app"] != "nginx" || claim.Spec.Resources.Requests.Storage().String() != "1Gi" {
		t.Errorf("claim labels %v, spec %+v", claim.Labels, claim.Spec)
	}
	var pod *corev1.Pod
	clustertest.Poll(t, timeout, func() error {
		pod, err = client.CoreV1().Pods("default").Get(t.Context(), "web-1", metav1.GetOptions{})
		return err
	})
	if !pod.CreationTimestamp.After(claim.CreationTimestamp.Time) && !pod.CreationTimestamp.Equal(&claim.CreationTimestamp) {
		t.Errorf("pod made at %v before its claim at %v", pod.CreationTimestamp, claim.CreationTimestamp)
	}
	var vol *corev1.Volume
	for i, v := range pod.Spec.Volumes {
		if v.Name == "www" {
			vol = &pod.Spec.Volumes[i]
		}
	}
	if vol == nil || vol.PersistentVolumeClaim == nil || vol.PersistentVolumeClaim.ClaimName != "www-web-1" {
		t.Errorf("web-1 volumes %+v, want www from claim www-web-1", pod.Spec.Volumes)
	}
	waitEvent(t, client, "web", "SuccessfulCreate: create Claim www-web-1 Pod web-1 in StatefulSet web success")

	// Scaled down, web-1's claim goes with it.
	patch(t, client, "web", `{"spec":{"replicas":1}}`)
	claimOwners(t, client, map[string]string{"www-web-0": ""})

	// Claims go with the set once the policy says so.
	patch(t, client, "web", `{"spec":{"persistentVolumeClaimRetentionPolicy":{"whenDeleted":"Delete"}}}`)
	claimOwners(t, client, map[string]string{"www-web-0": "StatefulSet/web"})
	if err := client.AppsV1().StatefulSets("default").Delete(t.Context(), "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	claimOwners(t, client, map[string]string{})
}

// TestRetainedClaimsAreReused: under Retain, scaling down keeps the claim,
// and scaling up again mounts the same claim in the new pod.
func TestRetainedClaimsAreReused(t *testing.T) {
	t.Parallel()
	client := start(t)
	create(t, client, withClaims(2, appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
		WhenDeleted: appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
		WhenScaled:  appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
	}))
	claimOwners(t, client, map[string]string{"www-web-0": "", "www-web-1": ""})
	c1, err := client.CoreV1().PersistentVolumeClaims("default").Get(t.Context(), "www-web-1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	patch(t, client, "web", `{"spec":{"replicas":1}}`)
	clustertest.Poll(t, timeout, func() error {
		_, err := client.CoreV1().Pods("default").Get(t.Context(), "web-1", metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("web-1 still there (%v)", err)
		}
		return nil
	})
	patch(t, client, "web", `{"spec":{"replicas":2}}`)
	clustertest.Poll(t, timeout, func() error {
		_, err := client.CoreV1().Pods("default").Get(t.Context(), "web-1", metav1.GetOptions{})
		return err
	})
	again, err := client.CoreV1().PersistentVolumeClaims("default").Get(t.Context(), "www-web-1", metav1.GetOptions{})
	if err != nil || again.UID != c1.UID {
		t.Errorf("www-web-1 after scaling down and up: %v (%v), want the same claim", again, err)
	}
}

// TestAdoption: an orphan named and labelled as a member is adopted, not
// made again; a matching pod that is named as no member is left alone;
// ordinals start at spec.ordinals.start.
func TestAdoption(t *testing.T) {
	t.Parallel()
	client := start(t)
	set := web(2, "nginx:1.29")
	set.Spec.Ordinals = &appsv1.StatefulSetOrdinals{Start: 5}
	orphan := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-5", Namespace: "default", Labels: map[string]string{"app": "nginx"}},
		Spec:       set.Spec.Template.Spec,
	}
	stranger := orphan.DeepCopy()
	stranger.Name = "stranger"
	for _, p := range []*corev1.Pod{orphan, stranger} {
		created, err := client.CoreV1().Pods("default").Create(t.Context(), p, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		p.UID = created.UID
	}
	created := create(t, client, set)
	clustertest.Poll(t, timeout, func() error {
		pods, err := livePods(t.Context(), client, "web")
		if err != nil {
			return err
		}
		if len(pods) != 2 || pods["web-5"] == nil || pods["web-6"] == nil {
			return fmt.Errorf("pods %v, want web-5 and web-6", slices.Sorted(maps.Keys(pods)))
		}
		if pods["web-5"].UID != orphan.UID || metav1.GetControllerOf(pods["web-5"]).UID != created.UID {
			return fmt.Errorf("web-5 not the adopted orphan")
		}
		return nil
	})
	s, err := client.CoreV1().Pods("default").Get(t.Context(), "stranger", metav1.GetOptions{})
	if err != nil || metav1.GetControllerOf(s) != nil {
		t.Errorf("stranger %v (%v), want it left alone", s.OwnerReferences, err)
	}
}

func toUnstructured(obj runtime.Object) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	return &unstructured.Unstructured{Object: m}, nil
}
