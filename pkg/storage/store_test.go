package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"k8s.io/apimachinery/pkg/api/apitesting"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apiserver/pkg/apis/example"
	examplev1 "k8s.io/apiserver/pkg/apis/example/v1"
	"k8s.io/apiserver/pkg/features"
	apistorage "k8s.io/apiserver/pkg/storage"
	storagetesting "k8s.io/apiserver/pkg/storage/testing"
	"k8s.io/apiserver/pkg/storage/value"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	featuregatetesting "k8s.io/component-base/featuregate/testing"
)

// This file runs k8s.io/apiserver's storage conformance suite
// (k8s.io/apiserver/pkg/storage/testing) against Store, the way
// k8s.io/apiserver/pkg/storage/etcd3/store_test.go and watcher_test.go run it
// against etcd. Every RunTest* there is called here except these, which test
// etcd-specific machinery rather than storage.Interface behaviour:
//   - RunTestGetListWithErrorAggregation: needs etcd3's
//     NewStoreWithUnsafeCorruptObjectDeletion wrapper and its unexported
//     corruptObjectError type.
//   - RunTestWatchWithUnsafeDelete: same unexported error type.
//   - RunTestOptionalWatchBookmarksWithCorrectResourceVersion: only the
//     watch cache's tests run it; the etcd3 store does not either.
//   - the KV/RangeStream request-count halves of the list-continuation
//     validations: they count etcd round trips; we check the transformer
//     reads half, which is storage behaviour.

const testPrefix = "test!"

// testCodec builds a fresh scheme per call: no package-level mutable state.
func testCodec() runtime.Codec {
	scheme := runtime.NewScheme()
	metav1.AddToGroupVersion(scheme, metav1.SchemeGroupVersion)
	utilruntime.Must(example.AddToScheme(scheme))
	utilruntime.Must(examplev1.AddToScheme(scheme))
	return apitesting.TestCodec(serializer.NewCodecFactory(scheme), examplev1.SchemeGroupVersion)
}

type setupOptions struct {
	codec       runtime.Codec
	transformer value.Transformer
	newFunc     func() runtime.Object
	dbOptions   Options
}

type setupOption func(*setupOptions)

func withCodec(c runtime.Codec) setupOption { return func(o *setupOptions) { o.codec = c } }
func withDBOptions(d Options) setupOption   { return func(o *setupOptions) { o.dbOptions = d } }
func withTransformer(tr value.Transformer) setupOption {
	return func(o *setupOptions) { o.transformer = tr }
}

// testSetup opens a DB in a temp dir with a pods Store on it. On cleanup it
// closes the DB after checking its invariants, as bbolt's own test helper does.
func testSetup(t testing.TB, opts ...setupOption) (context.Context, *Store, *DB) {
	o := setupOptions{
		codec:       testCodec(),
		transformer: storagetesting.NewPrefixTransformer([]byte(testPrefix), false),
		newFunc:     func() runtime.Object { return &example.Pod{} },
		dbOptions:   Options{UnsafeNoFsync: true, CompactInterval: -1},
	}
	for _, opt := range opts {
		opt(&o)
	}
	db, err := Open(filepath.Join(t.TempDir(), "test.db"), o.dbOptions)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil {
			t.Errorf("database check: %v", err)
		}
		if err := db.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	store, err := db.NewStore(Config{
		Codec:          o.codec,
		NewFunc:        o.newFunc,
		NewListFunc:    func() runtime.Object { return &example.PodList{} },
		ResourcePrefix: "/pods/",
		GroupResource:  schema.GroupResource{Resource: "pods"},
		Transformer:    o.transformer,
	})
	if err != nil {
		t.Fatal(err)
	}
	return context.Background(), store, db
}

// checkStorageInvariants reads the raw stored bytes: they carry the
// transformer's prefix, and neither resourceVersion nor selfLink is stored.
func checkStorageInvariants(s *Store) storagetesting.KeyValidation {
	return func(ctx context.Context, t *testing.T, key string) {
		var data []byte
		err := s.db.bolt.View(func(tx *bolt.Tx) error {
			raw := tx.Bucket(kvBucket).Get([]byte(key))
			if raw == nil {
				return fmt.Errorf("expecting non empty result on key: %s", key)
			}
			rec, err := decodeRecord(raw)
			if err != nil {
				return err
			}
			stored, err := valueAt(tx.Bucket(logBucket), rec.modRev)
			data = bytes.Clone(stored)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(data) < len(testPrefix) || string(data[:len(testPrefix)]) != testPrefix {
			t.Fatalf("stored data %q lacks the transformer prefix", data)
		}
		obj, err := runtime.Decode(s.codec, data[len(testPrefix):])
		if err != nil {
			t.Fatalf("decode stored object: %v", err)
		}
		pod := obj.(*example.Pod)
		if pod.ResourceVersion != "" {
			t.Errorf("stored object should have empty resource version")
		}
		//lint:ignore SA1019 selfLink must stay empty, as upstream's suite checks.
		if pod.SelfLink != "" {
			t.Errorf("stored output should have empty selfLink")
		}
	}
}

// compaction compacts and then bumps the revision, because that is what
// kube-apiserver's etcd compaction does (it records the compacted revision
// in a key) and the suite's expectations count on it.
func compaction(db *DB) storagetesting.Compaction {
	bump := increaseRV(db)
	return func(ctx context.Context, t *testing.T, resourceVersion string) {
		defer bump(ctx, t)
		rv, err := apistorage.APIObjectVersioner{}.ParseResourceVersion(resourceVersion)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Compact(ctx, int64(rv)); err != nil {
			t.Fatal(err)
		}
	}
}

// increaseRV writes a key outside every resource prefix, as the etcd tests
// put "increaseRV" straight into etcd.
func increaseRV(db *DB) storagetesting.IncreaseRVFunc {
	return func(ctx context.Context, t *testing.T) int64 {
		op := newPut(fmt.Appendf(nil, "/increaseRV/%d", db.Revision()), []byte("ok"), 0, 0)
		if err := db.submit(op); err != nil || !op.succeeded {
			t.Fatalf("increase revision: %v (succeeded=%v)", err, op.succeeded)
		}
		return op.rev
	}
}

// transformerReads checks that a paged list transforms exactly the objects
// it had to look at, no more.
func transformerReads(s *Store) storagetesting.CallsValidation {
	return func(t *testing.T, pageSize, estimatedProcessedObjects uint64) {
		if reads := s.transformer.(*storagetesting.PrefixTransformer).GetReadsAndReset(); reads != estimatedProcessedObjects {
			t.Errorf("unexpected reads: %d, expected: %d", reads, estimatedProcessedObjects)
		}
	}
}

// prefixTransformerStore lets suite tests swap the transformer.
type prefixTransformerStore struct{ *Store }

func (s prefixTransformerStore) UpdatePrefixTransformer(modifier storagetesting.PrefixTransformerModifier) func() {
	orig := s.transformer.(*storagetesting.PrefixTransformer)
	copied := *orig
	s.transformer = modifier(&copied)
	return func() { s.transformer = orig }
}

// transformerOverrideStore lets suite tests wrap the transformer.
type transformerOverrideStore struct{ *Store }

func (s transformerOverrideStore) UpdateTransformer(modifier storagetesting.TransformerModifier) func() {
	orig := s.transformer
	s.transformer = modifier(orig)
	return func() { s.transformer = orig }
}

func TestGetListWithoutErrorAggregation(t *testing.T) {
	featuregatetesting.SetFeatureGateDuringTest(t, utilfeature.DefaultFeatureGate, features.AllowUnsafeMalformedObjectDeletion, false)
	ctx, store, _ := testSetup(t)
	storagetesting.RunTestGetListWithoutErrorAggregation(ctx, t, transformerOverrideStore{store}, errors.New("bits flipped"))
}

func TestCreate(t *testing.T) {
	ctx, store, _ := testSetup(t)
	storagetesting.RunTestCreate(ctx, t, store, checkStorageInvariants(store))
}

func TestCreateWithTTL(t *testing.T) {
	ctx, store, _ := testSetup(t)
	storagetesting.RunTestCreateWithTTL(ctx, t, store)
}

func TestCreateWithKeyExist(t *testing.T) {
	ctx, store, _ := testSetup(t)
	storagetesting.RunTestCreateWithKeyExist(ctx, t, store)
}

func TestGet(t *testing.T) {
	ctx, store, _ := testSetup(t)
	storagetesting.RunTestGet(ctx, t, store)
}

func TestDelete(t *testing.T) {
	for name, run := range map[string]func(context.Context, *testing.T, apistorage.Interface){
		"Unconditional":                    storagetesting.RunTestUnconditionalDelete,
		"Conditional":                      storagetesting.RunTestConditionalDelete,
		"WithSuggestion":                   storagetesting.RunTestDeleteWithSuggestion,
		"WithSuggestionAndConflict":        storagetesting.RunTestDeleteWithSuggestionAndConflict,
		"WithSuggestionOfDeletedObject":    storagetesting.RunTestDeleteWithSuggestionOfDeletedObject,
		"ValidateDeletionWithSuggestion":   storagetesting.RunTestValidateDeletionWithSuggestion,
		"ValidateDeletionOnlySuggestion":   storagetesting.RunTestValidateDeletionWithOnlySuggestionValid,
		"WithConflict":                     storagetesting.RunTestDeleteWithConflict,
		"PreconditionalWithSuggestion":     storagetesting.RunTestPreconditionalDeleteWithSuggestion,
		"PreconditionalWithSuggestionPass": storagetesting.RunTestPreconditionalDeleteWithOnlySuggestionPass,
	} {
		t.Run(name, func(t *testing.T) {
			ctx, store, _ := testSetup(t)
			run(ctx, t, store)
		})
	}
}

// failingCodec and failingTransformer break reads on demand, for the tests
// of deleting objects that can no longer be decoded.
type failingCodec struct {
	runtime.Codec
	fail atomic.Bool
}

func (c *failingCodec) Decode(data []byte, defaults *schema.GroupVersionKind, into runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	if c.fail.Load() {
		return nil, nil, errors.New("synthetic error")
	}
	return c.Codec.Decode(data, defaults, into)
}

type failingTransformer struct {
	value.Transformer
	fail atomic.Bool
}

func (tr *failingTransformer) TransformFromStorage(ctx context.Context, data []byte, dataCtx value.Context) ([]byte, bool, error) {
	if tr.fail.Load() {
		return nil, false, errors.New("synthetic error")
	}
	return tr.Transformer.TransformFromStorage(ctx, data, dataCtx)
}

func TestUnsafeDeleteOfCorruptObjects(t *testing.T) {
	featuregatetesting.SetFeatureGateDuringTest(t, utilfeature.DefaultFeatureGate, features.AllowUnsafeMalformedObjectDeletion, true)
	t.Run("ConflictAndMissingExpectedDecodeError", func(t *testing.T) {
		codec := &failingCodec{Codec: testCodec()}
		ctx, store, _ := testSetup(t, withCodec(codec))
		storagetesting.RunTestDeleteWithConflictAndMissingExpectedTransformOrDecodeError(ctx, t, store, codec.fail.Store)
	})
	t.Run("ExpectedTransformError", func(t *testing.T) {
		tr := &failingTransformer{Transformer: storagetesting.NewPrefixTransformer([]byte(testPrefix), false)}
		ctx, store, _ := testSetup(t, withTransformer(tr))
		storagetesting.RunTestDeleteExpectedTransformOrDecodeError(ctx, t, store, tr.fail.Store)
	})
	t.Run("ExpectedDecodeError", func(t *testing.T) {
		codec := &failingCodec{Codec: testCodec()}
		ctx, store, _ := testSetup(t, withCodec(codec))
		storagetesting.RunTestDeleteExpectedTransformOrDecodeError(ctx, t, store, codec.fail.Store)
	})
	t.Run("SuggestionAndMissingExpectedError", func(t *testing.T) {
		ctx, store, _ := testSetup(t)
		storagetesting.RunTestDeleteWithSuggestionAndMissingExpectedTransformOrDecodeError(ctx, t, store)
	})
}

func TestListPaging(t *testing.T) {
	ctx, store, _ := testSetup(t)
	storagetesting.RunTestListPaging(ctx, t, store)
}

func TestGetListNonRecursive(t *testing.T) {
	ctx, store, db := testSetup(t)
	storagetesting.RunTestGetListNonRecursive(ctx, t, increaseRV(db), store)
}

func TestGetListRecursivePrefix(t *testing.T) {
	ctx, store, _ := testSetup(t)
	storagetesting.RunTestGetListRecursivePrefix(ctx, t, store)
}

func TestKeySchema(t *testing.T) {
	ctx, store, _ := testSetup(t)
	storagetesting.RunTestKeySchema(ctx, t, store)
}

func TestGuaranteedUpdate(t *testing.T) {
	ctx, store, _ := testSetup(t)
	storagetesting.RunTestGuaranteedUpdate(ctx, t, prefixTransformerStore{store}, checkStorageInvariants(store))
}

func TestGuaranteedUpdateWithTTL(t *testing.T) {
	ctx, store, _ := testSetup(t)
	storagetesting.RunTestGuaranteedUpdateWithTTL(ctx, t, store)
}

func TestGuaranteedUpdateChecksStoredData(t *testing.T) {
	ctx, store, _ := testSetup(t)
	storagetesting.RunTestGuaranteedUpdateChecksStoredData(ctx, t, prefixTransformerStore{store})
}

func TestGuaranteedUpdateWithConflict(t *testing.T) {
	ctx, store, _ := testSetup(t)
	storagetesting.RunTestGuaranteedUpdateWithConflict(ctx, t, store)
}

func TestGuaranteedUpdateWithSuggestionAndConflict(t *testing.T) {
	ctx, store, _ := testSetup(t)
	storagetesting.RunTestGuaranteedUpdateWithSuggestionAndConflict(ctx, t, store)
}

func TestTransformationFailure(t *testing.T) {
	ctx, store, _ := testSetup(t)
	storagetesting.RunTestTransformationFailure(ctx, t, prefixTransformerStore{store})
}

func TestList(t *testing.T) {
	ctx, store, db := testSetup(t)
	storagetesting.RunTestList(ctx, t, store, compaction(db), false, nil)
}

func TestConsistentList(t *testing.T) {
	ctx, store, db := testSetup(t)
	storagetesting.RunTestConsistentList(ctx, t, store, increaseRV(db), false, true, false)
}

func TestCompactRevision(t *testing.T) {
	ctx, store, db := testSetup(t)
	storagetesting.RunTestCompactRevision(ctx, t, store, increaseRV(db), compaction(db))
}

func TestListContinuation(t *testing.T) {
	ctx, store, _ := testSetup(t)
	storagetesting.RunTestListContinuation(ctx, t, store, transformerReads(store))
}

func TestListPaginationRareObject(t *testing.T) {
	ctx, store, _ := testSetup(t)
	storagetesting.RunTestListPaginationRareObject(ctx, t, store, transformerReads(store))
}

func TestListContinuationWithFilter(t *testing.T) {
	ctx, store, _ := testSetup(t)
	storagetesting.RunTestListContinuationWithFilter(ctx, t, store, transformerReads(store))
}

func TestNamespaceScopedList(t *testing.T) {
	ctx, store, _ := testSetup(t)
	storagetesting.RunTestNamespaceScopedList(ctx, t, store)
}

func TestListInconsistentContinuation(t *testing.T) {
	ctx, store, db := testSetup(t)
	storagetesting.RunTestListInconsistentContinuation(ctx, t, store, compaction(db))
}

func TestListResourceVersionMatch(t *testing.T) {
	ctx, store, _ := testSetup(t)
	storagetesting.RunTestListResourceVersionMatch(ctx, t, prefixTransformerStore{store})
}

func TestStats(t *testing.T) {
	for _, sized := range []bool{false, true} {
		t.Run(fmt.Sprintf("sizeEstimation=%v", sized), func(t *testing.T) {
			ctx, store, _ := testSetup(t)
			if sized {
				if err := store.EnableResourceSizeEstimation(func(context.Context) ([]string, error) { return nil, nil }); err != nil {
					t.Fatal(err)
				}
			}
			storagetesting.RunTestStats(ctx, t, store, store.codec, store.transformer, sized)
		})
	}
}

func TestWatch(t *testing.T) {
	plain := map[string]func(context.Context, *testing.T, apistorage.Interface){
		"Watch":                                  storagetesting.RunTestWatch,
		"ClusterScopedWatch":                     storagetesting.RunTestClusterScopedWatch,
		"NamespaceScopedWatch":                   storagetesting.RunTestNamespaceScopedWatch,
		"DeleteTriggerWatch":                     storagetesting.RunTestDeleteTriggerWatch,
		"WatchFromNonZero":                       storagetesting.RunTestWatchFromNonZero,
		"DelayedWatchDelivery":                   storagetesting.RunTestDelayedWatchDelivery,
		"WatchContextCancel":                     storagetesting.RunTestWatchContextCancel,
		"WatcherTimeout":                         storagetesting.RunTestWatcherTimeout,
		"WatchDeleteEventObjectHaveLatestRV":     storagetesting.RunTestWatchDeleteEventObjectHaveLatestRV,
		"WatchInitializationSignal":              storagetesting.RunTestWatchInitializationSignal,
		"SendInitialEventsBackwardCompatibility": storagetesting.RunSendInitialEventsBackwardCompatibility,
		"WatchSemantics":                         storagetesting.RunWatchSemantics,
		"WatchSemanticInitialEventsExtended":     storagetesting.RunWatchSemanticInitialEventsExtended,
		"WatchListMatchSingle":                   storagetesting.RunWatchListMatchSingle,
	}
	for name, run := range plain {
		t.Run(name, func(t *testing.T) {
			ctx, store, _ := testSetup(t)
			run(ctx, t, store)
		})
	}
	t.Run("WatchFromZero", func(t *testing.T) {
		ctx, store, db := testSetup(t)
		storagetesting.RunTestWatchFromZero(ctx, t, store, compaction(db))
	})
	t.Run("WatchError", func(t *testing.T) {
		ctx, store, _ := testSetup(t)
		storagetesting.RunTestWatchError(ctx, t, prefixTransformerStore{store})
	})
	t.Run("ProgressNotify", func(t *testing.T) {
		ctx, store, db := testSetup(t, withDBOptions(Options{UnsafeNoFsync: true, CompactInterval: -1, ProgressNotifyInterval: time.Second}))
		storagetesting.RunOptionalTestProgressNotify(ctx, t, store, increaseRV(db))
	})
	t.Run("WatchDispatchBookmarkEvents", func(t *testing.T) {
		ctx, store, _ := testSetup(t, withDBOptions(Options{UnsafeNoFsync: true, CompactInterval: -1, ProgressNotifyInterval: time.Second}))
		storagetesting.RunTestWatchDispatchBookmarkEvents(ctx, t, store, false)
	})
	t.Run("WatchErrorEventIsBlockingFurtherEvent", func(t *testing.T) {
		ctx, store, _ := testSetup(t)
		storagetesting.RunWatchErrorIsBlockingFurtherEvents(ctx, t, prefixTransformerStore{store})
	})
}
