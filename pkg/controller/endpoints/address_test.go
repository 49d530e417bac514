package endpoints

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPodAddress(t *testing.T) {
	t.Parallel()
	dual := []corev1.PodIP{{IP: "10.244.0.5"}, {IP: "fd00:10:244::5"}}
	dualV6First := []corev1.PodIP{{IP: "fd00:10:244::5"}, {IP: "10.244.0.5"}}
	tests := []struct {
		name       string
		families   []corev1.IPFamily
		clusterIP  string
		podIP      string
		podIPs     []corev1.PodIP
		subdomain  string
		wantIP     string
		wantHost   string
		wantNoAddr bool
	}{
		{name: "IPv4 primary family", families: []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}, podIPs: dualV6First, wantIP: "10.244.0.5"},
		{name: "IPv6 primary family", families: []corev1.IPFamily{corev1.IPv6Protocol, corev1.IPv4Protocol}, podIPs: dual, wantIP: "fd00:10:244::5"},
		{name: "IPv4 without ipFamilies: family of the cluster IP", clusterIP: "10.96.0.10", podIPs: dualV6First, wantIP: "10.244.0.5"},
		{name: "IPv6 without ipFamilies: family of the cluster IP", clusterIP: "fd00:10:96::a", podIPs: dual, wantIP: "fd00:10:244::5"},
		{name: "IPv4 headless without ipFamilies: family of the pod IP", clusterIP: corev1.ClusterIPNone, podIP: "10.244.0.5", podIPs: dualV6First, wantIP: "10.244.0.5"},
		{name: "IPv6 headless without ipFamilies: family of the pod IP", clusterIP: corev1.ClusterIPNone, podIP: "fd00:10:244::5", podIPs: dual, wantIP: "fd00:10:244::5"},
		{name: "IPv4 service, IPv6-only pod", families: []corev1.IPFamily{corev1.IPv4Protocol}, podIPs: []corev1.PodIP{{IP: "fd00:10:244::5"}}, wantNoAddr: true},
		{name: "IPv6 service, IPv4-only pod", families: []corev1.IPFamily{corev1.IPv6Protocol}, podIPs: []corev1.PodIP{{IP: "10.244.0.5"}}, wantNoAddr: true},
		{name: "IPv4 hostname in the service's subdomain", families: []corev1.IPFamily{corev1.IPv4Protocol}, podIPs: dual, subdomain: "web", wantIP: "10.244.0.5", wantHost: "h"},
		{name: "IPv6 no hostname in another subdomain", families: []corev1.IPFamily{corev1.IPv6Protocol}, podIPs: dual, subdomain: "other", wantIP: "fd00:10:244::5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"},
				Spec: corev1.ServiceSpec{IPFamilies: tt.families, ClusterIP: tt.clusterIP}}
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", UID: "uid-p"},
				Spec:   corev1.PodSpec{NodeName: "node-a", Hostname: "h", Subdomain: tt.subdomain},
				Status: corev1.PodStatus{PodIP: tt.podIP, PodIPs: tt.podIPs}}
			got, ok := podAddress(svc, pod)
			if ok == tt.wantNoAddr {
				t.Fatalf("podAddress found an address: %v, want %v", ok, !tt.wantNoAddr)
			}
			if !ok {
				return
			}
			node := "node-a"
			want := corev1.EndpointAddress{IP: tt.wantIP, Hostname: tt.wantHost, NodeName: &node,
				TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: "ns", Name: "p", UID: "uid-p"}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("podAddress (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDesiredLabels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		clusterIP string
		labels    map[string]string
		want      map[string]string
	}{
		{name: "IPv4 cluster IP", clusterIP: "10.96.0.10", labels: map[string]string{"a": "b", corev1.IsHeadlessService: ""},
			want: map[string]string{"a": "b", LabelManagedBy: ControllerName}},
		{name: "IPv6 cluster IP", clusterIP: "fd00:10:96::a", want: map[string]string{LabelManagedBy: ControllerName}},
		{name: "headless", clusterIP: corev1.ClusterIPNone, labels: map[string]string{"a": "b"},
			want: map[string]string{"a": "b", corev1.IsHeadlessService: "", LabelManagedBy: ControllerName}},
		{name: "no cluster IP yet counts as headless", want: map[string]string{corev1.IsHeadlessService: "", LabelManagedBy: ControllerName}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Labels: tt.labels}, Spec: corev1.ServiceSpec{ClusterIP: tt.clusterIP}}
			if diff := cmp.Diff(tt.want, desiredLabels(svc)); diff != "" {
				t.Errorf("desiredLabels (-want +got):\n%s", diff)
			}
			if tt.labels != nil && tt.labels[LabelManagedBy] != "" {
				t.Errorf("desiredLabels changed the service's labels: %v", tt.labels)
			}
		})
	}
}
