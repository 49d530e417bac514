package statefulset

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/history"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/ownership"
)

// sync brings one StatefulSet's pods, claims and revisions to its spec and
// reports them in its status.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	set, err := c.sets.StatefulSets(ns).Get(name)
	if apierrors.IsNotFound(err) {
		c.expectations.Forget(key)
		return nil
	}
	if err != nil {
		return err
	}
	selector, err := metav1.LabelSelectorAsSelector(set.Spec.Selector)
	if err != nil {
		// Validation keeps such selectors out; retrying would not help.
		return nil
	}
	revisions, err := history.Claim(ctx, c.client, c.revisionList, c.owns(set, selector))
	if err != nil {
		return err
	}
	pods, err := c.claimPods(ctx, set, selector)
	if err != nil {
		return err
	}
	status, err := c.update(ctx, key, set, pods, revisions)
	if status != nil && set.Spec.MinReadySeconds > 0 && status.AvailableReplicas != int32(replicasOf(set)) {
		// Ready pods become available without an event: look again then.
		c.loop.Queue.AddAfter(key, time.Duration(set.Spec.MinReadySeconds)*time.Second)
	}
	return err
}

// owns is set as the owner of what selector selects.
func (c *Controller) owns(set *appsv1.StatefulSet, selector labels.Selector) ownership.Owner {
	return ownership.Owner{
		Object: set, Kind: kind, Selector: selector,
		StillOwner: func(ctx context.Context) error {
			fresh, err := c.client.AppsV1().StatefulSets(set.Namespace).Get(ctx, set.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if fresh.UID != set.UID || fresh.DeletionTimestamp != nil {
				return errorf(set, "original StatefulSet is gone or being deleted: not adopting")
			}
			return nil
		},
	}
}

// claimPods claims set's pods as upstream does: those its selector
// selects and that are named as its members; one it controls that is
// named otherwise is released.
func (c *Controller) claimPods(ctx context.Context, set *appsv1.StatefulSet, selector labels.Selector) ([]*corev1.Pod, error) {
	all, err := c.pods.Pods(set.Namespace).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	var members, others []*corev1.Pod
	for _, p := range all {
		if isMember(set, p) {
			members = append(members, p)
		} else {
			others = append(others, p)
		}
	}
	patch := func(ctx context.Context, name string, patch []byte) error {
		_, err := c.client.CoreV1().Pods(set.Namespace).Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
		return err
	}
	owner := c.owns(set, selector)
	owner.Patch = patch
	claimed, err := ownership.Claim(ctx, owner, members)
	if err != nil {
		return nil, err
	}
	owner.Selector = labels.Nothing()
	if _, err := ownership.Claim(ctx, owner, others); err != nil {
		return nil, err
	}
	return claimed, nil
}

// update resolves set's revisions, plans the sync and carries it out,
// writes the status and trims the history. It returns the status it
// computed, if it got that far.
func (c *Controller) update(ctx context.Context, key string, set *appsv1.StatefulSet, pods []*corev1.Pod, revisions []*appsv1.ControllerRevision) (*appsv1.StatefulSetStatus, error) {
	current, update, collisions, err := c.revisions(ctx, set, revisions)
	if err != nil {
		return nil, errorf(set, "resolve revisions: %w", err)
	}
	currentSet, err := applyRevision(set, current)
	if err != nil {
		return nil, errorf(set, "%w", err)
	}
	updateSet, err := applyRevision(set, update)
	if err != nil {
		return nil, errorf(set, "%w", err)
	}
	p := makePlan(planInput{
		set: set, currentSet: currentSet, updateSet: updateSet,
		currentRevision: current.Name, updateRevision: update.Name, collisionCount: collisions,
		pods: pods, claim: c.claim(set.Namespace), now: c.now(),
		statusOnly: !c.expectations.Satisfied(key),
	})
	runErr := c.run(ctx, key, set, updateSet, p)
	status := p.status
	completeRollingUpdate(set, &status)
	var statusErr error
	if statusChanged(set, &status) {
		statusErr = c.writeStatus(ctx, set, status)
	}
	trimErr := c.trimHistory(ctx, set, pods, revisions, current, update)
	return &status, errors.Join(runErr, statusErr, trimErr)
}

// claim reads a claim from the cache, nil if there is none.
func (c *Controller) claim(ns string) func(string) *corev1.PersistentVolumeClaim {
	return func(name string) *corev1.PersistentVolumeClaim {
		pvc, err := c.claims.PersistentVolumeClaims(ns).Get(name)
		if err != nil {
			return nil
		}
		return pvc
	}
}

// run carries out p's phases, each only after the one before succeeded,
// with the creations and deletions expected first so that the next sync
// waits until the informer has seen them.
func (c *Controller) run(ctx context.Context, key string, set, updateSet *appsv1.StatefulSet, p plan) error {
	creates := 0
	var deletes []string
	for _, phase := range p.phases {
		for _, a := range phase {
			switch a.op {
			case opCreate:
				creates++
			case opDelete:
				deletes = append(deletes, podKey(a.pod))
			}
		}
	}
	if creates > 0 || len(deletes) > 0 {
		c.expectations.Expect(key, creates, deletes)
	}
	// unseen gives up the expectation of an action that made no change the
	// informer will report.
	unseen := func(a action) {
		switch a.op {
		case opCreate:
			c.expectations.Created(key)
		case opDelete:
			c.expectations.Deleted(key, podKey(a.pod))
		}
	}
	var err error
	for i, phase := range p.phases {
		if err = c.runPhase(ctx, set, updateSet, phase, p.parallel, unseen); err != nil {
			for _, rest := range p.phases[i+1:] {
				for _, a := range rest {
					unseen(a)
				}
			}
			break
		}
	}
	return err
}

// runPhase runs actions: in order, stopping at the first failure, or
// under Parallel in slow-start batches (1, 2, 4, … up to maxBatch),
// stopping after a batch with a failure. Every action that fails or is
// not run is passed to unseen.
func (c *Controller) runPhase(ctx context.Context, set, updateSet *appsv1.StatefulSet, actions []action, parallel bool, unseen func(action)) error {
	do := func(a action) error {
		err := c.do(ctx, set, updateSet, a)
		if err != nil {
			unseen(a)
		}
		if a.op == opDelete && apierrors.IsNotFound(err) {
			return nil // gone already, as wanted
		}
		return err
	}
	if !parallel {
		for i, a := range actions {
			if err := do(a); err != nil {
				for _, rest := range actions[i+1:] {
					unseen(rest)
				}
				return err
			}
		}
		return nil
	}
	done := 0
	for batch := 1; done < len(actions); batch = min(2*batch, maxBatch) {
		batch = min(batch, len(actions)-done)
		errs := make([]error, batch)
		var wg sync.WaitGroup
		for i := range batch {
			wg.Go(func() { errs[i] = do(actions[done+i]) })
		}
		wg.Wait()
		done += batch
		if err := errors.Join(errs...); err != nil {
			for _, rest := range actions[done:] {
				unseen(rest)
			}
			return err
		}
	}
	return nil
}

// do carries out one action.
func (c *Controller) do(ctx context.Context, set, updateSet *appsv1.StatefulSet, a action) error {
	logger := klog.FromContext(ctx)
	switch a.op {
	case opCreate:
		return c.createPod(ctx, set, a.pod)
	case opDelete:
		logger.V(2).Info("Pod of StatefulSet is terminating", "statefulSet", klog.KObj(set), "pod", klog.KObj(a.pod))
		return c.deletePod(ctx, set, a.pod)
	case opUpdate:
		if a.claims {
			if err := c.ensureClaims(ctx, set, a.pod); err != nil {
				return err
			}
		}
		return c.updatePod(ctx, updateSet, a.pod.DeepCopy())
	default:
		return c.ensureClaims(ctx, set, a.pod)
	}
}

func podKey(pod *corev1.Pod) string { return pod.Namespace + "/" + pod.Name }

// createPod creates pod's claims, then pod, as upstream's
// CreateStatefulPod, with its events.
func (c *Controller) createPod(ctx context.Context, set *appsv1.StatefulSet, pod *corev1.Pod) error {
	if err := c.createClaims(ctx, set, pod); err != nil {
		c.podEvent(set, pod, "create", err)
		return err
	}
	_, err := c.client.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return err
	}
	c.podEvent(set, pod, "create", err)
	return err
}

// deletePod deletes pod, the very one the cache holds (its UID as
// precondition): a pod of that name made since is not deleted. A pod
// already gone or replaced gets no event.
func (c *Controller) deletePod(ctx context.Context, set *appsv1.StatefulSet, pod *corev1.Pod) error {
	err := c.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &pod.UID}})
	switch {
	case apierrors.IsNotFound(err):
		return err
	case apierrors.IsConflict(err):
		// Another pod of that name: the cache was behind.
		return err
	}
	c.podEvent(set, pod, "delete", err)
	return err
}

// updatePod gives pod set's identity and storage and its claims the
// owner references set's policy wants, writing the pod if it changed,
// retrying on conflicts with the pod as the API server has it.
func (c *Controller) updatePod(ctx context.Context, set *appsv1.StatefulSet, pod *corev1.Pod) error {
	attempted := false
	var err error
	for attempt := 0; attempt < maxUpdateRetries; attempt++ {
		consistent := true
		if !identityMatches(set, pod) {
			updateIdentity(set, pod)
			consistent = false
		}
		if !storageMatches(set, pod) {
			updateStorage(set, pod)
			consistent = false
			if err = c.createClaims(ctx, set, pod); err != nil {
				c.podEvent(set, pod, "update", err)
				return err
			}
		}
		if err = c.setClaimRefs(ctx, set, pod); err != nil {
			c.podEvent(set, pod, "update", err)
			return err
		}
		if consistent {
			break
		}
		attempted = true
		_, err = c.client.CoreV1().Pods(pod.Namespace).Update(ctx, pod, metav1.UpdateOptions{})
		if !apierrors.IsConflict(err) {
			break
		}
		fresh, getErr := c.client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
		if getErr != nil {
			err = getErr
			break
		}
		pod = fresh
	}
	if attempted {
		c.podEvent(set, pod, "update", err)
	}
	return err
}

// maxUpdateRetries is how often a write that conflicts is tried again.
const maxUpdateRetries = 5

// ensureClaims creates pod's missing claims and gives them the owner
// references set's policy wants.
func (c *Controller) ensureClaims(ctx context.Context, set *appsv1.StatefulSet, pod *corev1.Pod) error {
	if err := c.createClaims(ctx, set, pod); err != nil {
		return err
	}
	if err := c.setClaimRefs(ctx, set, pod); err != nil {
		c.podEvent(set, pod, "update", err)
		return err
	}
	return nil
}

// createClaims creates those of pod's claims the cache does not hold, with
// the owner references set's policy wants, each with upstream's event. A
// claim being deleted is an error: the pod must wait for it to go.
func (c *Controller) createClaims(ctx context.Context, set *appsv1.StatefulSet, pod *corev1.Pod) error {
	var errs []error
	for _, claim := range claimsFor(set, pod) {
		existing, err := c.claims.PersistentVolumeClaims(claim.Namespace).Get(claim.Name)
		switch {
		case apierrors.IsNotFound(err):
			setClaimRefs(claim, set, pod)
			_, err := c.client.CoreV1().PersistentVolumeClaims(claim.Namespace).Create(ctx, claim, metav1.CreateOptions{})
			if err != nil {
				errs = append(errs, fmt.Errorf("failed to create PVC %s: %w", claim.Name, err))
			}
			if err == nil || !apierrors.IsAlreadyExists(err) {
				c.claimEvent(set, pod, claim, err)
			}
		case err != nil:
			errs = append(errs, fmt.Errorf("failed to retrieve PVC %s: %w", claim.Name, err))
			c.claimEvent(set, pod, claim, err)
		case existing.DeletionTimestamp != nil:
			errs = append(errs, fmt.Errorf("pvc %s is being deleted", claim.Name))
		}
	}
	return errors.Join(errs...)
}

// setClaimRefs gives pod's existing claims the owner references set's
// policy wants, warning when a claim has another controller, which the
// policy then leaves alone.
func (c *Controller) setClaimRefs(ctx context.Context, set *appsv1.StatefulSet, pod *corev1.Pod) error {
	for _, want := range claimsFor(set, pod) {
		claim, err := c.claims.PersistentVolumeClaims(want.Namespace).Get(want.Name)
		if apierrors.IsNotFound(err) {
			klog.FromContext(ctx).V(4).Info("Expected claim missing, continuing to pick up in next iteration", "PVC", klog.KObj(want))
			continue
		}
		if err != nil {
			return fmt.Errorf("could not retrieve claim %s for %s when checking PVC deletion policy: %w", want.Name, pod.Name, err)
		}
		if foreignController(claim, set, pod) {
			c.events.Eventf(set, corev1.EventTypeWarning, "ConflictingController",
				"PersistentVolumeClaim %s has a conflicting OwnerReference that acts as a managing controller, the retention policy is ignored for this claim", claim.Name)
		}
		if claimUpToDate(claim, set, pod) {
			continue
		}
		claim = claim.DeepCopy()
		setClaimRefs(claim, set, pod)
		if _, err := c.client.CoreV1().PersistentVolumeClaims(claim.Namespace).Update(ctx, claim, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("could not update claim %s for delete policy ownerRefs: %w", claim.Name, err)
		}
	}
	return nil
}

// podEvent records verb done to pod as upstream words it:
// SuccessfulCreate "create Pod web-0 in StatefulSet web successful", or
// FailedCreate "... failed error: ...".
func (c *Controller) podEvent(set *appsv1.StatefulSet, pod *corev1.Pod, verb string, err error) {
	title := strings.ToUpper(verb[:1]) + verb[1:]
	if err == nil {
		c.events.Eventf(set, corev1.EventTypeNormal, "Successful"+title, "%s Pod %s in StatefulSet %s successful", verb, pod.Name, set.Name)
		return
	}
	c.events.Eventf(set, corev1.EventTypeWarning, "Failed"+title, "%s Pod %s in StatefulSet %s failed error: %s", verb, pod.Name, set.Name, err)
}

// claimEvent records the creation of pod's claim as upstream words it.
func (c *Controller) claimEvent(set *appsv1.StatefulSet, pod *corev1.Pod, claim *corev1.PersistentVolumeClaim, err error) {
	if err == nil {
		c.events.Eventf(set, corev1.EventTypeNormal, "SuccessfulCreate", "create Claim %s Pod %s in StatefulSet %s success", claim.Name, pod.Name, set.Name)
		return
	}
	c.events.Eventf(set, corev1.EventTypeWarning, "FailedCreate", "create Claim %s for Pod %s in StatefulSet %s failed error: %s", claim.Name, pod.Name, set.Name, err)
}

// writeStatus stores status as set's, retrying on conflicts with set as
// the API server has it.
func (c *Controller) writeStatus(ctx context.Context, set *appsv1.StatefulSet, status appsv1.StatefulSetStatus) error {
	next := set.DeepCopy()
	for attempt := 0; ; attempt++ {
		next.Status = status
		_, err := c.client.AppsV1().StatefulSets(next.Namespace).UpdateStatus(ctx, next, metav1.UpdateOptions{})
		if err == nil || !apierrors.IsConflict(err) || attempt >= maxUpdateRetries {
			if err != nil {
				return errorf(set, "update status: %w", err)
			}
			return nil
		}
		if next, err = c.client.AppsV1().StatefulSets(set.Namespace).Get(ctx, set.Name, metav1.GetOptions{}); err != nil {
			return errorf(set, "update status: %w", err)
		}
		if next.UID != set.UID {
			return nil
		}
	}
}

// trimHistory deletes the oldest of set's revisions that are neither its
// current nor its update revision nor any pod's, beyond its
// revisionHistoryLimit.
func (c *Controller) trimHistory(ctx context.Context, set *appsv1.StatefulSet, pods []*corev1.Pod, revisions []*appsv1.ControllerRevision, current, update *appsv1.ControllerRevision) error {
	limit := 10
	if set.Spec.RevisionHistoryLimit != nil {
		limit = int(*set.Spec.RevisionHistoryLimit)
	}
	if limit < 0 {
		return nil
	}
	live := map[string]bool{}
	for _, r := range []*appsv1.ControllerRevision{current, update} {
		if r != nil {
			live[r.Name] = true
		}
	}
	for _, p := range pods {
		live[revisionOf(p)] = true
	}
	isLive := func(r *appsv1.ControllerRevision) bool { return live[r.Name] }
	dead := 0
	for _, r := range revisions {
		if !isLive(r) {
			dead++
		}
	}
	if err := history.Trim(ctx, c.client, revisions, dead-limit, isLive); err != nil {
		return errorf(set, "trim history: %w", err)
	}
	return nil
}
