package nodeipam_test

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/controllertest"
	"github.com/fakecluster/fakecluster/pkg/controller/nodeipam"
)

// ownController names the controller(s) a test here runs itself: the
// cluster runs every other one, so that the two do not race.
var ownController = []string{"node-ipam-controller"}

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// runController runs a node IPAM controller against c until the returned
// stop is called (or t ends).
func runController(t *testing.T, c *cluster.Cluster, cfg nodeipam.Config) (stop func()) {
	t.Helper()
	client := clustertest.Client(t, c)
	factory := informers.NewSharedInformerFactory(client, 0)
	ctrl, err := nodeipam.New(client, factory, cfg)
	if err != nil {
		t.Fatalf("nodeipam.New: %v", err)
	}
	return controllertest.Run(controllertest.Context(t), t, factory, func(ctx context.Context) { ctrl.Run(ctx, 2) })
}

func createNode(t *testing.T, client kubernetes.Interface, name string, podCIDRs ...string) *corev1.Node {
	t.Helper()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if len(podCIDRs) > 0 {
		node.Spec.PodCIDR, node.Spec.PodCIDRs = podCIDRs[0], podCIDRs
	}
	got, err := client.CoreV1().Nodes().Create(t.Context(), node, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create node %s: %v", name, err)
	}
	return got
}

// waitCIDRs waits until node name has exactly want as spec.podCIDRs, with
// spec.podCIDR its first entry.
func waitCIDRs(t *testing.T, client kubernetes.Interface, name string, want ...string) {
	t.Helper()
	clustertest.Poll(t, 10*time.Second, func() error {
		node, err := client.CoreV1().Nodes().Get(t.Context(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if !slices.Equal(node.Spec.PodCIDRs, want) || node.Spec.PodCIDR != want[0] {
			return fmt.Errorf("node %s: podCIDR %q podCIDRs %q, want %q", name, node.Spec.PodCIDR, node.Spec.PodCIDRs, want)
		}
		return nil
	})
}

// stillNoCIDRs fails t if node name has CIDRs.
func stillNoCIDRs(t *testing.T, client kubernetes.Interface, name string) {
	t.Helper()
	node, err := client.CoreV1().Nodes().Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get node %s: %v", name, err)
	}
	if node.Spec.PodCIDR != "" || len(node.Spec.PodCIDRs) != 0 {
		t.Fatalf("node %s got podCIDR %q podCIDRs %q, want none", name, node.Spec.PodCIDR, node.Spec.PodCIDRs)
	}
}

func deleteNode(t *testing.T, client kubernetes.Interface, name string) {
	t.Helper()
	if err := client.CoreV1().Nodes().Delete(t.Context(), name, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete node %s: %v", name, err)
	}
}

func TestNodesGetOneCIDRPerClusterCIDRInFlagOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		clusterCIDRs []netip.Prefix
		want         [][]string // per node, in creation order
	}{
		{
			name:         "dual-stack IPv4 first",
			clusterCIDRs: prefixes("10.244.0.0/16", "fd00:10:244::/56"),
			want: [][]string{
				{"10.244.0.0/24", "fd00:10:244::/64"},
				{"10.244.1.0/24", "fd00:10:244:1::/64"},
				{"10.244.2.0/24", "fd00:10:244:2::/64"},
			},
		},
		{
			name:         "dual-stack IPv6 first",
			clusterCIDRs: prefixes("fd00:10:244::/56", "10.244.0.0/16"),
			want: [][]string{
				{"fd00:10:244::/64", "10.244.0.0/24"},
				{"fd00:10:244:1::/64", "10.244.1.0/24"},
				{"fd00:10:244:2::/64", "10.244.2.0/24"},
			},
		},
		{
			name:         "single-stack IPv4",
			clusterCIDRs: prefixes("10.244.0.0/16"),
			want:         [][]string{{"10.244.0.0/24"}, {"10.244.1.0/24"}, {"10.244.2.0/24"}},
		},
		{
			name:         "single-stack IPv6",
			clusterCIDRs: prefixes("fd00:10:244::/56"),
			want:         [][]string{{"fd00:10:244::/64"}, {"fd00:10:244:1::/64"}, {"fd00:10:244:2::/64"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := controllertest.StartWithout(t, ownController...)
			client := clustertest.Client(t, c)
			runController(t, c, nodeipam.Config{
				ClusterCIDRs:         tc.clusterCIDRs,
				NodeCIDRMaskSizeIPv4: 24,
				NodeCIDRMaskSizeIPv6: 64,
				ServiceCIDRs:         prefixes("10.96.0.0/16", "fd00:10:96::/108"),
			})
			for i, want := range tc.want {
				name := fmt.Sprintf("node-%d", i)
				createNode(t, client, name)
				waitCIDRs(t, client, name, want...)
			}
		})
	}
}

// TestServiceRangeIsNotHandedOut: node CIDRs that overlap a Service range
// are skipped, as upstream's filterOutServiceRange.
func TestServiceRangeIsNotHandedOut(t *testing.T) {
	t.Parallel()
	c := controllertest.StartWithout(t, ownController...)
	client := clustertest.Client(t, c)
	runController(t, c, nodeipam.Config{
		ClusterCIDRs:         prefixes("10.96.0.0/22", "fd00:10:96::/62"),
		NodeCIDRMaskSizeIPv4: 24,
		NodeCIDRMaskSizeIPv6: 64,
		ServiceCIDRs:         prefixes("10.96.0.0/24", "fd00:10:96::/108"),
	})
	createNode(t, client, "a")
	waitCIDRs(t, client, "a", "10.96.1.0/24", "fd00:10:96:1::/64")
	createNode(t, client, "b")
	waitCIDRs(t, client, "b", "10.96.2.0/24", "fd00:10:96:2::/64")
}

// TestExistingCIDRsAreKept: CIDRs a Node was created with are the Node's,
// and are not handed out again.
func TestExistingCIDRsAreKept(t *testing.T) {
	t.Parallel()
	c := controllertest.StartWithout(t, ownController...)
	client := clustertest.Client(t, c)
	cfg := nodeipam.Config{
		ClusterCIDRs:         prefixes("10.244.0.0/16", "fd00:10:244::/56"),
		NodeCIDRMaskSizeIPv4: 24,
		NodeCIDRMaskSizeIPv6: 64,
	}
	// Before the controller starts: relearned on start.
	createNode(t, client, "preset", "10.244.1.0/24", "fd00:10:244:1::/64")
	// Outside the cluster CIDRs: left alone, and the others still served.
	createNode(t, client, "foreign", "192.168.7.0/24")
	runController(t, c, cfg)
	createNode(t, client, "a")
	waitCIDRs(t, client, "a", "10.244.0.0/24", "fd00:10:244::/64")
	// After the controller started: learned from the watch.
	createNode(t, client, "late", "10.244.3.0/24", "fd00:10:244:3::/64")
	waitCIDRs(t, client, "late", "10.244.3.0/24", "fd00:10:244:3::/64")
	createNode(t, client, "b")
	waitCIDRs(t, client, "b", "10.244.2.0/24", "fd00:10:244:2::/64")
	createNode(t, client, "c")
	waitCIDRs(t, client, "c", "10.244.4.0/24", "fd00:10:244:4::/64")
	waitCIDRs(t, client, "preset", "10.244.1.0/24", "fd00:10:244:1::/64")
	waitCIDRs(t, client, "foreign", "192.168.7.0/24")
}

// TestControllerRestartRelearnsCIDRs: a controller started anew learns the
// CIDRs existing Nodes hold before it gives out any, including to Nodes
// created while none ran.
func TestControllerRestartRelearnsCIDRs(t *testing.T) {
	t.Parallel()
	testRelearn(t, false)
}

// TestRestartRelearnsCIDRs is TestControllerRestartRelearnsCIDRs across a
// restart of the whole cluster on the same data dir.
func TestRestartRelearnsCIDRs(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts a cluster")
	}
	t.Parallel()
	testRelearn(t, true)
}

func testRelearn(t *testing.T, restartCluster bool) {
	dataDir := t.TempDir()
	cfg := nodeipam.Config{
		ClusterCIDRs:         prefixes("10.244.0.0/16", "fd00:10:244::/56"),
		NodeCIDRMaskSizeIPv4: 24,
		NodeCIDRMaskSizeIPv6: 64,
	}

	c := clustertest.StartControlPlane(t, cluster.Options{DataDir: dataDir, Controllers: controllertest.Without(ownController...)})
	client := clustertest.Client(t, c)
	stop := runController(t, c, cfg)
	createNode(t, client, "a")
	waitCIDRs(t, client, "a", "10.244.0.0/24", "fd00:10:244::/64")
	createNode(t, client, "b")
	waitCIDRs(t, client, "b", "10.244.1.0/24", "fd00:10:244:1::/64")
	stop()
	if restartCluster {
		if err := c.Stop(); err != nil {
			t.Fatalf("stop cluster: %v", err)
		}
		c = clustertest.StartControlPlane(t, cluster.Options{DataDir: dataDir, Controllers: controllertest.Without(ownController...)})
		client = clustertest.Client(t, c)
	}
	createNode(t, client, "c") // while no controller runs
	runController(t, c, cfg)
	waitCIDRs(t, client, "c", "10.244.2.0/24", "fd00:10:244:2::/64")
	createNode(t, client, "d")
	waitCIDRs(t, client, "d", "10.244.3.0/24", "fd00:10:244:3::/64")
	waitCIDRs(t, client, "a", "10.244.0.0/24", "fd00:10:244::/64")
	waitCIDRs(t, client, "b", "10.244.1.0/24", "fd00:10:244:1::/64")
}

// TestExhaustionAndRelease: with room for two Nodes, the third stays
// without CIDRs and gets upstream's CIDRNotAvailable event; deleting a Node
// frees its CIDRs for it.
func TestExhaustionAndRelease(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		clusterCIDRs []netip.Prefix
		first        []string
		second       []string
		// third is what the waiting Node gets once "first" is deleted.
		third []string
	}{
		{
			name:         "IPv4",
			clusterCIDRs: prefixes("10.244.0.0/23"),
			first:        []string{"10.244.0.0/24"},
			second:       []string{"10.244.1.0/24"},
			third:        []string{"10.244.0.0/24"},
		},
		{
			name:         "IPv6",
			clusterCIDRs: prefixes("fd00:10:244::/63"),
			first:        []string{"fd00:10:244::/64"},
			second:       []string{"fd00:10:244:1::/64"},
			third:        []string{"fd00:10:244::/64"},
		},
		{
			// The IPv6 set has room; all-or-nothing keeps it untouched
			// while the IPv4 one is full.
			name:         "dual-stack, IPv4 exhausted",
			clusterCIDRs: prefixes("10.244.0.0/23", "fd00:10:244::/56"),
			first:        []string{"10.244.0.0/24", "fd00:10:244::/64"},
			second:       []string{"10.244.1.0/24", "fd00:10:244:1::/64"},
			third:        []string{"10.244.0.0/24", "fd00:10:244:2::/64"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			c := controllertest.StartWithout(t, ownController...)
			client := clustertest.Client(t, c)
			runController(t, c, nodeipam.Config{
				ClusterCIDRs:         tc.clusterCIDRs,
				NodeCIDRMaskSizeIPv4: 24,
				NodeCIDRMaskSizeIPv6: 64,
			})
			createNode(t, client, "first")
			waitCIDRs(t, client, "first", tc.first...)
			createNode(t, client, "second")
			waitCIDRs(t, client, "second", tc.second...)
			third := createNode(t, client, "third")

			var event corev1.Event
			clustertest.Poll(t, 10*time.Second, func() error {
				list, err := client.CoreV1().Events(metav1.NamespaceDefault).List(ctx, metav1.ListOptions{
					FieldSelector: "involvedObject.name=third,reason=CIDRNotAvailable",
				})
				if err != nil {
					return err
				}
				if len(list.Items) != 1 {
					return fmt.Errorf("%d CIDRNotAvailable events for node third, want 1", len(list.Items))
				}
				event = list.Items[0]
				return nil
			})
			if event.Type != corev1.EventTypeWarning || event.Message != "Node third status is now: CIDRNotAvailable" {
				t.Errorf("event type %q message %q, want Warning %q", event.Type, event.Message, "Node third status is now: CIDRNotAvailable")
			}
			if event.Source.Component != "cidrAllocator" || event.ReportingController != "cidrAllocator" {
				t.Errorf("event source %+v reportingController %q, want cidrAllocator", event.Source, event.ReportingController)
			}
			wantRef := corev1.ObjectReference{APIVersion: "v1", Kind: "Node", Name: "third", UID: third.UID}
			if event.InvolvedObject != wantRef {
				t.Errorf("event involvedObject %+v, want %+v", event.InvolvedObject, wantRef)
			}
			stillNoCIDRs(t, client, "third")

			deleteNode(t, client, "first")
			clustertest.Poll(t, 30*time.Second, func() error {
				_, err := client.CoreV1().Nodes().Get(ctx, "first", metav1.GetOptions{})
				if !apierrors.IsNotFound(err) {
					return fmt.Errorf("node first still there: %v", err)
				}
				return nil
			})
			waitCIDRs(t, client, "third", tc.third...)
			waitCIDRs(t, client, "second", tc.second...)
		})
	}
}

// TestRecreatedNodeGetsNewCIDRs: a Node deleted and created again under
// the same name is another Node; its old CIDRs are released, and the
// round-robin hands it the next ones.
func TestRecreatedNodeGetsNewCIDRs(t *testing.T) {
	t.Parallel()
	c := controllertest.StartWithout(t, ownController...)
	client := clustertest.Client(t, c)
	runController(t, c, nodeipam.Config{
		ClusterCIDRs:         prefixes("10.244.0.0/23"),
		NodeCIDRMaskSizeIPv4: 24,
	})
	createNode(t, client, "a")
	waitCIDRs(t, client, "a", "10.244.0.0/24")
	deleteNode(t, client, "a")
	createNode(t, client, "a")
	waitCIDRs(t, client, "a", "10.244.1.0/24")
	// Both CIDRs free again only if the first was released.
	createNode(t, client, "b")
	waitCIDRs(t, client, "b", "10.244.0.0/24")
}

func TestNewRejectsWhatItCannotDivide(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     nodeipam.Config
		wantErr string
	}{
		{
			name:    "no cluster CIDR",
			cfg:     nodeipam.Config{NodeCIDRMaskSizeIPv4: 24},
			wantErr: "Controller: Must specify --cluster-cidr if --allocate-node-cidrs is set",
		},
		{
			name:    "three cluster CIDRs",
			cfg:     nodeipam.Config{ClusterCIDRs: prefixes("10.0.0.0/16", "fd00::/56", "10.1.0.0/16"), NodeCIDRMaskSizeIPv4: 24, NodeCIDRMaskSizeIPv6: 64},
			wantErr: "length of clusterCIDRs is:3 more than max allowed of 2",
		},
		{
			name:    "two IPv4",
			cfg:     nodeipam.Config{ClusterCIDRs: prefixes("10.0.0.0/16", "10.1.0.0/16"), NodeCIDRMaskSizeIPv4: 24},
			wantErr: "cluster CIDRs 10.0.0.0/16 and 10.1.0.0/16 are of the same IP family",
		},
		{
			name:    "two IPv6",
			cfg:     nodeipam.Config{ClusterCIDRs: prefixes("fd00::/56", "fd01::/56"), NodeCIDRMaskSizeIPv6: 64},
			wantErr: "cluster CIDRs fd00::/56 and fd01::/56 are of the same IP family",
		},
		{
			name:    "IPv4 mask shorter than the cluster CIDR",
			cfg:     nodeipam.Config{ClusterCIDRs: prefixes("10.0.0.0/16"), NodeCIDRMaskSizeIPv4: 8},
			wantErr: "cluster CIDR 10.0.0.0/16: Controller: Invalid --cluster-cidr, mask size of cluster CIDR must be less than or equal to --node-cidr-mask-size configured for CIDR family",
		},
		{
			name:    "IPv6 mask shorter than the cluster CIDR",
			cfg:     nodeipam.Config{ClusterCIDRs: prefixes("fd00::/56"), NodeCIDRMaskSizeIPv6: 48},
			wantErr: "cluster CIDR fd00::/56: Controller: Invalid --cluster-cidr, mask size of cluster CIDR must be less than or equal to --node-cidr-mask-size configured for CIDR family",
		},
		{
			name:    "IPv6 mask more than 16 bits longer",
			cfg:     nodeipam.Config{ClusterCIDRs: prefixes("fd00::/48"), NodeCIDRMaskSizeIPv6: 65},
			wantErr: "cluster CIDR fd00::/48: New CIDR set failed; the node CIDR size is too big",
		},
		{
			name:    "IPv4 mask longer than 32",
			cfg:     nodeipam.Config{ClusterCIDRs: prefixes("10.0.0.0/16"), NodeCIDRMaskSizeIPv4: 33},
			wantErr: "cluster CIDR 10.0.0.0/16: invalid node CIDR mask size 33 for cluster CIDR 10.0.0.0/16: it must be between 16 and 32",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// New reads no API: an unreachable client is enough.
			client := kubernetes.NewForConfigOrDie(&rest.Config{Host: "https://127.0.0.1:1"})
			_, err := nodeipam.New(client, informers.NewSharedInformerFactory(client, 0), tc.cfg)
			if err == nil || err.Error() != tc.wantErr {
				t.Fatalf("New error = %v, want %q", err, tc.wantErr)
			}
		})
	}
}
