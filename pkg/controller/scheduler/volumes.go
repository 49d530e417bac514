package scheduler

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	corelisters "k8s.io/client-go/listers/core/v1"
	storagelisters "k8s.io/client-go/listers/storage/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/component-helpers/storage/ephemeral"
	storagehelpers "k8s.io/component-helpers/storage/volume"
	"k8s.io/klog/v2"
)

// The VolumeBinding plugin's texts (binder.go's ConflictReasons and its
// PreFilter's).
const (
	reasonBindConflict  = "node(s) didn't find available persistent volumes to bind"
	reasonNodeConflict  = "node(s) had volume node affinity conflict"
	reasonPVNotExist    = "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"
	msgUnboundImmediate = "pod has unbound immediate PersistentVolumeClaims"
	volumeBindingPlugin = "VolumeBinding"
)

// DefaultBindTimeout is VolumeBindingArgs' bindTimeoutSeconds default: how
// long a pod waits in PreBind for its claims to be bound.
const DefaultBindTimeout = 600 * time.Second

// bindPollInterval is how often PreBind looks whether the claims are bound
// (upstream polls every second).
const bindPollInterval = 100 * time.Millisecond

// enableVolumeAttributesClass is the VolumeAttributesClass feature, GA and
// on in v1.37.
const enableVolumeAttributesClass = true

// podClaim is a claim a pod's volume names.
type podClaim struct {
	name      string
	ephemeral bool
}

// podClaims lists the claims of pod's volumes, in order.
func podClaims(pod *corev1.Pod) []podClaim {
	var out []podClaim
	for i := range pod.Spec.Volumes {
		v := &pod.Spec.Volumes[i]
		switch {
		case v.PersistentVolumeClaim != nil:
			out = append(out, podClaim{name: v.PersistentVolumeClaim.ClaimName})
		case v.Ephemeral != nil:
			out = append(out, podClaim{name: ephemeral.VolumeClaimName(pod, v), ephemeral: true})
		}
	}
	return out
}

func (p *podInfo) usesClaim(namespace, name string) bool {
	if p.pod.Namespace != namespace {
		return false
	}
	for _, c := range p.claims {
		if c.name == name {
			return true
		}
	}
	return false
}

// volumeBinder is what the VolumeBinding plugin reads: claims, volumes and
// classes from the informers. What this scheduler decided and has not yet
// seen written (a volume pre-bound to a claim, a claim's selected node) is
// in the cache's assumptions.
type volumeBinder struct {
	claims  corelisters.PersistentVolumeClaimLister
	volumes corelisters.PersistentVolumeLister
	classes storagelisters.StorageClassLister
	timeout time.Duration
}

// volumeState is the plugin's cycle state: the pod's bound claims, its
// unbound WaitForFirstConsumer claims and the volumes of their classes,
// and what Filter found for each node.
type volumeState struct {
	bound, delayed []*corev1.PersistentVolumeClaim
	volumesByClass map[string][]*corev1.PersistentVolume
	byNode         map[string]*podVolumes
}

// podVolumes is what the pod's unbound claims need on one node: static
// volumes to pre-bind and claims to provision.
type podVolumes struct {
	static    []staticBinding
	provision []*corev1.PersistentVolumeClaim
}

type staticBinding struct {
	claim *corev1.PersistentVolumeClaim
	pv    *corev1.PersistentVolume
}

// volumePlan is what PreBind does for a pod placed on node: the API
// writes, then the wait for the claims to be bound.
type volumePlan struct {
	node       string
	nodeLabels map[string]string
	static     []staticBinding // pv already pre-bound to claim
	provision  []*corev1.PersistentVolumeClaim
	// written are the resourceVersions of the claims as PreBind left them,
	// by claim key: an informer still showing an older one has not seen
	// the selected node yet, which is not the annotation being reset.
	written map[string]string
}

// preFilterVolumesLocked is the VolumeRestrictions and VolumeBinding
// PreFilters for the claims: every claim exists and can be used, and every
// claim of an Immediate class is bound already.
func (s *Scheduler) preFilterVolumesLocked(p *podInfo) (*volumeState, *status) {
	if len(p.claims) == 0 {
		return nil, nil
	}
	pod := p.pod
	vs := &volumeState{byNode: map[string]*podVolumes{}}
	var immediate bool
	for _, pc := range p.claims {
		claim, err := s.volumes.claims.PersistentVolumeClaims(pod.Namespace).Get(pc.name)
		if err != nil {
			if pc.ephemeral && apierrors.IsNotFound(err) {
				err = fmt.Errorf("waiting for ephemeral volume controller to create the persistentvolumeclaim %q", pc.name)
			}
			return nil, newStatus(unresolvable, err.Error())
		}
		if claim.Status.Phase == corev1.ClaimLost {
			return nil, newStatus(unresolvable, fmt.Sprintf("persistentvolumeclaim %q bound to non-existent persistentvolume %q", claim.Name, claim.Spec.VolumeName))
		}
		if claim.DeletionTimestamp != nil {
			return nil, newStatus(unresolvable, fmt.Sprintf("persistentvolumeclaim %q is being deleted", claim.Name))
		}
		if pc.ephemeral {
			if err := ephemeral.VolumeIsForPod(pod, claim); err != nil {
				return nil, newStatus(unresolvable, err.Error())
			}
		}
		if fullyBound(claim) {
			vs.bound = append(vs.bound, claim)
			continue
		}
		delay, err := storagehelpers.IsDelayBindingMode(claim, s.volumes.classes)
		if err != nil {
			return nil, newStatus(unresolvable, err.Error())
		}
		if !delay || claim.Spec.VolumeName != "" {
			// Pre-bound claims count as immediate: the binder binds them.
			immediate = true
			continue
		}
		if node, ok := s.cache.assumedNodes[claimKey(claim)]; ok && claim.Annotations[storagehelpers.AnnSelectedNode] == "" {
			claim = claim.DeepCopy()
			metav1.SetMetaDataAnnotation(&claim.ObjectMeta, storagehelpers.AnnSelectedNode, node)
		}
		vs.delayed = append(vs.delayed, claim)
	}
	if immediate {
		return nil, newStatus(unresolvable, msgUnboundImmediate)
	}
	if len(vs.delayed) > 0 {
		all, err := s.volumes.volumes.List(labels.Everything())
		if err != nil {
			return nil, newStatus(unresolvable, err.Error())
		}
		vs.volumesByClass = map[string][]*corev1.PersistentVolume{}
		for _, claim := range vs.delayed {
			vs.volumesByClass[storagehelpers.GetPersistentVolumeClaimClass(claim)] = nil
		}
		for _, pv := range all {
			class := storagehelpers.GetPersistentVolumeClass(pv)
			if _, ok := vs.volumesByClass[class]; !ok {
				continue
			}
			if key, ok := s.cache.assumedPVs[pv.Name]; ok && pv.Spec.ClaimRef == nil {
				// Pre-bound by a binding in flight.
				pv = pv.DeepCopy()
				ns, name := splitKey(key)
				pv.Spec.ClaimRef = &corev1.ObjectReference{Kind: "PersistentVolumeClaim", Namespace: ns, Name: name}
			}
			vs.volumesByClass[class] = append(vs.volumesByClass[class], pv)
		}
	}
	return vs, nil
}

// fullyBound: the binder has finished binding the claim.
func fullyBound(claim *corev1.PersistentVolumeClaim) bool {
	return claim.Spec.VolumeName != "" && metav1.HasAnnotation(claim.ObjectMeta, storagehelpers.AnnBindCompleted)
}

func claimKey(claim *corev1.PersistentVolumeClaim) string { return claim.Namespace + "/" + claim.Name }

func splitKey(key string) (ns, name string) {
	for i := range len(key) {
		if key[i] == '/' {
			return key[:i], key[i+1:]
		}
	}
	return "", key
}

// filter is the VolumeBinding Filter on node: bound claims' volumes must
// allow the node; unbound claims need a free volume that fits and allows
// the node, or a class that can provision for it.
func (vs *volumeState) filter(vb *volumeBinder, node *corev1.Node) *status {
	if vs == nil {
		return nil
	}
	var reasons []string
	for _, claim := range vs.bound {
		pv, err := vb.volumes.Get(claim.Spec.VolumeName)
		if err != nil {
			if apierrors.IsNotFound(err) {
				reasons = append(reasons, reasonPVNotExist)
				break
			}
			return newStatus(unresolvable, err.Error())
		}
		if storagehelpers.CheckNodeAffinity(pv, node.Labels) != nil {
			reasons = append(reasons, reasonNodeConflict)
			break
		}
	}
	if len(reasons) > 0 {
		return newStatus(unresolvable, reasons...)
	}
	pvs, ok, err := vs.findUnbound(vb, node)
	if err != nil {
		return newStatus(unresolvable, err.Error())
	}
	if !ok {
		return newStatus(unresolvable, reasonBindConflict)
	}
	vs.byNode[node.Name] = pvs
	return nil
}

// findUnbound is FindPodVolumes for the unbound claims: a claim whose node
// is selected fits that node only; the others take the smallest free
// volume that fits (smallest claims first), else must be provisionable.
func (vs *volumeState) findUnbound(vb *volumeBinder, node *corev1.Node) (*podVolumes, bool, error) {
	out := &podVolumes{}
	var match []*corev1.PersistentVolumeClaim
	for _, claim := range vs.delayed {
		if sel, ok := claim.Annotations[storagehelpers.AnnSelectedNode]; ok {
			if sel != node.Name {
				return nil, false, nil
			}
			out.provision = append(out.provision, claim)
			continue
		}
		match = append(match, claim)
	}
	sort.SliceStable(match, func(i, j int) bool {
		a, b := match[i].Spec.Resources.Requests[corev1.ResourceStorage], match[j].Spec.Resources.Requests[corev1.ResourceStorage]
		return a.Cmp(b) < 0
	})
	chosen := map[string]*corev1.PersistentVolume{}
	for _, claim := range match {
		pv, err := storagehelpers.FindMatchingVolume(claim, vs.volumesByClass[storagehelpers.GetPersistentVolumeClaimClass(claim)], node, chosen, true, enableVolumeAttributesClass)
		if err != nil {
			return nil, false, err
		}
		if pv == nil {
			out.provision = append(out.provision, claim)
			continue
		}
		chosen[pv.Name] = pv
		out.static = append(out.static, staticBinding{claim: claim, pv: pv})
	}
	for _, claim := range out.provision {
		name := storagehelpers.GetPersistentVolumeClaimClass(claim)
		if name == "" {
			return nil, false, fmt.Errorf("no class for claim %q", claimKey(claim))
		}
		class, err := vb.classes.Get(name)
		if err != nil {
			return nil, false, fmt.Errorf("failed to find storage class %q", name)
		}
		if class.Provisioner == storagehelpers.NotSupportedProvisioner || !topologyAllows(class.AllowedTopologies, node.Labels) {
			return nil, false, nil
		}
	}
	return out, true, nil
}

// topologyAllows is whether a class's allowedTopologies let a volume be
// made for a node with these labels: any term (none means anywhere), each
// of whose expressions the labels satisfy.
func topologyAllows(terms []corev1.TopologySelectorTerm, nodeLabels map[string]string) bool {
	if len(terms) == 0 {
		return true
	}
	for _, t := range terms {
		ok := true
		for _, e := range t.MatchLabelExpressions {
			if v, has := nodeLabels[e.Key]; !has || !slices.Contains(e.Values, v) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// reserveVolumesLocked is the VolumeBinding Reserve on node: the volumes
// Filter picked are assumed pre-bound and the claims to provision assumed
// on node, so that the next pods see them so; nil when every claim is
// bound already.
func (s *Scheduler) reserveVolumesLocked(vs *volumeState, node *nodeInfo) *volumePlan {
	if vs == nil {
		return nil
	}
	pvs := vs.byNode[node.name]
	if pvs == nil || len(pvs.static) == 0 && len(pvs.provision) == 0 {
		return nil
	}
	plan := &volumePlan{node: node.name, nodeLabels: node.node.Labels}
	for _, b := range pvs.static {
		pv, _, err := storagehelpers.GetBindVolumeToClaim(b.pv, b.claim)
		if err != nil {
			continue // PreBind's write then fails and the pod is retried
		}
		s.cache.assumedPVs[pv.Name] = claimKey(b.claim)
		plan.static = append(plan.static, staticBinding{claim: b.claim, pv: pv})
	}
	for _, claim := range pvs.provision {
		s.cache.assumedNodes[claimKey(claim)] = node.name
		plan.provision = append(plan.provision, claim)
	}
	return plan
}

// forgetVolumes drops a plan's assumptions once its PreBind is over: the
// informers show what was written, or nothing was.
func (c *schedCache) forgetVolumes(plan *volumePlan) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, b := range plan.static {
		delete(c.assumedPVs, b.pv.Name)
	}
	for _, claim := range plan.provision {
		delete(c.assumedNodes, claimKey(claim))
	}
}

// bindVolumes is the VolumeBinding PreBind: it pre-binds the chosen
// volumes, sets the selected node on the claims to provision, and waits
// until the binder (and provisioner) have bound every claim. release is
// called before the wait, which holds no binding slot.
func (s *Scheduler) bindVolumes(ctx context.Context, pod *corev1.Pod, plan *volumePlan, release func()) error {
	logger := klog.FromContext(ctx)
	for _, b := range plan.static {
		if _, err := s.client.CoreV1().PersistentVolumes().Update(ctx, b.pv, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("binding volumes: %v", err)
		}
	}
	plan.written = map[string]string{}
	for _, claim := range plan.provision {
		err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
			cur, err := s.client.CoreV1().PersistentVolumeClaims(claim.Namespace).Get(ctx, claim.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if cur.UID != claim.UID {
				return fmt.Errorf("claim %q was replaced", claimKey(claim))
			}
			if cur.Spec.VolumeName == "" && cur.Annotations[storagehelpers.AnnSelectedNode] != plan.node {
				metav1.SetMetaDataAnnotation(&cur.ObjectMeta, storagehelpers.AnnSelectedNode, plan.node)
				if cur, err = s.client.CoreV1().PersistentVolumeClaims(claim.Namespace).Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
					return err
				}
			}
			plan.written[claimKey(claim)] = cur.ResourceVersion
			return nil
		})
		if err != nil {
			return fmt.Errorf("binding volumes: %v", err)
		}
	}
	release()
	logger.V(5).Info("Waiting for the pod's volumes to be bound", "pod", klog.KObj(pod), "node", plan.node)
	err := wait.PollUntilContextTimeout(ctx, bindPollInterval, s.volumes.timeout, true, func(context.Context) (bool, error) {
		if cur, err := s.pods.Pods(pod.Namespace).Get(pod.Name); err != nil || cur.UID != pod.UID || cur.DeletionTimestamp != nil {
			return false, fmt.Errorf("pod %s/%s is gone", pod.Namespace, pod.Name)
		}
		return s.volumes.checkBindings(plan)
	})
	if err != nil {
		if wait.Interrupted(err) && ctx.Err() == nil {
			return fmt.Errorf("binding volumes: context deadline exceeded")
		}
		return fmt.Errorf("binding volumes: %v", err)
	}
	return nil
}

// checkBindings reports whether every claim of the plan is bound to a
// volume that allows the node, and fails if the binding was undone.
func (vb *volumeBinder) checkBindings(plan *volumePlan) (bool, error) {
	check := func(claim *corev1.PersistentVolumeClaim) (bool, error) {
		cur, err := vb.claims.PersistentVolumeClaims(claim.Namespace).Get(claim.Name)
		if err != nil {
			return false, fmt.Errorf("failed to check binding: %w", err)
		}
		if !fullyBound(cur) {
			return false, nil
		}
		pv, err := vb.volumes.Get(cur.Spec.VolumeName)
		if err != nil {
			return false, nil // the informer has not seen it yet
		}
		if err := storagehelpers.CheckNodeAffinity(pv, plan.nodeLabels); err != nil {
			return false, fmt.Errorf("pv %q node affinity doesn't match node %q: %w", pv.Name, plan.node, err)
		}
		return true, nil
	}
	for _, b := range plan.static {
		pv, err := vb.volumes.Get(b.pv.Name)
		if err != nil {
			return false, fmt.Errorf("failed to check binding: %w", err)
		}
		if pv.Spec.ClaimRef == nil || pv.Spec.ClaimRef.UID == "" {
			return false, fmt.Errorf("ClaimRef got reset for pv %q", pv.Name)
		}
		if ok, err := check(b.claim); !ok || err != nil {
			return false, err
		}
	}
	for _, claim := range plan.provision {
		cur, err := vb.claims.PersistentVolumeClaims(claim.Namespace).Get(claim.Name)
		if err == nil && olderThan(cur.ResourceVersion, plan.written[claimKey(claim)]) {
			return false, nil
		}
		if err == nil && !fullyBound(cur) {
			sel, ok := cur.Annotations[storagehelpers.AnnSelectedNode]
			if !ok {
				return false, fmt.Errorf("selectedNode annotation reset for PVC %q", cur.Name)
			}
			if sel != plan.node {
				return false, fmt.Errorf("selectedNode annotation value %q not set to scheduled node %q", sel, plan.node)
			}
		}
		if ok, err := check(claim); !ok || err != nil {
			return false, err
		}
	}
	return true, nil
}

// olderThan reports whether resourceVersion rv comes before written, as
// kube-scheduler's assume cache compares them (as integers); one that does
// not parse is not older.
func olderThan(rv, written string) bool {
	a, errA := strconv.ParseInt(rv, 10, 64)
	b, errB := strconv.ParseInt(written, 10, 64)
	return errA == nil && errB == nil && a < b
}

// claimEvent matches the queued pods a claim's change may make
// schedulable: those that use it.
func claimEvent(claim *corev1.PersistentVolumeClaim) func(*podInfo) bool {
	return func(p *podInfo) bool { return p.usesClaim(claim.Namespace, claim.Name) }
}

// anyClaims matches the pods that use claims, for volume and class events.
func anyClaims(p *podInfo) bool { return len(p.claims) > 0 }
