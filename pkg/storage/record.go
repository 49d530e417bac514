package storage

import (
	"encoding/binary"
	"fmt"
)

// A record is the latest version of a key as kept in kvBucket: a fixed
// header followed by the bytes the Store's transformer produced.
type record struct {
	modRev    int64 // revision of the write that produced this version
	createRev int64 // revision at which the key was (last) created
	expiry    int64 // unix seconds after which the key is deleted; 0 = never
	data      []byte
}

const recordHeaderLen = 24

func encodeRecord(r record) []byte {
	b := make([]byte, recordHeaderLen+len(r.data))
	binary.BigEndian.PutUint64(b[0:], uint64(r.modRev))
	binary.BigEndian.PutUint64(b[8:], uint64(r.createRev))
	binary.BigEndian.PutUint64(b[16:], uint64(r.expiry))
	copy(b[recordHeaderLen:], r.data)
	return b
}

// decodeRecord parses v without copying: data aliases v, which bbolt only
// keeps valid for the life of the transaction.
func decodeRecord(v []byte) (record, error) {
	if len(v) < recordHeaderLen {
		return record{}, fmt.Errorf("record of %d bytes is shorter than its %d-byte header", len(v), recordHeaderLen)
	}
	return record{
		modRev:    readInt(v[0:8]),
		createRev: readInt(v[8:16]),
		expiry:    readInt(v[16:24]),
		data:      v[recordHeaderLen:],
	}, nil
}

// History entries are keyed by the storage key, a 0x00 separator (storage
// keys never contain it) and the big-endian revision, so one key's versions
// sit together in revision order. The value is one kind byte, then the
// stored bytes for a put.
const (
	versionDeleted byte = 0
	versionPut     byte = 1
)

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
