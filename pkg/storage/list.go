package storage

import (
	"bytes"
	"context"
	"fmt"
	"reflect"

	bolt "go.etcd.io/bbolt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apiserver/pkg/features"
	apistorage "k8s.io/apiserver/pkg/storage"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
)

// Texts of the 410 errors, as kube-apiserver words them for etcd.
const (
	listExpired     = "The resourceVersion for the provided list is too old."
	continueExpired = "The provided continue parameter is too old " +
		"to display a consistent list result. You can start a new list without " +
		"the continue parameter."
	continueInconsistent = "The provided continue parameter is too old " +
		"to display a consistent list result. You can start a new list without " +
		"the continue parameter, or use the continue token in this response to " +
		"retrieve the remainder of the results. Continuing with the provided " +
		"token results in an inconsistent list - objects that were created, " +
		"modified, or deleted between the time the first chunk was returned " +
		"and now may show up in the list."
)

// GetList implements storage.Interface. Every page is read in one bbolt
// transaction at one revision: the latest, or the revision a continue token
// or an Exact resourceVersion names, served from history.
func (s *Store) GetList(ctx context.Context, key string, opts apistorage.ListOptions, listObj runtime.Object) error {
	keyPrefix, err := s.prepareKey(key, opts.Recursive)
	if err != nil {
		return err
	}
	v, err := listItems(listObj)
	if err != nil {
		return err
	}
	newItem := newItemFunc(listObj, v)
	withRev, continueKey, err := apistorage.ValidateListOptions(keyPrefix, s.versioner, opts)
	if err != nil {
		return err
	}
	pred := opts.Predicate
	paging := pred.Limit > 0

	// Objects are decoded outside the read transaction: a transformer or codec
	// may be slow or even write, and bbolt cannot grow its file while a read
	// transaction is open. Pages after the first read the same revision.
	chunk := 0 // all of them
	if paging {
		chunk = int(pred.Limit) + 1
	}
	start := keyPrefix
	if continueKey != "" {
		start = continueKey
	}
	var readRev, count int64
	var lastKey string
	var hasMore bool
	pos := start
scan:
	for {
		var items []version
		var more bool
		items, readRev, more, err = s.readVersions(withRev, opts.ResourceVersion, len(pred.Continue) > 0, keyPrefix, pos, continueKey, opts.Recursive, chunk)
		if err != nil {
			return err
		}
		withRev = readRev
		for _, item := range items {
			if paging && int64(v.Len()) >= pred.Limit {
				hasMore = true
				break scan
			}
			lastKey = item.key
			if err := s.appendItem(ctx, item, pred, newItem, v); err != nil {
				return err
			}
		}
		if !more {
			break
		}
		pos = items[len(items)-1].key + "\x00"
		chunk = min(2*chunk, maxChunk)
	}
	if hasMore && pred.Empty() {
		if count, err = s.countVersions(readRev, keyPrefix, start, opts.Recursive); err != nil {
			return err
		}
	}
	continueValue, remaining, err := apistorage.PrepareContinueToken(lastKey, keyPrefix, readRev, count, hasMore, opts)
	if err != nil {
		return err
	}
	if v.IsNil() {
		v.Set(reflect.MakeSlice(v.Type(), 0, 0))
	}
	if err := s.versioner.UpdateList(listObj, uint64(readRev), continueValue, remaining); err != nil {
		return err
	}
	if utilfeature.DefaultFeatureGate.Enabled(features.ShardedListAndWatch) {
		pred.SetShardInfoOnList(listObj)
	}
	return nil
}

// appendItem decodes one stored version and appends it to v if it matches.
func (s *Store) appendItem(ctx context.Context, item version, pred apistorage.SelectionPredicate, newItem func() runtime.Object, v reflect.Value) error {
	data, _, err := s.transformer.TransformFromStorage(ctx, item.data, authenticatedData(item.key))
	if err != nil {
		return apistorage.NewInternalError(fmt.Errorf("unable to transform key %q: %w", item.key, err))
	}
	if err := ctx.Err(); err != nil {
		return apistorage.NewTimeoutError(item.key, "request did not complete within requested timeout")
	}
	obj := newItem()
	if _, _, err := s.codec.Decode(data, nil, obj); err != nil {
		return err
	}
	if err := s.versioner.UpdateObject(obj, uint64(item.rev)); err != nil {
		utilruntime.HandleError(fmt.Errorf("failed to set resourceVersion of %q: %w", item.key, err))
	}
	if matched, err := pred.Matches(obj); err == nil && matched {
		v.Set(reflect.Append(v, reflect.ValueOf(obj).Elem()))
	}
	return nil
}

// maxChunk bounds how many versions one read transaction copies when a
// filtered page needs more than its first chunk.
const maxChunk = 10000

// readVersions copies up to max versions (0 = all) from pos on, at revision
// rev (0 = latest, after checking minRV against it), and reports the revision
// read and whether more keys follow.
func (s *Store) readVersions(rev int64, minRV string, paging bool, keyPrefix, pos, continueKey string, recursive bool, max int) (items []version, readRev int64, more bool, err error) {
	err = s.db.bolt.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(metaBucket)
		current, compacted := readInt(meta.Get(revisionKey)), readInt(meta.Get(compactKey))
		switch {
		case rev == 0:
			if err := s.validateMinimumResourceVersion(minRV, uint64(current)); err != nil {
				return err
			}
			readRev = current
		case rev > current:
			return apistorage.NewTooLargeResourceVersionError(uint64(rev), uint64(current), 0)
		case rev < compacted:
			return compactedListError(paging, continueKey, keyPrefix)
		default:
			readRev = rev
		}
		scan := newVersionScan(tx, readRev, readRev == current, keyPrefix, pos, recursive)
		for item := range scan.all() {
			if max > 0 && len(items) == max {
				more = true
				break
			}
			item.data = bytes.Clone(item.data)
			items = append(items, item)
		}
		return scan.err
	})
	return items, readRev, more, err
}

// countVersions counts the keys from start on that exist at rev.
func (s *Store) countVersions(rev int64, keyPrefix, start string, recursive bool) (int64, error) {
	var n int64
	err := s.db.bolt.View(func(tx *bolt.Tx) error {
		current := readInt(tx.Bucket(metaBucket).Get(revisionKey))
		n = newVersionScan(tx, rev, rev == current, keyPrefix, start, recursive).count()
		return nil
	})
	return n, err
}

// compactedListError is the 410 for a list below the compacted revision. A
// continue token that expired comes back with a fresh token that continues
// from the same key at the latest revision.
func compactedListError(paging bool, continueKey, keyPrefix string) error {
	if !paging {
		return apierrors.NewResourceExpired(listExpired)
	}
	token, err := apistorage.EncodeContinue(continueKey, keyPrefix, -1)
	if err != nil {
		utilruntime.HandleError(err)
		return apierrors.NewResourceExpired(continueExpired)
	}
	status := apierrors.NewResourceExpired(continueInconsistent)
	status.ErrStatus.ListMeta.Continue = token
	return status
}

// version is one key's value at a revision. data aliases bbolt memory and is
// valid only inside the transaction.
type version struct {
	key  string
	rev  int64
	data []byte
}

// versionScan walks the keys under a prefix (or one key) in order, yielding
// each key's newest version at or below rev. For the latest revision it
// reads kvBucket directly; for older ones it reads the history.
type versionScan struct {
	tx        *bolt.Tx
	rev       int64
	latest    bool
	prefix    []byte
	start     []byte
	recursive bool
	err       error
}

func newVersionScan(tx *bolt.Tx, rev int64, latest bool, prefix, start string, recursive bool) *versionScan {
	return &versionScan{tx: tx, rev: rev, latest: latest, prefix: []byte(prefix), start: []byte(start), recursive: recursive}
}

func (sc *versionScan) all() func(yield func(version) bool) {
	if sc.latest {
		return sc.latestVersions
	}
	return sc.historicVersions
}

func (sc *versionScan) count() int64 {
	var n int64
	for range sc.all() {
		n++
	}
	return n
}

func (sc *versionScan) inRange(key []byte) bool {
	if sc.recursive {
		return bytes.HasPrefix(key, sc.prefix)
	}
	return bytes.Equal(key, sc.prefix)
}

func (sc *versionScan) latestVersions(yield func(version) bool) {
	kv, log := sc.tx.Bucket(kvBucket), sc.tx.Bucket(logBucket)
	emit := func(k, raw []byte) bool {
		rec, err := decodeRecord(raw)
		if err == nil {
			var data []byte
			if data, err = valueAt(log, rec.modRev); err == nil {
				return yield(version{key: string(k), rev: rec.modRev, data: data})
			}
		}
		sc.err = fmt.Errorf("key %q: %w", k, err)
		return false
	}
	if !sc.recursive {
		if raw := kv.Get(sc.prefix); raw != nil {
			emit(sc.prefix, raw)
		}
		return
	}
	c := kv.Cursor()
	for k, raw := c.Seek(sc.start); k != nil && sc.inRange(k); k, raw = c.Next() {
		if !emit(k, raw) {
			return
		}
	}
}

func (sc *versionScan) historicVersions(yield func(version) bool) {
	log := sc.tx.Bucket(logBucket)
	c := sc.tx.Bucket(histBucket).Cursor()
	var curKey []byte
	var curRev int64 // newest put at or below sc.rev of curKey; 0 if none
	flush := func() bool {
		if curRev == 0 {
			return true
		}
		rev := curRev
		curRev = 0
		data, err := valueAt(log, rev)
		if err != nil {
			sc.err = fmt.Errorf("key %q: %w", curKey, err)
			return false
		}
		return yield(version{key: string(curKey), rev: rev, data: data})
	}
	for k, kind := c.Seek(sc.start); k != nil; k, kind = c.Next() {
		key, rev := splitHistKey(k)
		if bytes.Compare(key, sc.start) < 0 {
			continue // versions of the key the continue token ended on
		}
		if !sc.inRange(key) {
			break
		}
		if !bytes.Equal(key, curKey) {
			if !flush() {
				return
			}
			curKey = append(curKey[:0], key...)
		}
		if rev > sc.rev {
			continue
		}
		curRev = 0
		if len(kind) > 0 && kind[0] == versionPut {
			curRev = rev
		}
	}
	flush()
}

func unsafeDeletionAllowed() bool {
	return utilfeature.DefaultFeatureGate.Enabled(features.AllowUnsafeMalformedObjectDeletion)
}
