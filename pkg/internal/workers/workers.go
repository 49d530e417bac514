package workers

import (
	"context"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/internal/events"
)

// Pool is a workqueue and what its workers do with an item.
type Pool[T comparable] struct {
	Queue workqueue.TypedRateLimitingInterface[T]
	// Sync handles one item. An item it handles without error has its
	// failures forgotten, so that its next failure is retried after the
	// shortest delay again.
	Sync func(ctx context.Context, item T) error
	// OnError, if set, decides what becomes of an item whose Sync failed,
	// for a controller that drops items after some retries or retries
	// some errors otherwise. When it is nil, the error is reported through
	// utilruntime.HandleErrorWithContext with ErrorMessage and the item
	// under the key ItemKey, and the item is added back after the queue's
	// rate-limited delay.
	OnError      func(ctx context.Context, item T, err error)
	ErrorMessage string
	ItemKey      string
	// Expected, if set, tells errors that are part of normal operation,
	// such as an update that lost a race with another writer's (a
	// conflict: the cache was behind): the item is retried after the
	// rate-limited delay and the error logged at V(4), not reported, as
	// upstream's workload controllers log such retries below error level.
	Expected func(err error) bool
}

// Start starts n workers in wg that take items from the queue until it
// shuts down, and are restarted after a second should one crash, until ctx
// is done.
func (p *Pool[T]) Start(ctx context.Context, wg *sync.WaitGroup, n int) {
	for range n {
		wg.Go(func() { wait.UntilWithContext(ctx, p.work, time.Second) })
	}
}

func (p *Pool[T]) work(ctx context.Context) {
	for p.processNext(ctx) {
	}
}

func (p *Pool[T]) processNext(ctx context.Context) bool {
	item, quit := p.Queue.Get()
	if quit {
		return false
	}
	defer p.Queue.Done(item)
	syncCtx, cancel := graceful(ctx)
	err := p.Sync(syncCtx, item)
	cancel()
	switch {
	case err == nil:
		p.Queue.Forget(item)
	case ctx.Err() != nil:
		// The controller is stopping: the item is not retried, and an
		// error of a sync cut short is no news.
	case p.Expected != nil && p.Expected(err):
		klog.FromContext(ctx).V(4).Info(p.ErrorMessage+", retrying", p.ItemKey, item, "err", err)
		p.Queue.AddRateLimited(item)
	case p.OnError != nil:
		p.OnError(ctx, item, err)
	default:
		utilruntime.HandleErrorWithContext(ctx, err, p.ErrorMessage, p.ItemKey, item)
		p.Queue.AddRateLimited(item)
	}
	return true
}

// stopGrace is how long a sync in flight when its controller stops may go
// on. Its requests then finish instead of being cut off, which the API
// server would log as errors, and stopping still does not wait long.
const stopGrace = 2 * time.Second

// graceful returns a context for one sync: ctx's values, and cancelled
// stopGrace after ctx is, or when the returned cancel is called.
func graceful(ctx context.Context) (context.Context, context.CancelFunc) {
	syncCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(stopGrace, cancel) })
	return syncCtx, func() { stop(); cancel() }
}

// Loop is a controller's Run: a Pool, the informers it waits for and how
// its logs name it.
type Loop[T comparable] struct {
	Pool[T]
	// Name names the Run's logger ("endpoints-controller").
	Name string
	// Title names the controller in the Run's log lines: "Starting "+Title
	// and "Stopped "+Title.
	Title string
	// Synced are the informers to wait for before any worker starts.
	Synced []cache.InformerSynced
	// Events, if set, records for the Run only.
	Events *events.Recorder
	// Ready, if set, runs once the caches have synced and before the
	// workers start: to relearn state from the caches, or to queue what
	// changed while no controller ran.
	Ready func(ctx context.Context)
}

// Run runs the controller with n workers until ctx is done, and returns
// once they have all stopped. keysAndValues are added to the "Starting"
// log line. A ctx done before the caches synced starts no worker, and is
// not reported: a cluster stopped early is no error worth logging.
func (l *Loop[T]) Run(ctx context.Context, n int, keysAndValues ...any) {
	defer utilruntime.HandleCrashWithContext(ctx)
	logger := klog.FromContext(ctx).WithName(l.Name)
	ctx = klog.NewContext(ctx, logger)
	logger.V(2).Info("Starting "+l.Title, keysAndValues...)
	defer logger.V(2).Info("Stopped " + l.Title)

	if l.Events != nil {
		// Deferred before the workers' wait, so run after it.
		defer l.Events.Start(ctx)()
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer l.Queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), l.Synced...) {
		return
	}
	if l.Ready != nil {
		l.Ready(ctx)
	}
	l.Start(ctx, &wg, n)
	<-ctx.Done()
}

// LostRace is an Expected for controllers that write objects others also
// write: the object changed (a conflict) or went (not found) since the
// cache saw it, and the next sync, from a fresher cache, will do better.
func LostRace(err error) bool { return apierrors.IsConflict(err) || apierrors.IsNotFound(err) }
