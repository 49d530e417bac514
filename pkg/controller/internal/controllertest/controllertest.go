package controllertest

import (
	"context"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/ktesting"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// Without is the --controllers list that runs every controller but those
// named, as cluster.Options.Controllers takes it.
func Without(names ...string) []string {
	out := []string{"*"}
	for _, n := range names {
		out = append(out, "-"+n)
	}
	return out
}

// StartWithout starts a cluster without nodes for tb, as
// clustertest.StartControlPlane does, that
// runs every controller but those named: the ones the test runs itself.
func StartWithout(tb testing.TB, names ...string) *cluster.Cluster {
	tb.Helper()
	return clustertest.StartControlPlane(tb, cluster.Options{Controllers: Without(names...)})
}

// Context is a context for Run whose logger writes through tb, or
// discards in a benchmark, whose logs go test prints even when it passes.
func Context(tb testing.TB) context.Context {
	if _, bench := tb.(*testing.B); bench {
		return klog.NewContext(context.Background(), logr.Discard())
	}
	_, ctx := ktesting.NewTestContext(tb)
	return ctx
}

// Run starts factory, if not nil, and calls every one of runs (a
// controller's Run, with its number of workers) in its own goroutine with
// a child of ctx, until stop is called or tb ends. stop cancels that
// context, waits for every run to return, then shuts factory down; calling
// it again does nothing.
func Run(ctx context.Context, tb testing.TB, factory informers.SharedInformerFactory, runs ...func(context.Context)) (stop func()) {
	tb.Helper()
	ctx, cancel := context.WithCancel(ctx)
	if factory != nil {
		factory.Start(ctx.Done())
	}
	var wg sync.WaitGroup
	for _, run := range runs {
		wg.Go(func() { run(ctx) })
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			wg.Wait()
			if factory != nil {
				factory.Shutdown()
			}
		})
	}
	tb.Cleanup(stop)
	return stop
}

// SelectorService is a Service in the default namespace, labelled
// team=blue, selecting app=<name>, with one port 80 ("web") whose target
// is the container port named "http": the Service the endpoint
// controllers' tests give pods to. Two families make it RequireDualStack;
// clusterIPs, if given, are asked for.
func SelectorService(name string, families []corev1.IPFamily, clusterIPs ...string) *corev1.Service {
	policy := corev1.IPFamilyPolicySingleStack
	if len(families) > 1 {
		policy = corev1.IPFamilyPolicyRequireDualStack
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: metav1.NamespaceDefault, Labels: map[string]string{"team": "blue"}},
		Spec: corev1.ServiceSpec{
			Selector:       map[string]string{"app": name},
			Ports:          []corev1.ServicePort{{Name: "web", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromString("http")}},
			IPFamilies:     families,
			IPFamilyPolicy: &policy,
			ClusterIPs:     clusterIPs,
		},
	}
	if len(clusterIPs) > 0 {
		svc.Spec.ClusterIP = clusterIPs[0]
	}
	return svc
}
