package apiserver_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// seen is a watch event reduced to what tests compare.
type seen struct {
	Type watch.EventType
	Name string
	RV   string
	Data string
}

func TestWatchFromResourceVersion(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartControlPlane(t, cluster.Options{}))
	ctx := t.Context()
	cms := client.CoreV1().ConfigMaps("default")

	before, err := cms.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "a"}, Data: map[string]string{"v": "1"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "b"}, Data: map[string]string{"v": "1"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a.Data["v"] = "2"
	a2, err := cms.Update(ctx, a, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := cms.Delete(ctx, "b", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	afterDelete, err := cms.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	history := []seen{
		{watch.Added, "a", a.ResourceVersion, "1"},
		{watch.Added, "b", b.ResourceVersion, "1"},
		{watch.Modified, "a", a2.ResourceVersion, "2"},
		// The revision of the delete is checked apart: client-go's
		// Delete does not return it.
		{watch.Deleted, "b", "", "1"},
	}

	tests := []struct {
		name string
		opts metav1.ListOptions
		want []seen
	}{{
		name: "from before everything",
		opts: metav1.ListOptions{ResourceVersion: before.ResourceVersion},
		want: history,
	}, {
		name: "from the first create",
		opts: metav1.ListOptions{ResourceVersion: a.ResourceVersion},
		want: history[1:],
	}, {
		name: "from before, one name",
		opts: metav1.ListOptions{ResourceVersion: before.ResourceVersion, FieldSelector: "metadata.name=a"},
		want: []seen{history[0], history[2]},
	}, {
		name: "from the delete",
		opts: metav1.ListOptions{ResourceVersion: afterDelete.ResourceVersion},
		want: nil,
	}}
	t.Run("history", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				w, err := cms.Watch(ctx, tt.opts)
				if err != nil {
					t.Fatal(err)
				}
				defer w.Stop()
				got := collect(t, w, len(tt.want), 200*time.Millisecond)
				for i, ev := range got {
					if ev.Type != watch.Deleted {
						continue
					}
					if r := rv(t, ev.RV); r <= rv(t, b.ResourceVersion) || r > rv(t, afterDelete.ResourceVersion) {
						t.Errorf("DELETED at rv %s, want after the create (%s) and by the list after it (%s)", ev.RV, b.ResourceVersion, afterDelete.ResourceVersion)
					}
					got[i].RV = ""
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("watch %+v (-want +got):\n%s", tt.opts, diff)
				}
			})
		}
	})

	// After the history subtests: this one writes.
	t.Run("live events after the watch starts", func(t *testing.T) {
		w, err := cms.Watch(ctx, metav1.ListOptions{ResourceVersion: afterDelete.ResourceVersion, FieldSelector: "metadata.name=live"})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Stop()
		live, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "live"}, Data: map[string]string{"v": "1"}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got := collect(t, w, 1, 0)
		if diff := cmp.Diff([]seen{{watch.Added, "live", live.ResourceVersion, "1"}}, got); diff != "" {
			t.Errorf("live watch (-want +got):\n%s", diff)
		}
	})

	t.Run("resourceVersion 0 starts with the current state", func(t *testing.T) {
		w, err := cms.Watch(ctx, metav1.ListOptions{ResourceVersion: "0", FieldSelector: "metadata.name=a"})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Stop()
		got := collect(t, w, 1, 200*time.Millisecond)
		if diff := cmp.Diff([]seen{{watch.Added, "a", a2.ResourceVersion, "2"}}, got); diff != "" {
			t.Errorf("watch rv=0 (-want +got):\n%s", diff)
		}
	})
}

func TestInformer(t *testing.T) {
	t.Parallel()
	c := clustertest.StartControlPlane(t, cluster.Options{})
	// Record what client-go asks for, to see that the informer starts with
	// a WatchList request (sendInitialEvents) rather than a LIST.
	var mu sync.Mutex
	var requests []string
	cfg := clustertest.Config(c)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			mu.Lock()
			if req.Method == http.MethodGet {
				requests = append(requests, req.URL.String())
			}
			mu.Unlock()
			return rt.RoundTrip(req)
		})
	})
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	cms := client.CoreV1().ConfigMaps("default")
	if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "before"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	events := make(chan seen, 100)
	record := func(typ watch.EventType) func(obj any) {
		return func(obj any) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			cm := obj.(*corev1.ConfigMap)
			if cm.Name == rootCAConfigMap {
				return
			}
			events <- seen{Type: typ, Name: cm.Name, RV: cm.ResourceVersion, Data: cm.Data["v"]}
		}
	}
	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithNamespace("default"))
	informer := factory.Core().V1().ConfigMaps().Informer()
	if _, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    record(watch.Added),
		UpdateFunc: func(_, obj any) { record(watch.Modified)(obj) },
		DeleteFunc: record(watch.Deleted),
	}); err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	t.Cleanup(factory.Shutdown)
	syncCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for typ, ok := range factory.WaitForCacheSync(syncCtx.Done()) {
		if !ok {
			t.Fatalf("informer for %v did not sync within 10s", typ)
		}
	}
	if got := expect(t, events, 1); got[0].Name != "before" || got[0].Type != watch.Added {
		t.Errorf("first event = %+v, want ADDED before", got[0])
	}

	created, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}, Data: map[string]string{"v": "1"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	created.Data["v"] = "2"
	updated, err := cms.Update(ctx, created, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := cms.Delete(ctx, "x", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	want := []seen{
		{watch.Added, "x", created.ResourceVersion, "1"},
		{watch.Modified, "x", updated.ResourceVersion, "2"},
		// The informer reports the last state it knew.
		{watch.Deleted, "x", "", "2"},
	}
	got := expect(t, events, 3)
	got[2].RV = ""
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("informer events (-want +got):\n%s", diff)
	}
	keys := slices.DeleteFunc(informer.GetStore().ListKeys(), func(k string) bool { return k == "default/"+rootCAConfigMap })
	if !cmp.Equal(keys, []string{"default/before"}) {
		t.Errorf("informer store = %v, want [default/before]", keys)
	}

	mu.Lock()
	defer mu.Unlock()
	var watchList, plainList bool
	for _, r := range requests {
		u, err := url.Parse(r)
		if err != nil {
			t.Fatal(err)
		}
		if u.Path != "/api/v1/namespaces/default/configmaps" {
			continue
		}
		q := u.Query()
		switch {
		case q.Get("watch") == "true" && q.Get("sendInitialEvents") == "true":
			watchList = true
		case q.Get("watch") != "true":
			plainList = true
		}
	}
	if !watchList || plainList {
		t.Errorf("informer requests: watch-list %v, plain LIST %v; want a watch-list and no LIST (client-go fell back?): %v",
			watchList, plainList, requests)
	}
}

// TestWatchListInitialEvents is the raw request client-go's informers make.
func TestWatchListInitialEvents(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartControlPlane(t, cluster.Options{}))
	ctx := t.Context()
	cms := client.CoreV1().ConfigMaps("default")
	var last string
	for _, name := range []string{"one", "two", "three"} {
		cm, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		last = cm.ResourceVersion
	}

	w, err := cms.Watch(ctx, metav1.ListOptions{
		SendInitialEvents:    ptr.To(true),
		AllowWatchBookmarks:  true,
		ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan,
		ResourceVersion:      "",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	var added []string
	timeout := time.After(10 * time.Second)
	for {
		var ev watch.Event
		select {
		case ev = <-w.ResultChan():
		case <-timeout:
			t.Fatalf("no initial-events-end bookmark within 10s; added %v", added)
		}
		if ev.Type == watch.Error {
			t.Fatalf("error event: %v", apierrors.FromObject(ev.Object))
		}
		m := metaOf(t, ev.Object)
		if ev.Type == watch.Added {
			if m.GetName() != rootCAConfigMap {
				added = append(added, m.GetName())
			}
			continue
		}
		if ev.Type != watch.Bookmark {
			t.Fatalf("event %s %s before the bookmark, want only ADDED", ev.Type, m.GetName())
		}
		if got := m.GetAnnotations()[metav1.InitialEventsAnnotationKey]; got != "true" {
			// A progress bookmark may come first; wait for the marked one.
			continue
		}
		if rv(t, m.GetResourceVersion()) < rv(t, last) {
			t.Errorf("initial-events-end bookmark at rv %s, before the last write %s", m.GetResourceVersion(), last)
		}
		break
	}
	slices.Sort(added)
	if diff := cmp.Diff([]string{"one", "three", "two"}, added); diff != "" {
		t.Errorf("initial ADDED events (-want +got):\n%s", diff)
	}

	// Then the watch goes on with live events.
	if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "four"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := collectUntil(t, w, 1); got[0].Type != watch.Added || got[0].Name != "four" {
		t.Errorf("after the bookmark: %+v, want ADDED four", got[0])
	}
}

// collect reads n events from w, then waits quiet for unwanted extra ones,
// ignoring bookmarks.
func collect(tb testing.TB, w watch.Interface, n int, quiet time.Duration) []seen {
	tb.Helper()
	got := collectUntil(tb, w, n)
	if quiet > 0 {
		deadline := time.After(quiet)
		for {
			select {
			case ev, ok := <-w.ResultChan():
				if !ok {
					return got
				}
				if ev.Type == watch.Bookmark || isRootCA(tb, ev) {
					continue
				}
				got = append(got, toSeen(tb, ev))
				continue
			case <-deadline:
			}
			break
		}
	}
	return got
}

func collectUntil(tb testing.TB, w watch.Interface, n int) []seen {
	tb.Helper()
	var got []seen
	timeout := time.After(10 * time.Second)
	for len(got) < n {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				tb.Fatalf("watch closed after %d of %d events: %+v", len(got), n, got)
			}
			if ev.Type == watch.Bookmark || isRootCA(tb, ev) {
				continue
			}
			got = append(got, toSeen(tb, ev))
		case <-timeout:
			tb.Fatalf("%d of %d events within 10s: %+v", len(got), n, got)
		}
	}
	return got
}

// rootCAConfigMap is the ConfigMap the root CA publisher keeps in every
// namespace, whenever it gets to it: the watch tests ignore it, they are
// about their own objects.
const rootCAConfigMap = "kube-root-ca.crt"

func isRootCA(tb testing.TB, ev watch.Event) bool {
	return ev.Type != watch.Error && metaOf(tb, ev.Object).GetName() == rootCAConfigMap
}

func toSeen(tb testing.TB, ev watch.Event) seen {
	tb.Helper()
	if ev.Type == watch.Error {
		tb.Fatalf("watch error event: %v", apierrors.FromObject(ev.Object))
	}
	s := seen{Type: ev.Type, Name: metaOf(tb, ev.Object).GetName(), RV: metaOf(tb, ev.Object).GetResourceVersion()}
	if cm, ok := ev.Object.(*corev1.ConfigMap); ok {
		s.Data = cm.Data["v"]
	}
	return s
}

func expect(tb testing.TB, ch <-chan seen, n int) []seen {
	tb.Helper()
	var got []seen
	timeout := time.After(10 * time.Second)
	for len(got) < n {
		select {
		case s := <-ch:
			got = append(got, s)
		case <-timeout:
			tb.Fatalf("%d of %d informer events within 10s: %+v", len(got), n, got)
		}
	}
	return got
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
