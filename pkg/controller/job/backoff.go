package job

import (
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// backoff is what a Job's pod replacements wait on: how many pods failed
// since the last one succeeded, and when the last of them finished.
type backoff struct {
	failures    int
	lastFailure time.Time
}

// backoffs are the Jobs' back-off records by key. They live in memory, as
// upstream's do: a restarted controller starts every Job afresh.
type backoffs struct {
	mu sync.Mutex
	m  map[string]backoff
}

func (b *backoffs) get(key string) backoff {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.m[key]
}

func (b *backoffs) set(key string, r backoff) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[string]backoff{}
	}
	b.m[key] = r
}

func (b *backoffs) forget(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.m, key)
}

// next is r after the pods that finished since it was recorded: a success
// resets the count to the failures that came after the last success.
func (r backoff) next(succeeded, failed []*corev1.Pod) backoff {
	if len(failed) == 0 {
		if len(succeeded) > 0 {
			return backoff{}
		}
		return r
	}
	failTimes := finishTimes(failed)
	if len(succeeded) == 0 {
		return backoff{failures: r.failures + len(failed), lastFailure: failTimes[len(failTimes)-1]}
	}
	lastSuccess := finishTimes(succeeded)[len(succeeded)-1]
	var out backoff
	for _, t := range failTimes {
		if t.After(lastSuccess) {
			out.failures++
			out.lastFailure = t
		}
	}
	return out
}

// finishTimes are the pods' finish times, earliest first.
func finishTimes(pods []*corev1.Pod) []time.Time {
	out := make([]time.Time, len(pods))
	for i, p := range pods {
		out[i] = finishTime(p)
	}
	slices.SortFunc(out, time.Time.Compare)
	return out
}

// finishTime is when pod finished, as upstream estimates it: when its
// last container terminated, else when it stopped being ready, else when
// its deletion was asked for, else when it was created.
func finishTime(p *corev1.Pod) time.Time {
	if t, ok := containersFinished(p); ok {
		return t
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionFalse && !c.LastTransitionTime.IsZero() {
			return c.LastTransitionTime.Time
		}
	}
	if p.DeletionTimestamp != nil {
		grace := int64(0)
		if p.DeletionGracePeriodSeconds != nil {
			grace = *p.DeletionGracePeriodSeconds
		}
		return p.DeletionTimestamp.Add(-time.Duration(grace) * time.Second)
	}
	return p.CreationTimestamp.Time
}

// containersFinished is the latest finish of pod's containers and of its
// sidecars, if every one of them has terminated.
func containersFinished(p *corev1.Pod) (time.Time, bool) {
	sidecars := map[string]bool{}
	for _, c := range p.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			sidecars[c.Name] = true
		}
	}
	statuses := slices.Clone(p.Status.ContainerStatuses)
	for _, s := range p.Status.InitContainerStatuses {
		if sidecars[s.Name] {
			statuses = append(statuses, s)
		}
	}
	var latest time.Time
	for _, s := range statuses {
		t := s.State.Terminated
		if t == nil || t.FinishedAt.IsZero() {
			return time.Time{}, false
		}
		if t.FinishedAt.After(latest) {
			latest = t.FinishedAt.Time
		}
	}
	return latest, len(statuses) > 0
}

// backoffDelay is how long a replacement waits after failures consecutive
// failures: base, doubled for each failure after the first, at most
// limit; none for no failures.
func backoffDelay(failures int, base, limit time.Duration) time.Duration {
	if failures <= 0 {
		return 0
	}
	d := base
	for i := 1; i < failures && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// remaining is how much of r's back-off is left at now.
func (r backoff) remaining(now time.Time, base, limit time.Duration) time.Duration {
	if r.failures == 0 {
		return 0
	}
	return max(0, backoffDelay(r.failures, base, limit)-now.Sub(r.lastFailure))
}
