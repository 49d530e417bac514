package tablestest

import "testing"

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
