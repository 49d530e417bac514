package downwardapi

import (
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	resourcehelper "k8s.io/component-helpers/resource"
	kubectlresource "k8s.io/kubectl/pkg/util/resource"
)

// ContainerResourceValue resolves an env var's resourceFieldRef as the
// kubelet does when it starts container (the container being started; an
// ephemeral container converted to a Container will do): the selected
// container is fs.ContainerName's if set, else container. A limit that is
// unset or zero is the pod-level limit (cpu and memory, PodLevelResources is
// on in v1.37) or else the node's allocatable; the value is divided by the
// divisor (default 1) and rounded up, as a decimal integer.
//
// As upstream, only app containers get those defaults when named by
// fs.ContainerName: an init container named there reports its own limits,
// "0" when unset (the kubelet defaults only pod.spec.containers).
func ContainerResourceValue(fs *corev1.ResourceFieldSelector, pod *corev1.Pod, container *corev1.Container, nodeAllocatable corev1.ResourceList) (string, error) {
	if fs == nil {
		return "", errors.New("resourceFieldRef is nil")
	}
	if pod == nil {
		return "", errors.New("invalid input, pod cannot be nil")
	}
	allocatable := limitDefaults(pod, nodeAllocatable)
	if fs.ContainerName == "" {
		if container == nil {
			return "", errors.New("resourceFieldRef names no container and none is given")
		}
		return extract(fs, withDefaultLimits(container, allocatable))
	}
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == fs.ContainerName {
			return extract(fs, withDefaultLimits(&pod.Spec.Containers[i], allocatable))
		}
	}
	for i := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[i].Name == fs.ContainerName {
			return extract(fs, &pod.Spec.InitContainers[i])
		}
	}
	return "", fmt.Errorf("container %s not found", fs.ContainerName)
}

// VolumeResourceValue resolves a downwardAPI volume item's resourceFieldRef,
// whose containerName validation requires: that app or init container's
// value, with unset or zero cpu, memory and ephemeral-storage limits taken
// from the node's allocatable (the volume plugin does not look at pod-level
// limits), divided by the divisor and rounded up.
func VolumeResourceValue(fs *corev1.ResourceFieldSelector, pod *corev1.Pod, nodeAllocatable corev1.ResourceList) (string, error) {
	if fs == nil {
		return "", errors.New("resourceFieldRef is nil")
	}
	if pod == nil {
		return "", errors.New("invalid input, pod cannot be nil")
	}
	for _, list := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
		for i := range list {
			if list[i].Name == fs.ContainerName {
				return extract(fs, withDefaultLimits(&list[i], nodeAllocatable))
			}
		}
	}
	return "", fmt.Errorf("container %s not found", fs.ContainerName)
}

// extract is kubectl's copy of upstream's ExtractContainerResourceValue
// (same float arithmetic as v1.37), with the lower-case error text of the
// kubelet's own copy for a resource no resourceFieldRef may name.
func extract(fs *corev1.ResourceFieldSelector, c *corev1.Container) (string, error) {
	if !IsResourceFieldPath(fs.Resource) {
		return "", fmt.Errorf("unsupported container resource : %v", fs.Resource)
	}
	return kubectlresource.ExtractContainerResourceValue(fs, c)
}

// limitDefaults is what unset container limits default to: the node's
// allocatable with the pod-level cpu and memory limits put in its place
// where the pod sets them (and the node reports that resource at all, as
// upstream's defaulting only replaces existing entries).
func limitDefaults(pod *corev1.Pod, nodeAllocatable corev1.ResourceList) corev1.ResourceList {
	if !resourcehelper.IsPodLevelLimitsSet(pod) {
		return nodeAllocatable
	}
	out := nodeAllocatable.DeepCopy()
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage} {
		if !resourcehelper.IsSupportedPodLevelResource(name) {
			continue
		}
		v, ok := pod.Spec.Resources.Limits[name]
		if !ok || v.IsZero() {
			continue
		}
		if _, ok := out[name]; ok {
			out[name] = v.DeepCopy()
		}
	}
	return out
}

// withDefaultLimits returns a copy of c whose unset or zero cpu, memory and
// ephemeral-storage limits are taken from defaults (hugepages are never
// overcommitted, so they are left alone), as upstream's
// MergeContainerResourceLimits does.
func withDefaultLimits(c *corev1.Container, defaults corev1.ResourceList) *corev1.Container {
	out := c.DeepCopy()
	if out.Resources.Limits == nil {
		out.Resources.Limits = corev1.ResourceList{}
	}
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage} {
		if q, ok := out.Resources.Limits[name]; ok && !q.IsZero() {
			continue
		}
		if d, ok := defaults[name]; ok {
			out.Resources.Limits[name] = d.DeepCopy()
		}
	}
	return out
}
