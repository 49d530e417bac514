package tables

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/clock"
)

// Convertor turns an object of one resource, or a list of them, into the Table that
// `kubectl get` prints. It has exactly the method set of TableConvertor in
// k8s.io/apiserver/pkg/registry/rest, so a registry assigns it to
// genericregistry.Store.TableConvertor as is; it is declared here so this package does not
// pull in the registry package and its dependencies.
type Convertor interface {
	// ConvertToTable renders object, a single object or a list, as a Table. tableOptions
	// is nil or a *metav1.TableOptions; with NoHeaders the column definitions are left out.
	ConvertToTable(ctx context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error)
}

var (
	// ErrUnsupportedObject is returned by ConvertToTable when the object is neither the
	// convertor's resource type nor its list type (or is a nil pointer). A registry that
	// hands a convertor the wrong type has a wiring bug; the apiserver reports it as an
	// internal error, as kube-apiserver does for a type without a printer.
	ErrUnsupportedObject = errors.New("no table convertor for this object type")

	// ErrUnsupportedTableOptions is returned by ConvertToTable when tableOptions is set but
	// is not a *metav1.TableOptions, the only type the apiserver's handler passes.
	ErrUnsupportedTableOptions = errors.New("unsupported table options type")
)

// Convertors is what the table convertors of one cluster share: the clock their Age cells
// are measured against. Tests inject a fake one to get stable cells, and several clusters
// in one process never share state. Each resource builds its convertor from it with
// NewConvertor.
type Convertors struct {
	clock clock.PassiveClock
}

// New returns the convertors for a cluster whose Age cells are measured against clk. A nil
// clk means the real clock, so callers that do not care need not import one.
func New(clk clock.PassiveClock) *Convertors {
	if clk == nil {
		clk = clock.RealClock{}
	}
	return &Convertors{clock: clk}
}

// RowFunc renders the cells of one object, in column order. now is the time Age-like
// cells are measured against, the same for every row of a table.
type RowFunc[T runtime.Object] func(obj T, now time.Time) []any

// TypedConvertor is the Convertor of one resource type T and its list type L. It does
// what every resource's table has in common (the type switch, list metadata, one row per
// item carrying the item itself, NoHeaders), so that a resource only says what its columns
// and cells are.
type TypedConvertor[T, L runtime.Object] struct {
	clock   clock.PassiveClock
	columns []metav1.TableColumnDefinition
	row     RowFunc[T]

	// Conditions, when set, returns the row conditions of an object. kube-apiserver sets
	// them only for pods; set it before the convertor is first used.
	Conditions func(T) []metav1.TableRowCondition
}

var _ Convertor = (*TypedConvertor[*corev1.Pod, *corev1.PodList])(nil)

// NewConvertor returns the Convertor for resource type T whose list type is L, with Age
// cells measured against c's clock. columns are the column definitions, wide (priority 1)
// ones included; row renders one object's cells in that order. A list's rows are its
// Items in order, each rendered in place (row gets a pointer into the list, not a copy).
//
// L comes first so that a table names only its list type and T follows from row:
//
//	tables.NewConvertor[*corev1.ConfigMapList](t, columns, func(cm *corev1.ConfigMap, now time.Time) []any { ... })
func NewConvertor[L, T runtime.Object](c *Convertors, columns []metav1.TableColumnDefinition, row RowFunc[T]) *TypedConvertor[T, L] {
	return &TypedConvertor[T, L]{clock: c.clock, columns: columns, row: row}
}

// Object is what a name-and-age table renders: an API object with metadata.
type Object interface {
	runtime.Object
	metav1.Object
}

// NewNameAgeConvertor is NewConvertor for the shape most tables have: NAME, the
// resource's own columns, AGE. It adds those two columns and their cells (the object's
// name, and Age of its creation) around columns and cells, so that a table states only
// what is its own; cells renders the cells of columns, in order.
func NewNameAgeConvertor[L runtime.Object, T Object](c *Convertors, columns []metav1.TableColumnDefinition, cells func(T) []any) *TypedConvertor[T, L] {
	all := append(append([]metav1.TableColumnDefinition{NameColumn()}, columns...), AgeColumn())
	return NewConvertor[L](c, all, func(obj T, now time.Time) []any {
		return append(append([]any{obj.GetName()}, cells(obj)...), Age(obj.GetCreationTimestamp(), now))
	})
}

// ConvertToTable implements Convertor.
func (c *TypedConvertor[T, L]) ConvertToTable(_ context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	noHeaders, err := noHeaders(tableOptions)
	if err != nil {
		return nil, err
	}
	if isNilPointer(object) {
		return nil, fmt.Errorf("%w: nil %T", ErrUnsupportedObject, object)
	}
	now := c.clock.Now()
	table := &metav1.Table{}
	switch obj := object.(type) {
	case T:
		table.Rows = []metav1.TableRow{c.tableRow(obj, now)}
		// A single object has no list metadata; kube-apiserver reports its resourceVersion.
		if m, err := meta.CommonAccessor(obj); err == nil {
			table.ResourceVersion = m.GetResourceVersion()
		}
	case L:
		items, err := listItems[T](obj)
		if err != nil {
			return nil, err
		}
		table.Rows = make([]metav1.TableRow, 0, len(items))
		for _, item := range items {
			table.Rows = append(table.Rows, c.tableRow(item, now))
		}
		if m, err := meta.ListAccessor(obj); err == nil {
			table.ResourceVersion = m.GetResourceVersion()
			table.Continue = m.GetContinue()
			table.RemainingItemCount = m.GetRemainingItemCount()
		}
	default:
		var t T
		var l L
		return nil, fmt.Errorf("%w: got %T, want %T or %T", ErrUnsupportedObject, object, t, l)
	}
	if !noHeaders {
		// A copy, so that a caller editing one table cannot change the next.
		table.ColumnDefinitions = slices.Clone(c.columns)
	}
	return table, nil
}

func (c *TypedConvertor[T, L]) tableRow(obj T, now time.Time) metav1.TableRow {
	row := metav1.TableRow{
		Cells:  c.row(obj, now),
		Object: runtime.RawExtension{Object: obj},
	}
	if c.Conditions != nil {
		row.Conditions = c.Conditions(obj)
	}
	return row
}

// listItems returns pointers to the Items of list, which every API list type has, so
// that no table has to spell out how to reach them. It takes them by reflection, as
// meta.ExtractList does for the apiserver's other list handling; an item that is not a T
// is a wiring bug (the convertor's list type does not hold its row type).
func listItems[T runtime.Object](list runtime.Object) ([]T, error) {
	objs, err := meta.ExtractList(list)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnsupportedObject, err)
	}
	items := make([]T, len(objs))
	for i, obj := range objs {
		item, ok := obj.(T)
		if !ok {
			return nil, fmt.Errorf("%w: %T holds %T, want %T", ErrUnsupportedObject, list, obj, item)
		}
		items[i] = item
	}
	return items, nil
}

// noHeaders reports whether the request asked for rows without column definitions, which
// the apiserver does for every watch event after the first.
func noHeaders(tableOptions runtime.Object) (bool, error) {
	if tableOptions == nil {
		return false, nil
	}
	opts, ok := tableOptions.(*metav1.TableOptions)
	if !ok {
		return false, fmt.Errorf("%w: %T", ErrUnsupportedTableOptions, tableOptions)
	}
	return opts != nil && opts.NoHeaders, nil
}

func isNilPointer(obj runtime.Object) bool {
	if obj == nil {
		return true
	}
	v := reflect.ValueOf(obj)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
