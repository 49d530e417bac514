package tables

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// tableCase is one object (or list) rendered into a golden file.
type tableCase struct {
	name string
	obj  runtime.Object
}

// renderCases converts every case with conv and renders the results as text: the column
// definitions once, then per case its table metadata, cells and row conditions. Cells are
// %q-quoted strings or bare integers, so a cell changing type shows up in the diff. It
// also checks the invariants every table must keep.
func renderCases(t testing.TB, conv Convertor, cases []tableCase, extraCells int) []byte {
	t.Helper()
	var b bytes.Buffer
	var columns []metav1.TableColumnDefinition
	for i, tc := range cases {
		table, err := conv.ConvertToTable(context.Background(), tc.obj, nil)
		if err != nil {
			t.Fatalf("case %q: ConvertToTable: %v", tc.name, err)
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
			t.Errorf("case %q: columns differ from the first case's (-want +got):\n%s", tc.name, diff)
		}
		checkRows(t, tc, table, len(columns)+extraCells)

		fmt.Fprintf(&b, "\n# %s\n", tc.name)
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
func checkRows(t testing.TB, tc tableCase, table *metav1.Table, cellCount int) {
	t.Helper()
	want := []runtime.Object{tc.obj}
	if isList(tc.obj) {
		var err error
		if want, err = listItems(tc.obj); err != nil {
			t.Fatalf("case %q: %v", tc.name, err)
		}
		if table.Rows == nil {
			t.Errorf("case %q: rows are nil, want an empty list so JSON has []", tc.name)
		}
	}
	if len(table.Rows) != len(want) {
		t.Fatalf("case %q: got %d rows, want %d", tc.name, len(table.Rows), len(want))
	}
	for i, row := range table.Rows {
		if len(row.Cells) != cellCount {
			t.Errorf("case %q row %d: got %d cells, want %d", tc.name, i, len(row.Cells), cellCount)
		}
		if row.Object.Object != want[i] {
			t.Errorf("case %q row %d: row.Object is %p, want the item itself %p", tc.name, i, row.Object.Object, want[i])
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

func TestGoldenDiffDetectsChange(t *testing.T) {
	t.Parallel()
	base := []byte("row: \"a\"\t\"1/1\"\n")
	if diff := goldenDiff(base, base); diff != "" {
		t.Errorf("goldenDiff(same, same) = %q, want empty", diff)
	}
	if diff := goldenDiff(base, []byte("row: \"a\"\t\"0/1\"\n")); diff == "" {
		t.Error("goldenDiff did not report a changed cell")
	}
}
