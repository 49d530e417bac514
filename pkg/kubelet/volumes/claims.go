package volumes

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// ClaimError is a persistentVolumeClaim volume that cannot be mounted yet:
// its claim is missing, being deleted or not bound, or the claim's
// PersistentVolume is missing or bound to another claim. The kubelet's
// volume manager keeps the pod waiting (ContainerCreating) and tries again;
// its text is the volume manager's, such as
// `error processing PVC default/data: PVC is not bound`.
type ClaimError struct {
	// Volume is the volume's name in the pod spec.
	Volume string
	// Namespace and Claim name the claim.
	Namespace, Claim string
	// Err says what is wrong, in the kubelet's words.
	Err error
}

func (e *ClaimError) Error() string {
	return fmt.Sprintf("error processing PVC %s/%s: %v", e.Namespace, e.Claim, e.Err)
}

func (e *ClaimError) Unwrap() error { return e.Err }

// The volume manager's reasons for not using a claim.
var (
	errClaimDeleted  = errors.New("PVC is being deleted")
	errClaimNotBound = errors.New("PVC is not bound")
	errClaimNoVolume = errors.New("PVC has empty pvc.Spec.VolumeName")
)

// boundVolume is the PersistentVolume the claim of v, a
// persistentVolumeClaim volume of a pod in namespace, is bound to, checked
// as the kubelet's volume manager checks it; any failure is a *ClaimError.
func boundVolume(ctx context.Context, src Source, namespace string, v *corev1.Volume) (*corev1.PersistentVolume, error) {
	name := v.PersistentVolumeClaim.ClaimName
	fail := func(err error) error {
		return &ClaimError{Volume: v.Name, Namespace: namespace, Claim: name, Err: err}
	}
	pvc, err := src.PersistentVolumeClaim(ctx, namespace, name)
	if err != nil || pvc == nil {
		return nil, fail(fmt.Errorf("failed to fetch PVC from API server: %w", err))
	}
	switch {
	case pvc.DeletionTimestamp != nil:
		return nil, fail(errClaimDeleted)
	case pvc.Status.Phase != corev1.ClaimBound:
		return nil, fail(errClaimNotBound)
	case pvc.Spec.VolumeName == "":
		return nil, fail(errClaimNoVolume)
	}
	pv, err := src.PersistentVolume(ctx, pvc.Spec.VolumeName)
	if err != nil || pv == nil {
		return nil, fail(fmt.Errorf("failed to fetch PV %s from API server: %w", pvc.Spec.VolumeName, err))
	}
	if pv.Spec.ClaimRef == nil {
		return nil, fail(fmt.Errorf("found PV object %s but it has a nil pv.Spec.ClaimRef indicating it is not yet bound to the claim", pv.Name))
	}
	if pv.Spec.ClaimRef.UID != pvc.UID {
		return nil, fail(fmt.Errorf("found PV object %s but its pv.Spec.ClaimRef.UID %s does not point to claim.UID %s", pv.Name, pv.Spec.ClaimRef.UID, pvc.UID))
	}
	if pv.Spec.VolumeMode != nil && *pv.Spec.VolumeMode != corev1.PersistentVolumeFilesystem {
		return nil, fail(fmt.Errorf("volume %s has volumeMode %s, but is specified in volumeMounts", v.Name, *pv.Spec.VolumeMode))
	}
	return pv, nil
}

// newMounterError is a volume whose plugin could not even be prepared,
// the kubelet's "MountVolume.NewMounter initialization failed".
type newMounterError struct{ err error }

func (e newMounterError) Error() string { return e.err.Error() }
func (e newMounterError) Unwrap() error { return e.err }

// setUpPersistentVolume mounts what pv is on the node, as the plugin for
// its source would: a hostPath or a local path in the host folder. Other
// sources name storage the fake node does not have.
func (h *hostFS) setUpPersistentVolume(pv *corev1.PersistentVolume) (string, error) {
	switch s := &pv.Spec.PersistentVolumeSource; {
	case s.HostPath != nil:
		return h.setUpHostPath(s.HostPath.Path, s.HostPath.Type)
	case s.Local != nil:
		p, err := h.setUpLocal(s.Local.Path)
		if err != nil {
			return "", newMounterError{err}
		}
		return p, nil
	default:
		return "", newMounterError{fmt.Errorf("persistent volume %s has a %s source: fakecluster's kubelet mounts only hostPath and local persistent volumes", pv.Name, sourceKind(s))}
	}
}

// sourceKind names the kind of a PersistentVolume's source, as its field.
func sourceKind(s *corev1.PersistentVolumeSource) string {
	switch {
	case s.CSI != nil:
		return "csi"
	case s.NFS != nil:
		return "nfs"
	case s.ISCSI != nil:
		return "iscsi"
	case s.FC != nil:
		return "fc"
	case s.RBD != nil:
		return "rbd"
	case s.CephFS != nil:
		return "cephfs"
	case s.GCEPersistentDisk != nil:
		return "gcePersistentDisk"
	case s.AWSElasticBlockStore != nil:
		return "awsElasticBlockStore"
	case s.AzureDisk != nil:
		return "azureDisk"
	case s.AzureFile != nil:
		return "azureFile"
	case s.VsphereVolume != nil:
		return "vsphereVolume"
	case s.Glusterfs != nil:
		return "glusterfs"
	}
	return "unknown"
}
