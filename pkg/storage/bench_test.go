package storage

// Benchmarks comparing this package's bbolt Store with k8s.io/apiserver's
// etcd3 store (backed by an embedded etcd) in the same run. Every benchmark is
// named Benchmark<Name>/backend=<etcd3|bbolt>/..., etcd3 first, so benchstat
// can put the two side by side with etcd3 as the baseline column:
//
//	go test ./pkg/storage -run '^$' -bench . -count 6 | tee /tmp/bench.txt
//	go run golang.org/x/perf/cmd/benchstat@latest -col /backend /tmp/bench.txt
//
// (go run pkg@version does not touch go.mod.) Select one backend with
// -bench '/backend=etcd3' (the leading slash matters: -bench matches each
// level of the name separately). Compare writes/s for write throughput, list-objs/s
// for lists; sec/op is per operation (per Delete+Create pair for
// Traffic=DeleteCreate).
//
// Benchmarks:
//   - BenchmarkWriteThroughput: upstream storagetesting.RunBenchmarkWriteThroughput.
//     It always runs b.SetParallelism(25) (50 writers on 2 cores), so the
//     writer count cannot be chosen; BenchmarkCreate covers 1 and 16 writers.
//   - BenchmarkCreate: Create of example pods with exactly 1 and 16 writer
//     goroutines.
//   - BenchmarkList: upstream storagetesting.RunBenchmarkStoreList.
//   - BenchmarkStats: upstream storagetesting.RunBenchmarkStoreStats.
//
// Dimensions are far below upstream's (50 namespaces x 3,000 pods, 5,000
// nodes; each exemplar pod is ~18 KiB) so that a full run with -count 1
// takes about 2 minutes on 2 cores (-count 6: about 12): 1,000 pods (10 namespaces x 100, 100 nodes)
// for write throughput and stats, 2,000 pods (10 namespaces x 200, 100 nodes)
// for lists, which still exercises every pagination branch upstream has
// (cluster scope lists 2,000 pods: Paginate=0 and 1000; namespace scope 200:
// Paginate=0 and 100; node scope 20).
//
// Both backends are durable: bbolt fsyncs every commit, and etcd fsyncs its
// WAL. Note that testserver.NewTestConfig, which testserver.RunEtcd(b, nil)
// uses, sets UnsafeNoFsync; benchNewEtcdStore turns fsync back on, because
// comparing a durable store with a non-durable one would say nothing. Neither
// backend compacts during the run (upstream's etcd3 testSetup passes
// interval 0 to NewCompactor; bbolt gets a negative CompactInterval).

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/apitesting"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apiserver/pkg/apis/example"
	examplev1 "k8s.io/apiserver/pkg/apis/example/v1"
	apistorage "k8s.io/apiserver/pkg/storage"
	"k8s.io/apiserver/pkg/storage/etcd3"
	"k8s.io/apiserver/pkg/storage/etcd3/testserver"
	storagetesting "k8s.io/apiserver/pkg/storage/testing"
	"k8s.io/apiserver/pkg/storage/value/encrypt/identity"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

// benchDims is the size of the data set a benchmark pre-creates.
type benchDims struct {
	namespaces, podsPerNamespace, nodes int
}

func (d benchDims) String() string {
	return fmt.Sprintf("Namespaces=%d/Pods=%d/Nodes=%d", d.namespaces, d.namespaces*d.podsPerNamespace, d.nodes)
}

func (d benchDims) data() storagetesting.BenchmarkData {
	return storagetesting.PrepareBenchmarkData(d.namespaces, d.podsPerNamespace, d.nodes)
}

// benchWriteDims sizes the write throughput and stats benchmarks.
func benchWriteDims() benchDims { return benchDims{namespaces: 10, podsPerNamespace: 100, nodes: 100} }

// benchListDims sizes the list benchmark.
func benchListDims() benchDims { return benchDims{namespaces: 10, podsPerNamespace: 200, nodes: 100} }

// benchBackend builds a fresh, empty pod store that lives until b ends.
type benchBackend struct {
	name     string
	newStore func(b *testing.B) apistorage.Interface
}

// benchBackends lists the backends in the order they run; the first is the
// baseline column of benchstat -col /backend.
func benchBackends() []benchBackend {
	return []benchBackend{
		{name: "etcd3", newStore: benchNewEtcdStore},
		{name: "bbolt", newStore: benchNewBboltStore},
	}
}

// benchForEachBackend runs fn as sub-benchmark backend=<name> for every
// backend, each with its own fresh store.
func benchForEachBackend(b *testing.B, fn func(b *testing.B, store apistorage.Interface)) {
	for _, backend := range benchBackends() {
		b.Run("backend="+backend.name, func(b *testing.B) {
			benchQuietKlog(b)
			fn(b, backend.newStore(b))
		})
	}
}

// benchQuietKlog discards klog output until b ends. The etcd3 watcher logs an
// error each time upstream's background watchers are stopped, and those lines
// would land in the middle of benchmark result lines and break benchstat.
func benchQuietKlog(b *testing.B) {
	state := klog.CaptureState()
	b.Cleanup(state.Restore)
	klog.SetLogger(logr.Discard())
}

// benchCodec returns a codec for the example API group on a scheme of its own.
func benchCodec(b *testing.B) runtime.Codec {
	b.Helper()
	scheme := runtime.NewScheme()
	metav1.AddToGroupVersion(scheme, metav1.SchemeGroupVersion)
	if err := example.AddToScheme(scheme); err != nil {
		b.Fatal(err)
	}
	if err := examplev1.AddToScheme(scheme); err != nil {
		b.Fatal(err)
	}
	return apitesting.TestCodec(serializer.NewCodecFactory(scheme), examplev1.SchemeGroupVersion)
}

func benchNewPod() runtime.Object     { return &example.Pod{} }
func benchNewPodList() runtime.Object { return &example.PodList{} }

// benchNewEtcdStore returns k8s.io/apiserver's etcd3 store on a new embedded
// etcd server, set up like upstream's testSetup except for the transformer
// (identity rather than a prefix transformer, as bbolt gets none) and fsync.
func benchNewEtcdStore(b *testing.B) apistorage.Interface {
	b.Helper()
	cfg := testserver.NewTestConfig(b)
	// NewTestConfig disables fsync; keep etcd durable like bbolt. RunEtcd
	// only serialises port picking for a nil config; benchmarks run one at
	// a time, so nothing in this process races for the ports.
	cfg.UnsafeNoFsync = false
	client := testserver.RunEtcd(b, cfg)
	b.Cleanup(func() {
		if err := client.Close(); err != nil {
			b.Errorf("close etcd client: %v", err)
		}
	})
	compactor := etcd3.NewCompactor(client.Client, 0, clock.RealClock{}, nil)
	b.Cleanup(compactor.Stop)
	codec := benchCodec(b)
	versioner := apistorage.APIObjectVersioner{}
	store, err := etcd3.New(
		client,
		compactor,
		codec,
		benchNewPod,
		benchNewPodList,
		"",
		"/pods/",
		schema.GroupResource{Resource: "pods"},
		identity.NewEncryptCheckTransformer(),
		etcd3.NewDefaultLeaseManagerConfig(),
		etcd3.NewDefaultDecoder(codec, versioner),
		versioner,
	)
	if err != nil {
		b.Fatalf("new etcd3 store: %v", err)
	}
	b.Cleanup(store.Close)
	return store
}

// benchNewBboltStore returns this package's Store on a new bbolt file and
// checks the file's consistency when b ends.
func benchNewBboltStore(b *testing.B) apistorage.Interface {
	b.Helper()
	// Negative CompactInterval: no compaction, like the etcd3 side.
	db, err := Open(filepath.Join(b.TempDir(), "bench.db"), Options{CompactInterval: -1})
	if err != nil {
		b.Fatalf("open bbolt: %v", err)
	}
	b.Cleanup(func() {
		if err := db.Check(); err != nil {
			b.Errorf("check bbolt: %v", err)
		}
		if err := db.Close(); err != nil {
			b.Errorf("close bbolt: %v", err)
		}
	})
	store, err := db.NewStore(Config{
		Codec:          benchCodec(b),
		NewFunc:        benchNewPod,
		NewListFunc:    benchNewPodList,
		Prefix:         "",
		ResourcePrefix: "/pods/",
		GroupResource:  schema.GroupResource{Resource: "pods"},
	})
	if err != nil {
		b.Fatalf("new bbolt store: %v", err)
	}
	return store
}

// BenchmarkWriteThroughput runs upstream's write throughput benchmark
// (Delete+Create and GuaranteedUpdate traffic from 25*GOMAXPROCS goroutines,
// under several kinds of background read load) on each backend.
func BenchmarkWriteThroughput(b *testing.B) {
	benchForEachBackend(b, func(b *testing.B, store apistorage.Interface) {
		dims := benchWriteDims()
		b.Run(dims.String(), func(b *testing.B) {
			storagetesting.RunBenchmarkWriteThroughput(context.Background(), b, store, dims.data(), false, nil)
		})
	})
}

// BenchmarkCreate measures Create throughput with a fixed number of writer
// goroutines, which upstream's benchmark cannot vary. Every op creates a new
// exemplar pod (~18 KiB) under a random name in one of 10 namespaces; the
// store keeps growing across sub-benchmarks, as it would in a cluster.
func BenchmarkCreate(b *testing.B) {
	benchForEachBackend(b, func(b *testing.B, store apistorage.Interface) {
		template := storagetesting.PrepareBenchmarkData(1, 1, 1).Pods[0]
		var seq atomic.Uint64 // makes names unique across sub-benchmarks and b.N rounds
		for _, writers := range []int{1, 16} {
			b.Run(fmt.Sprintf("Writers=%d", writers), func(b *testing.B) {
				benchCreate(b, store, template, writers, &seq)
			})
		}
	})
}

func benchCreate(b *testing.B, store apistorage.Interface, template *example.Pod, writers int, seq *atomic.Uint64) {
	ctx := context.Background()
	var done atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range writers {
		wg.Go(func() {
			for done.Add(1) <= int64(b.N) {
				n := seq.Add(1)
				pod := template.DeepCopy()
				pod.Namespace = fmt.Sprintf("ns-%d", n%10)
				pod.Name = fmt.Sprintf("%s%s-%d", pod.GenerateName, rand.String(10), n)
				pod.UID = types.UID(rand.String(36))
				key := "/pods/" + pod.Namespace + "/" + pod.Name
				if err := store.Create(ctx, key, pod, &example.Pod{}, 0); err != nil {
					b.Errorf("create %s: %v", key, err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
}

// BenchmarkList runs upstream's list benchmark (4*GOMAXPROCS concurrent
// lists of the whole cluster, one node, one namespace, at each
// resourceVersion match) on each backend.
func BenchmarkList(b *testing.B) {
	benchForEachBackend(b, func(b *testing.B, store apistorage.Interface) {
		dims := benchListDims()
		b.Run(dims.String(), func(b *testing.B) {
			ctx := context.Background()
			data := dims.data()
			if err := storagetesting.PrecreateBenchmarkPods(ctx, store, data); err != nil {
				b.Fatal(err)
			}
			storagetesting.RunBenchmarkStoreList(ctx, b, store, data, false)
		})
	})
}

// BenchmarkStats runs upstream's Stats benchmark on each backend.
func BenchmarkStats(b *testing.B) {
	benchForEachBackend(b, func(b *testing.B, store apistorage.Interface) {
		ctx := context.Background()
		dims := benchWriteDims()
		if err := storagetesting.PrecreateBenchmarkPods(ctx, store, dims.data()); err != nil {
			b.Fatal(err)
		}
		b.Run(dims.String(), func(b *testing.B) {
			storagetesting.RunBenchmarkStoreStats(ctx, b, store)
		})
	})
}
