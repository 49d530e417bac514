package storage

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The layout stores each written value once, in the event log, appended in
// revision order (the cheapest write a B+tree can take). The other buckets
// hold small index entries that point at log revisions.

// A record is a key's entry in kvBucket: where its latest value is.
type record struct {
	modRev    int64 // revision of the latest write: its event-log entry holds the value
	createRev int64 // revision at which the key was (last) created
	expiry    int64 // unix seconds after which the key is deleted; 0 = never
	size      int64 // length of the stored value, for Stats
}

const recordLen = 32

func encodeRecord(r record) []byte {
	b := make([]byte, recordLen)
	binary.BigEndian.PutUint64(b[0:], uint64(r.modRev))
	binary.BigEndian.PutUint64(b[8:], uint64(r.createRev))
	binary.BigEndian.PutUint64(b[16:], uint64(r.expiry))
	binary.BigEndian.PutUint64(b[24:], uint64(r.size))
	return b
}

func decodeRecord(v []byte) (record, error) {
	if len(v) != recordLen {
		return record{}, fmt.Errorf("record of %d bytes, want %d", len(v), recordLen)
	}
	return record{
		modRev:    readInt(v[0:8]),
		createRev: readInt(v[8:16]),
		expiry:    readInt(v[16:24]),
		size:      readInt(v[24:32]),
	}, nil
}

// An event-log entry (logBucket, keyed by revision) is one kind byte, the
// key's length as a uvarint, the key, and for a put the stored value.
const (
	versionDeleted byte = 0
	versionPut     byte = 1
)

type logEntry struct {
	kind byte
	key  []byte
	data []byte // nil for a deletion; aliases bbolt memory inside a transaction
}

func encodeLogEntry(kind byte, key, data []byte) []byte {
	b := make([]byte, 0, 1+binary.MaxVarintLen64+len(key)+len(data))
	b = append(b, kind)
	b = binary.AppendUvarint(b, uint64(len(key)))
	b = append(b, key...)
	return append(b, data...)
}

func decodeLogEntry(v []byte) (logEntry, error) {
	if len(v) < 2 {
		return logEntry{}, fmt.Errorf("event-log entry of %d bytes is too short", len(v))
	}
	n, w := binary.Uvarint(v[1:])
	if w <= 0 || uint64(len(v)-1-w) < n {
		return logEntry{}, fmt.Errorf("event-log entry has a bad key length")
	}
	e := logEntry{kind: v[0], key: v[1+w : 1+w+int(n)]}
	if e.kind == versionPut {
		e.data = v[1+w+int(n):]
	}
	return e, nil
}

// valueAt returns the value written at rev, read from the event log.
func valueAt(log *bolt.Bucket, rev int64) ([]byte, error) {
	raw := log.Get(u64(rev))
	if raw == nil {
		return nil, fmt.Errorf("event-log entry of revision %d is missing", rev)
	}
	e, err := decodeLogEntry(raw)
	if err != nil {
		return nil, fmt.Errorf("revision %d: %w", rev, err)
	}
	if e.kind != versionPut {
		return nil, fmt.Errorf("revision %d is a deletion, not a value", rev)
	}
	return e.data, nil
}

// History entries (histBucket) index every version of a key: the key, a
// 0x00 separator (storage keys never contain it) and the big-endian
// revision, so one key's versions sit together in revision order. The value
// is the kind byte.
func histPrefix(key []byte) []byte {
	p := make([]byte, len(key)+1)
	copy(p, key)
	return p
}

func histKey(key []byte, rev int64) []byte {
	k := make([]byte, len(key)+9)
	copy(k, key)
	binary.BigEndian.PutUint64(k[len(key)+1:], uint64(rev))
	return k
}

// splitHistKey returns the storage key and revision of a history entry key.
func splitHistKey(k []byte) ([]byte, int64) {
	if len(k) < 9 {
		return nil, 0
	}
	return k[:len(k)-9], readInt(k[len(k)-8:])
}

func histRevision(k []byte) int64 {
	_, rev := splitHistKey(k)
	return rev
}

// ttlKey orders expiring keys by expiry so the reaper reads only the due ones.
func ttlKey(expiry int64, key []byte) []byte {
	k := make([]byte, 9+len(key))
	binary.BigEndian.PutUint64(k, uint64(expiry))
	copy(k[9:], key)
	return k
}
