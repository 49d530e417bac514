package nodelifecycle_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/controllertest"
	"github.com/fakecluster/fakecluster/pkg/controller/nodelifecycle"
	"github.com/fakecluster/fakecluster/pkg/controller/nodelifecycle/tainteviction"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

// fastOptions make a Node go Unknown a second after its kubelet stops.
var fastOptions = nodelifecycle.Options{
	NodeMonitorPeriod:      100 * time.Millisecond,
	NodeMonitorGracePeriod: time.Second,
	NodeStartupGracePeriod: time.Second,
	NodeEvictionRate:       100,
}

// start runs an API server with no controllers or kubelets, and the node
// lifecycle and taint eviction controllers against it, as
// kube-controller-manager runs them side by side.
func start(t *testing.T, opts nodelifecycle.Options) kubernetes.Interface {
	t.Helper()
	c := clustertest.StartAPI(t, cluster.Options{})
	client := clustertest.Client(t, c)
	// What the serviceaccount controller would make, for the pods' sake.
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: metav1.NamespaceDefault}}
	if _, err := client.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Create(t.Context(), sa, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create service account: %v", err)
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	lifecycle, err := nodelifecycle.New(client, factory, opts)
	if err != nil {
		t.Fatalf("nodelifecycle.New: %v", err)
	}
	eviction, err := tainteviction.New(client, factory)
	if err != nil {
		t.Fatalf("tainteviction.New: %v", err)
	}
	controllertest.Run(controllertest.Context(t), t, factory,
		func(ctx context.Context) { lifecycle.Run(ctx, 2) },
		func(ctx context.Context) { eviction.Run(ctx, 2) })
	return client
}

// kubelet is what a test does in a kubelet's place for one Node.
type kubelet struct {
	t      *testing.T
	client kubernetes.Interface
	name   string
}

// register creates Node name as a kubelet does: the Node, then its status
// (Ready, no pressure) and its Lease.
func register(t *testing.T, client kubernetes.Interface, name string) *kubelet {
	t.Helper()
	k := &kubelet{t: t, client: client, name: name}
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		corev1.LabelHostname: name, corev1.LabelOSStable: "linux", corev1.LabelArchStable: "amd64",
	}}}
	created, err := client.CoreV1().Nodes().Create(t.Context(), node, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create node %s: %v", name, err)
	}
	k.postStatus(map[corev1.NodeConditionType]corev1.ConditionStatus{corev1.NodeReady: corev1.ConditionTrue})
	lease := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: corev1.NamespaceNodeLease, OwnerReferences: []metav1.OwnerReference{
			{APIVersion: "v1", Kind: "Node", Name: name, UID: created.UID},
		}},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To(name), LeaseDurationSeconds: ptr.To[int32](40), RenewTime: ptr.To(metav1.NowMicro())},
	}
	if _, err := client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Create(t.Context(), lease, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create lease %s: %v", name, err)
	}
	return k
}

// postStatus writes the Node's conditions with a new heartbeat: Ready and
// the three pressures, the latter False unless given.
func (k *kubelet) postStatus(status map[corev1.NodeConditionType]corev1.ConditionStatus) {
	k.t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		node, err := k.client.CoreV1().Nodes().Get(k.t.Context(), k.name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		now := metav1.Now()
		var conds []corev1.NodeCondition
		for _, ct := range []corev1.NodeConditionType{corev1.NodeMemoryPressure, corev1.NodeDiskPressure, corev1.NodePIDPressure, corev1.NodeReady} {
			s, ok := status[ct]
			if !ok {
				s = corev1.ConditionFalse
			}
			c := corev1.NodeCondition{Type: ct, Status: s, Reason: "Kubelet" + string(ct), LastHeartbeatTime: now, LastTransitionTime: now}
			for _, old := range node.Status.Conditions {
				if old.Type == ct && old.Status == s {
					c.LastTransitionTime = old.LastTransitionTime
				}
			}
			conds = append(conds, c)
		}
		node.Status.Conditions = conds
		_, err = k.client.CoreV1().Nodes().UpdateStatus(k.t.Context(), node, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		k.t.Fatalf("update status of node %s: %v", k.name, err)
	}
}

// renew renews the Node's Lease once.
func (k *kubelet) renew(ctx context.Context) error {
	patch := fmt.Sprintf(`{"spec":{"renewTime":%q}}`, metav1.NowMicro().Format(metav1.RFC3339Micro))
	_, err := k.client.CoordinationV1().Leases(corev1.NamespaceNodeLease).Patch(ctx, k.name, types.MergePatchType, []byte(patch), metav1.PatchOptions{})
	return err
}

// keepRenewing renews the Node's Lease every 100ms until stop is called or
// the test ends.
func (k *kubelet) keepRenewing() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if err := k.renew(ctx); err != nil && ctx.Err() == nil {
					k.t.Errorf("renew lease %s: %v", k.name, err)
				}
			}
		}
	}()
	stop = func() { cancel(); <-done }
	k.t.Cleanup(stop)
	return stop
}

// runPod creates pod name bound to the Node, with tolerations, and reports
// it Running and Ready as the kubelet would.
func (k *kubelet) runPod(name string, tolerations ...corev1.Toleration) {
	k.t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: metav1.NamespaceDefault},
		Spec: corev1.PodSpec{NodeName: k.name, Tolerations: tolerations, AutomountServiceAccountToken: ptr.To(false),
			Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}
	created, err := k.client.CoreV1().Pods(metav1.NamespaceDefault).Create(k.t.Context(), pod, metav1.CreateOptions{})
	if err != nil {
		k.t.Fatalf("create pod %s: %v", name, err)
	}
	now := metav1.Now()
	created.Status.Phase = corev1.PodRunning
	created.Status.Conditions = []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
	}
	if _, err := k.client.CoreV1().Pods(metav1.NamespaceDefault).UpdateStatus(k.t.Context(), created, metav1.UpdateOptions{}); err != nil {
		k.t.Fatalf("update status of pod %s: %v", name, err)
	}
}

func getNode(t *testing.T, client kubernetes.Interface, name string) (*corev1.Node, error) {
	return client.CoreV1().Nodes().Get(t.Context(), name, metav1.GetOptions{})
}

func getPod(t *testing.T, client kubernetes.Interface, name string) (*corev1.Pod, error) {
	return client.CoreV1().Pods(metav1.NamespaceDefault).Get(t.Context(), name, metav1.GetOptions{})
}

// taintStrings is a Node's taints as kubectl describe shows them, sorted.
func taintStrings(node *corev1.Node) []string {
	var out []string
	for _, t := range node.Spec.Taints {
		out = append(out, t.ToString())
	}
	slices.Sort(out)
	return out
}

// waitTaints waits until Node name has exactly the taints want (sorted,
// as ToString prints them).
func waitTaints(t *testing.T, client kubernetes.Interface, name string, want ...string) *corev1.Node {
	t.Helper()
	slices.Sort(want)
	var node *corev1.Node
	clustertest.Poll(t, 10*time.Second, func() error {
		var err error
		if node, err = getNode(t, client, name); err != nil {
			return err
		}
		if got := taintStrings(node); !slices.Equal(got, want) {
			return fmt.Errorf("node %s taints %q, want %q", name, got, want)
		}
		return nil
	})
	return node
}

// waitEvent waits for an event on the object named involved with the
// given source, type, reason and message.
func waitEvent(t *testing.T, client kubernetes.Interface, involved, source, typ, reason, message string) {
	t.Helper()
	clustertest.Poll(t, 10*time.Second, func() error {
		list, err := client.CoreV1().Events(metav1.NamespaceDefault).List(t.Context(), metav1.ListOptions{})
		if err != nil {
			return err
		}
		var seen []string
		for _, e := range list.Items {
			if e.InvolvedObject.Name != involved {
				continue
			}
			if e.Source.Component == source && e.Type == typ && e.Reason == reason && e.Message == message {
				return nil
			}
			seen = append(seen, fmt.Sprintf("%s %s %s %q", e.Source.Component, e.Type, e.Reason, e.Message))
		}
		return fmt.Errorf("no %s event %s %q from %s on %s; seen %q", typ, reason, message, source, involved, seen)
	})
}

func TestConditionTaintsFollowConditionsAndCordon(t *testing.T) {
	t.Parallel()
	opts := fastOptions
	opts.NodeMonitorGracePeriod = time.Minute // nothing goes Unknown here
	client := start(t, opts)
	k := register(t, client, "worker0")

	waitTaints(t, client, "worker0")
	clustertest.Poll(t, 10*time.Second, func() error {
		node, err := getNode(t, client, "worker0")
		if err != nil {
			return err
		}
		if node.Labels["beta.kubernetes.io/os"] != "linux" || node.Labels["beta.kubernetes.io/arch"] != "amd64" {
			return fmt.Errorf("beta labels = %q, %q; want linux, amd64", node.Labels["beta.kubernetes.io/os"], node.Labels["beta.kubernetes.io/arch"])
		}
		return nil
	})
	waitEvent(t, client, "worker0", "node-controller", corev1.EventTypeNormal, "RegisteredNode", "Node worker0 event: Registered Node worker0 in Controller")

	k.postStatus(map[corev1.NodeConditionType]corev1.ConditionStatus{
		corev1.NodeReady: corev1.ConditionTrue, corev1.NodeMemoryPressure: corev1.ConditionTrue, corev1.NodeDiskPressure: corev1.ConditionTrue,
	})
	node := waitTaints(t, client, "worker0", "node.kubernetes.io/memory-pressure:NoSchedule", "node.kubernetes.io/disk-pressure:NoSchedule")
	for _, taint := range node.Spec.Taints {
		if taint.TimeAdded == nil {
			t.Errorf("taint %s has no timeAdded", taint.ToString())
		}
	}

	k.postStatus(map[corev1.NodeConditionType]corev1.ConditionStatus{corev1.NodeReady: corev1.ConditionFalse, corev1.NodePIDPressure: corev1.ConditionTrue})
	waitTaints(t, client, "worker0", "node.kubernetes.io/not-ready:NoSchedule", "node.kubernetes.io/pid-pressure:NoSchedule")

	// kubectl cordon, and a user's taint (kubectl taint), which stays.
	patch := `{"spec":{"unschedulable":true,"taints":[{"key":"dedicated","value":"db","effect":"NoSchedule"}]}}`
	if _, err := client.CoreV1().Nodes().Patch(t.Context(), "worker0", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatalf("cordon: %v", err)
	}
	waitTaints(t, client, "worker0", "dedicated=db:NoSchedule", "node.kubernetes.io/not-ready:NoSchedule",
		"node.kubernetes.io/pid-pressure:NoSchedule", "node.kubernetes.io/unschedulable:NoSchedule")

	// kubectl uncordon; the kubelet is ready again.
	if _, err := client.CoreV1().Nodes().Patch(t.Context(), "worker0", types.StrategicMergePatchType, []byte(`{"spec":{"unschedulable":null}}`), metav1.PatchOptions{}); err != nil {
		t.Fatalf("uncordon: %v", err)
	}
	k.postStatus(map[corev1.NodeConditionType]corev1.ConditionStatus{corev1.NodeReady: corev1.ConditionTrue})
	waitTaints(t, client, "worker0", "dedicated=db:NoSchedule")
}

func TestStaleLeaseMakesNodeUnknownAndEvictsItsPods(t *testing.T) {
	t.Parallel()
	client := start(t, fastOptions)
	healthy := register(t, client, "worker0")
	healthy.keepRenewing()
	stale := register(t, client, "worker1")
	stopRenewing := stale.keepRenewing()

	healthy.runPod("stays")
	stale.runPod("x",
		corev1.Toleration{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](1)},
		corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](1)})
	stale.runPod("forever", corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute})
	stale.runPod("later", corev1.Toleration{Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](600)})
	waitTaints(t, client, "worker1")

	// The kubelet of worker1 stops: no more Lease renewals or status.
	stopRenewing()
	clustertest.Poll(t, 10*time.Second, func() error {
		node, err := getNode(t, client, "worker1")
		if err != nil {
			return err
		}
		for _, c := range node.Status.Conditions {
			if c.Status != corev1.ConditionUnknown || c.Reason != "NodeStatusUnknown" || c.Message != "Kubelet stopped posting node status." {
				return fmt.Errorf("condition %s is %s (%s: %q), want Unknown (NodeStatusUnknown)", c.Type, c.Status, c.Reason, c.Message)
			}
		}
		return nil
	})
	node := waitTaints(t, client, "worker1", "node.kubernetes.io/unreachable:NoSchedule", "node.kubernetes.io/unreachable:NoExecute")
	for _, taint := range node.Spec.Taints {
		if taint.TimeAdded == nil {
			t.Errorf("taint %s has no timeAdded", taint.ToString())
		}
	}
	waitEvent(t, client, "worker1", "node-controller", corev1.EventTypeNormal, "NodeNotReady", "Node worker1 status is now: NodeNotReady")
	waitEvent(t, client, "forever", "node-controller", corev1.EventTypeWarning, "NodeNotReady", "Node is not ready")

	// Every pod of worker1 is marked not ready; x, whose tolerations run
	// out after a second, is evicted; the others stay.
	for _, name := range []string{"x", "forever", "later"} {
		clustertest.Poll(t, 10*time.Second, func() error {
			pod, err := getPod(t, client, name)
			if err != nil {
				return err
			}
			for _, c := range pod.Status.Conditions {
				if c.Type == corev1.PodReady && c.Status == corev1.ConditionFalse {
					return nil
				}
			}
			return fmt.Errorf("pod %s conditions %+v, want Ready False", name, pod.Status.Conditions)
		})
	}
	waitEvent(t, client, "x", "taint-eviction-controller", corev1.EventTypeNormal, "TaintManagerEviction", "Marking for deletion Pod default/x")
	clustertest.Poll(t, 10*time.Second, func() error {
		pod, err := getPod(t, client, "x")
		if err != nil {
			return err
		}
		if pod.DeletionTimestamp == nil {
			return fmt.Errorf("pod x not being deleted")
		}
		for _, c := range pod.Status.Conditions {
			if c.Type == corev1.DisruptionTarget {
				if c.Status != corev1.ConditionTrue || c.Reason != "DeletionByTaintManager" || c.Message != "Taint manager: deleting due to NoExecute taint" ||
					c.ObservedGeneration == 0 || c.ObservedGeneration > pod.Generation {
					// The deletion itself bumps the generation the condition saw.
					return fmt.Errorf("pod x DisruptionTarget %+v, want True DeletionByTaintManager", c)
				}
				return nil
			}
		}
		return fmt.Errorf("pod x has no DisruptionTarget condition: %+v", pod.Status.Conditions)
	})
	for _, name := range []string{"forever", "later", "stays"} {
		pod, err := getPod(t, client, name)
		if err != nil {
			t.Fatalf("get pod %s: %v", name, err)
		}
		if pod.DeletionTimestamp != nil {
			t.Errorf("pod %s is being deleted; its tolerations have not run out", name)
		}
	}

	// worker1's kubelet comes back: the taints go and the pending eviction
	// of later is cancelled.
	if err := stale.renew(t.Context()); err != nil {
		t.Fatalf("renew lease: %v", err)
	}
	stale.postStatus(map[corev1.NodeConditionType]corev1.ConditionStatus{corev1.NodeReady: corev1.ConditionTrue})
	waitTaints(t, client, "worker1")
	waitEvent(t, client, "later", "taint-eviction-controller", corev1.EventTypeNormal, "TaintManagerEviction", "Cancelling deletion of Pod default/later")

	// worker0 was never touched.
	node, err := getNode(t, client, "worker0")
	if err != nil {
		t.Fatal(err)
	}
	if got := taintStrings(node); len(got) != 0 {
		t.Errorf("healthy node worker0 got taints %q", got)
	}
	stays, err := getPod(t, client, "stays")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range stays.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status != corev1.ConditionTrue {
			t.Errorf("pod on the healthy node marked %s", c.Status)
		}
	}
}

// TestNotReadyNodeTaints has a kubelet report its Node not ready while it
// keeps renewing its Lease: the Node gets the not-ready taints, NoSchedule
// and NoExecute; when the kubelet then stops altogether the NoExecute
// taint is swapped for the unreachable one.
func TestNotReadyNodeTaints(t *testing.T) {
	t.Parallel()
	client := start(t, fastOptions)
	register(t, client, "worker0").keepRenewing()
	k := register(t, client, "worker1")
	stop := k.keepRenewing()
	waitTaints(t, client, "worker1")

	k.postStatus(map[corev1.NodeConditionType]corev1.ConditionStatus{corev1.NodeReady: corev1.ConditionFalse})
	waitTaints(t, client, "worker1", "node.kubernetes.io/not-ready:NoSchedule", "node.kubernetes.io/not-ready:NoExecute")

	stop()
	waitTaints(t, client, "worker1", "node.kubernetes.io/unreachable:NoSchedule", "node.kubernetes.io/unreachable:NoExecute")
}

// TestLastNodeIsNotTainted stops the kubelet of a cluster's only Node: as
// upstream, the controller then takes the control plane to be cut off
// ("master disruption mode"), so the Node goes Unknown and gets the
// NoSchedule taint, but not the NoExecute one, and its pods stay.
func TestLastNodeIsNotTainted(t *testing.T) {
	t.Parallel()
	client := start(t, fastOptions)
	k := register(t, client, "worker0")
	k.runPod("x", corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](0)})

	waitTaints(t, client, "worker0", "node.kubernetes.io/unreachable:NoSchedule")
	waitEvent(t, client, "worker0", "node-controller", corev1.EventTypeNormal, "NodeNotReady", "Node worker0 status is now: NodeNotReady")
	// Several health passes and tainting passes later, still no NoExecute.
	time.Sleep(time.Second)
	waitTaints(t, client, "worker0", "node.kubernetes.io/unreachable:NoSchedule")
	pod, err := getPod(t, client, "x")
	if err != nil {
		t.Fatal(err)
	}
	if pod.DeletionTimestamp != nil {
		t.Error("pod x evicted from the only node")
	}
}

// TestNodeThatNeverPosted creates a Node by hand, with no status and no
// Lease: it loses the admission's not-ready taint at once (it has no
// condition that calls for it), and after the startup grace period its
// conditions are added as Unknown, NodeStatusNeverUpdated.
func TestNodeThatNeverPosted(t *testing.T) {
	t.Parallel()
	opts := fastOptions
	opts.NodeStartupGracePeriod = 2 * time.Second
	client := start(t, opts)
	created, err := client.CoreV1().Nodes().Create(t.Context(), &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "by-hand"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := taintStrings(created); !slices.Equal(got, []string{"node.kubernetes.io/not-ready:NoSchedule"}) {
		t.Errorf("taints on create = %q, want the admission's not-ready taint", got)
	}
	waitTaints(t, client, "by-hand")
	node := waitTaints(t, client, "by-hand", "node.kubernetes.io/unreachable:NoSchedule")
	if age := time.Since(created.CreationTimestamp.Time); age < opts.NodeStartupGracePeriod {
		t.Errorf("marked unknown %v after creation, before the startup grace period %v", age, opts.NodeStartupGracePeriod)
	}
	var types []corev1.NodeConditionType
	for _, c := range node.Status.Conditions {
		types = append(types, c.Type)
		if c.Status != corev1.ConditionUnknown || c.Reason != "NodeStatusNeverUpdated" || c.Message != "Kubelet never posted node status." {
			t.Errorf("condition %+v, want Unknown NodeStatusNeverUpdated", c)
		}
		if !c.LastHeartbeatTime.Equal(&created.CreationTimestamp) {
			t.Errorf("condition %s heartbeat %v, want the creation time %v", c.Type, c.LastHeartbeatTime, created.CreationTimestamp)
		}
	}
	if want := []corev1.NodeConditionType{corev1.NodeReady, corev1.NodeMemoryPressure, corev1.NodeDiskPressure, corev1.NodePIDPressure}; !slices.Equal(types, want) {
		t.Errorf("conditions %v, want %v", types, want)
	}
}
