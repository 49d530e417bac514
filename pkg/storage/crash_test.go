//go:build unix

package storage

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"iter"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/apitesting"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/apis/example"
	examplev1 "k8s.io/apiserver/pkg/apis/example/v1"
	apistorage "k8s.io/apiserver/pkg/storage"
)

// The crash test.
//
// TestCrash re-executes the test binary as a child (TestCrashChild) that writes
// to the DB from several goroutines and prints every write it begins ("B") and
// every write that was acknowledged ("A") to stdout. The parent kills the child
// with SIGKILL at a random moment, reopens the same file and checks it against
// what the child reported. The file is kept across trials, so every trial also
// starts from a file the previous kill left behind.
//
// Each key is owned by exactly one child goroutine, which does one operation
// at a time on it and prints "A" before beginning the next one. So per key the
// log is an exact sequence: the state after the last acknowledged operation is
// known precisely, and at most one operation (begun, not acknowledged) may or
// may not have committed. After recovery each key must hold exactly the last
// acknowledged state, or the result of that one pending operation. Concurrency
// still comes from eight goroutines on different keys, which is what the
// storage groups into one bbolt transaction.
//
// After each kill the parent also checks the history: a watch from the
// revision before the child started must replay one event per revision up to
// the current one, include every acknowledged write, and end in the state the
// store holds.
//
// What this catches (TestCrashCheckTrial and TestCrashCheckHistory show the
// checkers rejecting each case; each bullet was also confirmed by running the
// test against a deliberately broken copy of the store):
//   - a store that acknowledges a write before its transaction is committed
//     (queued in a batch, or the batch acked before Commit returns): under
//     continuous load a batch is being committed nearly all the time, so a
//     kill lands between such an ack and its commit in most trials and the
//     acknowledged write is missing or older on reopen. (Against this store,
//     which reads only what bbolt holds, the child fails first: its next
//     operation on the key does not see its own acknowledged write.)
//   - recovery that drops the last write or batch: an acknowledged write or
//     object is missing, and the history disagrees with the store;
//   - a revision kept in memory or persisted apart from the data: after reopen
//     the revision is below an acknowledged one or below an object's, or the
//     next child hands out a revision at or below the one the parent saw;
//   - writes sharing a revision (acknowledged revisions repeat), or a history
//     that skips a revision or lacks an acknowledged write;
//   - torn or undecodable pages: Check fails, or Get/GetList fail or disagree.
//
// What it cannot catch: SIGKILL loses the process, not the kernel page cache,
// so a store that skips fsync (Options.UnsafeNoFsync, bbolt NoSync, or an ack
// after write(2) but before fdatasync) passes. Only a power cut or a
// fault-injecting filesystem would show that.

var (
	crashTrials = flag.Int("crash.trials", 20, "number of kill-and-reopen trials in TestCrash")
	crashSeed   = flag.Uint64("crash.seed", 0, "random seed for TestCrash; 0 picks one and logs it")
)

const (
	// crashChildEnv holds the DB path; TestCrashChild runs only when it is set.
	crashChildEnv = "FAKECLUSTER_CRASH_CHILD"
	// crashSeedEnv holds the child's random seed.
	crashSeedEnv = "FAKECLUSTER_CRASH_SEED"
	// crashTrialEnv holds the trial number, which makes payloads unique.
	crashTrialEnv = "FAKECLUSTER_CRASH_TRIAL"

	crashWriters = 8
	crashKeys    = 64

	crashPayloadAnnotation = "crash.fakecluster.io/payload"
	crashFillerAnnotation  = "crash.fakecluster.io/filler"

	// crashChildLifetime bounds a child the parent failed to kill.
	crashChildLifetime = time.Minute
	// crashFirstAckTimeout bounds the wait for the child's first acknowledgement.
	crashFirstAckTimeout = 30 * time.Second
)

// crashOptions are the DB options of both parent and child: no background
// compaction, so only the crash changes what is in the file.
func crashOptions() Options { return Options{CompactInterval: -1} }

// crashKey returns the i-th key of the key space.
func crashKey(i int) string {
	return fmt.Sprintf("/pods/ns%d/pod%02d", i%2, i)
}

// newCrashStore opens a Store for example pods on db, with its own scheme.
func newCrashStore(tb testing.TB, db *DB) *Store {
	tb.Helper()
	scheme := runtime.NewScheme()
	metav1.AddToGroupVersion(scheme, metav1.SchemeGroupVersion)
	utilruntime.Must(example.AddToScheme(scheme))
	utilruntime.Must(examplev1.AddToScheme(scheme))
	codecs := serializer.NewCodecFactory(scheme)
	store, err := db.NewStore(Config{
		Codec:          apitesting.TestCodec(codecs, examplev1.SchemeGroupVersion),
		NewFunc:        func() runtime.Object { return &example.Pod{} },
		NewListFunc:    func() runtime.Object { return &example.PodList{} },
		Prefix:         "/registry",
		ResourcePrefix: "/pods/",
		GroupResource:  schema.GroupResource{Group: example.GroupName, Resource: "pods"},
	})
	if err != nil {
		tb.Fatalf("NewStore: %v", err)
	}
	return store
}

func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a child process many times; skipped with -short")
	}
	if os.Getenv(crashChildEnv) != "" {
		t.Skip("running as the crash child")
	}
	seed := *crashSeed
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Logf("seed %d (rerun with -crash.seed=%d; kill timing still varies)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	path := filepath.Join(t.TempDir(), "crash.db")
	db, err := Open(path, crashOptions())
	if err != nil {
		t.Fatalf("create %s: %v", path, err)
	}
	model := crashModel{rev: uint64(db.Revision()), keys: map[string]crashValue{}}
	if err := errors.Join(db.Check(), db.Close()); err != nil {
		t.Fatalf("new DB: %v", err)
	}

	start := time.Now()
	var total crashStats
	for trial := range *crashTrials {
		var stats crashStats
		model, stats = runCrashTrial(t, path, trial, rng, model)
		total.acked += stats.acked
		total.pending += stats.pending
		total.committed += stats.committed
	}
	t.Logf("%d trials in %v: %d writes acknowledged, %d in flight at the kill of which %d committed; final revision %d, %d objects",
		*crashTrials, time.Since(start).Round(time.Millisecond), total.acked, total.pending, total.committed, model.rev, len(model.keys))
}

// runCrashTrial starts a child on path, kills it, checks the reopened file
// against base and the child's log, and returns the state it found.
func runCrashTrial(t *testing.T, path string, trial int, rng *rand.Rand, base crashModel) (crashModel, crashStats) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1", "-test.timeout=5m")
	cmd.Env = append(os.Environ(),
		crashChildEnv+"="+path,
		crashSeedEnv+"="+strconv.FormatUint(rng.Uint64(), 10),
		crashTrialEnv+"="+strconv.Itoa(trial),
	)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("trial %d: stdout pipe: %v", trial, err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("trial %d: start child: %v", trial, err)
	}
	started := time.Now()

	// Read the child's log until EOF. firstAck is closed on the first "A"
	// line, or at EOF so that a child that dies early does not stall us.
	firstAck := make(chan struct{})
	logDone := make(chan []string, 1)
	go func() {
		var lines []string
		acked := false
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			lines = append(lines, line)
			if !acked && strings.HasPrefix(line, "A ") {
				acked = true
				close(firstAck)
			}
		}
		if err := sc.Err(); err != nil {
			lines = append(lines, "X "+strconv.Quote("read child stdout: "+err.Error()))
		}
		if !acked {
			close(firstAck)
		}
		logDone <- lines
	}()
	var lines []string
	reaped := false
	reap := func() error { // after a kill: the whole log, then the exit status
		lines = <-logDone
		reaped = true
		return cmd.Wait()
	}
	defer func() { // when we fail before killing it
		if !reaped {
			_ = cmd.Process.Kill()
			_ = reap()
		}
	}()

	// One trial in eight kills the child shortly after start: during process
	// start-up, Open or its first writes. The rest kill it while it is busy.
	var when string
	if rng.IntN(8) == 0 {
		d := time.Duration(rng.Int64N(int64(40 * time.Millisecond)))
		time.Sleep(d)
		when = fmt.Sprintf("%v after start", d)
	} else {
		select {
		case <-firstAck:
		case <-time.After(crashFirstAckTimeout):
			_ = cmd.Process.Kill()
			_ = reap()
			t.Fatalf("trial %d: no acknowledged write from the child within %v; last lines:\n%s\nstderr:\n%s",
				trial, crashFirstAckTimeout, crashTail(lines, 20), stderr.String())
		}
		d := 50*time.Millisecond + time.Duration(rng.Int64N(int64(350*time.Millisecond)))
		time.Sleep(d)
		when = fmt.Sprintf("%v after first ack", d)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatalf("trial %d: kill child: %v", trial, err)
	}
	waitErr := reap()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("trial %d: child ended by itself before the kill (%v); last lines:\n%s\nstderr:\n%s",
			trial, waitErr, crashTail(lines, 20), stderr.String())
	}
	lifetime := time.Since(started)

	db, err := Open(path, crashOptions())
	if err != nil {
		t.Fatalf("trial %d: reopen after kill %s: %v", trial, when, err)
	}
	closed := false
	defer func() {
		if !closed {
			_ = db.Close()
		}
	}()
	var errs []error
	if err := db.Check(); err != nil {
		errs = append(errs, fmt.Errorf("Check: %w", err))
	}
	rev := uint64(db.Revision())
	store := newCrashStore(t, db)
	observed, oerrs := observeCrashState(store, rev)
	errs = append(errs, oerrs...)
	res, cerrs := checkCrashTrial(base, lines, rev, observed)
	errs = append(errs, cerrs...)
	if events, err := watchCrashHistory(store, base.rev, rev); err != nil {
		errs = append(errs, err)
	} else {
		errs = append(errs, checkCrashHistory(base, res.acks, rev, events, observed)...)
	}
	closed = true
	if err := db.Close(); err != nil {
		errs = append(errs, fmt.Errorf("Close: %w", err))
	}
	if len(errs) > 0 {
		for _, err := range errs {
			t.Errorf("trial %d: %v", trial, err)
		}
		t.Fatalf("trial %d failed: child killed %s (lived %v, %d log lines, revision before %d, after %d)\nlast lines:\n%s\nchild stderr:\n%s",
			trial, when, lifetime.Round(time.Millisecond), len(lines), base.rev, rev, crashTail(lines, 30), stderr.String())
	}
	t.Logf("trial %d: killed %s: %d acknowledged, %d in flight of which %d committed, revision %d -> %d",
		trial, when, res.stats.acked, res.stats.pending, res.stats.committed, base.rev, rev)
	return res.next, res.stats
}

// observeCrashState reads every key of the key space with Get, and all of
// them again with one GetList, and returns what is present. The two reads
// must agree, and the list is at revision rev.
func observeCrashState(store *Store, rev uint64) (map[string]crashValue, []error) {
	ctx := context.Background()
	versioner := store.Versioner()
	var errs []error
	value := func(pod *example.Pod) (crashValue, error) {
		rv, err := versioner.ObjectResourceVersion(pod)
		if err != nil {
			return crashValue{}, err
		}
		return crashValue{rv: rv, payload: pod.Annotations[crashPayloadAnnotation]}, nil
	}

	got := map[string]crashValue{}
	for i := range crashKeys {
		key := crashKey(i)
		pod := &example.Pod{}
		err := store.Get(ctx, key, apistorage.GetOptions{}, pod)
		if apistorage.IsNotFound(err) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("Get %s: %w", key, err))
			continue
		}
		v, err := value(pod)
		if err != nil {
			errs = append(errs, fmt.Errorf("Get %s: resourceVersion: %w", key, err))
			continue
		}
		if name := crashPodKey(pod); name != key {
			errs = append(errs, fmt.Errorf("Get %s returned object %s", key, name))
		}
		got[key] = v
	}

	list := &example.PodList{}
	opts := apistorage.ListOptions{Recursive: true, Predicate: apistorage.Everything}
	if err := store.GetList(ctx, "/pods/", opts, list); err != nil {
		return got, append(errs, fmt.Errorf("GetList /pods/: %w", err))
	}
	if list.ResourceVersion != strconv.FormatUint(rev, 10) {
		errs = append(errs, fmt.Errorf("GetList resourceVersion %q, want the revision %d", list.ResourceVersion, rev))
	}
	listed := map[string]crashValue{}
	for i := range list.Items {
		pod := &list.Items[i]
		key := crashPodKey(pod)
		v, err := value(pod)
		if err != nil {
			errs = append(errs, fmt.Errorf("GetList item %s: resourceVersion: %w", key, err))
			continue
		}
		if _, dup := listed[key]; dup {
			errs = append(errs, fmt.Errorf("GetList returned %s twice", key))
		}
		listed[key] = v
	}
	for _, key := range crashSortedKeys(maps.Keys(got), maps.Keys(listed)) {
		g, inGet := got[key]
		l, inList := listed[key]
		if inGet != inList || g != l {
			errs = append(errs, fmt.Errorf("%s: Get says %s, GetList says %s", key, g.describe(inGet), l.describe(inList)))
		}
		if inList && !inGet {
			got[key] = l // let the oracle judge it too
		}
	}
	return got, errs
}

// crashPodKey is the key a pod is stored under.
func crashPodKey(pod *example.Pod) string {
	return "/pods/" + pod.Namespace + "/" + pod.Name
}

// watchCrashHistory watches from revision from and returns every event up to
// revision to: the history the reopened file replays.
func watchCrashHistory(store *Store, from, to uint64) ([]crashEvent, error) {
	if to <= from {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w, err := store.Watch(ctx, "/pods/", apistorage.ListOptions{
		ResourceVersion: strconv.FormatUint(from, 10),
		Recursive:       true,
		Predicate:       apistorage.Everything,
	})
	if err != nil {
		return nil, fmt.Errorf("watch from %d: %w", from, err)
	}
	defer w.Stop()
	var events []crashEvent
	for {
		select {
		case <-ctx.Done():
			return events, fmt.Errorf("watch from %d: %d events and none at revision %d after %v", from, len(events), to, 10*time.Second)
		case ev, ok := <-w.ResultChan():
			if !ok {
				return events, fmt.Errorf("watch from %d: closed after %d events, before revision %d", from, len(events), to)
			}
			switch ev.Type {
			case watch.Bookmark:
				continue
			case watch.Error:
				return events, fmt.Errorf("watch from %d: error event after %d events: %w", from, len(events), apierrors.FromObject(ev.Object))
			}
			pod, isPod := ev.Object.(*example.Pod)
			if !isPod {
				return events, fmt.Errorf("watch from %d: %s event with a %T", from, ev.Type, ev.Object)
			}
			rv, err := store.Versioner().ObjectResourceVersion(pod)
			if err != nil {
				return events, fmt.Errorf("watch from %d: %s %s: resourceVersion: %w", from, ev.Type, crashPodKey(pod), err)
			}
			events = append(events, crashEvent{typ: ev.Type, key: crashPodKey(pod),
				v: crashValue{rv: rv, payload: pod.Annotations[crashPayloadAnnotation]}})
			if rv >= to {
				return events, nil
			}
		}
	}
}

// crashValue is an object a key holds: its resourceVersion and payload.
// Maps of crashValue hold present keys only; absent keys are missing.
type crashValue struct {
	rv      uint64
	payload string
}

func (v crashValue) describe(present bool) string {
	if !present {
		return "nothing"
	}
	return fmt.Sprintf("rv %d payload %q", v.rv, v.payload)
}

// crashModel is what the parent found after a trial: the revision and every
// present key. It is the starting point of the next trial.
type crashModel struct {
	rev  uint64
	keys map[string]crashValue
}

// crashPending is an operation the child began and did not acknowledge.
type crashPending struct {
	op      string // "C", "U" or "D"
	payload string // "-" for D
}

// crashAck is an acknowledged operation: for D, rv is the delete's revision
// and payload the deleted object's.
type crashAck struct {
	key, op string
	rv      uint64
	payload string
}

// crashEvent is a watch event: for DELETED, v is the deleted object at the
// delete's revision.
type crashEvent struct {
	typ watch.EventType
	key string
	v   crashValue
}

type crashStats struct {
	acked     int // writes acknowledged
	pending   int // writes in flight when the child died
	committed int // of those, writes found committed
}

type crashTrialResult struct {
	next  crashModel // what was observed: the next trial's base
	acks  []crashAck // in log order
	stats crashStats
}

// checkCrashTrial replays the child's log on base and checks the state
// observed after reopening (revision rev, present keys observed) against it.
//
// Log lines, one per write of the child, in the order it wrote them:
//
//	B <key> <op> <payload>        began op C (Create), U (GuaranteedUpdate) or D (Delete); payload "-" for D
//	A <key> <op> <rv> <payload>   op returned nil; rv of the returned object; for D the deleted payload
//	X <quoted text>               the child hit an unexpected error
func checkCrashTrial(base crashModel, lines []string, rev uint64, observed map[string]crashValue) (crashTrialResult, []error) {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	acked := maps.Clone(base.keys) // state after the acknowledged operations
	if acked == nil {
		acked = map[string]crashValue{}
	}
	lastRV := map[string]uint64{}        // highest acknowledged rv per key
	pending := map[string]crashPending{} // begun, not acknowledged
	ackedRVs := map[uint64]string{}      // acknowledged revision -> key
	var acks []crashAck
	var maxAcked uint64

	for n, line := range lines {
		f := strings.Fields(line)
		bad := func(why string) { fail("log line %d %q: %s", n+1, line, why) }
		switch {
		case len(f) >= 1 && f[0] == "X":
			msg, err := strconv.Unquote(strings.TrimPrefix(line, "X "))
			if err != nil {
				msg = line
			}
			fail("child failed: %s", msg)
		case len(f) == 4 && f[0] == "B":
			key, op, payload := f[1], f[2], f[3]
			if _, busy := pending[key]; busy {
				bad("began an operation on a key with one pending")
			}
			if op != "C" && op != "U" && op != "D" {
				bad("unknown operation")
			}
			pending[key] = crashPending{op: op, payload: payload}
		case len(f) == 5 && f[0] == "A":
			a := crashAck{key: f[1], op: f[2], payload: f[4]}
			var err error
			if a.rv, err = strconv.ParseUint(f[3], 10, 64); err != nil {
				bad("bad resourceVersion")
				continue
			}
			p, ok := pending[a.key]
			if !ok || p.op != a.op || (a.op != "D" && p.payload != a.payload) {
				bad(fmt.Sprintf("acknowledges an operation that was not begun (pending %+v)", p))
				continue
			}
			delete(pending, a.key)
			acks = append(acks, a)
			prev, present := acked[a.key]
			if a.rv <= base.rev {
				bad(fmt.Sprintf("revision %d is not above %d, the revision found before this child started: the revision went backwards", a.rv, base.rev))
			}
			if a.rv <= lastRV[a.key] {
				bad(fmt.Sprintf("revision %d is not above this key's previous acknowledged revision %d", a.rv, lastRV[a.key]))
			}
			if other, dup := ackedRVs[a.rv]; dup {
				bad(fmt.Sprintf("revision %d was already acknowledged for a write of %s", a.rv, other))
			}
			ackedRVs[a.rv] = a.key
			switch a.op {
			case "C", "U":
				if (a.op == "C") == present {
					bad(fmt.Sprintf("acknowledged, but the key held %s", prev.describe(present)))
				}
				acked[a.key] = crashValue{rv: a.rv, payload: a.payload}
			case "D":
				switch {
				case !present:
					bad("delete acknowledged, but the key held nothing")
				case a.payload != prev.payload:
					bad(fmt.Sprintf("deleted payload %q, but the key held %q", a.payload, prev.payload))
				case a.rv <= prev.rv:
					bad(fmt.Sprintf("delete revision %d is not above the deleted object's revision %d", a.rv, prev.rv))
				}
				delete(acked, a.key)
			}
			lastRV[a.key] = max(lastRV[a.key], a.rv)
			maxAcked = max(maxAcked, a.rv)
		default:
			bad("malformed")
		}
	}

	if rev < base.rev {
		fail("revision went backwards: %d after reopening, %d after the previous trial", rev, base.rev)
	}
	if rev < maxAcked {
		fail("revision %d after reopening is below the acknowledged revision %d", rev, maxAcked)
	}

	committed := 0
	for _, key := range crashSortedKeys(maps.Keys(acked), maps.Keys(observed), maps.Keys(pending)) {
		want, wantOK := acked[key]
		got, gotOK := observed[key]
		if gotOK && got.rv > rev {
			fail("%s: rv %d is above the revision %d", key, got.rv, rev)
		}
		if wantOK == gotOK && want == got {
			continue // the last acknowledged state
		}
		floor := max(base.rev, lastRV[key])
		if p, ok := pending[key]; ok {
			// The pending operation may have committed.
			if (p.op == "D" && !gotOK) || (p.op != "D" && gotOK && got.payload == p.payload && got.rv > floor) {
				committed++
				continue
			}
		}
		msg := fmt.Sprintf("%s: found %s, want the last acknowledged state, %s", key, got.describe(gotOK), want.describe(wantOK))
		if p, ok := pending[key]; ok {
			msg += fmt.Sprintf(", or the pending %s %q above rv %d", p.op, p.payload, floor)
		}
		switch {
		case wantOK && !gotOK:
			msg += " (acknowledged object lost)"
		case wantOK && gotOK && got.rv < want.rv:
			msg += " (acknowledged write lost)"
		case !wantOK && gotOK:
			msg += " (acknowledged delete undone, or an object nobody wrote)"
		}
		fail("%s", msg)
	}
	return crashTrialResult{
		next:  crashModel{rev: rev, keys: observed},
		acks:  acks,
		stats: crashStats{acked: len(acks), pending: len(pending), committed: committed},
	}, errs
}

// checkCrashHistory checks the events a watch from base.rev replays: one per
// revision up to rev (only this test's pods are ever written to the file),
// each consistent with the state before it, every acknowledged operation
// among them, and replaying them on base gives what the store holds.
func checkCrashHistory(base crashModel, acks []crashAck, rev uint64, events []crashEvent, observed map[string]crashValue) []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	state := maps.Clone(base.keys)
	if state == nil {
		state = map[string]crashValue{}
	}
	byRV := map[uint64]crashEvent{}
	last := base.rev
	for i, ev := range events {
		desc := fmt.Sprintf("history event %d (%s %s %s)", i+1, ev.typ, ev.key, ev.v.describe(true))
		if ev.v.rv != last+1 {
			fail("%s: want revision %d: the history skips or repeats revisions", desc, last+1)
		}
		last = ev.v.rv
		byRV[ev.v.rv] = ev
		prev, present := state[ev.key]
		switch ev.typ {
		case watch.Added:
			if present {
				fail("%s: the key held %s", desc, prev.describe(true))
			}
			state[ev.key] = ev.v
		case watch.Modified:
			if !present {
				fail("%s: the key held nothing", desc)
			}
			state[ev.key] = ev.v
		case watch.Deleted:
			if !present || prev.payload != ev.v.payload {
				fail("%s: the key held %s", desc, prev.describe(present))
			}
			delete(state, ev.key)
		default:
			fail("%s: unexpected event type", desc)
		}
	}
	if last != rev {
		fail("history from %d ends at revision %d, want %d", base.rev, last, rev)
	}
	wantType := map[string]watch.EventType{"C": watch.Added, "U": watch.Modified, "D": watch.Deleted}
	for _, a := range acks {
		ev, ok := byRV[a.rv]
		if !ok || ev.typ != wantType[a.op] || ev.key != a.key || ev.v.payload != a.payload {
			got := "nothing"
			if ok {
				got = fmt.Sprintf("%s %s %s", ev.typ, ev.key, ev.v.describe(true))
			}
			fail("acknowledged %s %s at rv %d with payload %q: the history has %s at that revision", a.op, a.key, a.rv, a.payload, got)
		}
	}
	for _, key := range crashSortedKeys(maps.Keys(state), maps.Keys(observed)) {
		h, inHist := state[key]
		o, inStore := observed[key]
		if inHist != inStore || h != o {
			fail("%s: replaying the history gives %s, the store holds %s", key, h.describe(inHist), o.describe(inStore))
		}
	}
	return errs
}

// crashSortedKeys returns the union of keys, sorted, without duplicates.
func crashSortedKeys(keys ...iter.Seq[string]) []string {
	var all []string
	for _, seq := range keys {
		all = slices.AppendSeq(all, seq)
	}
	slices.Sort(all)
	return slices.Compact(all)
}

// crashTail returns the last n lines.
func crashTail(lines []string, n int) string {
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// TestCrashChild is the child process of TestCrash. It writes until killed.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		t.Skip("helper process of TestCrash; runs only when TestCrash re-executes the test binary")
	}
	seed, err := strconv.ParseUint(os.Getenv(crashSeedEnv), 10, 64)
	if err != nil {
		t.Fatalf("%s: %v", crashSeedEnv, err)
	}
	trial, err := strconv.Atoi(os.Getenv(crashTrialEnv))
	if err != nil {
		t.Fatalf("%s: %v", crashTrialEnv, err)
	}
	log := &crashLog{}

	db, err := Open(path, crashOptions())
	if err != nil {
		log.fail("open: %v", err)
		t.Fatalf("open: %v", err)
	}
	defer db.Close()
	store := newCrashStore(t, db)

	ctx, cancel := context.WithTimeout(context.Background(), crashChildLifetime)
	defer cancel()
	errc := make(chan error, crashWriters)
	var wg sync.WaitGroup
	for w := range crashWriters {
		wg.Go(func() {
			if err := crashWriter(ctx, store, log, rand.New(rand.NewPCG(seed, uint64(w))), trial, w); err != nil {
				log.fail("writer %d: %v", w, err)
				errc <- err
				cancel()
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}

// crashLog writes the child's log lines to stdout, one write per line.
type crashLog struct{ mu sync.Mutex }

func (l *crashLog) printf(format string, args ...any) {
	line := fmt.Sprintf(format+"\n", args...)
	l.mu.Lock()
	defer l.mu.Unlock()
	// One write(2) of less than PIPE_BUF bytes: a kill cannot tear the line.
	if _, err := os.Stdout.WriteString(line); err != nil {
		panic(fmt.Sprintf("crash child: write log: %v", err)) // the parent is gone
	}
}

func (l *crashLog) fail(format string, args ...any) {
	l.printf("X %s", strconv.Quote(fmt.Sprintf(format, args...)))
}

// crashWriter does random operations on the keys writer w owns until ctx is
// done, one at a time, logging each before it starts and after it succeeds.
// Any error is unexpected: the writer alone touches its keys and knows
// whether each exists.
func crashWriter(ctx context.Context, store *Store, log *crashLog, rng *rand.Rand, trial, w int) error {
	var keys []string
	exists := map[string]bool{}
	for i := w; i < crashKeys; i += crashWriters {
		key := crashKey(i)
		keys = append(keys, key)
		err := store.Get(context.Background(), key, apistorage.GetOptions{}, &example.Pod{})
		switch {
		case apistorage.IsNotFound(err):
		case err != nil:
			return fmt.Errorf("get %s: %w", key, err)
		default:
			exists[key] = true
		}
	}
	versioner := store.Versioner()
	for seq := 0; ctx.Err() == nil; seq++ {
		key := keys[rng.IntN(len(keys))]
		payload := fmt.Sprintf("t%d.w%d.%d", trial, w, seq)
		filler := crashFiller(rng)
		out := &example.Pod{}
		var op string
		var err error
		switch {
		case !exists[key]:
			op = "C"
			log.printf("B %s %s %s", key, op, payload)
			ns, name := splitCrashKey(key)
			pod := &example.Pod{ObjectMeta: metav1.ObjectMeta{
				Namespace:   ns,
				Name:        name,
				Annotations: map[string]string{crashPayloadAnnotation: payload, crashFillerAnnotation: filler},
			}}
			err = store.Create(context.Background(), key, pod, out, 0)
		case rng.IntN(4) == 0:
			op = "D"
			log.printf("B %s %s -", key, op)
			err = store.Delete(context.Background(), key, out, nil, apistorage.ValidateAllObjectFunc, nil, apistorage.DeleteOptions{})
		default:
			op = "U"
			log.printf("B %s %s %s", key, op, payload)
			err = store.GuaranteedUpdate(context.Background(), key, out, false, nil,
				func(input runtime.Object, _ apistorage.ResponseMeta) (runtime.Object, *uint64, error) {
					pod, ok := input.(*example.Pod)
					if !ok {
						return nil, nil, fmt.Errorf("tryUpdate got %T", input)
					}
					pod = pod.DeepCopy()
					pod.Annotations = map[string]string{crashPayloadAnnotation: payload, crashFillerAnnotation: filler}
					return pod, nil, nil
				}, nil)
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", op, key, err)
		}
		rv, err := versioner.ObjectResourceVersion(out)
		if err != nil {
			return fmt.Errorf("%s %s: resourceVersion of the result: %w", op, key, err)
		}
		got := out.Annotations[crashPayloadAnnotation]
		if op != "D" && got != payload {
			return fmt.Errorf("%s %s: result has payload %q, want %q", op, key, got, payload)
		}
		if got == "" {
			got = "-"
		}
		log.printf("A %s %s %d %s", key, op, rv, got)
		exists[key] = op != "D"
	}
	return nil
}

// crashFiller returns a random-length value, sometimes large enough for
// bbolt overflow pages, so that writes split and spill pages.
func crashFiller(rng *rand.Rand) string {
	n := rng.IntN(1500)
	if rng.IntN(20) == 0 {
		n = 8<<10 + rng.IntN(8<<10)
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + byte(rng.IntN(26))
	}
	return string(b)
}

// splitCrashKey splits "/pods/<ns>/<name>".
func splitCrashKey(key string) (ns, name string) {
	ns, name, _ = strings.Cut(strings.TrimPrefix(key, "/pods/"), "/")
	return ns, name
}

// The two tests below feed the checkers what a correct store may leave after
// a kill, and what a broken one leaves, so the crash test is known to fail
// when it should.

// crashTestBase is the state the rows of both tests start from.
func crashTestBase() crashModel {
	return crashModel{rev: 10, keys: map[string]crashValue{
		"/pods/ns0/a": {rv: 7, payload: "old-a"},
		"/pods/ns1/b": {rv: 10, payload: "old-b"},
	}}
}

func TestCrashCheckTrial(t *testing.T) {
	tests := []struct {
		name     string
		lines    []string
		rev      uint64
		observed map[string]crashValue
		wantErr  string // substring of the joined errors; "" means none
	}{{
		name:     "nothing written, nothing changed",
		rev:      10,
		observed: crashTestBase().keys,
	}, {
		name:     "acknowledged update survives",
		lines:    []string{"B /pods/ns0/a U p1", "A /pods/ns0/a U 11 p1"},
		rev:      11,
		observed: map[string]crashValue{"/pods/ns0/a": {11, "p1"}, "/pods/ns1/b": {10, "old-b"}},
	}, {
		name:     "acknowledged update lost",
		lines:    []string{"B /pods/ns0/a U p1", "A /pods/ns0/a U 11 p1"},
		rev:      11,
		observed: crashTestBase().keys,
		wantErr:  "acknowledged write lost",
	}, {
		name:     "acknowledged update lost with its revision",
		lines:    []string{"B /pods/ns0/a U p1", "A /pods/ns0/a U 11 p1"},
		rev:      10,
		observed: crashTestBase().keys,
		wantErr:  "below the acknowledged revision 11",
	}, {
		name:     "acknowledged create lost",
		lines:    []string{"B /pods/ns0/c C p1", "A /pods/ns0/c C 11 p1"},
		rev:      11,
		observed: crashTestBase().keys,
		wantErr:  "/pods/ns0/c: found nothing",
	}, {
		name:     "acknowledged delete undone",
		lines:    []string{"B /pods/ns1/b D -", "A /pods/ns1/b D 11 old-b"},
		rev:      11,
		observed: crashTestBase().keys,
		wantErr:  "acknowledged delete undone",
	}, {
		name:     "pending update committed",
		lines:    []string{"B /pods/ns0/a U p1", "A /pods/ns0/a U 11 p1", "B /pods/ns0/a U p2"},
		rev:      12,
		observed: map[string]crashValue{"/pods/ns0/a": {12, "p2"}, "/pods/ns1/b": {10, "old-b"}},
	}, {
		name:     "pending update not committed",
		lines:    []string{"B /pods/ns0/a U p1", "A /pods/ns0/a U 11 p1", "B /pods/ns0/a U p2"},
		rev:      11,
		observed: map[string]crashValue{"/pods/ns0/a": {11, "p1"}, "/pods/ns1/b": {10, "old-b"}},
	}, {
		name:     "pending update with a stale revision",
		lines:    []string{"B /pods/ns0/a U p1", "A /pods/ns0/a U 11 p1", "B /pods/ns0/a U p2"},
		rev:      12,
		observed: map[string]crashValue{"/pods/ns0/a": {11, "p2"}, "/pods/ns1/b": {10, "old-b"}},
		wantErr:  "/pods/ns0/a: found rv 11",
	}, {
		name:     "pending delete committed",
		lines:    []string{"B /pods/ns1/b D -"},
		rev:      11,
		observed: map[string]crashValue{"/pods/ns0/a": {7, "old-a"}},
	}, {
		name:     "object nobody wrote",
		rev:      11,
		observed: map[string]crashValue{"/pods/ns0/a": {7, "old-a"}, "/pods/ns1/b": {11, "ghost"}},
		wantErr:  `/pods/ns1/b: found rv 11 payload "ghost"`,
	}, {
		name:     "object above the revision",
		rev:      10,
		observed: map[string]crashValue{"/pods/ns0/a": {7, "old-a"}, "/pods/ns1/b": {11, "old-b"}},
		wantErr:  "rv 11 is above the revision 10",
	}, {
		name:     "revision went backwards on reopen",
		rev:      9,
		observed: crashTestBase().keys,
		wantErr:  "revision went backwards",
	}, {
		name:     "child reuses a revision from before the restart",
		lines:    []string{"B /pods/ns0/a U p1", "A /pods/ns0/a U 10 p1"},
		rev:      10,
		observed: map[string]crashValue{"/pods/ns0/a": {10, "p1"}, "/pods/ns1/b": {10, "old-b"}},
		wantErr:  "the revision went backwards",
	}, {
		name: "two writes acknowledged with one revision",
		lines: []string{
			"B /pods/ns0/a U p1", "B /pods/ns0/c C p2",
			"A /pods/ns0/a U 11 p1", "A /pods/ns0/c C 11 p2",
		},
		rev:      11,
		observed: map[string]crashValue{"/pods/ns0/a": {11, "p1"}, "/pods/ns1/b": {10, "old-b"}, "/pods/ns0/c": {11, "p2"}},
		wantErr:  "already acknowledged",
	}, {
		name:     "child failure",
		lines:    []string{`X "writer 3: boom"`},
		rev:      10,
		observed: crashTestBase().keys,
		wantErr:  "child failed: writer 3: boom",
	}, {
		name:     "ack without begin",
		lines:    []string{"A /pods/ns0/a U 11 p1"},
		rev:      11,
		observed: map[string]crashValue{"/pods/ns0/a": {11, "p1"}, "/pods/ns1/b": {10, "old-b"}},
		wantErr:  "not begun",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, errs := checkCrashTrial(crashTestBase(), tt.lines, tt.rev, tt.observed)
			checkCrashErrors(t, errs, tt.wantErr)
		})
	}
}

func TestCrashCheckHistory(t *testing.T) {
	tests := []struct {
		name     string
		acks     []crashAck
		rev      uint64
		events   []crashEvent
		observed map[string]crashValue
		wantErr  string // substring of the joined errors; "" means none
	}{{
		name:     "no writes",
		rev:      10,
		observed: crashTestBase().keys,
	}, {
		name: "complete history",
		acks: []crashAck{{"/pods/ns0/a", "U", 11, "p1"}, {"/pods/ns1/b", "D", 12, "old-b"}},
		rev:  13,
		events: []crashEvent{
			{watch.Modified, "/pods/ns0/a", crashValue{11, "p1"}},
			{watch.Deleted, "/pods/ns1/b", crashValue{12, "old-b"}},
			{watch.Added, "/pods/ns0/c", crashValue{13, "p2"}}, // a pending create that committed
		},
		observed: map[string]crashValue{"/pods/ns0/a": {11, "p1"}, "/pods/ns0/c": {13, "p2"}},
	}, {
		name:     "history skips a revision",
		acks:     []crashAck{{"/pods/ns0/a", "U", 12, "p1"}},
		rev:      12,
		events:   []crashEvent{{watch.Modified, "/pods/ns0/a", crashValue{12, "p1"}}},
		observed: map[string]crashValue{"/pods/ns0/a": {12, "p1"}, "/pods/ns1/b": {10, "old-b"}},
		wantErr:  "skips or repeats revisions",
	}, {
		name:     "history ends early",
		acks:     []crashAck{{"/pods/ns0/a", "U", 11, "p1"}},
		rev:      12,
		events:   []crashEvent{{watch.Modified, "/pods/ns0/a", crashValue{11, "p1"}}},
		observed: map[string]crashValue{"/pods/ns0/a": {11, "p1"}, "/pods/ns1/b": {10, "old-b"}},
		wantErr:  "ends at revision 11, want 12",
	}, {
		name:     "acknowledged write missing from the history",
		acks:     []crashAck{{"/pods/ns0/a", "U", 11, "p1"}},
		rev:      11,
		events:   []crashEvent{{watch.Modified, "/pods/ns1/b", crashValue{11, "p9"}}},
		observed: map[string]crashValue{"/pods/ns0/a": {11, "p1"}, "/pods/ns1/b": {10, "old-b"}},
		wantErr:  "acknowledged U /pods/ns0/a at rv 11",
	}, {
		name:     "history disagrees with the store",
		rev:      11,
		events:   []crashEvent{{watch.Modified, "/pods/ns0/a", crashValue{11, "p1"}}},
		observed: crashTestBase().keys,
		wantErr:  "replaying the history gives",
	}, {
		name:     "delete of nothing",
		rev:      11,
		events:   []crashEvent{{watch.Deleted, "/pods/ns0/c", crashValue{11, "p1"}}},
		observed: crashTestBase().keys,
		wantErr:  "the key held nothing",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			errs := checkCrashHistory(crashTestBase(), tt.acks, tt.rev, tt.events, tt.observed)
			checkCrashErrors(t, errs, tt.wantErr)
		})
	}
}

// checkCrashErrors fails t unless errs is empty (wantErr "") or one of them
// contains wantErr.
func checkCrashErrors(t testing.TB, errs []error, wantErr string) {
	t.Helper()
	got := errors.Join(errs...)
	switch {
	case wantErr == "" && got != nil:
		t.Errorf("unexpected errors:\n%v", got)
	case wantErr != "" && got == nil:
		t.Errorf("no error, want one containing %q", wantErr)
	case wantErr != "" && !strings.Contains(got.Error(), wantErr):
		t.Errorf("errors:\n%v\nwant one containing %q", got, wantErr)
	}
}
