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
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/utils/clock"
)

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

// rowFunc renders the cells of one object, in column order. now is the time Age-like
// cells are measured against.
type rowFunc[T runtime.Object] func(obj T, now time.Time) []any

// tableConvertor turns one resource type T, or its list type L, into a Table.
type tableConvertor[T, L runtime.Object] struct {
	clock   clock.PassiveClock
	columns []metav1.TableColumnDefinition
	row     rowFunc[T]
	items   func(L) []T
	// conditions, when set, returns the row conditions of an object (only pods have any).
	conditions func(T) []metav1.TableRowCondition
}

var _ Convertor = (*tableConvertor[*corev1.Pod, *corev1.PodList])(nil)

// convertor returns a Convertor for resource type T whose list type is L. items
// returns pointers to the list's items in order.
func convertor[T, L runtime.Object](clk clock.PassiveClock, columns []metav1.TableColumnDefinition, row rowFunc[T], items func(L) []T) *tableConvertor[T, L] {
	return &tableConvertor[T, L]{clock: clk, columns: columns, row: row, items: items}
}

// ConvertToTable implements Convertor.
func (c *tableConvertor[T, L]) ConvertToTable(_ context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
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
		items := c.items(obj)
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

func (c *tableConvertor[T, L]) tableRow(obj T, now time.Time) metav1.TableRow {
	row := metav1.TableRow{
		Cells:  c.row(obj, now),
		Object: runtime.RawExtension{Object: obj},
	}
	if c.conditions != nil {
		row.Conditions = c.conditions(obj)
	}
	return row
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

// pointers returns a pointer to each element of items, so list items can be rendered by
// the same function as single objects without copying them.
func pointers[E any, P interface {
	*E
	runtime.Object
}](items []E) []P {
	out := make([]P, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}

// age renders the time since ts the way kubectl users expect ("5s", "3m2s", "2d3h");
// "<unknown>" when ts is not set.
func age(ts metav1.Time, now time.Time) string {
	if ts.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(ts.Time))
}

// microAge is age for the MicroTime fields of events.
func microAge(ts metav1.MicroTime, now time.Time) string {
	if ts.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(ts.Time))
}

// noneIfEmpty returns "<none>" for an empty cell, the placeholder kubectl users know.
func noneIfEmpty(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// column definitions shared by most resources.

func nameColumn() metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: "Name", Type: "string", Format: "name", Description: "Name of the object, unique within its namespace (or the cluster)."}
}

func ageColumn() metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: "Age", Type: "string", Description: "Time since the object was created."}
}
