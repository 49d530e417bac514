package storage

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"

	bolt "go.etcd.io/bbolt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/features"
	apistorage "k8s.io/apiserver/pkg/storage"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
)

// event is one committed change, or a progress notification, as a watch
// sees it before decoding.
type event struct {
	key              string
	rev              int64
	value, prevValue []byte // stored bytes; value is nil for a deletion
	isCreated        bool
	isDeleted        bool
	isProgressNotify bool
}

// defaultMaxPending bounds the events queued for one watch. A watch whose
// consumer falls this far behind is closed; its client resumes from the last
// resourceVersion it saw, which the event log can replay.
const defaultMaxPending = 100_000

// resultBuffer matches the etcd3 watcher's outgoing buffer.
const resultBuffer = 100

// hub fans committed events out to watches. publish runs on the committer
// after each durable commit; it only appends to per-watch queues, so a slow
// watch never blocks writers.
type hub struct {
	mu      sync.Mutex
	rev     int64 // the newest revision published
	watches map[*watchChan]struct{}
	closed  bool
	// maxPending is defaultMaxPending; tests lower it.
	maxPending int
}

func newHub(rev int64) *hub {
	return &hub{rev: rev, watches: map[*watchChan]struct{}{}, maxPending: defaultMaxPending}
}

func (h *hub) revision() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rev
}

func (h *hub) publish(events []event, rev int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.rev = rev
	if len(events) == 0 {
		return
	}
	for w := range h.watches {
		w.enqueue(events, h.maxPending)
	}
}

// register adds w and returns the revision published so far: every later
// event reaches w's queue, every earlier one is already committed.
func (h *hub) register(w *watchChan) (int64, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return 0, false
	}
	h.watches[w] = struct{}{}
	return h.rev, true
}

func (h *hub) unregister(w *watchChan) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.watches, w)
}

// notifyProgress queues a bookmark at the published revision for watches
// that asked for progress notifications, or for all of them.
func (h *hub) notifyProgress(all bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	progress := []event{{rev: h.rev, isProgressNotify: true}}
	for w := range h.watches {
		if all || w.progressNotify {
			w.enqueue(progress, h.maxPending)
		}
	}
}

func (h *hub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for w := range h.watches {
		w.cancel()
	}
}

// watchChan is one watch: a queue filled by the hub and a goroutine that
// decodes, filters and delivers.
type watchChan struct {
	store          *Store
	key            string
	recursive      bool
	pred           apistorage.SelectionPredicate
	progressNotify bool

	ctx    context.Context
	cancel context.CancelFunc
	// stopOnClose unhooks cancel from the Store's Close.
	stopOnClose func() bool
	result      chan watch.Event

	mu       sync.Mutex
	pending  []event
	overflow bool
	signal   chan struct{}
}

var _ watch.Interface = (*watchChan)(nil)

func (w *watchChan) Stop()                          { w.cancel() }
func (w *watchChan) ResultChan() <-chan watch.Event { return w.result }

func (w *watchChan) matchesKey(key string) bool {
	if w.recursive {
		return strings.HasPrefix(key, w.key)
	}
	return key == w.key
}

func (w *watchChan) enqueue(events []event, maxPending int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.overflow {
		return
	}
	for _, ev := range events {
		if !ev.isProgressNotify && !w.matchesKey(ev.key) {
			continue
		}
		if len(w.pending) >= maxPending {
			w.overflow = true
			break
		}
		w.pending = append(w.pending, ev)
	}
	select {
	case w.signal <- struct{}{}:
	default:
	}
}

func (w *watchChan) take() ([]event, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	evs := w.pending
	w.pending = nil
	return evs, w.overflow
}

// startWatch follows the etcd3 watcher's semantics for where a watch
// starts: resourceVersion 0 with sendInitialEvents unset (or true) first
// sends the current state as ADDED events; sendInitialEvents=false with 0
// starts from now; any other resourceVersion replays what happened after it.
// opts.RecordTimestamps is ignored: only the watch cache asks for it, and
// fakecluster does not run one.
func (s *Store) startWatch(ctx context.Context, key string, rev int64, opts apistorage.ListOptions) *watchChan {
	w := &watchChan{
		store:          s,
		key:            key,
		recursive:      opts.Recursive,
		pred:           opts.Predicate,
		progressNotify: opts.ProgressNotify,
		result:         make(chan watch.Event, resultBuffer),
		signal:         make(chan struct{}, 1),
	}
	if w.pred.Empty() {
		w.pred = apistorage.Everything
	}
	w.ctx, w.cancel = context.WithCancel(ctx)
	w.stopOnClose = context.AfterFunc(s.closed, w.cancel)
	published, ok := s.db.hub.register(w)
	if !ok {
		w.cancel()
	}
	go w.run(rev, published, areInitialEventsRequired(rev, opts), initialEventsEndBookmarkRequired(opts))
	return w
}

func initialEventsEndBookmarkRequired(opts apistorage.ListOptions) bool {
	if !utilfeature.DefaultFeatureGate.Enabled(features.WatchList) {
		return false
	}
	return opts.SendInitialEvents != nil && *opts.SendInitialEvents && opts.Predicate.AllowWatchBookmarks
}

func areInitialEventsRequired(rev int64, opts apistorage.ListOptions) bool {
	if opts.SendInitialEvents == nil && rev == 0 {
		return true
	}
	if !utilfeature.DefaultFeatureGate.Enabled(features.WatchList) {
		return false
	}
	return opts.SendInitialEvents != nil && *opts.SendInitialEvents
}

func (w *watchChan) run(startRev, published int64, initialEvents, endBookmark bool) {
	defer close(w.result)
	defer w.store.db.hub.unregister(w)
	defer w.stopOnClose()
	defer w.cancel()

	lastRev := startRev
	var err error
	switch {
	case initialEvents:
		lastRev, err = w.sendInitialEvents(startRev)
	case startRev == 0:
		lastRev = published
	default:
		err = w.replay(&lastRev)
	}
	if err != nil {
		w.sendError(err)
		return
	}
	if endBookmark && !w.sendBookmark(lastRev, true) {
		return
	}
	for {
		select {
		case <-w.ctx.Done():
			return
		case <-w.signal:
		}
		evs, overflow := w.take()
		for _, ev := range evs {
			if ev.isProgressNotify {
				if ev.rev < lastRev {
					continue
				}
				lastRev = ev.rev
				if !w.sendBookmark(ev.rev, false) {
					return
				}
				continue
			}
			if ev.rev <= lastRev {
				continue // already sent from the snapshot or the event log
			}
			lastRev = ev.rev
			if !w.deliver(ev) {
				return
			}
		}
		if overflow {
			return
		}
	}
}

// deliver decodes ev and sends what the predicate makes of it. It returns
// false when the watch is over.
func (w *watchChan) deliver(ev event) bool {
	res, err := w.transform(ev)
	if err != nil {
		w.sendError(err)
		return false
	}
	if res == nil {
		return true
	}
	return w.send(*res)
}

func (w *watchChan) send(ev watch.Event) bool {
	select {
	case w.result <- ev:
		return true
	case <-w.ctx.Done():
		return false
	}
}

func (w *watchChan) sendBookmark(rev int64, initialEventsEnd bool) bool {
	obj := w.store.newFunc()
	if err := w.store.versioner.UpdateObject(obj, uint64(rev)); err != nil {
		w.sendError(fmt.Errorf("failed to propagate object resource version: %w", err))
		return false
	}
	if initialEventsEnd {
		if err := apistorage.AnnotateInitialEventsEndBookmark(obj); err != nil {
			w.sendError(err)
			return false
		}
	}
	return w.send(watch.Event{Type: watch.Bookmark, Object: obj})
}

// sendError delivers err as an Error event and ends the watch: nothing is
// sent after an error.
func (w *watchChan) sendError(err error) {
	defer w.cancel()
	if w.ctx.Err() != nil {
		return
	}
	if _, ok := err.(apierrors.APIStatus); !ok {
		err = apierrors.NewInternalError(err)
	}
	status := err.(apierrors.APIStatus).Status()
	w.send(watch.Event{Type: watch.Error, Object: &status})
}

// sendInitialEvents sends the current state as ADDED events and returns the
// revision it was read at. A non-zero startRev newer than the store is
// refused, as etcd refuses a future revision.
func (w *watchChan) sendInitialEvents(startRev int64) (int64, error) {
	var snapshot []version
	var rev int64
	err := w.store.db.bolt.View(func(tx *bolt.Tx) error {
		rev = readInt(tx.Bucket(metaBucket).Get(revisionKey))
		if startRev > rev {
			return apistorage.NewTooLargeResourceVersionError(uint64(startRev), uint64(rev), 1)
		}
		scan := newVersionScan(tx, rev, true, w.key, w.key, w.recursive)
		for v := range scan.all() {
			v.data = bytes.Clone(v.data)
			snapshot = append(snapshot, v)
		}
		return scan.err
	})
	if err != nil {
		return 0, err
	}
	for _, v := range snapshot {
		if !w.deliver(event{key: v.key, rev: v.rev, value: v.data, isCreated: true}) {
			return 0, w.ctx.Err()
		}
	}
	return rev, nil
}

// replayBatch bounds how many logged events one read transaction copies.
const replayBatch = 1000

// replay sends the logged events after *lastRev, in batches, until the log
// has nothing newer; the queue takes over from there.
func (w *watchChan) replay(lastRev *int64) error {
	for {
		var batch []event
		err := w.store.db.bolt.View(func(tx *bolt.Tx) error {
			if compacted := readInt(tx.Bucket(metaBucket).Get(compactKey)); *lastRev < compacted {
				return apierrors.NewResourceExpired("The resourceVersion for the provided watch is too old.")
			}
			hist, log := tx.Bucket(histBucket), tx.Bucket(logBucket)
			c := log.Cursor()
			for k, raw := c.Seek(u64(*lastRev + 1)); k != nil && len(batch) < replayBatch; k, raw = c.Next() {
				rev := readInt(k)
				entry, err := decodeLogEntry(raw)
				if err != nil {
					return fmt.Errorf("revision %d: %w", rev, err)
				}
				if !w.matchesKey(string(entry.key)) {
					*lastRev = rev
					continue
				}
				ev, err := loggedEvent(hist, log, entry, rev)
				if err != nil {
					return err
				}
				batch = append(batch, ev)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		for _, ev := range batch {
			*lastRev = ev.rev
			if !w.deliver(ev) {
				return w.ctx.Err()
			}
		}
	}
}

// loggedEvent rebuilds the event of revision rev from its log entry and
// the key's previous version, found through the history index.
func loggedEvent(hist, log *bolt.Bucket, entry logEntry, rev int64) (event, error) {
	ev := event{key: string(entry.key), rev: rev, isDeleted: entry.kind == versionDeleted, value: bytes.Clone(entry.data)}
	c := hist.Cursor()
	if k, _ := c.Seek(histKey(entry.key, rev)); k == nil || histRevision(k) != rev {
		return event{}, fmt.Errorf("history of %q at revision %d is missing", entry.key, rev)
	}
	if pk, kind := c.Prev(); pk != nil && len(kind) > 0 && kind[0] == versionPut {
		if prevKey, prevRev := splitHistKey(pk); bytes.Equal(prevKey, entry.key) {
			prev, err := valueAt(log, prevRev)
			if err != nil {
				return event{}, err
			}
			ev.prevValue = bytes.Clone(prev)
		}
	}
	ev.isCreated = !ev.isDeleted && ev.prevValue == nil
	return ev, nil
}

// transform decodes ev into what this watch reports, following the etcd3
// watcher: a modification that makes an object start or stop matching the
// predicate is reported as ADDED or DELETED.
func (w *watchChan) transform(ev event) (*watch.Event, error) {
	cur, old, err := w.decodeObjects(ev)
	if err != nil {
		return nil, err
	}
	switch {
	case ev.isDeleted:
		if !w.filter(old) {
			return nil, nil
		}
		return &watch.Event{Type: watch.Deleted, Object: old}, nil
	case ev.isCreated:
		if !w.filter(cur) {
			return nil, nil
		}
		return &watch.Event{Type: watch.Added, Object: cur}, nil
	case w.pred.Empty():
		return &watch.Event{Type: watch.Modified, Object: cur}, nil
	}
	curPasses, oldPasses := w.filter(cur), w.filter(old)
	switch {
	case curPasses && oldPasses:
		return &watch.Event{Type: watch.Modified, Object: cur}, nil
	case curPasses:
		return &watch.Event{Type: watch.Added, Object: cur}, nil
	case oldPasses:
		return &watch.Event{Type: watch.Deleted, Object: old}, nil
	}
	return nil, nil
}

func (w *watchChan) filter(obj runtime.Object) bool {
	if obj == nil {
		return false
	}
	if w.pred.Empty() {
		return true
	}
	matched, err := w.pred.Matches(obj)
	return err == nil && matched
}

// decodeObjects decodes the new object and, when needed, the previous one.
// A deleted object is reported with the revision of its deletion.
func (w *watchChan) decodeObjects(ev event) (cur, old runtime.Object, err error) {
	if !ev.isDeleted {
		if cur, err = w.decodeAt(ev.key, ev.value, ev.rev); err != nil {
			return nil, nil, err
		}
	}
	if len(ev.prevValue) > 0 && (ev.isDeleted || !w.pred.Empty()) {
		if old, err = w.decodeAt(ev.key, ev.prevValue, ev.rev); err != nil {
			if ev.isDeleted {
				return nil, nil, &apierrors.StatusError{ErrStatus: deletedCorruptStatus(err)}
			}
			return nil, nil, err
		}
	}
	return cur, old, nil
}

func (w *watchChan) decodeAt(key string, stored []byte, rev int64) (runtime.Object, error) {
	data, _, err := w.store.transformer.TransformFromStorage(w.ctx, stored, authenticatedData(key))
	if err != nil {
		return nil, err
	}
	obj, err := runtime.Decode(w.store.codec, data)
	if err != nil {
		return nil, err
	}
	if err := w.store.versioner.UpdateObject(obj, uint64(rev)); err != nil {
		return nil, fmt.Errorf("failure to version api object (%d): %w", rev, err)
	}
	return obj, nil
}

// deletedCorruptStatus reports a deletion whose last stored version cannot be
// read, as kube-apiserver does after an unsafe deletion of a corrupt object.
func deletedCorruptStatus(err error) metav1.Status {
	return metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    http.StatusInternalServerError,
		Reason:  metav1.StatusReasonStoreReadError,
		Message: fmt.Sprintf("saw a DELETED event, but object data is corrupt - %v", err),
	}
}
