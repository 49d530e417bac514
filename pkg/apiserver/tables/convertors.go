package tables

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
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

// Convertors hands out the table convertor of each served resource. It exists so that all
// of a cluster's convertors share one clock: tests inject a fake one to get stable Age
// cells, and several clusters in one process never share state.
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

// LimitRanges returns the convertor for core/v1 LimitRanges. kube-apiserver has no printer
// for them and falls back to the apiserver's default table, NAME and CREATED AT (an
// absolute RFC 3339 time in UTC), so this does too.
func (c *Convertors) LimitRanges() Convertor {
	columns := []metav1.TableColumnDefinition{
		nameColumn(),
		{Name: "Created At", Type: "date", Description: "When the object was created."},
	}
	return convertor(c.clock, columns, func(lr *corev1.LimitRange, _ time.Time) []any {
		return []any{lr.Name, lr.CreationTimestamp.UTC().Format(time.RFC3339)}
	}, func(l *corev1.LimitRangeList) []*corev1.LimitRange { return pointers(l.Items) })
}
