package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Bucket and key names of the on-disk layout. Keys in kvBucket are the full
// storage keys, exactly as kube-apiserver keys etcd (e.g. /registry/pods/ns/name).
var (
	metaBucket = []byte("meta")    // revision counters
	kvBucket   = []byte("kv")      // key -> latest record (header + stored bytes)
	histBucket = []byte("history") // key 0x00 revision -> kind: every version (MVCC index)
	logBucket  = []byte("events")  // revision -> kind, key, value: the event log, and where values live
	ttlBucket  = []byte("ttl")     // expiry 0x00 key -> nothing, for the TTL reaper

	revisionKey = []byte("revision")
	compactKey  = []byte("compacted") // reads below this revision get 410 Gone
	prunedKey   = []byte("pruned")    // history is pruned up to this revision
)

// firstRevision is the revision of an empty database. Writes start at 2, as in
// etcd, because resourceVersion 0 means "any" to the API server.
const firstRevision = 1

// ErrClosed is returned by operations on a DB after Close has begun.
var ErrClosed = errors.New("storage: database is closed")

// Options tunes a DB. The zero value is what fakecluster runs with.
type Options struct {
	// ProgressNotifyInterval is how often watches that asked for progress
	// notifications get a bookmark. Zero means 5 seconds.
	ProgressNotifyInterval time.Duration
	// CompactInterval is how often history older than CompactRetention
	// revisions is compacted away. Zero means 1 minute; negative disables
	// automatic compaction (Compact still works).
	CompactInterval time.Duration
	// CompactRetention is how many of the latest revisions automatic
	// compaction keeps for watch resumption and exact reads. Zero means 10000.
	CompactRetention int64
	// UnsafeNoFsync acknowledges writes before they reach the disk, as etcd's
	// option of the same name does. For tests and benchmarks only: a machine
	// crash loses acknowledged writes.
	UnsafeNoFsync bool
}

func (o Options) withDefaults() Options {
	if o.ProgressNotifyInterval == 0 {
		o.ProgressNotifyInterval = 5 * time.Second
	}
	if o.CompactInterval == 0 {
		o.CompactInterval = time.Minute
	}
	if o.CompactRetention == 0 {
		o.CompactRetention = 10000
	}
	return o
}

// DB is one bbolt file holding every resource under a single global revision.
// Writes from all Stores funnel through one committer goroutine that groups
// whatever is waiting into a single bbolt transaction (group commit), so
// many concurrent writers pay for one fsync.
type DB struct {
	bolt *bolt.DB
	opts Options

	writes chan *writeOp
	// stopped is cancelled by Close; background work and waiting writers
	// watch it.
	stopped context.Context
	stop    context.CancelFunc
	wg      sync.WaitGroup
	once    sync.Once

	// hub fans committed events out to watches.
	hub *hub

	compacted atomic.Int64
	// compactMu serialises compactions with each other.
	compactMu sync.Mutex
}

// Open opens the bbolt file at path, creating it and its directory if needed,
// and starts the committer, the TTL reaper, progress notifications and
// automatic compaction.
func Open(path string, opts Options) (*DB, error) {
	opts = opts.withDefaults()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create storage directory: %w", err)
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:        time.Second,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
		NoSync:         opts.UnsafeNoFsync,
		NoGrowSync:     opts.UnsafeNoFsync,
	})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db := &DB{
		bolt:   bdb,
		opts:   opts,
		writes: make(chan *writeOp),
	}
	db.stopped, db.stop = context.WithCancel(context.Background())
	var rev, compacted int64
	err = bdb.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{metaBucket, kvBucket, histBucket, logBucket, ttlBucket} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(metaBucket)
		if meta.Get(revisionKey) == nil {
			if err := meta.Put(revisionKey, u64(firstRevision)); err != nil {
				return err
			}
			if err := meta.Put(compactKey, u64(0)); err != nil {
				return err
			}
			if err := meta.Put(prunedKey, u64(0)); err != nil {
				return err
			}
		}
		rev, compacted = readInt(meta.Get(revisionKey)), readInt(meta.Get(compactKey))
		return nil
	})
	if err != nil {
		bdb.Close()
		return nil, fmt.Errorf("initialise %s: %w", path, err)
	}
	db.compacted.Store(compacted)
	db.hub = newHub(rev)

	db.wg.Add(1)
	go db.commitLoop()
	db.every(250*time.Millisecond, func() { db.reapExpired(time.Now()) })
	db.every(opts.ProgressNotifyInterval, func() { db.hub.notifyProgress(false) })
	if opts.CompactInterval > 0 {
		db.every(opts.CompactInterval, db.compactOld)
	}
	return db, nil
}

// Close stops background work, ends every watch, fails writes that have not
// been taken by the committer with ErrClosed, and closes the file. Writes
// already in a transaction finish first, so nothing is half-written.
func (db *DB) Close() error {
	var err error
	db.once.Do(func() {
		db.stop()
		db.wg.Wait()
		db.hub.closeAll()
		err = db.bolt.Close()
	})
	return err
}

// Revision is the revision of the latest committed write.
func (db *DB) Revision() int64 {
	var rev int64
	_ = db.bolt.View(func(tx *bolt.Tx) error {
		rev = readInt(tx.Bucket(metaBucket).Get(revisionKey))
		return nil
	})
	return rev
}

// CompactRevision is the revision below which history has been discarded.
func (db *DB) CompactRevision() int64 { return db.compacted.Load() }

// Check verifies bbolt's page structure and this package's invariants: every
// latest value has its history entry, and the revision counter is not behind
// any stored revision.
func (db *DB) Check() error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return fmt.Errorf("bbolt consistency: %w", err)
		}
		rev := readInt(tx.Bucket(metaBucket).Get(revisionKey))
		hist, log := tx.Bucket(histBucket), tx.Bucket(logBucket)
		err := tx.Bucket(kvBucket).ForEach(func(k, v []byte) error {
			rec, err := decodeRecord(v)
			if err != nil {
				return fmt.Errorf("key %q: %w", k, err)
			}
			if rec.modRev > rev {
				return fmt.Errorf("key %q has revision %d beyond the database revision %d", k, rec.modRev, rev)
			}
			if hist.Get(histKey(k, rec.modRev)) == nil {
				return fmt.Errorf("key %q: history entry for revision %d is missing", k, rec.modRev)
			}
			if _, err := valueAt(log, rec.modRev); err != nil {
				return fmt.Errorf("key %q: %w", k, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if last, _ := tx.Bucket(logBucket).Cursor().Last(); last != nil && readInt(last) > rev {
			return fmt.Errorf("event log revision %d beyond the database revision %d", readInt(last), rev)
		}
		return nil
	})
}

// Compact discards history at and below rev, except each key's newest
// version at or below it, so reads and watches at revisions ≥ rev keep
// working while older ones get 410 Gone. Compacting to a revision at or
// below the current compaction point only finishes pruning a compaction
// that was interrupted.
func (db *DB) Compact(ctx context.Context, rev int64) error {
	db.compactMu.Lock()
	defer db.compactMu.Unlock()
	if cur := db.hub.revision(); rev > cur {
		return fmt.Errorf("compact to revision %d: beyond the current revision %d", rev, cur)
	}
	// The new compaction point is recorded first, so reads and watches below
	// it fail from now on instead of seeing half-pruned history. Pruning
	// then proceeds in bounded transactions, recording how far it got.
	var target, pruned int64
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(metaBucket)
		target, pruned = max(rev, readInt(meta.Get(compactKey))), readInt(meta.Get(prunedKey))
		return meta.Put(compactKey, u64(target))
	})
	if err != nil {
		return fmt.Errorf("compact to revision %d: %w", rev, err)
	}
	db.compacted.Store(target)
	const perTx = 2000
	for pruned < target {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			var err error
			pruned, err = pruneSome(tx, pruned, target, perTx)
			return err
		})
		if err != nil {
			return fmt.Errorf("compact to revision %d: %w", target, err)
		}
	}
	return nil
}

// pruneSome prunes the keys written in up to limit log entries after
// revision from and up to target, and returns the revision pruned through.
func pruneSome(tx *bolt.Tx, from, target int64, limit int) (int64, error) {
	log, hist := tx.Bucket(logBucket), tx.Bucket(histBucket)
	keys := map[string]struct{}{}
	through := target
	c := log.Cursor()
	for k, v := c.Seek(u64(from + 1)); k != nil && readInt(k) <= target; k, v = c.Next() {
		if len(keys) == limit {
			through = readInt(k) - 1
			break
		}
		e, err := decodeLogEntry(v)
		if err != nil {
			return 0, fmt.Errorf("revision %d: %w", readInt(k), err)
		}
		keys[string(e.key)] = struct{}{}
	}
	for key := range keys {
		if err := pruneHistory(hist, log, []byte(key), target); err != nil {
			return 0, err
		}
	}
	return through, tx.Bucket(metaBucket).Put(prunedKey, u64(through))
}

// pruneHistory removes the versions of key that no read at revision ≥ rev can
// see: all but the newest version at or below rev, and that one too when it
// is a deletion. Each goes from the history index and the event log.
func pruneHistory(hist, log *bolt.Bucket, key []byte, rev int64) error {
	c := hist.Cursor()
	prefix := histPrefix(key)
	var versions [][]byte
	lastDeleted := false
	for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix) && histRevision(k) <= rev; k, v = c.Next() {
		versions = append(versions, bytes.Clone(k))
		lastDeleted = len(v) > 0 && v[0] == versionDeleted
	}
	if len(versions) == 0 {
		return nil
	}
	stale := versions[:len(versions)-1]
	if lastDeleted {
		stale = versions
	}
	for _, k := range stale {
		if err := hist.Delete(k); err != nil {
			return err
		}
		if err := log.Delete(u64(histRevision(k))); err != nil {
			return err
		}
	}
	return nil
}

// every runs fn every interval until Close.
func (db *DB) every(interval time.Duration, fn func()) {
	db.wg.Add(1)
	go func() {
		defer db.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-db.stopped.Done():
				return
			case <-t.C:
				fn()
			}
		}
	}()
}

// compactOld compacts away all but the retained revisions; a failure is
// retried on the next tick.
func (db *DB) compactOld() {
	if target := db.hub.revision() - db.opts.CompactRetention; target > db.compacted.Load() {
		_ = db.Compact(db.stopped, target)
	}
}

// reapExpired deletes keys whose TTL has passed, as etcd's leases do, so
// watches see a DELETED event for them.
func (db *DB) reapExpired(now time.Time) {
	type expired struct {
		key []byte
		rev int64
	}
	var due []expired
	_ = db.bolt.View(func(tx *bolt.Tx) error {
		kv := tx.Bucket(kvBucket)
		c := tx.Bucket(ttlBucket).Cursor()
		for k, _ := c.First(); k != nil && readInt(k[:8]) <= now.Unix(); k, _ = c.Next() {
			key := k[9:]
			if v := kv.Get(key); v != nil {
				if rec, err := decodeRecord(v); err == nil {
					due = append(due, expired{key: append([]byte(nil), key...), rev: rec.modRev})
				}
			}
		}
		return nil
	})
	for _, e := range due {
		// A conflict means the key was rewritten meanwhile; its new TTL rules.
		if db.submit(newDelete(e.key, e.rev)) != nil {
			return
		}
	}
}

func u64(v int64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, uint64(v))
	return b
}

func readInt(b []byte) int64 {
	if len(b) < 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(b))
}

func hasPrefix(b, prefix []byte) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == string(prefix)
}
