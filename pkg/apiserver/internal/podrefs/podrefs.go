package podrefs

import (
	corev1 "k8s.io/api/core/v1"
)

// containers calls fn with the env and envFrom of every container of the
// pod: init, regular and ephemeral, until fn returns false.
func containers(pod *corev1.Pod, fn func(env []corev1.EnvVar, from []corev1.EnvFromSource) bool) bool {
	for i := range pod.Spec.InitContainers {
		if !fn(pod.Spec.InitContainers[i].Env, pod.Spec.InitContainers[i].EnvFrom) {
			return false
		}
	}
	for i := range pod.Spec.Containers {
		if !fn(pod.Spec.Containers[i].Env, pod.Spec.Containers[i].EnvFrom) {
			return false
		}
	}
	for i := range pod.Spec.EphemeralContainers {
		c := &pod.Spec.EphemeralContainers[i].EphemeralContainerCommon
		if !fn(c.Env, c.EnvFrom) {
			return false
		}
	}
	return true
}

// Secrets calls fn with the name of every Secret in the pod's namespace
// that the pod names (image pull secrets, container environment, volume
// sources and projections), until fn returns false. A name may come more
// than once.
func Secrets(pod *corev1.Pod, fn func(name string) bool) bool {
	for _, s := range pod.Spec.ImagePullSecrets {
		if !fn(s.Name) {
			return false
		}
	}
	if !containers(pod, func(env []corev1.EnvVar, from []corev1.EnvFromSource) bool {
		for _, f := range from {
			if f.SecretRef != nil && !fn(f.SecretRef.Name) {
				return false
			}
		}
		for _, e := range env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && !fn(e.ValueFrom.SecretKeyRef.Name) {
				return false
			}
		}
		return true
	}) {
		return false
	}
	for i := range pod.Spec.Volumes {
		if name := volumeSecret(&pod.Spec.Volumes[i].VolumeSource); name != "" && !fn(name) {
			return false
		}
		if p := pod.Spec.Volumes[i].Projected; p != nil {
			for _, src := range p.Sources {
				if src.Secret != nil && !fn(src.Secret.Name) {
					return false
				}
			}
		}
	}
	return true
}

// volumeSecret is the Secret a volume source names directly, if any.
func volumeSecret(src *corev1.VolumeSource) string {
	switch {
	case src.Secret != nil:
		return src.Secret.SecretName
	case src.AzureFile != nil:
		return src.AzureFile.SecretName
	case src.CephFS != nil && src.CephFS.SecretRef != nil:
		return src.CephFS.SecretRef.Name
	case src.Cinder != nil && src.Cinder.SecretRef != nil:
		return src.Cinder.SecretRef.Name
	case src.FlexVolume != nil && src.FlexVolume.SecretRef != nil:
		return src.FlexVolume.SecretRef.Name
	case src.RBD != nil && src.RBD.SecretRef != nil:
		return src.RBD.SecretRef.Name
	case src.ScaleIO != nil && src.ScaleIO.SecretRef != nil:
		return src.ScaleIO.SecretRef.Name
	case src.ISCSI != nil && src.ISCSI.SecretRef != nil:
		return src.ISCSI.SecretRef.Name
	case src.StorageOS != nil && src.StorageOS.SecretRef != nil:
		return src.StorageOS.SecretRef.Name
	case src.CSI != nil && src.CSI.NodePublishSecretRef != nil:
		return src.CSI.NodePublishSecretRef.Name
	}
	return ""
}

// ConfigMaps calls fn with the name of every ConfigMap in the pod's
// namespace that the pod names (container environment, volumes and
// projections), until fn returns false.
func ConfigMaps(pod *corev1.Pod, fn func(name string) bool) bool {
	if !containers(pod, func(env []corev1.EnvVar, from []corev1.EnvFromSource) bool {
		for _, f := range from {
			if f.ConfigMapRef != nil && !fn(f.ConfigMapRef.Name) {
				return false
			}
		}
		for _, e := range env {
			if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil && !fn(e.ValueFrom.ConfigMapKeyRef.Name) {
				return false
			}
		}
		return true
	}) {
		return false
	}
	for _, v := range pod.Spec.Volumes {
		if v.ConfigMap != nil && !fn(v.ConfigMap.Name) {
			return false
		}
		if v.Projected != nil {
			for _, src := range v.Projected.Sources {
				if src.ConfigMap != nil && !fn(src.ConfigMap.Name) {
					return false
				}
			}
		}
	}
	return true
}

// Claims calls fn with the name of every PersistentVolumeClaim the pod
// mounts: those its volumes name and those of its generic ephemeral
// volumes, which are named <pod>-<volume>; until fn returns false.
func Claims(pod *corev1.Pod, fn func(name string) bool) bool {
	for _, v := range pod.Spec.Volumes {
		switch {
		case v.PersistentVolumeClaim != nil:
			if !fn(v.PersistentVolumeClaim.ClaimName) {
				return false
			}
		case v.Ephemeral != nil:
			if !fn(pod.Name + "-" + v.Name) {
				return false
			}
		}
	}
	return true
}

// ResourceClaims calls fn with the name of every ResourceClaim the pod
// uses: those it names, those generated for it from a template once its
// status records the generated name, and the claim of its extended
// resources; until fn returns false. A template's claim whose name the
// status does not yet record is left out.
func ResourceClaims(pod *corev1.Pod, fn func(name string) bool) bool {
	for _, c := range pod.Spec.ResourceClaims {
		switch {
		case c.ResourceClaimName != nil:
			if !fn(*c.ResourceClaimName) {
				return false
			}
		case c.ResourceClaimTemplateName != nil:
			for _, s := range pod.Status.ResourceClaimStatuses {
				if s.Name == c.Name && s.ResourceClaimName != nil && !fn(*s.ResourceClaimName) {
					return false
				}
			}
		}
	}
	if s := pod.Status.ExtendedResourceClaimStatus; s != nil && s.ResourceClaimName != "" {
		return fn(s.ResourceClaimName)
	}
	return true
}

// PVSecrets calls fn with the namespace and name of every Secret the
// PersistentVolume's source names, and whether the kubelet reads it (a
// CSI controller's publish and expand secrets are for the CSI controller,
// not the node), until fn returns false. A secret reference without a
// namespace is in the namespace of the claim the volume is bound to.
func PVSecrets(pv *corev1.PersistentVolume, fn func(namespace, name string, kubeletVisible bool) bool) bool {
	claimNamespace := ""
	if pv.Spec.ClaimRef != nil {
		claimNamespace = pv.Spec.ClaimRef.Namespace
	}
	ref := func(r *corev1.SecretReference, kubeletVisible bool) bool {
		if r == nil {
			return true
		}
		ns := r.Namespace
		if ns == "" {
			ns = claimNamespace
		}
		return fn(ns, r.Name, kubeletVisible)
	}
	src := &pv.Spec.PersistentVolumeSource
	switch {
	case src.AzureFile != nil:
		ns := claimNamespace
		if src.AzureFile.SecretNamespace != nil && *src.AzureFile.SecretNamespace != "" {
			ns = *src.AzureFile.SecretNamespace
		}
		if src.AzureFile.SecretName != "" {
			return fn(ns, src.AzureFile.SecretName, true)
		}
	case src.CephFS != nil:
		return ref(src.CephFS.SecretRef, true)
	case src.Cinder != nil:
		return ref(src.Cinder.SecretRef, true)
	case src.FlexVolume != nil:
		return ref(src.FlexVolume.SecretRef, true)
	case src.RBD != nil:
		return ref(src.RBD.SecretRef, true)
	case src.ScaleIO != nil:
		return ref(src.ScaleIO.SecretRef, true)
	case src.ISCSI != nil:
		return ref(src.ISCSI.SecretRef, true)
	case src.StorageOS != nil:
		if r := src.StorageOS.SecretRef; r != nil {
			return fn(r.Namespace, r.Name, true)
		}
	case src.CSI != nil:
		return ref(src.CSI.ControllerPublishSecretRef, false) &&
			ref(src.CSI.ControllerExpandSecretRef, false) &&
			ref(src.CSI.NodePublishSecretRef, true) &&
			ref(src.CSI.NodeStageSecretRef, true) &&
			ref(src.CSI.NodeExpandSecretRef, true)
	}
	return true
}

// APIObjectReference reports whether a pod refers to an API object
// through its spec, and the kind of reference (upstream's words, e.g.
// "secrets" or "configmaps (via projected volumes)"), as NodeRestriction
// words a refused mirror pod. Volume types that need nothing from the API
// (emptyDir, hostPath, downwardAPI, nfs…) are fine; an unknown volume type
// or projection counts as a reference.
func APIObjectReference(pod *corev1.Pod) (string, bool) {
	if pod.Spec.ServiceAccountName != "" {
		return "serviceaccounts", true
	}
	if !Secrets(pod, func(string) bool { return false }) {
		return "secrets", true
	}
	if !ConfigMaps(pod, func(string) bool { return false }) {
		return "configmaps", true
	}
	if len(pod.Spec.ResourceClaims) > 0 {
		return "resourceclaims", true
	}
	for i := range pod.Spec.Volumes {
		if what, ok := volumeReference(&pod.Spec.Volumes[i].VolumeSource); ok {
			return what, true
		}
	}
	return "", false
}

// volumeReference is APIObjectReference for one volume source.
func volumeReference(v *corev1.VolumeSource) (string, bool) {
	switch {
	case v.AWSElasticBlockStore != nil, v.AzureDisk != nil, v.CephFS != nil, v.Cinder != nil,
		v.DownwardAPI != nil, v.EmptyDir != nil, v.FC != nil, v.FlexVolume != nil, v.Flocker != nil,
		v.GCEPersistentDisk != nil, v.GitRepo != nil, v.HostPath != nil, v.Image != nil, v.ISCSI != nil,
		v.NFS != nil, v.PhotonPersistentDisk != nil, v.PortworxVolume != nil, v.Quobyte != nil, v.RBD != nil,
		v.ScaleIO != nil, v.StorageOS != nil, v.VsphereVolume != nil:
		return "", false
	case v.ConfigMap != nil:
		return "configmaps (via configmap volumes)", true
	case v.Secret != nil:
		return "secrets (via secret volumes)", true
	case v.CSI != nil:
		return "csidrivers (via CSI volumes)", true
	case v.Glusterfs != nil:
		return "endpoints (via glusterFS volumes)", true
	case v.PersistentVolumeClaim != nil:
		return "persistentvolumeclaims", true
	case v.Ephemeral != nil:
		return "persistentvolumeclaims (via ephemeral volumes)", true
	case v.AzureFile != nil:
		return "secrets (via azureFile volumes)", true
	case v.Projected != nil:
		for _, s := range v.Projected.Sources {
			switch {
			case s.ConfigMap != nil:
				return "configmaps (via projected volumes)", true
			case s.Secret != nil:
				return "secrets (via projected volumes)", true
			case s.ServiceAccountToken != nil:
				return "serviceaccounts (via projected volumes)", true
			case s.ClusterTrustBundle != nil:
				return "clustertrustbundles", true
			case s.DownwardAPI != nil:
			default:
				return "unknown source for projected volume", true
			}
		}
		return "", false
	}
	return "unknown volume type", true
}
