package job

import (
	"slices"
	"strconv"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestParseIndexes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		in          string
		completions int
		want        string
		total       int
	}{
		{name: "empty", in: "", completions: 5, want: "", total: 0},
		{name: "one", in: "3", completions: 5, want: "3", total: 1},
		{name: "pair", in: "1,2", completions: 5, want: "1,2", total: 2},
		{name: "range and single", in: "0-2,4", completions: 5, want: "0-2,4", total: 4},
		{name: "adjacent merged", in: "0-1,2,3-4", completions: 10, want: "0-4", total: 5},
		{name: "cut at completions", in: "0-2,4-9", completions: 6, want: "0-2,4,5", total: 5},
		{name: "beyond completions dropped", in: "1,7", completions: 5, want: "1", total: 1},
		{name: "malformed parts skipped", in: "a,1,3-b,5-4,6", completions: 10, want: "1,6", total: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := parseIndexes(tt.in, tt.completions)
			if s := got.String(); s != tt.want {
				t.Errorf("parseIndexes(%q, %d) = %q, want %q", tt.in, tt.completions, s, tt.want)
			}
			if n := got.total(); n != tt.total {
				t.Errorf("total = %d, want %d", n, tt.total)
			}
		})
	}
}

func TestIndexSetWith(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		set  string
		add  []int
		want string
	}{
		{name: "into nothing", add: []int{2, 0, 1}, want: "0-2"},
		{name: "gap filled", set: "0,1,3", add: []int{2}, want: "0-3"},
		{name: "kept apart", set: "0", add: []int{5, 3}, want: "0,3,5"},
		{name: "already there", set: "0-4", add: []int{2, 4}, want: "0-4"},
		{name: "extends", set: "2-3", add: []int{1, 4}, want: "1-4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := parseIndexes(tt.set, 100).with(tt.add...)
			if got.String() != tt.want {
				t.Errorf("%q with %v = %q, want %q", tt.set, tt.add, got, tt.want)
			}
			for ix := range 10 {
				want := slices.Contains(tt.add, ix) || parseIndexes(tt.set, 100).has(ix)
				if got.has(ix) != want {
					t.Errorf("%q has %d = %v, want %v", got, ix, got.has(ix), want)
				}
			}
		})
	}
}

func indexedPod(ix int) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
		Name:        "p" + strconv.Itoa(ix),
		Annotations: map[string]string{batchv1.JobCompletionIndexAnnotation: strconv.Itoa(ix)},
	}}
}

func TestFirstPendingIndexes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		active      []int
		succeeded   string
		failed      string
		count, comp int
		want        []int
	}{
		{name: "fresh", count: 2, comp: 5, want: []int{0, 1}},
		{name: "skips active and succeeded", active: []int{1}, succeeded: "0,3", count: 3, comp: 6, want: []int{2, 4, 5}},
		{name: "fewer left than asked", succeeded: "0-3", count: 5, comp: 5, want: []int{4}},
		{name: "none left", active: []int{2}, succeeded: "0,1", count: 1, comp: 3, want: nil},
		{name: "skips failed", active: []int{0}, succeeded: "2", failed: "1,3-4", count: 3, comp: 7, want: []int{5, 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var active []*corev1.Pod
			for _, ix := range tt.active {
				active = append(active, indexedPod(ix))
			}
			taken := parseIndexes(tt.succeeded, tt.comp).union(parseIndexes(tt.failed, tt.comp)).with(indexesOf(active)...)
			got := firstPendingIndexes(taken, tt.count, tt.comp)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPodGenerateName(t *testing.T) {
	t.Parallel()
	if got := podGenerateName("pi", 3); got != "pi-3-" {
		t.Errorf("got %q", got)
	}
	long := podGenerateName(string(make([]byte, 70)), 12)
	if len(long) != 58 || long[len(long)-4:] != "-12-" {
		t.Errorf("long name cut to %d characters ending %q, want 58 ending -12-", len(long), long[len(long)-4:])
	}
}
