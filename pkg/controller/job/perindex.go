package job

import (
	"math"
	"strconv"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// An Indexed Job with backoffLimitPerIndex gives each index its own
// back-off and limit: a pod carries in its annotations how many pods of
// its index failed before it (and how many failures a pod failure policy
// ignored), an index whose failures pass the limit, or whose pod a
// FailIndex rule matched, is failed for good (status.failedIndexes), and
// the Job fails once too many indexes failed (maxFailedIndexes) or every
// index either succeeded or failed. So that the counts can be carried on,
// the last failed pod of an index keeps its tracking finalizer, and so
// stays readable, until its replacement exists.

// perIndex reports whether j counts failures per index.
func perIndex(j *batchv1.Job) bool {
	return indexed(j) && j.Spec.BackoffLimitPerIndex != nil
}

// indexFailureCounts are the failures of p's index before p, counted and
// ignored, from its annotations; a missing, malformed or out-of-range
// count reads as 0, as upstream reads it, since users can write them.
func indexFailureCounts(p *corev1.Pod) (counted, ignored int32) {
	read := func(key string) int32 {
		n, err := strconv.ParseInt(p.Annotations[key], 10, 64)
		if err != nil || n < 0 || n > math.MaxInt32 {
			return 0
		}
		return int32(n)
	}
	return read(batchv1.JobIndexFailureCountAnnotation), read(batchv1.JobIndexIgnoredFailureCountAnnotation)
}

// failsIndex reports whether p fails its index for good: it failed and a
// FailIndex rule matched it, or it failed, counts, and its index had
// failed backoffLimitPerIndex times before it.
func failsIndex(j *batchv1.Job, p *corev1.Pod) bool {
	if !podFailed(p, j) {
		return false
	}
	v := matchFailurePolicy(j.Spec.PodFailurePolicy, p)
	if v.failIndex {
		return true
	}
	counted, _ := indexFailureCounts(p)
	return !v.ignore && counted >= *j.Spec.BackoffLimitPerIndex
}

// failedIndexes are the indexes of j that failed for good, as its status
// has them and with those whose pods failed them since.
func failedIndexes(j *batchv1.Job, pods []*corev1.Pod) indexSet {
	completions := *j.Spec.Completions
	var prev indexSet
	if j.Status.FailedIndexes != nil {
		prev = parseIndexes(*j.Status.FailedIndexes, int(completions))
	}
	var more []int
	for _, p := range pods {
		if hasTrackingFinalizer(p) && validIndex(p, completions) && failsIndex(j, p) {
			more = append(more, completionIndex(p))
		}
	}
	return prev.with(more...)
}

// lastFailures are, by index, the failed pod whose finalizer stays until
// the index has a replacement: the index's latest failure, of the indexes
// that neither succeeded, failed nor have an active pod.
func (s *state) lastFailures() map[int]*corev1.Pod {
	activeIx := indexSet(nil).with(indexesOf(s.active)...)
	out := map[int]*corev1.Pod{}
	for _, p := range s.pods {
		if !hasTrackingFinalizer(p) || s.removing[string(p.UID)] || !validIndex(p, *s.job.Spec.Completions) || !podFailed(p, s.job) {
			continue
		}
		ix := completionIndex(p)
		if s.succeededIndexes.has(ix) || s.failedIndexes.has(ix) || activeIx.has(ix) {
			continue
		}
		if last, ok := out[ix]; !ok || (failuresBefore(last) <= failuresBefore(p) && !finishTime(p).Before(finishTime(last))) {
			out[ix] = p
		}
	}
	return out
}

// failuresBefore is how many pods of p's index failed before it, counted
// or not.
func failuresBefore(p *corev1.Pod) int32 {
	counted, ignored := indexFailureCounts(p)
	return counted + ignored
}

// replacementCounts are the failure annotations of the pod that replaces
// last, the index's latest failed pod (nil for an index's first pod).
func replacementCounts(j *batchv1.Job, last *corev1.Pod) map[string]string {
	var counted, ignored int32
	if last != nil {
		counted, ignored = indexFailureCounts(last)
		if matchFailurePolicy(j.Spec.PodFailurePolicy, last).ignore {
			ignored++
		} else {
			counted++
		}
	}
	out := map[string]string{batchv1.JobIndexFailureCountAnnotation: strconv.Itoa(int(counted))}
	if ignored > 0 {
		out[batchv1.JobIndexIgnoredFailureCountAnnotation] = strconv.Itoa(int(ignored))
	}
	return out
}

// readyIndexes are the indexes whose back-off is over at now, or, if none
// is, how long until the first one's is.
func readyIndexes(indexes []int, last map[int]*corev1.Pod, now time.Time, base, limit time.Duration) ([]int, time.Duration) {
	var ready []int
	var wait time.Duration
	for _, ix := range indexes {
		left := time.Duration(0)
		if p := last[ix]; p != nil {
			r := backoff{failures: int(failuresBefore(p)) + 1, lastFailure: finishTime(p)}
			left = r.remaining(now, base, limit)
		}
		switch {
		case left == 0:
			ready = append(ready, ix)
		case wait == 0 || left < wait:
			wait = left
		}
	}
	if len(ready) > 0 {
		return ready, 0
	}
	return nil, wait
}
