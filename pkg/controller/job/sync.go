package job

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	"k8s.io/kubectl/pkg/util/podutils"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/ownership"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/podcontrol"
)

// state is one sync of one Job: what its pods say and what the sync
// decided so far.
type state struct {
	key string
	// job is a copy of the cached Job, whose status the sync writes.
	job *batchv1.Job
	// pods are the Job's pods (cache pointers, or copies), active those
	// neither finished nor being deleted.
	pods   []*corev1.Pod
	active []*corev1.Pod
	// succeeded and failed count the Job's pods, those already in status
	// and those finished since.
	succeeded, failed int32
	// prevSucceeded are an Indexed Job's completed indexes as its status
	// has them, succeededIndexes with those completed since.
	prevSucceeded, succeededIndexes indexSet
	// failedIndexes are the indexes failed for good, and lastFailed the
	// failed pods that wait for their replacement, by index, of a Job with
	// backoffLimitPerIndex.
	failedIndexes indexSet
	lastFailed    map[int]*corev1.Pod
	// uncountedSucceeded and uncountedFailed are the UIDs in
	// status.uncountedTerminatedPods when the sync began.
	uncountedSucceeded, uncountedFailed map[types.UID]bool
	// removing are the UIDs of pods whose finalizer removal the informer
	// has not shown yet: already counted.
	removing map[string]bool
	// finished is the condition the Job finishes with, once set.
	finished           *batchv1.JobCondition
	backoff            backoff
	ready, terminating int32
}

// sync brings one Job's pods to its spec and records them in its status.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	shared, err := c.jobs.Jobs(ns).Get(name)
	if apierrors.IsNotFound(err) {
		c.expectations.Forget(key)
		c.finalizers.forget(key)
		c.backoffs.forget(key)
		return nil
	}
	if err != nil {
		return err
	}
	logger := klog.FromContext(ctx)
	if m := shared.Spec.ManagedBy; m != nil && *m != managerName {
		logger.V(2).Info("Skip syncing the job as it is managed by an external controller", "job", klog.KObj(shared), "controllerName", *m)
		return nil
	}
	if finished(shared) {
		c.backoffs.forget(key)
		return nil
	}
	if m := shared.Spec.CompletionMode; m != nil && *m != batchv1.NonIndexedCompletion && *m != batchv1.IndexedCompletion {
		c.events.Event(shared, corev1.EventTypeWarning, "UnknownCompletionMode", "Skipped Job sync because completion mode is unknown")
		return nil
	}
	job := shared.DeepCopy()
	if job.Status.UncountedTerminatedPods == nil {
		job.Status.UncountedTerminatedPods = &batchv1.UncountedTerminatedPods{}
	}
	// Asked before the pods are listed: a pod created after this still
	// shows up in the list, not the other way round.
	satisfied := c.expectations.Satisfied(key)
	pods, err := c.claimPods(ctx, job)
	if err != nil {
		return err
	}
	now := c.now()
	s := &state{
		key: key, job: job, pods: pods,
		uncountedSucceeded: uidSet(job.Status.UncountedTerminatedPods.Succeeded),
		uncountedFailed:    uidSet(job.Status.UncountedTerminatedPods.Failed),
		removing:           c.finalizers.pending(key),
	}
	for _, p := range pods {
		switch {
		case p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed:
		case p.DeletionTimestamp != nil:
			s.terminating++
		default:
			s.active = append(s.active, p)
			if podutils.IsPodReady(p) {
				s.ready++
			}
		}
	}
	newSucceeded, newFailed := s.newlyFinished()
	s.succeeded = job.Status.Succeeded + int32(len(newSucceeded)+len(s.uncountedSucceeded))
	s.failed = job.Status.Failed + int32(len(s.uncountedFailed))
	for _, p := range newFailed {
		if !matchFailurePolicy(job.Spec.PodFailurePolicy, p).ignore {
			s.failed++
		}
	}
	suspended := ptr.Deref(job.Spec.Suspend, false)
	if job.Status.StartTime == nil && !suspended {
		job.Status.StartTime = ptr.To(metav1.NewTime(now))
	}
	s.backoff = c.backoffs.get(key).next(newSucceeded, newFailed)

	s.finished = trueCondition(job.Status.Conditions, batchv1.JobSuccessCriteriaMet)
	if s.finished == nil {
		if target := trueCondition(job.Status.Conditions, batchv1.JobFailureTarget); target != nil {
			s.finished = newCondition(batchv1.JobFailed, corev1.ConditionTrue, target.Reason, target.Message, now)
		} else if msg := failJobMessage(job, pods); msg != "" {
			s.finished = newCondition(batchv1.JobFailureTarget, corev1.ConditionTrue, batchv1.JobReasonPodFailurePolicy, msg, now)
		}
	}
	if s.finished == nil {
		switch {
		case s.failed > *job.Spec.BackoffLimit || pastBackoffLimitOnFailure(job, pods):
			s.finished = newCondition(batchv1.JobFailureTarget, corev1.ConditionTrue, batchv1.JobReasonBackoffLimitExceeded, msgBackoffLimit, now)
		case job.Spec.ActiveDeadlineSeconds != nil && !suspended:
			left := time.Duration(*job.Spec.ActiveDeadlineSeconds)*time.Second - now.Sub(job.Status.StartTime.Time)
			if left <= 0 {
				s.finished = newCondition(batchv1.JobFailureTarget, corev1.ConditionTrue, batchv1.JobReasonDeadlineExceeded, msgDeadline, now)
			} else {
				logger.V(2).Info("Job has activeDeadlineSeconds configuration. Will sync this job again", "job", klog.KObj(job), "nextSyncIn", left)
				c.enqueue(job, left)
			}
		}
	}
	if indexed(job) {
		s.prevSucceeded, s.succeededIndexes = succeededIndexes(job, pods)
		s.succeeded = int32(s.succeededIndexes.total())
		if perIndex(job) {
			s.failedIndexes = failedIndexes(job, pods)
			if s.finished == nil {
				switch n := s.failedIndexes.total(); {
				case job.Spec.MaxFailedIndexes != nil && n > int(*job.Spec.MaxFailedIndexes):
					s.finished = newCondition(batchv1.JobFailureTarget, corev1.ConditionTrue, batchv1.JobReasonMaxFailedIndexesExceeded, msgMaxFailedIndexes, now)
				case n > 0 && n+s.succeededIndexes.total() >= int(*job.Spec.Completions):
					s.finished = newCondition(batchv1.JobFailureTarget, corev1.ConditionTrue, batchv1.JobReasonFailedIndexes, msgFailedIndexes, now)
				}
			}
			s.lastFailed = s.lastFailures()
		}
		if s.finished == nil {
			if msg, met := matchSuccessPolicy(job.Spec.SuccessPolicy, *job.Spec.Completions, s.succeededIndexes); met {
				s.finished = newCondition(batchv1.JobSuccessCriteriaMet, corev1.ConditionTrue, batchv1.JobReasonSuccessPolicy, msg, now)
			}
		}
	}

	var manageErr error
	suspendChanged := false
	active := int32(len(s.active))
	if s.finished != nil {
		deletedReady, deleted, err := c.deleteActive(ctx, job, s.active)
		if deleted != active || !satisfied {
			// Pods the cache has not shown yet, or not all deleted: not
			// finished yet.
			s.finished = nil
		}
		active -= deleted
		s.terminating += deleted
		s.ready -= deletedReady
		manageErr = err
	} else {
		managed := false
		if satisfied && job.DeletionTimestamp == nil {
			active, manageErr = c.manage(ctx, s)
			managed = true
		}
		var complete bool
		if job.Spec.Completions == nil {
			// Any success completes a Job without completions, once the
			// other pods have finished.
			complete = s.succeeded > 0 && active == 0
		} else {
			complete = s.succeeded >= *job.Spec.Completions && active == 0
		}
		switch {
		case complete:
			s.finished = newCondition(batchv1.JobSuccessCriteriaMet, corev1.ConditionTrue, reasonCompletionsReached, msgCompletionsReached, now)
		case managed && suspended:
			job.Status.Conditions, suspendChanged = setCondition(job.Status.Conditions, batchv1.JobSuspended, corev1.ConditionTrue, "JobSuspended", "Job suspended", now)
			if suspendChanged {
				c.events.Event(job, corev1.EventTypeNormal, "Suspended", "Job suspended")
			}
		case managed:
			job.Status.Conditions, suspendChanged = setCondition(job.Status.Conditions, batchv1.JobSuspended, corev1.ConditionFalse, "JobResumed", "Job resumed", now)
			if suspendChanged {
				c.events.Event(job, corev1.EventTypeNormal, "Resumed", "Job resumed")
				// activeDeadlineSeconds counts from the resumption.
				job.Status.StartTime = ptr.To(metav1.NewTime(now))
			}
		}
	}

	flush := suspendChanged || active != job.Status.Active ||
		!ptr.Equal(job.Status.Ready, &s.ready) || !ptr.Equal(job.Status.Terminating, &s.terminating)
	job.Status.Active = active
	job.Status.Ready = ptr.To(s.ready)
	job.Status.Terminating = ptr.To(s.terminating)
	if err := c.track(ctx, s, flush); err != nil {
		return fmt.Errorf("tracking status of job %s: %w", key, err)
	}
	return manageErr
}

func uidSet(uids []types.UID) map[types.UID]bool {
	m := make(map[types.UID]bool, len(uids))
	for _, u := range uids {
		m[u] = true
	}
	return m
}

func indexed(j *batchv1.Job) bool {
	return ptr.Deref(j.Spec.CompletionMode, batchv1.NonIndexedCompletion) == batchv1.IndexedCompletion
}

// onlyReplaceFailed reports whether a pod being deleted is replaced only
// once it has failed (podReplacementPolicy Failed, implied by a pod
// failure policy).
func onlyReplaceFailed(j *batchv1.Job) bool {
	return ptr.Deref(j.Spec.PodReplacementPolicy, batchv1.TerminatingOrFailed) == batchv1.Failed || j.Spec.PodFailurePolicy != nil
}

// podFailed reports whether p counts as failed: its phase is Failed or,
// unless only failed pods are replaced, it is being deleted before it
// succeeded (an orphan that will never reach a phase).
func podFailed(p *corev1.Pod, j *batchv1.Job) bool {
	if p.Status.Phase == corev1.PodFailed {
		return true
	}
	return !onlyReplaceFailed(j) && p.DeletionTimestamp != nil && p.Status.Phase != corev1.PodSucceeded
}

// tracked reports whether p has its finalizer and is not counted yet.
func (s *state) tracked(p *corev1.Pod) bool {
	return hasTrackingFinalizer(p) && !s.removing[string(p.UID)] &&
		(!indexed(s.job) || validIndex(p, *s.job.Spec.Completions))
}

// newlyFinished are the pods that finished since the Job's status last
// counted them.
func (s *state) newlyFinished() (succeeded, failed []*corev1.Pod) {
	for _, p := range s.pods {
		if !s.tracked(p) {
			continue
		}
		switch {
		case p.Status.Phase == corev1.PodSucceeded:
			if !s.uncountedSucceeded[p.UID] {
				succeeded = append(succeeded, p)
			}
		case podFailed(p, s.job):
			if !s.uncountedFailed[p.UID] {
				failed = append(failed, p)
			}
		}
	}
	return succeeded, failed
}

// succeededIndexes are an Indexed Job's completed indexes, as its status
// has them and with those of the pods that succeeded since.
func succeededIndexes(j *batchv1.Job, pods []*corev1.Pod) (prev, now indexSet) {
	completions := *j.Spec.Completions
	prev = parseIndexes(j.Status.CompletedIndexes, int(completions))
	var more []int
	for _, p := range pods {
		if p.Status.Phase == corev1.PodSucceeded && hasTrackingFinalizer(p) && validIndex(p, completions) {
			more = append(more, completionIndex(p))
		}
	}
	return prev, prev.with(more...)
}

// failJobMessage is the message of the first FailJob rule a failed pod
// matches, or "".
func failJobMessage(j *batchv1.Job, pods []*corev1.Pod) string {
	if j.Spec.PodFailurePolicy == nil {
		return ""
	}
	for _, p := range pods {
		if podFailed(p, j) {
			if v := matchFailurePolicy(j.Spec.PodFailurePolicy, p); v.failJob != "" {
				return v.failJob
			}
		}
	}
	return ""
}

// pastBackoffLimitOnFailure reports whether the restarts of the
// unfinished pods of a Job whose pods restart OnFailure have reached its
// backoffLimit.
func pastBackoffLimitOnFailure(j *batchv1.Job, pods []*corev1.Pod) bool {
	if j.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyOnFailure {
		return false
	}
	var restarts int32
	for _, p := range pods {
		if p.Status.Phase != corev1.PodRunning && p.Status.Phase != corev1.PodPending {
			continue
		}
		for _, cs := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
			restarts += cs.RestartCount
		}
	}
	if *j.Spec.BackoffLimit == 0 {
		return restarts > 0
	}
	return restarts >= *j.Spec.BackoffLimit
}

// claimPods returns the pods j manages, adopting matching orphans and
// releasing those that stopped matching. An adopted pod is returned with
// the tracking finalizer, as if it had been created with it.
func (c *Controller) claimPods(ctx context.Context, j *batchv1.Job) ([]*corev1.Pod, error) {
	selector, err := metav1.LabelSelectorAsSelector(j.Spec.Selector)
	if err != nil {
		return nil, nil // validation keeps such selectors out
	}
	all, err := c.pods.Pods(j.Namespace).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	claimed, err := ownership.Claim(ctx, ownership.Owner{
		Object: j, Kind: kind, Selector: selector,
		Patch: func(ctx context.Context, name string, patch []byte) error {
			_, err := c.client.CoreV1().Pods(j.Namespace).Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
			return err
		},
		StillOwner: func(ctx context.Context) error {
			fresh, err := c.client.BatchV1().Jobs(j.Namespace).Get(ctx, j.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if fresh.UID != j.UID || fresh.DeletionTimestamp != nil {
				return fmt.Errorf("job %s/%s was replaced or is being deleted: not adopting", j.Namespace, j.Name)
			}
			return nil
		},
	}, all)
	for i, p := range claimed {
		if !metav1.IsControlledBy(p, j) && !hasTrackingFinalizer(p) {
			adopted := p.DeepCopy()
			adopted.Finalizers = append(adopted.Finalizers, batchv1.JobTrackingFinalizer)
			claimed[i] = adopted
		}
	}
	return claimed, err
}

// manage creates or deletes pods to run as many as the Job wants, and
// returns how many are active then.
func (c *Controller) manage(ctx context.Context, s *state) (int32, error) {
	job := s.job
	logger := klog.FromContext(ctx)
	active := int32(len(s.active))
	if ptr.Deref(job.Spec.Suspend, false) {
		logger.V(4).Info("Deleting all active pods in suspended job", "job", klog.KObj(job), "active", active)
		removedReady, removed, err := c.deletePods(ctx, s, podsToRemove(job, s.active, len(s.active)))
		s.terminating += removed
		s.ready -= removedReady
		return active - removed, err
	}

	parallelism := *job.Spec.Parallelism
	var want int32
	switch {
	case job.Spec.Completions != nil:
		want = max(0, min(*job.Spec.Completions-s.succeeded, parallelism))
	case s.succeeded > 0:
		// Once a pod of a Job without completions succeeded, the others
		// finish on their own.
		want = active
	default:
		want = parallelism
	}
	if rm := podsToRemove(job, s.active, int(max(0, active-want))); len(rm) > 0 {
		rm = rm[:min(len(rm), maxPodChangesPerSync)]
		logger.V(4).Info("Too many pods running for job", "job", klog.KObj(job), "deleted", len(rm), "target", want)
		removedReady, removed, err := c.deletePods(ctx, s, rm)
		s.terminating += removed
		s.ready -= removedReady
		// Deletions and creations never happen in the same sync.
		return active - removed, err
	}

	var terminating int32
	if onlyReplaceFailed(job) {
		terminating = s.terminating
	}
	diff := want - terminating - active
	if diff <= 0 {
		return active, nil
	}
	// A Job with backoffLimitPerIndex backs off per index, below.
	if left := s.backoff.remaining(c.now(), c.opts.PodFailureBackoff, c.opts.MaxPodFailureBackoff); left > 0 && !perIndex(job) {
		c.enqueue(job, max(left, c.opts.SyncBatchPeriod))
		return active, nil
	}
	diff = min(diff, maxPodChangesPerSync)
	var indexes []int
	if indexed(job) {
		indexes = firstPendingIndexes(s.takenIndexes(), int(diff), int(*job.Spec.Completions))
		if perIndex(job) {
			var wait time.Duration
			if indexes, wait = readyIndexes(indexes, s.lastFailed, c.now(), c.opts.PodFailureBackoff, c.opts.MaxPodFailureBackoff); wait > 0 {
				c.enqueue(job, max(wait, c.opts.SyncBatchPeriod))
				return active, nil
			}
		}
		if diff = int32(len(indexes)); diff == 0 {
			return active, nil
		}
	}
	logger.V(4).Info("Too few pods running", "job", klog.KObj(job), "need", want, "creating", diff)
	template := job.Spec.Template.DeepCopy()
	if indexed(job) {
		addCompletionIndexEnv(template)
	}
	if !slices.Contains(template.Finalizers, batchv1.JobTrackingFinalizer) {
		template.Finalizers = append(template.Finalizers, batchv1.JobTrackingFinalizer)
	}
	c.expectations.ExpectCreations(s.key, int(diff))
	created, err := c.createPods(ctx, s, template, indexes, int(diff))
	return active + int32(created), err
}

// takenIndexes are the indexes of an Indexed Job that get no new pod:
// succeeded or failed ones, those with an active pod, and, when only
// failed pods are replaced, those with a pod still terminating.
func (s *state) takenIndexes() indexSet {
	taken := s.succeededIndexes.union(s.failedIndexes).with(indexesOf(s.active)...)
	if onlyReplaceFailed(s.job) {
		var terminating []*corev1.Pod
		for _, p := range s.pods {
			if p.DeletionTimestamp != nil && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
				terminating = append(terminating, p)
			}
		}
		taken = taken.with(indexesOf(terminating)...)
	}
	return taken
}

// createPods creates n pods from template, for the indexes given if
// any, in slow-start batches, and returns how many it created.
func (c *Controller) createPods(ctx context.Context, s *state, template *corev1.PodTemplateSpec, indexes []int, n int) (int, error) {
	var unseen atomic.Int32
	err := c.podControl.CreateAll(ctx, s.job, n, func(i int) *corev1.Pod {
		ix := noIndex
		if indexes != nil {
			ix = indexes[i]
		}
		pod := podFor(s.job, template, ix)
		if perIndex(s.job) {
			maps.Copy(pod.Annotations, replacementCounts(s.job, s.lastFailed[ix]))
		}
		return pod
	}, func() {
		unseen.Add(1)
		c.expectations.Created(s.key)
	})
	return n - int(unseen.Load()), err
}

// podFor is the pod of job made from template, for index ix unless
// noIndex: its annotation and label, hostname and name prefix.
func podFor(job *batchv1.Job, template *corev1.PodTemplateSpec, ix int) *corev1.Pod {
	pod := podcontrol.FromTemplate(template, job, kind)
	if ix == noIndex {
		return pod
	}
	v := strconv.Itoa(ix)
	if pod.Annotations == nil {
		pod.Annotations = map[string]string{}
	}
	pod.Annotations[batchv1.JobCompletionIndexAnnotation] = v
	if pod.Labels == nil {
		pod.Labels = map[string]string{}
	}
	pod.Labels[batchv1.JobCompletionIndexAnnotation] = v
	pod.Spec.Hostname = fmt.Sprintf("%s-%d", job.Name, ix)
	pod.GenerateName = podGenerateName(job.Name, ix)
	return pod
}

// podsToRemove returns at least n of an active pods to delete, those
// least advanced first; an Indexed Job's pods without a valid index or
// repeating one go whatever n is.
func podsToRemove(job *batchv1.Job, active []*corev1.Pod, n int) []*corev1.Pod {
	var rm, rest []*corev1.Pod
	if indexed(job) {
		rm, rest = duplicateIndexPods(active, int(*job.Spec.Completions))
	} else {
		rest = append(rest, active...)
	}
	if len(rm) < n {
		sort.Sort(podutils.ActivePods(rest))
		rm = append(rm, rest[:n-len(rm)]...)
	}
	return rm
}

// deletePods removes the finalizer of the pods, which then do not count
// as failed, and deletes them, expecting to see them go; it returns how
// many of them were ready and how many it deleted.
func (c *Controller) deletePods(ctx context.Context, s *state, pods []*corev1.Pod) (ready, deleted int32, err error) {
	keys := make([]string, len(pods))
	for i, p := range pods {
		keys[i], _ = cache.MetaNamespaceKeyFunc(p)
	}
	c.expectations.ExpectDeletions(s.key, keys)
	return c.deleteEach(ctx, s.job, pods, func(i int, p *corev1.Pod) error {
		err := c.removeFinalizer(ctx, p)
		if err == nil {
			err = c.deletePod(ctx, s.job, p)
		}
		if err != nil {
			c.expectations.Deleted(s.key, keys[i])
		}
		return err
	})
}

// deleteActive deletes the active pods of a Job that finished, keeping
// their finalizers: the sync counts them as failed and removes them.
func (c *Controller) deleteActive(ctx context.Context, job *batchv1.Job, pods []*corev1.Pod) (ready, deleted int32, err error) {
	return c.deleteEach(ctx, job, pods, func(_ int, p *corev1.Pod) error { return c.deletePod(ctx, job, p) })
}

// deleteEach calls del for each pod at once, and counts the pods deleted
// and those of them that were ready.
func (c *Controller) deleteEach(ctx context.Context, job *batchv1.Job, pods []*corev1.Pod, del func(int, *corev1.Pod) error) (ready, deleted int32, err error) {
	errs := make([]error, len(pods))
	var wg sync.WaitGroup
	for i, p := range pods {
		wg.Go(func() { errs[i] = del(i, p) })
	}
	wg.Wait()
	for i, p := range pods {
		if errs[i] == nil {
			deleted++
			if podutils.IsPodReady(p) {
				ready++
			}
		}
	}
	return ready, deleted, errors.Join(errs...)
}

func (c *Controller) deletePod(ctx context.Context, job *batchv1.Job, pod *corev1.Pod) error {
	if err := c.podControl.Delete(ctx, job, pod); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	return nil
}

// removeFinalizerPatch takes the tracking finalizer off a pod, leaving
// any others.
var removeFinalizerPatch = []byte(`{"metadata":{"$deleteFromPrimitiveList/finalizers":["` + batchv1.JobTrackingFinalizer + `"]}}`)

// removeFinalizer takes the tracking finalizer off pod; a pod without it,
// or gone, is done.
func (c *Controller) removeFinalizer(ctx context.Context, pod *corev1.Pod) error {
	if !hasTrackingFinalizer(pod) {
		return nil
	}
	_, err := c.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, removeFinalizerPatch, metav1.PatchOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// syncOrphanPod removes the tracking finalizer of a pod that no Job's
// sync will count: one without a Job, or whose Job finished.
func (c *Controller) syncOrphanPod(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	pod, err := c.pods.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if ref := metav1.GetControllerOfNoCopy(pod); ref != nil {
		if ref.Kind != kind.Kind || ref.APIVersion != kind.GroupVersion().String() {
			return nil // not a Job's: not ours to touch
		}
		if j := c.resolve(ns, ref); j != nil {
			if m := j.Spec.ManagedBy; m != nil && *m != managerName {
				return nil
			}
			if !finished(j) {
				return nil // adopted: its Job counts it
			}
		}
	}
	return c.removeFinalizer(ctx, pod)
}
