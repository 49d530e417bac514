package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/apis/example"
	apistorage "k8s.io/apiserver/pkg/storage"
)

// These tests cover what the upstream suite cannot see: restarts, history
// bounds, fan-out under a slow consumer, group commit and shutdown.

func openPods(t testing.TB, path string, opts Options) (*DB, *Store) {
	t.Helper()
	db, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	store, err := db.NewStore(Config{
		Codec:          testCodec(),
		NewFunc:        func() runtime.Object { return &example.Pod{} },
		NewListFunc:    func() runtime.Object { return &example.PodList{} },
		Prefix:         "/registry",
		ResourcePrefix: "/pods/",
		GroupResource:  schema.GroupResource{Resource: "pods"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return db, store
}

func closeChecked(t testing.TB, db *DB) {
	t.Helper()
	if err := db.Check(); err != nil {
		t.Errorf("check: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
}

func createPod(t testing.TB, s *Store, name string) *example.Pod {
	t.Helper()
	out := &example.Pod{}
	in := &example.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}}
	if err := s.Create(context.Background(), "/pods/ns/"+name, in, out, 0); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return out
}

func relabel(t testing.TB, s *Store, name, value string) *example.Pod {
	t.Helper()
	out := &example.Pod{}
	err := s.GuaranteedUpdate(context.Background(), "/pods/ns/"+name, out, false, nil,
		apistorage.SimpleUpdate(func(obj runtime.Object) (runtime.Object, error) {
			pod := obj.(*example.Pod)
			pod.Labels = map[string]string{"v": value}
			return pod, nil
		}), nil)
	if err != nil {
		t.Fatalf("update %s: %v", name, err)
	}
	return out
}

func nextEvent(t testing.TB, w watch.Interface) watch.Event {
	t.Helper()
	select {
	case ev, ok := <-w.ResultChan():
		if !ok {
			t.Fatal("watch closed early")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no watch event within 10s")
	}
	return watch.Event{}
}

func TestRestartKeepsObjectsRevisionAndWatchHistory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, store := openPods(t, path, Options{CompactInterval: -1})
	a := createPod(t, store, "a")
	b := relabel(t, store, "a", "1")
	closeChecked(t, db)

	db, store = openPods(t, path, Options{CompactInterval: -1})
	defer closeChecked(t, db)
	if got, want := db.Revision(), mustRV(t, b.ResourceVersion); got != want {
		t.Fatalf("revision after restart = %d, want %d", got, want)
	}
	got := &example.Pod{}
	if err := store.Get(context.Background(), "/pods/ns/a", apistorage.GetOptions{}, got); err != nil {
		t.Fatal(err)
	}
	if got.ResourceVersion != b.ResourceVersion || got.Labels["v"] != "1" {
		t.Fatalf("after restart got rv %s labels %v, want rv %s v=1", got.ResourceVersion, got.Labels, b.ResourceVersion)
	}
	// A watch from before the restart replays what happened since.
	w, err := store.Watch(context.Background(), "/pods/", apistorage.ListOptions{ResourceVersion: a.ResourceVersion, Predicate: apistorage.Everything, Recursive: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if ev := nextEvent(t, w); ev.Type != watch.Modified || ev.Object.(*example.Pod).ResourceVersion != b.ResourceVersion {
		t.Fatalf("replayed %s rv %s, want MODIFIED rv %s", ev.Type, ev.Object.(*example.Pod).ResourceVersion, b.ResourceVersion)
	}
	c := relabel(t, store, "a", "2")
	if ev := nextEvent(t, w); ev.Type != watch.Modified || ev.Object.(*example.Pod).ResourceVersion != c.ResourceVersion {
		t.Fatalf("live %s rv %s, want MODIFIED rv %s", ev.Type, ev.Object.(*example.Pod).ResourceVersion, c.ResourceVersion)
	}
	if mustRV(t, c.ResourceVersion) <= mustRV(t, b.ResourceVersion) {
		t.Fatalf("revision went backwards across restart: %s then %s", b.ResourceVersion, c.ResourceVersion)
	}
}

func mustRV(t testing.TB, rv string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(rv, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// bucketLen counts the entries of a bucket.
func bucketLen(t testing.TB, db *DB, name []byte) int {
	t.Helper()
	n := 0
	if err := db.bolt.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(name).Stats().KeyN
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCompactionBoundsHistoryAndFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, store := openPods(t, path, Options{CompactInterval: -1, UnsafeNoFsync: true})
	defer closeChecked(t, db)
	for _, name := range []string{"a", "b", "c"} {
		createPod(t, store, name)
	}
	var sizes []int64
	for round := range 6 {
		for i := range 300 {
			relabel(t, store, []string{"a", "b", "c"}[i%3], fmt.Sprintf("%d-%d", round, i))
		}
		if err := db.Compact(context.Background(), db.Revision()); err != nil {
			t.Fatal(err)
		}
		// Each key keeps only its newest version: one history entry and
		// the event-log entry that holds its value.
		if got := bucketLen(t, db, histBucket); got != 3 {
			t.Fatalf("round %d: %d history entries after full compaction, want 3", round, got)
		}
		if got := bucketLen(t, db, logBucket); got != 3 {
			t.Fatalf("round %d: %d event-log entries after full compaction, want 3", round, got)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, fi.Size())
	}
	// bbolt reuses freed pages: after warming up, the file stops growing.
	if sizes[5] > sizes[2] {
		t.Fatalf("file keeps growing under steady churn with compaction: sizes %v", sizes)
	}
	// Reads at the compacted revision still work; older ones are 410 Gone.
	list := &example.PodList{}
	opts := apistorage.ListOptions{Recursive: true, Predicate: apistorage.Everything, ResourceVersionMatch: metav1.ResourceVersionMatchExact}
	opts.ResourceVersion = strconv.FormatInt(db.CompactRevision(), 10)
	if err := store.GetList(context.Background(), "/pods/", opts, list); err != nil || len(list.Items) != 3 {
		t.Fatalf("list at the compacted revision: %v, %d items", err, len(list.Items))
	}
	opts.ResourceVersion = strconv.FormatInt(db.CompactRevision()-1, 10)
	if err := store.GetList(context.Background(), "/pods/", opts, list); err == nil {
		t.Fatal("list below the compacted revision succeeded, want 410 Gone")
	}
}

func TestAutomaticCompactionKeepsRetention(t *testing.T) {
	db, store := openPods(t, filepath.Join(t.TempDir(), "state.db"), Options{CompactInterval: 20 * time.Millisecond, CompactRetention: 10, UnsafeNoFsync: true})
	defer closeChecked(t, db)
	createPod(t, store, "a")
	for i := range 50 {
		relabel(t, store, "a", strconv.Itoa(i))
	}
	deadline := time.Now().Add(5 * time.Second)
	for db.CompactRevision() != db.Revision()-10 {
		if time.Now().After(deadline) {
			t.Fatalf("compacted revision %d, want %d", db.CompactRevision(), db.Revision()-10)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSlowWatcherNeverBlocksWriters(t *testing.T) {
	db, store := openPods(t, filepath.Join(t.TempDir(), "state.db"), Options{CompactInterval: -1, UnsafeNoFsync: true})
	defer closeChecked(t, db)
	db.hub.maxPending = 50
	// Nobody reads this watch: its channel buffer fills, then its queue.
	w, err := store.Watch(context.Background(), "/pods/", apistorage.ListOptions{ResourceVersion: strconv.FormatInt(db.Revision(), 10), Predicate: apistorage.Everything, Recursive: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 3 * (resultBuffer + 50) {
			createPod(t, store, fmt.Sprintf("p%d", i))
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("writers blocked behind a watch nobody reads")
	}
	// The overflowing watch is closed after what it had buffered, so its
	// client resumes from the last resourceVersion it saw.
	n := 0
	for range w.ResultChan() {
		n++
	}
	if n == 0 || n >= 3*(resultBuffer+50) {
		t.Fatalf("overflowed watch delivered %d events before closing", n)
	}
}

func TestConcurrentWritersGetDistinctContiguousRevisions(t *testing.T) {
	db, store := openPods(t, filepath.Join(t.TempDir(), "state.db"), Options{CompactInterval: -1})
	defer closeChecked(t, db)
	start := db.Revision()
	const writers, each = 16, 20
	revs := make(chan int64, writers*each)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				revs <- mustRV(t, createPod(t, store, fmt.Sprintf("w%d-%d", w, i)).ResourceVersion)
			}
		})
	}
	wg.Wait()
	close(revs)
	var got []int64
	for r := range revs {
		got = append(got, r)
	}
	sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
	for i, r := range got {
		if r != start+1+int64(i) {
			t.Fatalf("revisions not distinct and contiguous from %d: %v", start+1, got)
		}
	}
}

func TestCloseFailsLaterWritesAndEndsWatches(t *testing.T) {
	db, store := openPods(t, filepath.Join(t.TempDir(), "state.db"), Options{CompactInterval: -1, UnsafeNoFsync: true})
	w, err := store.Watch(context.Background(), "/pods/", apistorage.ListOptions{ResourceVersion: "0", Predicate: apistorage.Everything, Recursive: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	in := &example.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "late"}}
	if err := store.Create(context.Background(), "/pods/ns/late", in, nil, 0); !errors.Is(err, ErrClosed) {
		t.Fatalf("create after close: %v, want ErrClosed", err)
	}
	select {
	case _, ok := <-w.ResultChan():
		for ok {
			_, ok = <-w.ResultChan()
		}
	case <-time.After(10 * time.Second):
		t.Fatal("watch not ended by Close")
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
}

func TestStoreCloseEndsItsWatchesOnly(t *testing.T) {
	db, store := openPods(t, filepath.Join(t.TempDir(), "state.db"), Options{CompactInterval: -1, UnsafeNoFsync: true})
	defer db.Close()
	other, err := db.NewStore(Config{
		Codec:          store.codec,
		NewFunc:        store.newFunc,
		NewListFunc:    store.newListFunc,
		Prefix:         "/registry",
		ResourcePrefix: "/pods/",
		GroupResource:  store.groupResource,
	})
	if err != nil {
		t.Fatal(err)
	}
	opts := apistorage.ListOptions{ResourceVersion: "0", Predicate: apistorage.Everything, Recursive: true}
	ended, err := store.Watch(context.Background(), "/pods/", opts)
	if err != nil {
		t.Fatal(err)
	}
	kept, err := other.Watch(context.Background(), "/pods/", opts)
	if err != nil {
		t.Fatal(err)
	}
	store.Close()
	store.Close() // idempotent, as a DestroyFunc must be
	drained := func(w watch.Interface) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case _, ok := <-w.ResultChan():
				if !ok {
					return
				}
			case <-timeout:
				t.Fatal("watch not ended by the Store's Close")
			}
		}
	}
	drained(ended)
	late, err := store.Watch(context.Background(), "/pods/", opts)
	if err != nil {
		t.Fatal(err)
	}
	drained(late)

	// The other Store's watch and the closed Store's writes go on.
	in := &example.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "after"}}
	if err := store.Create(context.Background(), "/pods/ns/after", in, nil, 0); err != nil {
		t.Fatalf("create after the Store's Close: %v", err)
	}
	select {
	case ev := <-kept.ResultChan():
		if ev.Type != watch.Added {
			t.Fatalf("other Store's watch got %s, want ADDED", ev.Type)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("other Store's watch ended or stalled")
	}
	kept.Stop()
}

func TestOpenRefusesAFileThatIsNotOurs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	if err := os.WriteFile(path, []byte("not a database, just text long enough to be read as a header"), 0o600); err != nil {
		t.Fatal(err)
	}
	if db, err := Open(path, Options{}); err == nil {
		db.Close()
		t.Fatal("Open accepted a file that is not a bbolt database")
	}
}

func TestInterruptedCompactionIsFinishedByTheNext(t *testing.T) {
	db, store := openPods(t, filepath.Join(t.TempDir(), "state.db"), Options{CompactInterval: -1, UnsafeNoFsync: true})
	defer closeChecked(t, db)
	createPod(t, store, "a")
	for i := range 20 {
		relabel(t, store, "a", strconv.Itoa(i))
	}
	target := db.Revision()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.Compact(cancelled, target); !errors.Is(err, context.Canceled) {
		t.Fatalf("compact with a cancelled context: %v", err)
	}
	// The compaction point holds at once; the pruning is still owed.
	if db.CompactRevision() != target {
		t.Fatalf("compaction point %d, want %d", db.CompactRevision(), target)
	}
	if got := bucketLen(t, db, histBucket); got != 21 {
		t.Fatalf("%d history entries before pruning, want 21", got)
	}
	if err := db.Compact(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if got := bucketLen(t, db, histBucket); got != 1 {
		t.Fatalf("%d history entries after the next compaction, want 1", got)
	}
}
