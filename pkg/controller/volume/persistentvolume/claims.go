package persistentvolume

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/component-helpers/storage/ephemeral"
	storagehelpers "k8s.io/component-helpers/storage/volume"
	"k8s.io/klog/v2"
)

// Upstream's event reasons (pkg/controller/volume/events).
const (
	reasonFailedBinding        = "FailedBinding"
	reasonVolumeMismatch       = "VolumeMismatch"
	reasonProvisioningFailed   = "ProvisioningFailed"
	reasonExternalProvisioning = "ExternalProvisioning"
	reasonWaitForFirstConsumer = "WaitForFirstConsumer"
	reasonWaitForPodScheduled  = "WaitForPodScheduled"
	reasonClaimLost            = "ClaimLost"
	reasonClaimMisbound        = "ClaimMisbound"
	reasonVolumeFailedDelete   = "VolumeFailedDelete"
	reasonVolumeFailedRecycle  = "VolumeFailedRecycle"
)

// enableVolumeAttributesClass is the VolumeAttributesClass feature, GA and
// on in v1.37: a claim binds only volumes of its volumeAttributesClassName.
const enableVolumeAttributesClass = true

func (c *Controller) syncClaimKey(ctx context.Context, key string) error {
	claim := c.claim(key)
	if claim == nil {
		return nil
	}
	klog.FromContext(ctx).V(4).Info("Synchronizing PersistentVolumeClaim", "PVC", klog.KObj(claim), "phase", claim.Status.Phase)
	if !metav1.HasAnnotation(claim.ObjectMeta, storagehelpers.AnnBindCompleted) {
		return c.syncUnboundClaim(ctx, claim)
	}
	return c.syncBoundClaim(ctx, claim)
}

// syncUnboundClaim handles a claim whose binding has not completed.
func (c *Controller) syncUnboundClaim(ctx context.Context, claim *corev1.PersistentVolumeClaim) error {
	if claim.Spec.VolumeName == "" {
		delayBinding, err := storagehelpers.IsDelayBindingMode(claim, c.classes)
		if err != nil {
			return err
		}
		volume, err := c.findBestMatch(claim, delayBinding)
		if err != nil {
			return fmt.Errorf("error finding PV for claim %q: %w", claimKey(claim), err)
		}
		if volume != nil {
			return c.bind(ctx, volume, claim)
		}
		if updated, err := c.assignDefaultStorageClass(ctx, claim); err != nil {
			return fmt.Errorf("can't update PersistentVolumeClaim[%q]: %w", claimKey(claim), err)
		} else if updated {
			return nil // the update syncs the claim again
		}
		switch {
		case delayBinding && !storagehelpers.IsDelayBindingProvisioning(claim):
			c.eventForUnboundDelayBindingClaim(claim)
		case storagehelpers.GetPersistentVolumeClaimClass(claim) != "":
			return c.provisionClaim(ctx, claim)
		default:
			c.events.Event(claim, corev1.EventTypeNormal, reasonFailedBinding, "no persistent volumes available for this claim and no storage class is set")
		}
		_, err = c.updateClaimStatus(ctx, claim, corev1.ClaimPending, nil)
		return err
	}

	// The user asked for a particular volume.
	volume := c.volume(claim.Spec.VolumeName)
	switch {
	case volume == nil:
		_, err := c.updateClaimStatus(ctx, claim, corev1.ClaimPending, nil)
		return err
	case volume.Spec.ClaimRef == nil:
		if err := checkVolumeSatisfyClaim(volume, claim); err != nil {
			c.events.Eventf(claim, corev1.EventTypeWarning, reasonVolumeMismatch, "Cannot bind to requested volume %q: %s", volume.Name, err)
			_, err := c.updateClaimStatus(ctx, claim, corev1.ClaimPending, nil)
			return err
		}
		return c.bind(ctx, volume, claim)
	case storagehelpers.IsVolumeBoundToClaim(volume, claim):
		return c.bind(ctx, volume, claim)
	case !metav1.HasAnnotation(claim.ObjectMeta, storagehelpers.AnnBoundByController):
		c.events.Eventf(claim, corev1.EventTypeWarning, reasonFailedBinding, "volume %q already bound to a different claim.", volume.Name)
		_, err := c.updateClaimStatus(ctx, claim, corev1.ClaimPending, nil)
		return err
	default:
		c.events.Eventf(claim, corev1.EventTypeWarning, reasonFailedBinding, "volume %q already bound to a different claim.", volume.Name)
		return fmt.Errorf("invalid binding of claim %q to volume %q: volume already claimed by %q", claimKey(claim), claim.Spec.VolumeName,
			volume.Spec.ClaimRef.Namespace+"/"+volume.Spec.ClaimRef.Name)
	}
}

// syncBoundClaim handles a claim that was bound once.
func (c *Controller) syncBoundClaim(ctx context.Context, claim *corev1.PersistentVolumeClaim) error {
	if claim.Spec.VolumeName == "" {
		_, err := c.updateClaimStatusWithEvent(ctx, claim, corev1.ClaimLost, nil, reasonClaimLost, "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!")
		return err
	}
	volume := c.volume(claim.Spec.VolumeName)
	switch {
	case volume == nil:
		_, err := c.updateClaimStatusWithEvent(ctx, claim, corev1.ClaimLost, nil, reasonClaimLost, "Bound claim has lost its PersistentVolume. Data on the volume is lost!")
		return err
	case volume.Spec.ClaimRef == nil, volume.Spec.ClaimRef.UID == claim.UID:
		// Either the volume came unbound (or its update is not seen yet)
		// and is bound again, or all is well and bind changes nothing.
		return c.bind(ctx, volume, claim)
	default:
		_, err := c.updateClaimStatusWithEvent(ctx, claim, corev1.ClaimLost, nil, reasonClaimMisbound, "Two claims are bound to the same volume, this one is bound incorrectly")
		return err
	}
}

// checkVolumeSatisfyClaim is why volume cannot serve the claim that names
// it, or nil.
func checkVolumeSatisfyClaim(volume *corev1.PersistentVolume, claim *corev1.PersistentVolumeClaim) error {
	requested := claim.Spec.Resources.Requests[corev1.ResourceStorage]
	if volume.DeletionTimestamp != nil {
		return fmt.Errorf("the volume is marked for deletion %q", volume.Name)
	}
	capacity := volume.Spec.Capacity[corev1.ResourceStorage]
	if capacity.Value() < requested.Value() {
		return fmt.Errorf("requested PV is too small")
	}
	if storagehelpers.GetPersistentVolumeClass(volume) != storagehelpers.GetPersistentVolumeClaimClass(claim) {
		return fmt.Errorf("storageClassName does not match")
	}
	if storagehelpers.CheckVolumeModeMismatches(&claim.Spec, &volume.Spec) {
		return fmt.Errorf("incompatible volumeMode")
	}
	if !storagehelpers.CheckAccessModes(claim, volume) {
		return fmt.Errorf("incompatible accessMode")
	}
	return nil
}

// findBestMatch is upstream's findBestMatchForClaim: among the volumes
// whose access modes include the claim's, those with the fewest modes
// first, the smallest that fits (or the one pre-bound to the claim).
func (c *Controller) findBestMatch(claim *corev1.PersistentVolumeClaim, delayBinding bool) (*corev1.PersistentVolume, error) {
	all, err := c.allVolumes()
	if err != nil {
		return nil, err
	}
	groups := map[string][]*corev1.PersistentVolume{}
	sizes := map[string]int{}
	for _, pv := range all {
		if !storagehelpers.CheckAccessModes(claim, pv) {
			continue
		}
		modes := make([]string, 0, len(pv.Spec.AccessModes))
		for _, m := range pv.Spec.AccessModes {
			if !slices.Contains(modes, string(m)) {
				modes = append(modes, string(m))
			}
		}
		sort.Strings(modes)
		k := strings.Join(modes, ",")
		groups[k] = append(groups[k], pv)
		sizes[k] = len(modes)
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if sizes[keys[i]] != sizes[keys[j]] {
			return sizes[keys[i]] < sizes[keys[j]]
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		pv, err := storagehelpers.FindMatchingVolume(claim, groups[k], nil, nil, delayBinding, enableVolumeAttributesClass)
		if err != nil || pv != nil {
			return pv, err
		}
	}
	return nil, nil
}

// assignDefaultStorageClass is upstream's retroactive default class: a
// claim made before any class was default, with spec.storageClassName
// unset, gets the default class once there is one.
func (c *Controller) assignDefaultStorageClass(ctx context.Context, claim *corev1.PersistentVolumeClaim) (bool, error) {
	if storagehelpers.PersistentVolumeClaimHasClass(claim) {
		return false, nil
	}
	all, err := c.classes.List(labels.Everything())
	if err != nil {
		return false, err
	}
	def := defaultClass(all)
	if def == nil {
		return false, nil
	}
	clone := claim.DeepCopy()
	clone.Spec.StorageClassName = &def.Name
	updated, err := c.client.CoreV1().PersistentVolumeClaims(claim.Namespace).Update(ctx, clone, metav1.UpdateOptions{})
	if err != nil {
		return false, err
	}
	c.wroteClaim(updated)
	klog.FromContext(ctx).V(4).Info("Successfully assigned default storage class to the claim", "PVC", klog.KObj(claim), "storageClassName", def.Name)
	return true, nil
}

// eventForUnboundDelayBindingClaim tells why a WaitForFirstConsumer claim
// waits: no pod uses it yet, or its pods are not scheduled yet.
func (c *Controller) eventForUnboundDelayBindingClaim(claim *corev1.PersistentVolumeClaim) {
	reason, message := reasonWaitForFirstConsumer, "waiting for first consumer to be created before binding"
	if names := c.unscheduledPodsUsing(claim); len(names) == 1 {
		reason, message = reasonWaitForPodScheduled, fmt.Sprintf("waiting for pod %s to be scheduled", names[0])
	} else if len(names) > 1 {
		reason, message = reasonWaitForPodScheduled, fmt.Sprintf("waiting for pods %s to be scheduled", strings.Join(names, ","))
	}
	c.events.Event(claim, corev1.EventTypeNormal, reason, message)
}

// unscheduledPodsUsing names the unscheduled pods that use claim, as
// upstream's findNonScheduledPodsByPVC ("namespace/name").
func (c *Controller) unscheduledPodsUsing(claim *corev1.PersistentVolumeClaim) []string {
	pods, err := c.pods.Pods(claim.Namespace).List(labels.Everything())
	if err != nil {
		return nil
	}
	var names []string
	for _, pod := range pods {
		if pod.Spec.NodeName != "" || !podUsesClaim(pod, claim.Name) {
			continue
		}
		names = append(names, pod.Namespace+"/"+pod.Name)
	}
	sort.Strings(names)
	return names
}

func podUsesClaim(pod *corev1.Pod, name string) bool {
	for i := range pod.Spec.Volumes {
		v := &pod.Spec.Volumes[i]
		switch {
		case v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == name:
			return true
		case v.Ephemeral != nil && ephemeral.VolumeClaimName(pod, v) == name:
			return true
		}
	}
	return false
}

// provisionClaim is upstream's provisionClaimOperation for an external
// provisioner (there are no in-tree ones here): the claim is annotated
// with the class's provisioner, which does the rest, and the
// ExternalProvisioning event says so.
func (c *Controller) provisionClaim(ctx context.Context, claim *corev1.PersistentVolumeClaim) error {
	className := storagehelpers.GetPersistentVolumeClaimClass(claim)
	class, err := c.classes.Get(className)
	if err != nil {
		if apierrors.IsNotFound(err) {
			c.events.Event(claim, corev1.EventTypeWarning, reasonProvisioningFailed, err.Error())
			return nil
		}
		return err
	}
	if strings.HasPrefix(class.Provisioner, "kubernetes.io/") {
		// An in-tree plugin's name (kubernetes.io/no-provisioner among
		// them): there are none here, as upstream without the plugin.
		c.events.Eventf(claim, corev1.EventTypeWarning, reasonProvisioningFailed, "no volume plugin matched name: %s", class.Provisioner)
		return nil
	}
	if claim.Annotations[storagehelpers.AnnStorageProvisioner] != class.Provisioner || claim.Annotations[storagehelpers.AnnBetaStorageProvisioner] != class.Provisioner {
		clone := claim.DeepCopy()
		metav1.SetMetaDataAnnotation(&clone.ObjectMeta, storagehelpers.AnnStorageProvisioner, class.Provisioner)
		metav1.SetMetaDataAnnotation(&clone.ObjectMeta, storagehelpers.AnnBetaStorageProvisioner, class.Provisioner)
		updated, err := c.client.CoreV1().PersistentVolumeClaims(claim.Namespace).Update(ctx, clone, metav1.UpdateOptions{})
		if err != nil {
			return err
		}
		c.wroteClaim(updated)
		claim = updated
	}
	c.events.Eventf(claim, corev1.EventTypeNormal, reasonExternalProvisioning,
		"Waiting for a volume to be created either by the external provisioner '%s' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.",
		class.Provisioner)
	return nil
}

// bind binds volume and claim to each other, each step written only if it
// changes something: the volume's claimRef, its phase, the claim's
// volumeName and annotations, its phase and status.
func (c *Controller) bind(ctx context.Context, volume *corev1.PersistentVolume, claim *corev1.PersistentVolumeClaim) error {
	logger := klog.FromContext(ctx)
	volume, err := c.bindVolumeToClaim(ctx, volume, claim)
	if err != nil {
		return err
	}
	if volume, err = c.updateVolumePhase(ctx, volume, corev1.VolumeBound, ""); err != nil {
		return err
	}
	if claim, err = c.bindClaimToVolume(ctx, claim, volume); err != nil {
		return err
	}
	if _, err = c.updateClaimStatus(ctx, claim, corev1.ClaimBound, volume); err != nil {
		return err
	}
	logger.V(4).Info("PersistentVolumeClaim is bound to volume", "PVC", klog.KObj(claim), "volumeName", volume.Name)
	return nil
}

func (c *Controller) bindVolumeToClaim(ctx context.Context, volume *corev1.PersistentVolume, claim *corev1.PersistentVolumeClaim) (*corev1.PersistentVolume, error) {
	clone, dirty, err := storagehelpers.GetBindVolumeToClaim(volume, claim)
	if err != nil || !dirty {
		return volume, err
	}
	updated, err := c.client.CoreV1().PersistentVolumes().Update(ctx, clone, metav1.UpdateOptions{})
	if err != nil {
		return volume, err
	}
	c.wroteVolume(updated)
	klog.FromContext(ctx).V(2).Info("Volume bound to claim", "volumeName", volume.Name, "PVC", klog.KObj(claim))
	return updated, nil
}

func (c *Controller) bindClaimToVolume(ctx context.Context, claim *corev1.PersistentVolumeClaim, volume *corev1.PersistentVolume) (*corev1.PersistentVolumeClaim, error) {
	clone := claim.DeepCopy()
	dirty, bindNow := false, false
	if claim.Spec.VolumeName != volume.Name {
		clone.Spec.VolumeName = volume.Name
		dirty, bindNow = true, true
	}
	if bindNow && !metav1.HasAnnotation(clone.ObjectMeta, storagehelpers.AnnBoundByController) {
		metav1.SetMetaDataAnnotation(&clone.ObjectMeta, storagehelpers.AnnBoundByController, "yes")
	}
	if !metav1.HasAnnotation(clone.ObjectMeta, storagehelpers.AnnBindCompleted) {
		metav1.SetMetaDataAnnotation(&clone.ObjectMeta, storagehelpers.AnnBindCompleted, "yes")
		dirty = true
	}
	if !dirty {
		return claim, nil
	}
	updated, err := c.client.CoreV1().PersistentVolumeClaims(claim.Namespace).Update(ctx, clone, metav1.UpdateOptions{})
	if err != nil {
		return claim, err
	}
	c.wroteClaim(updated)
	klog.FromContext(ctx).V(2).Info("Claim bound to volume", "PVC", klog.KObj(claim), "volumeName", volume.Name)
	return updated, nil
}

// updateClaimStatus sets the claim's phase and, from volume (nil for an
// unbound claim), its access modes and capacity.
func (c *Controller) updateClaimStatus(ctx context.Context, claim *corev1.PersistentVolumeClaim, phase corev1.PersistentVolumeClaimPhase, volume *corev1.PersistentVolume) (*corev1.PersistentVolumeClaim, error) {
	clone := claim.DeepCopy()
	dirty := false
	if clone.Status.Phase != phase {
		clone.Status.Phase = phase
		dirty = true
	}
	if volume == nil {
		if clone.Status.AccessModes != nil {
			clone.Status.AccessModes = nil
			dirty = true
		}
		if clone.Status.Capacity != nil {
			clone.Status.Capacity = nil
			dirty = true
		}
	} else {
		if !apiequality.Semantic.DeepEqual(clone.Status.AccessModes, volume.Spec.AccessModes) {
			clone.Status.AccessModes = volume.Spec.AccessModes
			dirty = true
		}
		volumeCap, ok := volume.Spec.Capacity[corev1.ResourceStorage]
		if !ok {
			return claim, fmt.Errorf("PersistentVolume %q is without a storage capacity", volume.Name)
		}
		if claimCap, ok := claim.Status.Capacity[corev1.ResourceStorage]; !ok || volumeCap.Cmp(claimCap) != 0 {
			clone.Status.Capacity = volume.Spec.Capacity
			dirty = true
		}
	}
	if !dirty {
		return claim, nil
	}
	updated, err := c.client.CoreV1().PersistentVolumeClaims(claim.Namespace).UpdateStatus(ctx, clone, metav1.UpdateOptions{})
	if err != nil {
		return claim, err
	}
	c.wroteClaim(updated)
	return updated, nil
}

// updateClaimStatusWithEvent is updateClaimStatus with a Warning event
// when the phase changes.
func (c *Controller) updateClaimStatusWithEvent(ctx context.Context, claim *corev1.PersistentVolumeClaim, phase corev1.PersistentVolumeClaimPhase,
	volume *corev1.PersistentVolume, reason, message string) (*corev1.PersistentVolumeClaim, error) {
	if claim.Status.Phase == phase {
		return claim, nil
	}
	updated, err := c.updateClaimStatus(ctx, claim, phase, volume)
	if err != nil {
		return claim, err
	}
	c.events.Event(updated, corev1.EventTypeWarning, reason, message)
	return updated, nil
}

func claimKey(claim *corev1.PersistentVolumeClaim) string { return claim.Namespace + "/" + claim.Name }
