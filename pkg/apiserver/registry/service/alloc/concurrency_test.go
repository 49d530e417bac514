package alloc_test

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
)

// createAll creates n Services in parallel and returns the created ones
// and the errors.
func createAll(t *testing.T, tc *testCluster, prefix string, n int, mutate ...func(*corev1.Service)) ([]*corev1.Service, []error) {
	t.Helper()
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		svcs []*corev1.Service
		errs []error
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := tc.client.CoreV1().Services("default").Create(t.Context(), newService(fmt.Sprintf("%s-%d", prefix, i), mutate...), metav1.CreateOptions{})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			svcs = append(svcs, s)
		}()
	}
	wg.Wait()
	return svcs, errs
}

// TestConcurrentCreates creates 200 Services at once, IPv4 and IPv6
// dual-stack on a /24 and a /120: every IP is unique, in range and has
// exactly one IPAddress.
func TestConcurrentCreates(t *testing.T) {
	t.Parallel()
	tc := start(t, "", v4Range, netip.MustParsePrefix("fd00:10:96::/120"))
	svcs, errs := createAll(t, tc, "svc", 200, func(s *corev1.Service) {
		s.Spec.IPFamilyPolicy = ptrTo(corev1.IPFamilyPolicyRequireDualStack)
	})
	if len(errs) > 0 {
		t.Fatalf("%d creates failed, the first: %v", len(errs), errs[0])
	}
	seen := sets.New[string]("10.0.0.1")
	for _, s := range svcs {
		for _, ip := range s.Spec.ClusterIPs {
			if seen.Has(ip) {
				t.Errorf("%s: cluster IP %s handed out twice", s.Name, ip)
			}
			seen.Insert(ip)
		}
		tc.checkIPAddresses(t, t.Context(), s)
	}
	if got, want := tc.countIPAddresses(t, t.Context()), 2*200+1; got != want {
		t.Errorf("%d IPAddresses, want %d", got, want)
	}
}

func ptrTo[T any](v T) *T { return &v }

// TestExhaustion fills a /29 (six addresses, one of them default/kubernetes')
// and a five-port node port range from parallel creates: the rest fail with
// upstream's InternalError texts, and nothing leaks.
func TestExhaustion(t *testing.T) {
	t.Parallel()
	for _, r := range []netip.Prefix{netip.MustParsePrefix("10.0.0.0/29"), netip.MustParsePrefix("fd00:10:96::/125")} {
		t.Run(r.Addr().String(), func(t *testing.T) {
			t.Parallel()
			tc := start(t, "30000-30004", r)
			// IPv4 /29: 6 usable; IPv6 /125: 7 usable (the last is usable).
			usable := 5
			if r.Addr().Is6() {
				usable = 6
			}
			svcs, errs := createAll(t, tc, "ip", 20)
			if len(svcs) != usable || len(errs) != 20-usable {
				t.Fatalf("%d created, %d failed; want %d created", len(svcs), len(errs), usable)
			}
			for _, err := range errs {
				if !strings.HasPrefix(err.Error(), `Internal error occurred: failed to allocate a serviceIP for Service "ip-`) ||
					!strings.HasSuffix(err.Error(), `": range is full`) {
					t.Errorf("error %q", err)
				}
			}
			if got := tc.countIPAddresses(t, t.Context()); got != usable+1 {
				t.Errorf("%d IPAddresses, want %d", got, usable+1)
			}
			// Freeing one lets exactly one more in.
			if err := tc.client.CoreV1().Services("default").Delete(t.Context(), svcs[0].Name, metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			if _, err := tc.client.CoreV1().Services("default").Create(t.Context(), newService("again"), metav1.CreateOptions{}); err != nil {
				t.Errorf("create after a delete: %v", err)
			}
		})
	}
	t.Run("node ports", func(t *testing.T) {
		t.Parallel()
		tc := start(t, "30000-30004", netip.MustParsePrefix("10.0.0.0/24"))
		svcs, errs := createAll(t, tc, "np", 8, func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeNodePort })
		if len(svcs) != 5 || len(errs) != 3 {
			t.Fatalf("%d created, %d failed; want 5 and 3", len(svcs), len(errs))
		}
		for _, err := range errs {
			if err.Error() != "Internal error occurred: failed to allocate a nodePort: range is full" {
				t.Errorf("error %q", err)
			}
		}
		// The failed creates gave their cluster IPs back.
		if got := tc.countIPAddresses(t, t.Context()); got != 6 {
			t.Errorf("%d IPAddresses, want 6", got)
		}
		ports := sets.New[int32]()
		for _, s := range svcs {
			ports.Insert(s.Spec.Ports[0].NodePort)
		}
		if ports.Len() != 5 {
			t.Errorf("node ports %v, want 5 different ones", sets.List(ports))
		}
		_, err := tc.client.CoreV1().Services("default").Create(t.Context(), newService("lb", func(s *corev1.Service) {
			s.Spec.Type = corev1.ServiceTypeLoadBalancer
			s.Spec.AllocateLoadBalancerNodePorts = ptrTo(false)
			s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
		}), metav1.CreateOptions{})
		if err == nil || err.Error() != "Internal error occurred: failed to allocate a HealthCheck NodePort 0: range is full" {
			t.Errorf("health check port: %v", err)
		}
	})
}
