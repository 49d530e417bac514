package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	bolt "go.etcd.io/bbolt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/watch"
	apistorage "k8s.io/apiserver/pkg/storage"
	"k8s.io/apiserver/pkg/storage/value"
	"k8s.io/apiserver/pkg/storage/value/encrypt/identity"
	utilflowcontrol "k8s.io/apiserver/pkg/util/flowcontrol"
)

// Config describes one resource's view of the DB, as
// storagebackend.ConfigForResource does for etcd.
type Config struct {
	// Codec encodes objects for storage and decodes them back.
	Codec runtime.Codec
	// NewFunc and NewListFunc make empty objects of the resource; NewFunc is
	// needed for bookmark events.
	NewFunc, NewListFunc func() runtime.Object
	// Prefix is prepended to every key, e.g. "/registry". May be empty.
	Prefix string
	// ResourcePrefix is the part of every key the Store accepts, e.g. "/pods".
	ResourcePrefix string
	// GroupResource names the resource in errors.
	GroupResource schema.GroupResource
	// Transformer turns encoded objects into stored bytes and back
	// (encryption at rest). Nil stores them unchanged.
	Transformer value.Transformer
	// Versioner maps revisions to resourceVersions. Nil means
	// storage.APIObjectVersioner.
	Versioner apistorage.Versioner
}

// Store is one resource's storage.Interface over a DB.
type Store struct {
	db             *DB
	codec          runtime.Codec
	versioner      apistorage.Versioner
	transformer    value.Transformer
	pathPrefix     string
	resourcePrefix string
	groupResource  schema.GroupResource
	newFunc        func() runtime.Object
	newListFunc    func() runtime.Object

	sizeMu        sync.RWMutex
	sizeEstimates bool

	// closed is cancelled by Close. The DB outlives its Stores (the CRD
	// server replaces a resource's Store whenever its definition changes),
	// so a Store's watches must be able to end without the DB's.
	closed context.Context
	close  context.CancelFunc
}

var _ apistorage.Interface = (*Store)(nil)

// authenticatedData binds stored bytes to their key, as kube-apiserver does,
// so an encrypting transformer rejects a value moved to another key.
type authenticatedData string

func (d authenticatedData) AuthenticatedData() []byte { return []byte(d) }

// NewStore returns the storage.Interface for one resource.
func (db *DB) NewStore(cfg Config) (*Store, error) {
	if cfg.Codec == nil {
		return nil, errors.New("storage config: a codec is required")
	}
	if cfg.NewListFunc == nil {
		return nil, errors.New("storage config: NewListFunc is required")
	}
	s := &Store{
		db:             db,
		codec:          cfg.Codec,
		versioner:      cfg.Versioner,
		transformer:    cfg.Transformer,
		pathPrefix:     pathPrefix(cfg.Prefix),
		resourcePrefix: cfg.ResourcePrefix,
		groupResource:  cfg.GroupResource,
		newFunc:        cfg.NewFunc,
		newListFunc:    cfg.NewListFunc,
	}
	s.closed, s.close = context.WithCancel(context.Background())
	if s.versioner == nil {
		s.versioner = apistorage.APIObjectVersioner{}
	}
	if s.transformer == nil {
		s.transformer = identity.NewEncryptCheckTransformer()
	}
	return s, nil
}

// Close ends the Store's watches, now and any started later, as tearing
// down an etcd3 store closes its client's watch channels; clients resume
// from the last resourceVersion they saw on whichever Store replaced it.
// Reads and writes keep working: they hold nothing a Store owns. Close is
// idempotent, as a factory.DestroyFunc must be.
func (s *Store) Close() { s.close() }

// pathPrefix makes the key prefix end in exactly one "/" so keys join cleanly.
func pathPrefix(prefix string) string {
	p := "/" + strings.Trim(prefix, "/")
	if p != "/" {
		p += "/"
	}
	return p
}

func (s *Store) prepareKey(key string, recursive bool) (string, error) {
	key, err := apistorage.PrepareKey(s.resourcePrefix, key, recursive)
	if err != nil {
		return "", err
	}
	if strings.IndexByte(key, 0) >= 0 {
		return "", fmt.Errorf("invalid key: %q contains a NUL byte", key)
	}
	return s.pathPrefix + strings.TrimPrefix(key, "/"), nil
}

// Versioner implements storage.Interface.
func (s *Store) Versioner() apistorage.Versioner { return s.versioner }

// ReadinessCheck implements storage.Interface: the DB is ready while open.
func (s *Store) ReadinessCheck() error {
	select {
	case <-s.db.stopped.Done():
		return ErrClosed
	default:
		return nil
	}
}

// CompactRevision implements storage.Interface.
func (s *Store) CompactRevision() int64 { return s.db.CompactRevision() }

// GetCurrentResourceVersion implements storage.Interface.
func (s *Store) GetCurrentResourceVersion(ctx context.Context) (uint64, error) {
	return uint64(s.db.Revision()), nil
}

// RequestWatchProgress implements storage.Interface: every open watch gets a
// bookmark at the current revision, as etcd's progress request does.
func (s *Store) RequestWatchProgress(ctx context.Context) error {
	s.db.hub.notifyProgress(true)
	return nil
}

// EnableResourceSizeEstimation implements storage.Interface. Sizes are
// computed exactly from the stored bytes, so the key function is not needed.
func (s *Store) EnableResourceSizeEstimation(getKeys apistorage.KeysFunc) error {
	if getKeys == nil {
		return errors.New("KeysFunc cannot be nil")
	}
	s.sizeMu.Lock()
	defer s.sizeMu.Unlock()
	if s.sizeEstimates {
		return errors.New("resource size estimation already enabled")
	}
	s.sizeEstimates = true
	return nil
}

// Stats implements storage.Interface.
func (s *Store) Stats(ctx context.Context) (apistorage.Stats, error) {
	prefix, err := s.prepareKey(s.resourcePrefix, true)
	if err != nil {
		return apistorage.Stats{}, err
	}
	s.sizeMu.RLock()
	withSize := s.sizeEstimates
	s.sizeMu.RUnlock()
	var count, size int64
	err = s.db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(kvBucket).Cursor()
		p := []byte(prefix)
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			rec, err := decodeRecord(v)
			if err != nil {
				return fmt.Errorf("key %q: %w", k, err)
			}
			count++
			size += rec.size
		}
		return nil
	})
	if err != nil {
		return apistorage.Stats{}, err
	}
	stats := apistorage.Stats{ObjectCount: count}
	if withSize && count > 0 {
		stats.EstimatedAverageObjectSizeBytes = size / count
	}
	return stats, nil
}

// Get implements storage.Interface. Like the etcd3 store it reads the latest
// value; opts.ResourceVersion is only a lower bound.
func (s *Store) Get(ctx context.Context, key string, opts apistorage.GetOptions, out runtime.Object) error {
	preparedKey, err := s.prepareKey(key, false)
	if err != nil {
		return err
	}
	val, found, rev, err := s.readLatest(preparedKey)
	if err != nil {
		return err
	}
	if err := s.validateMinimumResourceVersion(opts.ResourceVersion, uint64(rev)); err != nil {
		return err
	}
	if !found {
		if opts.IgnoreNotFound {
			return runtime.SetZeroValue(out)
		}
		return apistorage.NewKeyNotFoundError(preparedKey, 0)
	}
	data, _, err := s.transformer.TransformFromStorage(ctx, val.data, authenticatedData(preparedKey))
	if err != nil {
		return apistorage.NewInternalError(err)
	}
	return s.decode(data, out, val.rev)
}

// storedValue is a copy of a key's stored bytes and their revision.
type storedValue struct {
	rev  int64
	data []byte
}

// readLatest returns a copy of key's latest value and the DB revision it was
// read at.
func (s *Store) readLatest(key string) (val storedValue, found bool, rev int64, err error) {
	err = s.db.bolt.View(func(tx *bolt.Tx) error {
		rev = readInt(tx.Bucket(metaBucket).Get(revisionKey))
		raw := tx.Bucket(kvBucket).Get([]byte(key))
		if raw == nil {
			return nil
		}
		rec, err := decodeRecord(raw)
		if err != nil {
			return err
		}
		data, err := valueAt(tx.Bucket(logBucket), rec.modRev)
		if err != nil {
			return err
		}
		val, found = storedValue{rev: rec.modRev, data: bytes.Clone(data)}, true
		return nil
	})
	return val, found, rev, err
}

func (s *Store) decode(data []byte, into runtime.Object, rev int64) error {
	if _, err := conversion.EnforcePtr(into); err != nil {
		return fmt.Errorf("unable to convert output object to pointer: %w", err)
	}
	if _, _, err := s.codec.Decode(data, nil, into); err != nil {
		return err
	}
	return s.versioner.UpdateObject(into, uint64(rev))
}

func (s *Store) validateMinimumResourceVersion(minimum string, actual uint64) error {
	if minimum == "" {
		return nil
	}
	minRV, err := s.versioner.ParseResourceVersion(minimum)
	if err != nil {
		return apierrors.NewBadRequest(fmt.Sprintf("invalid resource version: %v", err))
	}
	if minRV > actual {
		return apistorage.NewTooLargeResourceVersionError(minRV, actual, 0)
	}
	return nil
}

// Create implements storage.Interface.
func (s *Store) Create(ctx context.Context, key string, obj, out runtime.Object, ttl uint64) error {
	preparedKey, err := s.prepareKey(key, false)
	if err != nil {
		return err
	}
	if version, err := s.versioner.ObjectResourceVersion(obj); err == nil && version != 0 {
		return apistorage.ErrResourceVersionSetOnCreate
	}
	if err := s.versioner.PrepareObjectForStorage(obj); err != nil {
		return fmt.Errorf("PrepareObjectForStorage failed: %w", err)
	}
	data, err := runtime.Encode(s.codec, obj)
	if err != nil {
		return err
	}
	stored, err := s.transformer.TransformToStorage(ctx, data, authenticatedData(preparedKey))
	if err != nil {
		return apistorage.NewInternalError(err)
	}
	op := newPut([]byte(preparedKey), stored, 0, ttl)
	if err := s.db.submit(op); err != nil {
		return err
	}
	if !op.succeeded {
		return apistorage.NewKeyExistsError(preparedKey, 0)
	}
	if out != nil {
		return s.decode(data, out, op.rev)
	}
	return nil
}

// objState is what Delete and GuaranteedUpdate know about a key: its decoded
// object, revision and the bytes it decoded from.
type objState struct {
	obj   runtime.Object
	meta  apistorage.ResponseMeta
	rev   int64
	data  []byte
	stale bool
}

// Delete implements storage.Interface with the etcd3 store's contract: check
// preconditions and validateDeletion against the latest state (starting from
// cachedExistingObject if given), then delete only if the key is unchanged.
func (s *Store) Delete(ctx context.Context, key string, out runtime.Object, preconditions *apistorage.Preconditions,
	validateDeletion apistorage.ValidateObjectFunc, cachedExistingObject runtime.Object, opts apistorage.DeleteOptions) error {
	preparedKey, err := s.prepareKey(key, false)
	if err != nil {
		return err
	}
	v, err := conversion.EnforcePtr(out)
	if err != nil {
		return fmt.Errorf("unable to convert output object to pointer: %w", err)
	}
	expectCorrupt := opts.ExpectTransformOrDecodeError && unsafeDeletionAllowed()
	getCurrent := func() (*objState, error) {
		return s.currentState(ctx, preparedKey, v, false, expectCorrupt)
	}

	if expectCorrupt {
		cachedExistingObject = nil // only the stored bytes can prove corruption
	}
	st, stIsCurrent, err := s.firstState(cachedExistingObject, getCurrent)
	if err != nil {
		return err
	}
	for {
		checkErr := preconditions.Check(preparedKey, st.obj)
		if checkErr == nil {
			checkErr = validateDeletion(ctx, st.obj)
		}
		if checkErr != nil {
			if st, err = recheck(st, stIsCurrent, checkErr, getCurrent); err != nil {
				return err
			}
			stIsCurrent = true
			continue
		}
		op := newDelete([]byte(preparedKey), st.rev)
		if err := s.db.submit(op); err != nil {
			return err
		}
		if !op.succeeded {
			if st, err = s.stateFromRecord(ctx, preparedKey, op.current, v, false, expectCorrupt); err != nil {
				return err
			}
			stIsCurrent = true
			continue
		}
		if expectCorrupt {
			return nil
		}
		return s.decode(st.data, out, op.rev)
	}
}

// GuaranteedUpdate implements storage.Interface: call tryUpdate on the latest
// state and compare-and-swap the result, retrying on conflict. The write lock
// is never held while tryUpdate runs. An update that encodes to the stored
// bytes writes nothing and keeps the revision.
func (s *Store) GuaranteedUpdate(ctx context.Context, key string, destination runtime.Object, ignoreNotFound bool,
	preconditions *apistorage.Preconditions, tryUpdate apistorage.UpdateFunc, cachedExistingObject runtime.Object) error {
	preparedKey, err := s.prepareKey(key, false)
	if err != nil {
		return err
	}
	v, err := conversion.EnforcePtr(destination)
	if err != nil {
		return fmt.Errorf("unable to convert output object to pointer: %w", err)
	}
	getCurrent := func() (*objState, error) {
		return s.currentState(ctx, preparedKey, v, ignoreNotFound, false)
	}
	st, stIsCurrent, err := s.firstState(cachedExistingObject, getCurrent)
	if err != nil {
		return err
	}
	for {
		ret, ttl, updateErr := s.runUpdate(preparedKey, st, preconditions, tryUpdate)
		if updateErr != nil {
			if st, err = recheck(st, stIsCurrent, updateErr, getCurrent); err != nil {
				return err
			}
			stIsCurrent = true
			continue
		}
		data, err := runtime.Encode(s.codec, ret)
		if err != nil {
			return err
		}
		if !st.stale && bytes.Equal(data, st.data) {
			if !stIsCurrent {
				if st, err = getCurrent(); err != nil {
					return err
				}
				stIsCurrent = true
				if !bytes.Equal(data, st.data) {
					continue
				}
			}
			if !st.stale {
				return s.decode(st.data, destination, st.rev)
			}
		}
		stored, err := s.transformer.TransformToStorage(ctx, data, authenticatedData(preparedKey))
		if err != nil {
			return apistorage.NewInternalError(err)
		}
		op := newPut([]byte(preparedKey), stored, st.rev, ttl)
		if err := s.db.submit(op); err != nil {
			return err
		}
		if !op.succeeded {
			if st, err = s.stateFromRecord(ctx, preparedKey, op.current, v, ignoreNotFound, false); err != nil {
				return err
			}
			stIsCurrent = true
			continue
		}
		return s.decode(data, destination, op.rev)
	}
}

// firstState starts from the cached object when there is one, which saves
// a read; recheck and the compare-and-swap catch it being stale.
func (s *Store) firstState(cached runtime.Object, getCurrent func() (*objState, error)) (st *objState, isCurrent bool, err error) {
	if cached != nil {
		st, err = s.stateFromObject(cached)
		return st, false, err
	}
	st, err = getCurrent()
	return st, true, err
}

// recheck handles a failed check (preconditions, validation, the update
// function) on st. A failure on the current state stands. A failure on a
// cached state is retried on the current one, unless re-reading shows the
// cache was not stale after all.
func recheck(st *objState, isCurrent bool, failure error, getCurrent func() (*objState, error)) (*objState, error) {
	if isCurrent {
		return nil, failure
	}
	cur, err := getCurrent()
	if err != nil {
		return nil, err
	}
	if cur.rev == st.rev {
		return nil, failure
	}
	return cur, nil
}

func (s *Store) runUpdate(key string, st *objState, preconditions *apistorage.Preconditions, tryUpdate apistorage.UpdateFunc) (runtime.Object, uint64, error) {
	if err := preconditions.Check(key, st.obj); err != nil {
		return nil, 0, err
	}
	ret, ttl, err := tryUpdate(st.obj, st.meta)
	if err != nil {
		return nil, 0, err
	}
	if err := s.versioner.PrepareObjectForStorage(ret); err != nil {
		return nil, 0, fmt.Errorf("PrepareObjectForStorage failed: %w", err)
	}
	if ttl == nil {
		return ret, 0, nil
	}
	return ret, *ttl, nil
}

func (s *Store) currentState(ctx context.Context, key string, v reflect.Value, ignoreNotFound, expectCorrupt bool) (*objState, error) {
	val, found, _, err := s.readLatest(key)
	if err != nil {
		return nil, err
	}
	if !found {
		return s.stateFromRecord(ctx, key, nil, v, ignoreNotFound, expectCorrupt)
	}
	return s.stateFromRecord(ctx, key, &val, v, ignoreNotFound, expectCorrupt)
}

// stateFromRecord decodes rec (nil when the key is absent). When
// expectCorrupt is set, the object must fail to transform or decode: a
// healthy object is refused, since unsafe deletion is only for broken ones.
func (s *Store) stateFromRecord(ctx context.Context, key string, rec *storedValue, v reflect.Value, ignoreNotFound, expectCorrupt bool) (*objState, error) {
	st := &objState{}
	if u, ok := v.Addr().Interface().(runtime.Unstructured); ok {
		st.obj = u.NewEmptyInstance()
	} else {
		st.obj = reflect.New(v.Type()).Interface().(runtime.Object)
	}
	if rec == nil {
		if !ignoreNotFound {
			return nil, apistorage.NewKeyNotFoundError(key, 0)
		}
		if err := runtime.SetZeroValue(st.obj); err != nil {
			return nil, err
		}
		return st, nil
	}
	st.rev = rec.rev
	st.meta.ResourceVersion = uint64(rec.rev)
	data, stale, err := s.transformer.TransformFromStorage(ctx, rec.data, authenticatedData(key))
	if err != nil {
		if !expectCorrupt {
			return nil, apistorage.NewInternalError(err)
		}
		st.obj, st.stale = nil, true
		return st, nil
	}
	st.data, st.stale = data, stale
	if err := s.decode(data, st.obj, rec.rev); err != nil {
		if !expectCorrupt {
			return nil, err
		}
		st.obj = nil
		return st, nil
	}
	if expectCorrupt {
		return nil, apistorage.NewInvalidObjError(key, "unsafe deletion is not allowed because the object is decodable from storage")
	}
	return st, nil
}

// stateFromObject trusts a cached object; the loops above re-read the
// current state if anything about it turns out to be stale.
func (s *Store) stateFromObject(obj runtime.Object) (*objState, error) {
	rv, err := s.versioner.ObjectResourceVersion(obj)
	if err != nil {
		return nil, fmt.Errorf("couldn't get resource version: %w", err)
	}
	st := &objState{obj: obj, rev: int64(rv), meta: apistorage.ResponseMeta{ResourceVersion: rv}}
	if err := s.versioner.PrepareObjectForStorage(obj); err != nil {
		return nil, fmt.Errorf("PrepareObjectForStorage failed: %w", err)
	}
	if st.data, err = runtime.Encode(s.codec, obj); err != nil {
		return nil, err
	}
	if err := s.versioner.UpdateObject(st.obj, rv); err != nil {
		utilruntime.HandleError(fmt.Errorf("failed to update object version: %w", err))
	}
	return st, nil
}

// Watch implements storage.Interface.
func (s *Store) Watch(ctx context.Context, key string, opts apistorage.ListOptions) (watch.Interface, error) {
	preparedKey, err := s.prepareKey(key, opts.Recursive)
	if err != nil {
		return nil, err
	}
	rev, err := s.versioner.ParseResourceVersion(opts.ResourceVersion)
	if err != nil {
		return nil, err
	}
	if opts.ProgressNotify && s.newFunc == nil {
		return nil, apierrors.NewInternalError(errors.New("progressNotify for watch is unsupported by the storage because no newFunc was provided"))
	}
	w := s.startWatch(ctx, preparedKey, int64(rev), opts)
	// Like the etcd3 store, report the watch initialised at once, so API
	// priority and fairness stops counting it as an in-flight request.
	utilflowcontrol.WatchInitialized(ctx)
	return w, nil
}

// newItemFunc makes list items of the list's element type, keeping the
// apiVersion of unstructured lists.
func newItemFunc(listObj runtime.Object, v reflect.Value) func() runtime.Object {
	if ul, ok := listObj.(*unstructured.UnstructuredList); ok {
		if apiVersion := ul.GetAPIVersion(); apiVersion != "" {
			return func() runtime.Object {
				return &unstructured.Unstructured{Object: map[string]interface{}{"apiVersion": apiVersion}}
			}
		}
	}
	elem := v.Type().Elem()
	return func() runtime.Object {
		return reflect.New(elem).Interface().(runtime.Object)
	}
}

// listItems returns a pointer-to-slice value for listObj's Items.
func listItems(listObj runtime.Object) (reflect.Value, error) {
	listPtr, err := meta.GetItemsPtr(listObj)
	if err != nil {
		return reflect.Value{}, err
	}
	v, err := conversion.EnforcePtr(listPtr)
	if err != nil || v.Kind() != reflect.Slice {
		return reflect.Value{}, fmt.Errorf("need ptr to slice: %v", err)
	}
	return v, nil
}
