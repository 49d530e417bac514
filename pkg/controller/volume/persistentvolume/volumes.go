package persistentvolume

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	storagehelpers "k8s.io/component-helpers/storage/volume"
	"k8s.io/klog/v2"
)

func (c *Controller) syncVolumeKey(ctx context.Context, name string) error {
	volume := c.volume(name)
	if volume == nil {
		return nil
	}
	return c.syncVolume(ctx, volume)
}

// syncVolume keeps a volume's phase and reclaims it once its claim is gone.
func (c *Controller) syncVolume(ctx context.Context, volume *corev1.PersistentVolume) error {
	logger := klog.FromContext(ctx)
	logger.V(4).Info("Synchronizing PersistentVolume", "volumeName", volume.Name, "phase", volume.Status.Phase)
	ref := volume.Spec.ClaimRef
	if ref == nil || ref.UID == "" {
		// Unused, or reserved for a claim that has not bound it yet.
		_, err := c.updateVolumePhase(ctx, volume, corev1.VolumeAvailable, "")
		return err
	}
	claim, err := c.claimOf(ctx, volume)
	if err != nil {
		return err
	}
	switch {
	case claim == nil:
		// Its claim is gone. A Failed volume stays Failed, for the user
		// to see, while reclaiming is retried.
		if volume.Status.Phase != corev1.VolumeReleased && volume.Status.Phase != corev1.VolumeFailed {
			logger.V(2).Info("Volume is released and reclaim policy will be executed", "volumeName", volume.Name, "reclaimPolicy", volume.Spec.PersistentVolumeReclaimPolicy)
			if volume, err = c.updateVolumePhase(ctx, volume, corev1.VolumeReleased, ""); err != nil {
				return err
			}
		}
		return c.reclaimVolume(ctx, volume)
	case claim.Spec.VolumeName == "":
		if storagehelpers.CheckVolumeModeMismatches(&claim.Spec, &volume.Spec) {
			c.events.Eventf(volume, corev1.EventTypeWarning, reasonVolumeMismatch,
				"Cannot bind PersistentVolume to requested PersistentVolumeClaim %q due to incompatible volumeMode.", claim.Name)
			c.events.Eventf(claim, corev1.EventTypeWarning, reasonVolumeMismatch,
				"Cannot bind PersistentVolume %q to requested PersistentVolumeClaim due to incompatible volumeMode.", volume.Name)
			return nil
		}
		// The binding is half done (or a provisioner made the volume for
		// the claim): the claim's sync finishes it.
		c.loop.Queue.Add(item{key: claimKey(claim)})
		return nil
	case claim.Spec.VolumeName == volume.Name:
		_, err := c.updateVolumePhase(ctx, volume, corev1.VolumeBound, "")
		return err
	default:
		// The claim is bound to another volume.
		if metav1.HasAnnotation(volume.ObjectMeta, storagehelpers.AnnDynamicallyProvisioned) &&
			volume.Spec.PersistentVolumeReclaimPolicy == corev1.PersistentVolumeReclaimDelete {
			// Provisioned for the claim, which took another: delete it.
			if volume.Status.Phase != corev1.VolumeReleased && volume.Status.Phase != corev1.VolumeFailed {
				if volume, err = c.updateVolumePhase(ctx, volume, corev1.VolumeReleased, ""); err != nil {
					return err
				}
			}
			return c.reclaimVolume(ctx, volume)
		}
		return c.unbindVolume(ctx, volume)
	}
}

// claimOf is the claim volume is bound to, nil if it is gone: a claim
// missing from the cache is looked up in the API before the volume is
// released, and so is one with another UID (the cache may be behind).
func (c *Controller) claimOf(ctx context.Context, volume *corev1.PersistentVolume) (*corev1.PersistentVolumeClaim, error) {
	ref := volume.Spec.ClaimRef
	claim := c.claim(ref.Namespace + "/" + ref.Name)
	if claim == nil && volume.Status.Phase != corev1.VolumeReleased && volume.Status.Phase != corev1.VolumeFailed ||
		claim != nil && claim.UID != ref.UID {
		fresh, err := c.client.CoreV1().PersistentVolumeClaims(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			claim = nil
		case err != nil:
			return nil, err
		default:
			claim = fresh
		}
	}
	if claim != nil && claim.UID != ref.UID {
		// The claim was deleted and another made with its name.
		return nil, nil
	}
	return claim, nil
}

// unbindVolume frees a volume whose claim took another: a volume the
// controller bound loses its claimRef; one the user pre-bound keeps the
// claim's name, for the claim of that name to come.
func (c *Controller) unbindVolume(ctx context.Context, volume *corev1.PersistentVolume) error {
	clone := volume.DeepCopy()
	if metav1.HasAnnotation(volume.ObjectMeta, storagehelpers.AnnBoundByController) {
		clone.Spec.ClaimRef = nil
		delete(clone.Annotations, storagehelpers.AnnBoundByController)
		if len(clone.Annotations) == 0 {
			clone.Annotations = nil
		}
	} else {
		clone.Spec.ClaimRef.UID = ""
	}
	updated, err := c.client.CoreV1().PersistentVolumes().Update(ctx, clone, metav1.UpdateOptions{})
	if err != nil {
		return err
	}
	c.wroteVolume(updated)
	klog.FromContext(ctx).V(4).Info("Volume unbound", "volumeName", volume.Name)
	_, err = c.updateVolumePhase(ctx, updated, corev1.VolumeAvailable, "")
	return err
}

// reclaimVolume applies the reclaim policy of a volume whose claim is gone.
func (c *Controller) reclaimVolume(ctx context.Context, volume *corev1.PersistentVolume) error {
	logger := klog.FromContext(ctx)
	switch volume.Spec.PersistentVolumeReclaimPolicy {
	case corev1.PersistentVolumeReclaimRetain:
		logger.V(4).Info("Volume is set to Retain", "volumeName", volume.Name)
		return nil
	case corev1.PersistentVolumeReclaimRecycle:
		// No in-tree recycler here, as upstream without one for the
		// volume's plugin.
		_, err := c.updateVolumePhaseWithEvent(ctx, volume, corev1.VolumeFailed, reasonVolumeFailedRecycle, "No recycler plugin found for the volume!")
		return err
	case corev1.PersistentVolumeReclaimDelete:
		if p, ok := volume.Annotations[storagehelpers.AnnDynamicallyProvisioned]; ok && p != "" {
			// An external provisioner's volume: it deletes it.
			logger.V(4).Info("Volume waits for deletion by its external provisioner", "volumeName", volume.Name, "provisioner", p)
			return nil
		}
		msg := fmt.Sprintf("error getting deleter volume plugin for volume %q: no deletable volume plugin matched", volume.Name)
		_, err := c.updateVolumePhaseWithEvent(ctx, volume, corev1.VolumeFailed, reasonVolumeFailedDelete, msg)
		return err
	default:
		_, err := c.updateVolumePhaseWithEvent(ctx, volume, corev1.VolumeFailed, "VolumeUnknownReclaimPolicy", "Volume has unrecognized PersistentVolumeReclaimPolicy")
		return err
	}
}

// updateVolumePhase sets the volume's phase and message, and the time of
// the transition, if the phase changes.
func (c *Controller) updateVolumePhase(ctx context.Context, volume *corev1.PersistentVolume, phase corev1.PersistentVolumePhase, message string) (*corev1.PersistentVolume, error) {
	if volume.Status.Phase == phase {
		return volume, nil
	}
	clone := volume.DeepCopy()
	clone.Status.Phase = phase
	clone.Status.Message = message
	now := metav1.NewTime(c.now())
	clone.Status.LastPhaseTransitionTime = &now
	updated, err := c.client.CoreV1().PersistentVolumes().UpdateStatus(ctx, clone, metav1.UpdateOptions{})
	if err != nil {
		return volume, err
	}
	c.wroteVolume(updated)
	klog.FromContext(ctx).V(4).Info("Volume entered phase", "volumeName", volume.Name, "phase", phase)
	return updated, nil
}

// updateVolumePhaseWithEvent is updateVolumePhase with a Warning event
// when the phase changes.
func (c *Controller) updateVolumePhaseWithEvent(ctx context.Context, volume *corev1.PersistentVolume, phase corev1.PersistentVolumePhase, reason, message string) (*corev1.PersistentVolume, error) {
	if volume.Status.Phase == phase {
		return volume, nil
	}
	updated, err := c.updateVolumePhase(ctx, volume, phase, message)
	if err != nil {
		return volume, err
	}
	c.events.Event(updated, corev1.EventTypeWarning, reason, message)
	return updated, nil
}
