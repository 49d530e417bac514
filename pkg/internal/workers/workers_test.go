package workers_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2/ktesting"

	"github.com/fakecluster/fakecluster/pkg/internal/workers"
)

// TestFailedItemRetried: an item whose Sync fails comes back, with the
// rate limiter's count of failures, until it succeeds, which forgets them.
func TestFailedItemRetried(t *testing.T) {
	t.Parallel()
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	queue := workqueue.NewTypedRateLimitingQueue(workqueue.NewTypedItemExponentialFailureRateLimiter[string](time.Millisecond, time.Millisecond))
	var mu sync.Mutex
	var requeues []int
	done := make(chan struct{})
	loop := workers.Loop[string]{
		Pool: workers.Pool[string]{Queue: queue, ErrorMessage: "Sync failed", ItemKey: "key",
			Sync: func(_ context.Context, key string) error {
				mu.Lock()
				defer mu.Unlock()
				requeues = append(requeues, queue.NumRequeues(key))
				if len(requeues) < 3 {
					return errors.New("not yet")
				}
				close(done)
				return nil
			}},
		Name: "test", Title: "test controller",
	}
	queue.Add("a")
	stopped := make(chan struct{})
	go func() { defer close(stopped); loop.Run(ctx, 2) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("item not synced successfully within 10s")
	}
	cancel()
	<-stopped
	if got := queue.NumRequeues("a"); got != 0 {
		t.Errorf("after success NumRequeues = %d, want 0", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []int{0, 1, 2}; len(requeues) != len(want) || requeues[0] != 0 || requeues[1] != 1 || requeues[2] != 2 {
		t.Errorf("NumRequeues seen by Sync = %v, want %v", requeues, want)
	}
	if !queue.ShuttingDown() {
		t.Error("queue not shut down after Run returned")
	}
}

// TestOnError: a custom OnError replaces the requeue.
func TestOnError(t *testing.T) {
	t.Parallel()
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	queue := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	failed := make(chan string, 1)
	var wg sync.WaitGroup
	pool := workers.Pool[string]{Queue: queue,
		Sync:    func(context.Context, string) error { return errors.New("boom") },
		OnError: func(_ context.Context, key string, _ error) { failed <- key },
	}
	pool.Start(ctx, &wg, 1)
	queue.Add("a")
	select {
	case key := <-failed:
		if key != "a" {
			t.Errorf("OnError got %q, want a", key)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("OnError not called within 10s")
	}
	cancel()
	queue.ShutDown()
	wg.Wait()
	if got := queue.NumRequeues("a"); got != 0 {
		t.Errorf("NumRequeues = %d, want 0: OnError did not requeue", got)
	}
}

// TestExpectedErrorRetried: an error Expected accepts is retried, and
// OnError, which would drop the item, is not called.
func TestExpectedErrorRetried(t *testing.T) {
	t.Parallel()
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	queue := workqueue.NewTypedRateLimitingQueue(workqueue.NewTypedItemExponentialFailureRateLimiter[string](time.Millisecond, time.Millisecond))
	errLost := errors.New("lost a race")
	done := make(chan struct{})
	var calls int
	var wg sync.WaitGroup
	pool := workers.Pool[string]{Queue: queue,
		Sync: func(context.Context, string) error {
			if calls++; calls < 3 {
				return errLost
			}
			close(done)
			return nil
		},
		Expected: func(err error) bool { return errors.Is(err, errLost) },
		OnError:  func(context.Context, string, error) { t.Error("OnError called for an expected error") },
	}
	pool.Start(ctx, &wg, 1)
	queue.Add("a")
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("item not retried to success within 10s")
	}
	cancel()
	queue.ShutDown()
	wg.Wait()
}

// TestRunStopsEarly: with a context done before the caches sync, Run syncs
// nothing, shuts the queue down and returns.
func TestRunStopsEarly(t *testing.T) {
	t.Parallel()
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	queue := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	queue.Add("a")
	loop := workers.Loop[string]{
		Pool: workers.Pool[string]{Queue: queue, Sync: func(context.Context, string) error {
			t.Error("Sync called")
			return nil
		}},
		Name: "test", Title: "test controller",
		Synced: []cache.InformerSynced{func() bool { return false }},
	}
	loop.Run(ctx, 1)
	if !queue.ShuttingDown() {
		t.Error("queue not shut down")
	}
}

// TestSyncInFlightFinishesOnStop: a sync running when the controller stops
// keeps a live context, so that its requests finish rather than being cut
// off, and its error, if any, is neither handled nor retried.
func TestSyncInFlightFinishesOnStop(t *testing.T) {
	t.Parallel()
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	queue := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	started, release := make(chan struct{}), make(chan struct{})
	var syncErr error
	loop := workers.Loop[string]{
		Pool: workers.Pool[string]{Queue: queue,
			Sync: func(syncCtx context.Context, _ string) error {
				close(started)
				<-release
				syncErr = syncCtx.Err()
				return errors.New("cut short")
			},
			OnError: func(context.Context, string, error) { t.Error("OnError called for a sync that ended while stopping") },
		},
		Name: "test", Title: "test controller",
	}
	queue.Add("a")
	stopped := make(chan struct{})
	go func() { defer close(stopped); loop.Run(ctx, 1) }()
	<-started
	cancel()
	close(release)
	<-stopped
	if syncErr != nil {
		t.Errorf("sync context right after stop: %v, want still live", syncErr)
	}
	if n := queue.NumRequeues("a"); n != 0 {
		t.Errorf("NumRequeues = %d, want 0: not retried", n)
	}
}
