package scheduler

import "testing"

func TestFitError(t *testing.T) {
	t.Parallel()
	got := fitError(2, map[string]int{reasonAffinity: 2})
	want := "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
	if got != want {
		t.Errorf("fitError = %q, want %q", got, want)
	}
}
