package endpointslice_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
	"github.com/fakecluster/fakecluster/pkg/controller/endpointslice"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/controllertest"
)

// TestSliceEditedBySomeoneElseIsRestored checks that a write to one of the
// controller's slices by another client is undone. The controller only
// hears of such a write through the slice's metadata.generation moving
// past the one it wrote itself, so this fails when the API server does not
// bump the generation of EndpointSlices as kube-apiserver does.
func TestSliceEditedBySomeoneElseIsRestored(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		family    corev1.IPFamily
		addrType  discoveryv1.AddressType
		clusterIP string
		podIP     string
	}{
		{"IPv4", corev1.IPv4Protocol, discoveryv1.AddressTypeIPv4, "10.96.10.20", "10.244.0.20"},
		{"IPv6", corev1.IPv6Protocol, discoveryv1.AddressTypeIPv6, "fd00:10:96::a20", "fd00:10:244::20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			client := start(t)
			createNode(t, client, "node-a", "zone-a")
			createService(t, client, controllertest.SelectorService("web", []corev1.IPFamily{tt.family}, tt.clusterIP))
			setStatus(t, client, createPod(t, client, "web-0", "web", "node-a"), true, tt.podIP)
			want := map[discoveryv1.AddressType][]endpointView{tt.addrType: {
				{Pod: "Pod/web-0", Addresses: tt.podIP, Node: "node-a", Zone: "zone-a", Ready: true, Serving: true}}}
			items := waitForView(t, client, "web", want)

			// Someone else marks the endpoint not ready and adds one
			// that no pod backs. The first edit may land while a sync
			// of the controller's own is still queued; the second
			// comes after the controller's restoring write, when
			// nothing but the edit can make it sync.
			stray := "10.244.0.99"
			if tt.addrType == discoveryv1.AddressTypeIPv6 {
				stray = "fd00:10:244::99"
			}
			for range 2 {
				edited := items[0].DeepCopy()
				edited.Endpoints[0].Conditions.Ready = ptr.To(false)
				edited.Endpoints = append(edited.Endpoints, discoveryv1.Endpoint{Addresses: []string{stray}})
				if _, err := client.DiscoveryV1().EndpointSlices(ns).Update(t.Context(), edited, metav1.UpdateOptions{}); err != nil {
					t.Fatalf("edit slice: %v", err)
				}
				items = waitForView(t, client, "web", want)
			}
		})
	}
}

// TestLaggingSliceWatchDoesNotDuplicateEndpoints makes the controller
// sync while its informer has not yet seen its last write to a slice: a
// new endpoint went into slice S, and a pod in slice T changes before the
// informer shows it there. That sync must be refused as stale (the
// tracker knows S's generation moved past the cached one) and retried, not
// place the endpoint in T a second time; nothing else would make the
// controller look again, so a duplicate would stay.
func TestLaggingSliceWatchDoesNotDuplicateEndpoints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		family    corev1.IPFamily
		clusterIP string
		podIP     func(i int) string
	}{
		{"IPv4", corev1.IPv4Protocol, "10.96.10.22", func(i int) string { return fmt.Sprintf("10.244.0.%d", i+2) }},
		{"IPv6", corev1.IPv6Protocol, "fd00:10:96::a22", func(i int) string { return fmt.Sprintf("fd00:10:244::%x", i+2) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const lag = time.Second
			client := startWith(t, endpointslice.Options{MaxEndpointsPerSlice: 4}, lag)
			createNode(t, client, "node-a", "zone-a")
			createService(t, client, controllertest.SelectorService("web", []corev1.IPFamily{tt.family}, tt.clusterIP))
			pods := map[string]*corev1.Pod{}
			for i := range 8 {
				name := fmt.Sprintf("web-%d", i)
				pods[name] = setStatus(t, client, createPod(t, client, name, "web", "node-a"), true, tt.podIP(i))
			}
			// Two full slices; one pod of each leaves the Service, so
			// that both have room.
			items := waitForSlices(t, client, 8, 4, 4)
			for _, s := range items {
				p := pods[s.Endpoints[0].TargetRef.Name].DeepCopy()
				p.Labels["app"] = "other"
				if _, err := client.CoreV1().Pods(ns).Update(t.Context(), p, metav1.UpdateOptions{}); err != nil {
					t.Fatalf("relabel pod %s: %v", p.Name, err)
				}
				delete(pods, p.Name)
			}
			waitForSlices(t, client, 6, 3, 3)
			// Let the controller's informer catch up and its queue
			// drain.
			time.Sleep(3 * lag)

			// A new pod's endpoint goes into one slice, S...
			x := setStatus(t, client, createPod(t, client, "web-x", "web", "node-a"), true, tt.podIP(100))
			var inS string
			clustertest.Poll(t, lag/2, func() error {
				items, err := ownedSlices(t.Context(), client, "web")
				if err != nil {
					return err
				}
				for _, s := range items {
					for _, e := range s.Endpoints {
						if e.TargetRef != nil && e.TargetRef.Name == x.Name {
							inS = s.Name
							return nil
						}
					}
				}
				return fmt.Errorf("pod %s in no slice yet", x.Name)
			})
			// ...and, before the controller's informer shows it
			// there, a pod of the other slice, T, turns unready.
			var y string
			for _, s := range items {
				if s.Name != inS {
					for _, e := range s.Endpoints {
						if _, ok := pods[e.TargetRef.Name]; ok {
							y = e.TargetRef.Name
						}
					}
				}
			}
			if y == "" {
				t.Fatalf("no pod outside slice %s", inS)
			}
			setStatus(t, client, pods[y], false, pods[y].Status.PodIPs[0].IP)

			clustertest.Poll(t, 20*time.Second, func() error {
				items, err := ownedSlices(t.Context(), client, "web")
				if err != nil {
					return err
				}
				in := map[string][]string{}
				for _, s := range items {
					for _, e := range s.Endpoints {
						in[e.TargetRef.Name] = append(in[e.TargetRef.Name], s.Name)
						if e.TargetRef.Name == y && ptr.Deref(e.Conditions.Ready, true) {
							return fmt.Errorf("pod %s still ready in slice %s", y, s.Name)
						}
					}
				}
				for name := range pods {
					if len(in[name]) != 1 {
						return fmt.Errorf("pod %s is in slices %v, want exactly one", name, in[name])
					}
				}
				if len(in[x.Name]) != 1 || len(in) != len(pods)+1 {
					return fmt.Errorf("slices hold pods %v, want each of %d once", in, len(pods)+1)
				}
				return nil
			})
		})
	}
}

// waitForSlices waits until the slices of Service web hold n endpoints in
// slices of the given sizes, and returns them.
func waitForSlices(t *testing.T, client kubernetes.Interface, n int, sizes ...int) []discoveryv1.EndpointSlice {
	t.Helper()
	var items []discoveryv1.EndpointSlice
	clustertest.Poll(t, 20*time.Second, func() error {
		var err error
		if items, err = ownedSlices(t.Context(), client, "web"); err != nil {
			return err
		}
		var got []int
		total := 0
		for _, s := range items {
			got = append(got, len(s.Endpoints))
			total += len(s.Endpoints)
		}
		slices.Sort(got)
		if total != n || !slices.Equal(got, sizes) {
			return fmt.Errorf("slice sizes %v, want %v", got, sizes)
		}
		return nil
	})
	return items
}
