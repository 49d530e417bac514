package storage

import (
	"bytes"
	"time"

	bolt "go.etcd.io/bbolt"
)

// A writeOp is one conditional put or delete handed to the committer. Its
// event-log entry is encoded by the caller, off the committer's path.
type writeOp struct {
	key   []byte
	entry []byte // encoded event-log entry
	value []byte // the stored value inside entry; nil for a delete
	del   bool
	// expectRev is the condition: 0 means the key must be absent, otherwise
	// the key's current revision must equal it.
	expectRev int64
	ttl       uint64 // seconds; 0 = no expiry

	done chan struct{}
	// Results, valid once done is closed.
	err       error
	succeeded bool
	rev       int64        // revision of the write, or of the database on failure
	current   *storedValue // the key's value when the condition failed; nil if absent
}

func newPut(key, value []byte, expectRev int64, ttl uint64) *writeOp {
	entry := encodeLogEntry(versionPut, key, value)
	return &writeOp{key: key, entry: entry, value: entry[len(entry)-len(value):], expectRev: expectRev, ttl: ttl, done: make(chan struct{})}
}

func newDelete(key []byte, expectRev int64) *writeOp {
	return &writeOp{key: key, entry: encodeLogEntry(versionDeleted, key, nil), del: true, expectRev: expectRev, done: make(chan struct{})}
}

// maxBatch bounds how many writes share one transaction, so one commit never
// holds the writer lock for long.
const maxBatch = 512

// submit hands op to the committer and waits for its durable result.
func (db *DB) submit(op *writeOp) error {
	select {
	case db.writes <- op:
	case <-db.stopped.Done():
		return ErrClosed
	}
	<-op.done
	return op.err
}

// commitLoop is the single writer. It takes one op, then whatever else is
// already waiting, and commits them together: one fsync for the batch. Events
// are published to watches only after the commit is durable, in revision order.
func (db *DB) commitLoop() {
	defer db.wg.Done()
	batch := make([]*writeOp, 0, maxBatch)
	for {
		select {
		case <-db.stopped.Done():
			return
		case op := <-db.writes:
			batch = append(batch[:0], op)
		}
	collect:
		for len(batch) < maxBatch {
			select {
			case op := <-db.writes:
				batch = append(batch, op)
			default:
				break collect
			}
		}
		db.commit(batch)
	}
}

func (db *DB) commit(batch []*writeOp) {
	var events []event
	var rev int64
	now := time.Now()
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		events = events[:0]
		meta := tx.Bucket(metaBucket)
		rev = readInt(meta.Get(revisionKey))
		b := txBuckets{kv: tx.Bucket(kvBucket), hist: tx.Bucket(histBucket), log: tx.Bucket(logBucket), ttl: tx.Bucket(ttlBucket)}
		b.log.FillPercent = 1 // revisions only ever grow
		for _, op := range batch {
			ev, ok, err := b.apply(op, &rev, now)
			if err != nil {
				return err
			}
			if ok {
				events = append(events, ev)
			}
		}
		return meta.Put(revisionKey, u64(rev))
	})
	if err != nil {
		for _, op := range batch {
			op.err, op.succeeded = err, false
		}
		events = nil
	} else {
		db.hub.publish(events, rev)
	}
	for _, op := range batch {
		close(op.done)
	}
}

type txBuckets struct {
	kv, hist, log, ttl *bolt.Bucket
}

// apply performs op inside the batch's transaction, advancing *rev when the
// op's condition holds. ok reports whether it did; a failed condition is not
// an error of the batch.
func (b txBuckets) apply(op *writeOp, rev *int64, now time.Time) (ev event, ok bool, err error) {
	var old record
	oldRaw := b.kv.Get(op.key)
	exists := oldRaw != nil
	if exists {
		if old, err = decodeRecord(oldRaw); err != nil {
			return event{}, false, err
		}
	}
	if (op.expectRev == 0 && exists) || (op.expectRev != 0 && (!exists || old.modRev != op.expectRev)) {
		op.succeeded, op.rev = false, *rev
		if exists {
			data, err := valueAt(b.log, old.modRev)
			if err != nil {
				return event{}, false, err
			}
			op.current = &storedValue{rev: old.modRev, data: bytes.Clone(data)}
		}
		return event{}, false, nil
	}
	*rev++
	r := *rev
	ev = event{key: string(op.key), rev: r, isCreated: !exists, isDeleted: op.del, value: op.value}
	if exists {
		if ev.prevValue, err = valueAt(b.log, old.modRev); err != nil {
			return event{}, false, err
		}
		ev.prevValue = bytes.Clone(ev.prevValue)
		if old.expiry != 0 {
			if err := b.ttl.Delete(ttlKey(old.expiry, op.key)); err != nil {
				return event{}, false, err
			}
		}
	}
	kind := versionPut
	if op.del {
		kind = versionDeleted
		err = b.kv.Delete(op.key)
	} else {
		nr := record{modRev: r, createRev: r, size: int64(len(op.value))}
		if exists {
			nr.createRev = old.createRev
		}
		if op.ttl > 0 {
			nr.expiry = now.Unix() + int64(op.ttl)
			if err := b.ttl.Put(ttlKey(nr.expiry, op.key), nil); err != nil {
				return event{}, false, err
			}
		}
		err = b.kv.Put(op.key, encodeRecord(nr))
	}
	if err != nil {
		return event{}, false, err
	}
	if err := b.hist.Put(histKey(op.key, r), []byte{kind}); err != nil {
		return event{}, false, err
	}
	if err := b.log.Put(u64(r), op.entry); err != nil {
		return event{}, false, err
	}
	op.succeeded, op.rev = true, r
	return ev, true, nil
}
