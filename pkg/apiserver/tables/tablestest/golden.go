package tablestest

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// now is the pinned time every Age cell of a golden test is measured against.
func now() time.Time { return time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC) }

// convertors returns convertors whose clock stands still at the pinned time, so Age cells
// are stable.
func convertors() *tables.Convertors {
	return tables.New(clocktesting.NewFakePassiveClock(now()))
}

// Ago is the timestamp d before the pinned time.
func Ago(d time.Duration) metav1.Time { return metav1.NewTime(now().Add(-d)) }

// MicroAgo is Ago for MicroTime fields.
func MicroAgo(d time.Duration) metav1.MicroTime { return metav1.NewMicroTime(now().Add(-d)) }

// ObjectMeta is the metadata of an object in namespace default, created created ago.
func ObjectMeta(name string, created time.Duration) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: "default", ResourceVersion: "7", CreationTimestamp: Ago(created)}
}

// Case is one object (or list) rendered into a golden file.
type Case struct {
	Name string
	Obj  runtime.Object
}

// Golden is the golden test of one resource's table.
type Golden struct {
	// Name names the golden file: testdata/<Name>.golden.
	Name string
	// Table builds the table under test, as the registry folder's Definition does; the
	// test builds it on convertors whose clock stands still, so Age cells are stable.
	Table func(*tables.Convertors) tables.Convertor
	// ExtraCells is how many cells each row has beyond the columns, where upstream sends
	// more cells than it defines columns.
	ExtraCells int
}

// Check renders cases in order and compares the text with the golden file, or rewrites
// the file with -update. The cases must all share the first case's columns. It also
// checks the invariants every table must keep.
func (g Golden) Check(t testing.TB, cases []Case) {
	t.Helper()
	checkGolden(t, g.Name, g.render(t, cases))
}

// render converts every case and renders the results as text: the column definitions
// once, then per case its table metadata, cells and row conditions. Cells are %q-quoted
// strings or bare integers, so a cell changing type shows up in the diff.
func (g Golden) render(t testing.TB, cases []Case) []byte {
	t.Helper()
	convertor := g.Table(convertors())
	var b bytes.Buffer
	var columns []metav1.TableColumnDefinition
	for i, tc := range cases {
		table, err := convertor.ConvertToTable(context.Background(), tc.Obj, nil)
		if err != nil {
			t.Fatalf("case %q: ConvertToTable: %v", tc.Name, err)
		}
		if i == 0 {
			columns = table.ColumnDefinitions
			b.WriteString("# columns: name, type, format, priority\n")
			for _, c := range columns {
				fmt.Fprintf(&b, "%s\t%s\t%s\t%d\n", c.Name, c.Type, c.Format, c.Priority)
				if c.Description == "" {
					t.Errorf("column %q has no description", c.Name)
				}
			}
		} else if diff := cmp.Diff(columns, table.ColumnDefinitions); diff != "" {
			t.Errorf("case %q: columns differ from the first case's (-want +got):\n%s", tc.Name, diff)
		}
		checkRows(t, tc, table, len(columns)+g.ExtraCells)

		fmt.Fprintf(&b, "\n# %s\n", tc.Name)
		fmt.Fprintf(&b, "metadata: resourceVersion=%q continue=%q remainingItemCount=%s\n",
			table.ResourceVersion, table.Continue, formatCount(table.RemainingItemCount))
		for _, row := range table.Rows {
			cells := make([]string, len(row.Cells))
			for j, cell := range row.Cells {
				cells[j] = formatCell(cell)
			}
			fmt.Fprintf(&b, "row: %s\n", strings.Join(cells, "\t"))
			for _, c := range row.Conditions {
				fmt.Fprintf(&b, "condition: %s=%s reason=%q message=%q\n", c.Type, c.Status, c.Reason, c.Message)
			}
		}
	}
	return b.Bytes()
}

// checkRows verifies what the apiserver's handler relies on: one row per item, each with
// cellCount cells and the very object it was made from in row.Object.
func checkRows(t testing.TB, tc Case, table *metav1.Table, cellCount int) {
	t.Helper()
	want := []runtime.Object{tc.Obj}
	if meta.IsListType(tc.Obj) {
		var err error
		if want, err = meta.ExtractList(tc.Obj); err != nil {
			t.Fatalf("case %q: %v", tc.Name, err)
		}
		if table.Rows == nil {
			t.Errorf("case %q: rows are nil, want an empty list so JSON has []", tc.Name)
		}
	}
	if len(table.Rows) != len(want) {
		t.Fatalf("case %q: got %d rows, want %d", tc.Name, len(table.Rows), len(want))
	}
	for i, row := range table.Rows {
		if len(row.Cells) != cellCount {
			t.Errorf("case %q row %d: got %d cells, want %d", tc.Name, i, len(row.Cells), cellCount)
		}
		if row.Object.Object != want[i] {
			t.Errorf("case %q row %d: row.Object is %p, want the item itself %p", tc.Name, i, row.Object.Object, want[i])
		}
	}
}

func formatCell(cell any) string {
	switch v := cell.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	case int64:
		return fmt.Sprintf("%d", v)
	default:
		return fmt.Sprintf("%T(%v)", v, v)
	}
}

func formatCount(c *int64) string {
	if c == nil {
		return "nil"
	}
	return fmt.Sprintf("%d", *c)
}

// checkGolden compares got with testdata/<name>.golden, or rewrites the file with -update.
func checkGolden(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("update golden file: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if diff := goldenDiff(want, got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// goldenDiff returns "" when want and got are equal, else a line diff.
func goldenDiff(want, got []byte) string {
	return cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n"))
}
