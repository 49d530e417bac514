package job

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apiserver/pkg/storage/names"
	"k8s.io/kubectl/pkg/util/podutils"
)

// noIndex is the completion index of a pod that has none (or a bad one).
const noIndex = -1

// completionIndexEnv is the variable an Indexed Job's containers find
// their index in.
const completionIndexEnv = "JOB_COMPLETION_INDEX"

// span is the indexes first to last, both included.
type span struct{ first, last int }

// indexSet is a set of completion indexes as ordered, disjoint,
// non-adjacent spans: the form of status.completedIndexes.
type indexSet []span

// parseIndexes reads a list such as "0-2,4" (status.completedIndexes,
// status.failedIndexes, a success policy's succeededIndexes), keeping
// only the indexes below completions. Malformed or unordered parts are
// skipped, as upstream skips them.
func parseIndexes(s string, completions int) indexSet {
	var out indexSet
	if s == "" {
		return nil
	}
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, ranged := strings.Cut(part, "-")
		first, err := strconv.Atoi(lo)
		if err != nil || first < 0 {
			continue
		}
		last := first
		if ranged {
			if last, err = strconv.Atoi(hi); err != nil || last < first {
				continue
			}
		}
		if first >= completions {
			break
		}
		last = min(last, completions-1)
		switch n := len(out); {
		case n > 0 && first <= out[n-1].last:
			continue // out of order: not a list the controller wrote
		case n > 0 && first == out[n-1].last+1:
			out[n-1].last = last
		default:
			out = append(out, span{first, last})
		}
	}
	return out
}

// String is the set as status.completedIndexes writes it: spans of three
// or more as "a-b", two adjacent indexes as "a,b".
func (s indexSet) String() string {
	var b strings.Builder
	for _, sp := range s {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(sp.first))
		switch {
		case sp.last == sp.first+1:
			b.WriteByte(',')
			b.WriteString(strconv.Itoa(sp.last))
		case sp.last > sp.first:
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(sp.last))
		}
	}
	return b.String()
}

// total is how many indexes s holds.
func (s indexSet) total() int {
	n := 0
	for _, sp := range s {
		n += sp.last - sp.first + 1
	}
	return n
}

// has reports whether ix is in s.
func (s indexSet) has(ix int) bool {
	i, _ := slices.BinarySearchFunc(s, ix, func(sp span, ix int) int {
		switch {
		case sp.last < ix:
			return -1
		case sp.first > ix:
			return 1
		}
		return 0
	})
	return i < len(s) && s[i].first <= ix && ix <= s[i].last
}

// with is s and the indexes given, merged into spans.
func (s indexSet) with(indexes ...int) indexSet {
	more := make(indexSet, len(indexes))
	for i, ix := range indexes {
		more[i] = span{ix, ix}
	}
	return s.union(more)
}

// union is the indexes of s and of o, merged into spans.
func (s indexSet) union(o indexSet) indexSet {
	all := make([]span, 0, len(s)+len(o))
	all = append(all, s...)
	all = append(all, o...)
	slices.SortFunc(all, func(a, b span) int { return a.first - b.first })
	var out indexSet
	for _, sp := range all {
		if n := len(out); n > 0 && sp.first <= out[n-1].last+1 {
			out[n-1].last = max(out[n-1].last, sp.last)
			continue
		}
		out = append(out, sp)
	}
	return out
}

// overlap is how many indexes s and o have in common.
func (s indexSet) overlap(o indexSet) int {
	n, i, j := 0, 0, 0
	for i < len(s) && j < len(o) {
		if d := min(s[i].last, o[j].last) - max(s[i].first, o[j].first) + 1; d > 0 {
			n += d
		}
		if s[i].last < o[j].last {
			i++
		} else {
			j++
		}
	}
	return n
}

// completionIndex is a pod's index from its annotation, or noIndex.
func completionIndex(pod *corev1.Pod) int {
	v, ok := pod.Annotations[batchv1.JobCompletionIndexAnnotation]
	if !ok {
		return noIndex
	}
	ix, err := strconv.Atoi(v)
	if err != nil || ix < 0 {
		return noIndex
	}
	return ix
}

// validIndex reports whether pod has an index below completions.
func validIndex(pod *corev1.Pod, completions int32) bool {
	ix := completionIndex(pod)
	return ix != noIndex && ix < int(completions)
}

// indexesOf are the completion indexes of the pods that have one.
func indexesOf(pods []*corev1.Pod) []int {
	var out []int
	for _, p := range pods {
		if ix := completionIndex(p); ix != noIndex {
			out = append(out, ix)
		}
	}
	return out
}

// firstPendingIndexes returns up to count indexes below completions that
// are not taken (succeeded, failed, or with a pod), lowest first.
func firstPendingIndexes(taken indexSet, count, completions int) []int {
	var out []int
	next := 0
	for _, sp := range append(taken, span{completions, completions}) {
		for ; next < min(sp.first, completions) && len(out) < count; next++ {
			out = append(out, next)
		}
		next = max(next, sp.last+1)
	}
	return out
}

// podGenerateName is the generateName of an Indexed Job's pod,
// "<job>-<index>-", the job's name cut so that the random suffix fits.
func podGenerateName(job string, ix int) string {
	suffix := "-" + strconv.Itoa(ix) + "-"
	if len(job)+len(suffix) > names.MaxGeneratedNameLength {
		job = job[:names.MaxGeneratedNameLength-len(suffix)]
	}
	return job + suffix
}

// addCompletionIndexEnv gives every container of t JOB_COMPLETION_INDEX
// from the pod's completion index label, unless it sets it itself.
func addCompletionIndexEnv(t *corev1.PodTemplateSpec) {
	add := func(cs []corev1.Container) {
		for i := range cs {
			c := &cs[i]
			if slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == completionIndexEnv }) {
				continue
			}
			c.Env = append(c.Env, corev1.EnvVar{Name: completionIndexEnv, ValueFrom: &corev1.EnvVarSource{
				FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels['" + batchv1.JobCompletionIndexAnnotation + "']"},
			}})
		}
	}
	add(t.Spec.InitContainers)
	add(t.Spec.Containers)
}

// duplicateIndexPods splits an Indexed Job's active pods into those to
// delete (without an index, with one out of range, or all but the most
// advanced of those sharing an index) and the rest.
func duplicateIndexPods(pods []*corev1.Pod, completions int) (rm, keep []*corev1.Pod) {
	byIndex := map[int][]*corev1.Pod{}
	for _, p := range pods {
		ix := completionIndex(p)
		if ix == noIndex || ix >= completions {
			rm = append(rm, p)
			continue
		}
		byIndex[ix] = append(byIndex[ix], p)
	}
	for _, same := range byIndex {
		sort.Sort(podutils.ActivePods(same))
		rm = append(rm, same[:len(same)-1]...)
		keep = append(keep, same[len(same)-1])
	}
	return rm, keep
}
