package cluster_test

import (
	"flag"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

var (
	benchCRDs = flag.Int("bench-crds", 100, "CRDs BenchmarkCustomResources installs")
	benchCRs  = flag.Int("bench-crs", 10000, "custom resources BenchmarkCustomResources creates, spread over its CRDs")
)

// BenchmarkCustomResources installs -bench-crds (100) CRDs, one kind each,
// on an API server of its own and reports the time until every one is
// Established and served; then it creates -bench-crs (10,000) custom
// resources over them from 32 clients and reports creates/s.
//
//	go test ./pkg/cluster -run '^$' -bench CustomResources -benchtime 1x
func BenchmarkCustomResources(b *testing.B) {
	quietKlog(b)
	var installing, creating time.Duration
	for range b.N {
		b.StopTimer()
		c := clustertest.StartAPI(b, cluster.Options{})
		cfg := c.RESTConfig()
		cfg.QPS, cfg.Burst = 5000, 10000
		crds := apiextensionsclient.NewForConfigOrDie(cfg)
		dyn := dynamic.NewForConfigOrDie(cfg)
		b.StartTimer()

		start := time.Now()
		gvrs := installBenchCRDs(b, crds, dyn, *benchCRDs)
		installing += time.Since(start)

		start = time.Now()
		createBenchCRs(b, dyn, gvrs, *benchCRs)
		creating += time.Since(start)
	}
	b.ReportMetric(float64(installing.Milliseconds())/float64(b.N), "ms-to-crds-served")
	b.ReportMetric(float64(*benchCRs*b.N)/creating.Seconds(), "crs/s")
}

// installBenchCRDs creates n CRDs of group bench.io and waits until every
// one is Established and a list of its kind succeeds.
func installBenchCRDs(b *testing.B, crds apiextensionsclient.Interface, dyn dynamic.Interface, n int) []schema.GroupVersionResource {
	gvrs := make([]schema.GroupVersionResource, n)
	preserve := true
	for i := range gvrs {
		plural, kind := fmt.Sprintf("things%d", i), fmt.Sprintf("Thing%d", i)
		gvrs[i] = schema.GroupVersionResource{Group: "bench.io", Version: "v1", Resource: plural}
		crd := &apiextensionsv1.CustomResourceDefinition{
			ObjectMeta: metav1.ObjectMeta{Name: plural + ".bench.io"},
			Spec: apiextensionsv1.CustomResourceDefinitionSpec{
				Group: "bench.io", Scope: apiextensionsv1.NamespaceScoped,
				Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: plural, Kind: kind},
				Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
					Name: "v1", Served: true, Storage: true,
					Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
						Type: "object", XPreserveUnknownFields: &preserve,
					}},
				}},
			},
		}
		if _, err := crds.ApiextensionsV1().CustomResourceDefinitions().Create(b.Context(), crd, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	for _, gvr := range gvrs {
		clustertest.Poll(b, *benchWait, func() error {
			_, err := dyn.Resource(gvr).Namespace(benchNamespace).List(b.Context(), metav1.ListOptions{Limit: 1})
			return err
		})
	}
	return gvrs
}

// createBenchCRs creates n custom resources, round robin over gvrs, from
// benchClientCount goroutines.
func createBenchCRs(b *testing.B, dyn dynamic.Interface, gvrs []schema.GroupVersionResource, n int) {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, benchClientCount)
	for range benchClientCount {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				gvr := gvrs[i%len(gvrs)]
				obj := &unstructured.Unstructured{Object: map[string]any{
					"apiVersion": gvr.GroupVersion().String(), "kind": fmt.Sprintf("Thing%d", i%len(gvrs)),
					"metadata": map[string]any{"name": fmt.Sprintf("cr%d", i)},
					"spec":     map[string]any{"index": int64(i)},
				}}
				if _, err := dyn.Resource(gvr).Namespace(benchNamespace).Create(b.Context(), obj, metav1.CreateOptions{}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
}
