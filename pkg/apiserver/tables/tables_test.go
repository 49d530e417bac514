package tables

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clocktesting "k8s.io/utils/clock/testing"
)

// now is the pinned time every Age cell is measured against.
var now = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

func ago(d time.Duration) metav1.Time { return metav1.NewTime(now.Add(-d)) }

func testConvertors() *Convertors {
	return New(clocktesting.NewFakePassiveClock(now))
}

// nameAgeTable is a convertor with NAME and AGE columns for any resource, enough to test
// what every resource's table shares; the tables themselves are tested in the registry
// folders.
func nameAgeTable[L runtime.Object, T Object](c *Convertors) *TypedConvertor[T, L] {
	return NewNameAgeConvertor[L](c, nil, func(T) []any { return nil })
}

// The resource's own columns and cells go between NAME and AGE.
func TestNameAgeConvertor(t *testing.T) {
	t.Parallel()
	conv := NewNameAgeConvertor[*corev1.NodeList](testConvertors(), []metav1.TableColumnDefinition{
		{Name: "Kubelet", Type: "string"}, {Name: "Unschedulable", Type: "string"},
	}, func(n *corev1.Node) []any { return []any{n.Status.NodeInfo.KubeletVersion, n.Spec.Unschedulable} })
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "n", CreationTimestamp: ago(time.Minute)},
		Spec:       corev1.NodeSpec{Unschedulable: true},
		Status:     corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{KubeletVersion: "v1"}},
	}
	table, err := conv.ConvertToTable(context.Background(), &corev1.NodeList{Items: []corev1.Node{*node}}, nil)
	if err != nil {
		t.Fatalf("ConvertToTable: %v", err)
	}
	var names []string
	for _, c := range table.ColumnDefinitions {
		names = append(names, c.Name)
	}
	if diff := cmp.Diff([]string{"Name", "Kubelet", "Unschedulable", "Age"}, names); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]any{"n", "v1", true, "60s"}, table.Rows[0].Cells); diff != "" {
		t.Errorf("cells (-want +got):\n%s", diff)
	}
}

func podTable(c *Convertors) *TypedConvertor[*corev1.Pod, *corev1.PodList] {
	return nameAgeTable[*corev1.PodList, *corev1.Pod](c)
}

func TestConvertErrors(t *testing.T) {
	t.Parallel()
	c := testConvertors()
	pods := podTable(c)
	services := nameAgeTable[*corev1.ServiceList, *corev1.Service](c)
	eventsV1 := nameAgeTable[*eventsv1.EventList, *eventsv1.Event](c)
	nodes := nameAgeTable[*corev1.NodeList, *corev1.Node](c)
	// A wiring bug: the list type does not hold the row type.
	nodesOfPodList := nameAgeTable[*corev1.PodList, *corev1.Node](c)
	tests := []struct {
		name    string
		conv    Convertor
		obj     runtime.Object
		opts    runtime.Object
		wantErr error
	}{
		{name: "object of another resource", conv: pods, obj: &corev1.Node{}, wantErr: ErrUnsupportedObject},
		{name: "list of another resource", conv: services, obj: &corev1.PodList{}, wantErr: ErrUnsupportedObject},
		{name: "core event given to the events.k8s.io convertor", conv: eventsV1, obj: &corev1.Event{}, wantErr: ErrUnsupportedObject},
		{name: "nil interface", conv: nodes, obj: nil, wantErr: ErrUnsupportedObject},
		{name: "nil pointer of the right type", conv: pods, obj: (*corev1.Pod)(nil), wantErr: ErrUnsupportedObject},
		{name: "nil list pointer", conv: pods, obj: (*corev1.PodList)(nil), wantErr: ErrUnsupportedObject},
		{name: "list whose items are not the row type", conv: nodesOfPodList, obj: &corev1.PodList{Items: []corev1.Pod{{}}}, wantErr: ErrUnsupportedObject},
		{name: "table options of another type", conv: pods, obj: &corev1.Pod{}, opts: &metav1.ListOptions{}, wantErr: ErrUnsupportedTableOptions},
		{name: "nil table options pointer is fine", conv: pods, obj: &corev1.Pod{}, opts: (*metav1.TableOptions)(nil)},
		{name: "table options", conv: pods, obj: &corev1.Pod{}, opts: &metav1.TableOptions{IncludeObject: metav1.IncludeMetadata}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			table, err := tt.conv.ConvertToTable(context.Background(), tt.obj, tt.opts)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ConvertToTable() error = %v, want %v", err, tt.wantErr)
			}
			if err != nil && table != nil {
				t.Errorf("ConvertToTable() returned a table with error %v", err)
			}
			if err == nil && len(table.Rows) != 1 {
				t.Errorf("ConvertToTable() returned %d rows, want 1", len(table.Rows))
			}
		})
	}
}

// The apiserver sends later watch events with NoHeaders set: rows only.
func TestNoHeaders(t *testing.T) {
	t.Parallel()
	conv := podTable(testConvertors())
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", CreationTimestamp: ago(time.Minute)}}
	for _, tt := range []struct {
		name      string
		noHeaders bool
		wantCols  int
	}{
		{name: "headers", noHeaders: false, wantCols: 2},
		{name: "no headers", noHeaders: true, wantCols: 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			table, err := conv.ConvertToTable(context.Background(), pod, &metav1.TableOptions{NoHeaders: tt.noHeaders})
			if err != nil {
				t.Fatalf("ConvertToTable: %v", err)
			}
			if got := len(table.ColumnDefinitions); got != tt.wantCols {
				t.Errorf("got %d columns, want %d", got, tt.wantCols)
			}
			if len(table.Rows) != 1 || len(table.Rows[0].Cells) != 2 {
				t.Errorf("got rows %v, want one row of 2 cells", table.Rows)
			}
		})
	}
}

// Row conditions come from Conditions, for single objects and list items alike.
func TestConditions(t *testing.T) {
	t.Parallel()
	conv := podTable(testConvertors())
	conv.Conditions = func(p *corev1.Pod) []metav1.TableRowCondition {
		return []metav1.TableRowCondition{{Type: metav1.RowCompleted, Status: metav1.ConditionTrue, Reason: p.Name}}
	}
	list := &corev1.PodList{Items: []corev1.Pod{{ObjectMeta: metav1.ObjectMeta{Name: "a"}}, {ObjectMeta: metav1.ObjectMeta{Name: "b"}}}}
	table, err := conv.ConvertToTable(context.Background(), list, nil)
	if err != nil {
		t.Fatalf("ConvertToTable: %v", err)
	}
	for i, row := range table.Rows {
		if len(row.Conditions) != 1 || row.Conditions[0].Reason != list.Items[i].Name {
			t.Errorf("row %d conditions = %v, want one with reason %q", i, row.Conditions, list.Items[i].Name)
		}
	}
}

// Tables share nothing: editing one must not change the next.
func TestColumnsAreCopied(t *testing.T) {
	t.Parallel()
	conv := nameAgeTable[*corev1.NodeList, *corev1.Node](testConvertors())
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "a"}}
	first, err := conv.ConvertToTable(context.Background(), node, nil)
	if err != nil {
		t.Fatalf("ConvertToTable: %v", err)
	}
	want := append([]metav1.TableColumnDefinition(nil), first.ColumnDefinitions...)
	first.ColumnDefinitions[0].Name = "changed"
	second, err := conv.ConvertToTable(context.Background(), node, nil)
	if err != nil {
		t.Fatalf("ConvertToTable: %v", err)
	}
	if diff := cmp.Diff(want, second.ColumnDefinitions); diff != "" {
		t.Errorf("columns changed by editing an earlier table (-want +got):\n%s", diff)
	}
}

func namespaceTable(c *Convertors) *TypedConvertor[*corev1.Namespace, *corev1.NamespaceList] {
	return nameAgeTable[*corev1.NamespaceList, *corev1.Namespace](c)
}

// Age cells follow the injected clock, not the wall clock.
func TestClockIsInjected(t *testing.T) {
	t.Parallel()
	clk := clocktesting.NewFakeClock(now)
	conv := namespaceTable(New(clk))
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "x", CreationTimestamp: ago(0)}}
	for _, tt := range []struct {
		name    string
		advance time.Duration
		want    string
	}{
		{name: "at creation", want: "0s"},
		{name: "after 90s", advance: 90 * time.Second, want: "90s"},
		{name: "after 3h more", advance: 3 * time.Hour, want: "3h1m"},
		{name: "after 2 days more", advance: 48 * time.Hour, want: "2d3h"},
	} {
		clk.Step(tt.advance)
		table, err := conv.ConvertToTable(context.Background(), ns, nil)
		if err != nil {
			t.Fatalf("%s: ConvertToTable: %v", tt.name, err)
		}
		if got := table.Rows[0].Cells[1]; got != tt.want {
			t.Errorf("%s: age = %v, want %q", tt.name, got, tt.want)
		}
	}
}

func TestNewWithNilClockUsesRealClock(t *testing.T) {
	t.Parallel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "x", CreationTimestamp: metav1.NewTime(time.Now().Add(-5 * time.Hour))}}
	table, err := namespaceTable(New(nil)).ConvertToTable(context.Background(), ns, nil)
	if err != nil {
		t.Fatalf("ConvertToTable: %v", err)
	}
	if got := table.Rows[0].Cells[1]; got != "5h" {
		t.Errorf("age = %v, want 5h", got)
	}
}
