package alloc_test

import (
	"fmt"
	"net/netip"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// benchRanges leave room for any b.N: a /12 and a /108, like kubeadm's.
var benchRanges = []netip.Prefix{netip.MustParsePrefix("10.96.0.0/12"), netip.MustParsePrefix("fd00:10:96::/108")}

// BenchmarkServiceCreate measures one create at a time: what allocation
// (the IPAddress write included) adds to a Service create. Compare the
// ClusterIP and dual-stack rows with the headless row, which allocates
// nothing.
func BenchmarkServiceCreate(b *testing.B) {
	for _, bc := range []struct {
		name   string
		mutate func(*corev1.Service)
	}{
		{"headless", func(s *corev1.Service) { s.Spec.ClusterIP = corev1.ClusterIPNone }},
		{"ClusterIP", func(*corev1.Service) {}},
		{"DualStack", func(s *corev1.Service) { s.Spec.IPFamilyPolicy = ptrTo(corev1.IPFamilyPolicyRequireDualStack) }},
		{"NodePort", func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeNodePort }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			tc := start(b, "30000-62767", benchRanges...)
			services := tc.client.CoreV1().Services("default")
			i := 0
			for b.Loop() {
				i++
				if bc.name == "NodePort" && i > 32000 {
					b.Fatal("node port range exhausted; use a smaller -benchtime")
				}
				if _, err := services.Create(b.Context(), newService(fmt.Sprintf("svc-%d", i), bc.mutate), metav1.CreateOptions{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "services/s")
		})
	}
}

// BenchmarkServiceCreateParallel32 measures Services per second through the
// API with 32 concurrent clients.
func BenchmarkServiceCreateParallel32(b *testing.B) {
	tc := start(b, "", benchRanges...)
	services := tc.client.CoreV1().Services("default")
	var n atomic.Int64
	// RunParallel runs parallelism × GOMAXPROCS goroutines.
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((32 + procs - 1) / procs)
	startTime := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			name := fmt.Sprintf("svc-%d", n.Add(1))
			if _, err := services.Create(b.Context(), newService(name), metav1.CreateOptions{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(startTime).Seconds(), "services/s")
}
