package alloc

import (
	"net/netip"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// TestAfterDeleteBeforeStart: the API server serves while Start repairs,
// so a Service can be deleted before the allocators have their ranges and
// ports. The hook must leave that to Start's repair, not dereference what
// Start has not set yet.
func TestAfterDeleteBeforeStart(t *testing.T) {
	a, err := New(Config{ServiceCIDRs: []netip.Prefix{netip.MustParsePrefix("10.96.0.0/16")}, Client: fake.NewClientset()})
	if err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "default"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, ClusterIPs: []string{"10.96.0.10"},
			IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol}, Ports: []corev1.ServicePort{{Port: 80, NodePort: 30080}}}}
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("AfterDelete before Start panicked: %v", r)
		}
	}()
	a.AfterDelete(svc, &metav1.DeleteOptions{})
}
