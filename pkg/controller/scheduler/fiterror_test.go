package scheduler

import (
	"strings"
	"testing"
)

// TestFitErrorMessage: the FitError text as kube-scheduler's
// FitError.Error builds it, for the shapes a diagnosis takes.
func TestFitErrorMessage(t *testing.T) {
	t.Parallel()
	notHelpful := newStatus(unresolvable, reasonPreemptionNotHelpful)
	preemption := func(n int, d diagnosis) string {
		return msgNoClaims + ", " + preemptionPrefix + fitErrorMessage(n, d)
	}
	tests := []struct {
		name string
		n    int
		d    diagnosis
		want string
	}{
		{
			name: "affinity on every node, as the issue's example",
			n:    2,
			d: diagnosis{nodes: map[string]*status{"a": newStatus(unresolvable, reasonAffinity), "b": newStatus(unresolvable, reasonAffinity)},
				postFilterMsg: preemption(2, diagnosis{absent: notHelpful})},
			want: "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. no new claims to deallocate, " +
				"preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
		},
		{
			name: "reasons counted per node and sorted as strings",
			n:    13,
			d: diagnosis{nodes: func() map[string]*status {
				m := map[string]*status{"t1": newStatus(unresolvable, reasonTaint), "t2": newStatus(unresolvable, reasonTaint)}
				for _, n := range []string{"c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9", "c10"} {
					m[n] = newStatus(unschedulable, insufficient("cpu"), insufficient("memory"))
				}
				m["u"] = newStatus(unresolvable, reasonUnschedulable)
				return m
			}()},
			want: "0/13 nodes are available: 1 node(s) were unschedulable, 10 Insufficient cpu, 10 Insufficient memory, 2 node(s) had untolerated taint(s).",
		},
		{
			name: "nodes a PreFilter left out count under its status",
			n:    3,
			d: diagnosis{nodes: map[string]*status{"a": newStatus(unschedulable, reasonTooManyPods)},
				absent: newStatus(unresolvable, "node(s) didn't satisfy plugin(s) [NodeAffinity]")},
			want: "0/3 nodes are available: 1 Too many pods, 2 node(s) didn't satisfy plugin(s) [NodeAffinity].",
		},
		{
			name: "a PreFilter's message replaces the per-node reasons",
			n:    2,
			d:    diagnosis{absent: newStatus(unresolvable, reasonAffinityConflict), preFilterMsg: reasonAffinityConflict},
			want: "0/2 nodes are available: pod affinity terms conflict.",
		},
		{
			name: "preemption found no victims on some nodes",
			n:    3,
			d: diagnosis{
				nodes: map[string]*status{
					"a": newStatus(unschedulable, insufficient("cpu")), "b": newStatus(unschedulable, insufficient("cpu")),
					"c": newStatus(unresolvable, reasonTaint)},
				postFilterMsg: preemption(3, diagnosis{nodes: map[string]*status{
					"a": newStatus(unresolvable, reasonNoVictims), "b": newStatus(unresolvable, reasonNoVictims)}, absent: notHelpful}),
			},
			want: "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 Insufficient cpu. no new claims to deallocate, " +
				"preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.",
		},
		{
			name: "not eligible to preempt",
			n:    1,
			d: diagnosis{nodes: map[string]*status{"a": newStatus(unschedulable, insufficient("example.com/gpu"))},
				postFilterMsg: msgNoClaims + ", " + preemptionPrefix + msgPreemptNever},
			want: "0/1 nodes are available: 1 Insufficient example.com/gpu. no new claims to deallocate, preemption: not eligible due to preemptionPolicy=Never.",
		},
		{
			name: "preemption made room: no postfilter message",
			n:    1,
			d:    diagnosis{nodes: map[string]*status{"a": newStatus(unschedulable, insufficient("memory"))}},
			want: "0/1 nodes are available: 1 Insufficient memory.",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := fitErrorMessage(tc.n, tc.d); got != tc.want {
				t.Errorf("fitErrorMessage =\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

// TestTruncateMessage: events keep to the API's note limit, as upstream
// cuts them.
func TestTruncateMessage(t *testing.T) {
	t.Parallel()
	short := strings.Repeat("x", noteLengthLimit)
	if got := truncateMessage(short); got != short {
		t.Errorf("a message of the limit was changed to %d bytes", len(got))
	}
	got := truncateMessage(short + "y")
	if len(got) != noteLengthLimit || !strings.HasSuffix(got, "x ...") {
		t.Errorf("truncateMessage(limit+1) = %d bytes ending %q, want %d ending \"x ...\"", len(got), got[len(got)-5:], noteLengthLimit)
	}
}
