package cluster_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// controllersMade is what the API server and the controllers gave the
// objects of TestRestartKeepsWhatControllersMade: it must not change across
// a restart.
type controllersMade struct {
	PodCIDRs   []string
	ClusterIPs []string
	NodePorts  []int32
	Ingress    []corev1.LoadBalancerIngress
	// Slices maps each EndpointSlice's name to its addresses.
	Slices map[string][]string
	// Account is the default ServiceAccount's UID in the test namespace.
	Account string
}

func snapshot(t *testing.T, ctx context.Context, client kubernetes.Interface) controllersMade {
	t.Helper()
	var got controllersMade
	clustertest.Poll(t, 10*time.Second, func() error {
		node, err := client.CoreV1().Nodes().Get(ctx, "worker", metav1.GetOptions{})
		if err != nil {
			return err
		}
		svc, err := client.CoreV1().Services("restart").Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		list, err := client.DiscoveryV1().EndpointSlices("restart").List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=web"})
		if err != nil {
			return err
		}
		sa, err := client.CoreV1().ServiceAccounts("restart").Get(ctx, "default", metav1.GetOptions{})
		if err != nil {
			return err
		}
		got = controllersMade{PodCIDRs: node.Spec.PodCIDRs, ClusterIPs: svc.Spec.ClusterIPs, Ingress: svc.Status.LoadBalancer.Ingress,
			Slices: map[string][]string{}, Account: string(sa.UID)}
		for _, p := range svc.Spec.Ports {
			got.NodePorts = append(got.NodePorts, p.NodePort)
		}
		for _, s := range list.Items {
			for _, e := range s.Endpoints {
				if e.Conditions.Ready != nil && *e.Conditions.Ready {
					got.Slices[s.Name] = append(got.Slices[s.Name], e.Addresses...)
				}
			}
		}
		if len(got.PodCIDRs) != 2 || len(got.Ingress) != 2 || len(got.Slices) != 2 {
			return fmt.Errorf("not made yet: %+v", got)
		}
		for name, addrs := range got.Slices {
			if len(addrs) != 1 {
				return fmt.Errorf("slice %s: ready addresses %v, want the pod's", name, addrs)
			}
		}
		return nil
	})
	return got
}

// TestRestartKeepsWhatControllersMade checks that the allocations and the
// controllers' objects survive a restart unchanged, and that nothing held
// before it is handed out again after it.
func TestRestartKeepsWhatControllersMade(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts a cluster; skipped with -short")
	}
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state")
	first := clustertest.StartWith(t, cluster.Options{DataDir: dir})
	client := clustertest.Client(t, first)
	ctx := t.Context()

	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "restart"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "worker"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	dual := corev1.IPFamilyPolicyPreferDualStack
	if _, err := client.CoreV1().Services("restart").Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, IPFamilyPolicy: &dual, Selector: map[string]string{"app": "web"},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var pod *corev1.Pod
	clustertest.Poll(t, 10*time.Second, func() error { // the ServiceAccount admission waits for "default"
		var err error
		pod, err = client.CoreV1().Pods("restart").Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: map[string]string{"app": "web"}},
			Spec:       corev1.PodSpec{NodeName: "worker", Containers: []corev1.Container{{Name: "web", Image: "nginx"}}},
		}, metav1.CreateOptions{})
		return err
	})
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
		PodIP: "10.244.0.10", PodIPs: []corev1.PodIP{{IP: "10.244.0.10"}, {IP: "fd00:10:244::10"}}}
	if _, err := client.CoreV1().Pods("restart").UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	token, err := client.CoreV1().ServiceAccounts("restart").CreateToken(ctx, "default", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, ctx, client)

	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}
	second := clustertest.StartWith(t, cluster.Options{DataDir: dir})
	client = clustertest.Client(t, second)

	// A second node and Service prove the controllers run again, and must
	// not get what the first ones hold.
	if _, err := client.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "worker2"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	other, err := client.CoreV1().Services("restart").Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "other"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, IPFamilyPolicy: &dual,
			Ports: []corev1.ServicePort{{Port: 80}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var node2 *corev1.Node
	clustertest.Poll(t, 10*time.Second, func() error {
		if node2, err = client.CoreV1().Nodes().Get(ctx, "worker2", metav1.GetOptions{}); err != nil {
			return err
		}
		if other, err = client.CoreV1().Services("restart").Get(ctx, "other", metav1.GetOptions{}); err != nil {
			return err
		}
		if len(node2.Spec.PodCIDRs) != 2 || len(other.Status.LoadBalancer.Ingress) != 2 {
			return fmt.Errorf("worker2 podCIDRs %v, other's ingress %v: want two each", node2.Spec.PodCIDRs, other.Status.LoadBalancer.Ingress)
		}
		return nil
	})
	after := snapshot(t, ctx, client)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("changed across the restart (-before +after):\n%s", diff)
	}
	for _, cidr := range node2.Spec.PodCIDRs {
		if slices.Contains(before.PodCIDRs, cidr) {
			t.Errorf("worker2 got %s, which worker holds", cidr)
		}
	}
	for _, ip := range other.Spec.ClusterIPs {
		if slices.Contains(before.ClusterIPs, ip) {
			t.Errorf("Service other got cluster IP %s, which web holds", ip)
		}
	}
	for _, ing := range other.Status.LoadBalancer.Ingress {
		for _, held := range before.Ingress {
			if ing.IP == held.IP {
				t.Errorf("Service other got ingress IP %s, which web holds", ing.IP)
			}
		}
	}
	for i, p := range other.Spec.Ports {
		if slices.Contains(before.NodePorts, p.NodePort) {
			t.Errorf("Service other's port %d got node port %d, which web holds", i, p.NodePort)
		}
	}

	// The token issued before the restart still authenticates.
	cfg := rest.AnonymousClientConfig(clustertest.Config(second))
	cfg.BearerToken = token.Status.Token
	saClient, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// GET /version: every authenticated user may (RBAC's
	// system:public-info-viewer), so only authentication can fail it.
	if err := saClient.Discovery().RESTClient().Get().AbsPath("/version").Do(ctx).Error(); err != nil {
		t.Errorf("service account token from before the restart: %v", err)
	}
}
