package statefulset

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/pod"
)

// setDefaults is apps/v1's SetObjectDefaults_StatefulSet: pods managed
// OrderedReady, a RollingUpdate from partition 0, claims retained when the
// set is deleted or scaled down, one replica, ten old revisions kept, and
// the defaults of the pod template's spec and of each claim template.
func setDefaults(s *appsv1.StatefulSet) {
	spec := &s.Spec
	if spec.PodManagementPolicy == "" {
		spec.PodManagementPolicy = appsv1.OrderedReadyPodManagement
	}
	if spec.UpdateStrategy.Type == "" {
		spec.UpdateStrategy.Type = appsv1.RollingUpdateStatefulSetStrategyType
		if spec.UpdateStrategy.RollingUpdate == nil {
			spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{}
		}
	}
	// Only a rollingUpdate the client sent, or the one made above, gets a
	// partition: an explicit RollingUpdate type without one stays without.
	if ru := spec.UpdateStrategy.RollingUpdate; spec.UpdateStrategy.Type == appsv1.RollingUpdateStatefulSetStrategyType &&
		ru != nil && ru.Partition == nil {
		ru.Partition = ptr.To[int32](0)
	}
	if spec.PersistentVolumeClaimRetentionPolicy == nil {
		spec.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{}
	}
	policy := spec.PersistentVolumeClaimRetentionPolicy
	if policy.WhenDeleted == "" {
		policy.WhenDeleted = appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	}
	if policy.WhenScaled == "" {
		policy.WhenScaled = appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	}
	if spec.Replicas == nil {
		spec.Replicas = ptr.To[int32](1)
	}
	if spec.RevisionHistoryLimit == nil {
		spec.RevisionHistoryLimit = ptr.To[int32](10)
	}
	pod.SetSpecDefaults(&spec.Template.Spec)
	for i := range spec.VolumeClaimTemplates {
		setClaimDefaults(&spec.VolumeClaimTemplates[i])
	}
}

// setClaimDefaults gives a claim template the defaults core/v1 gives every
// PersistentVolumeClaim: a Filesystem volume mode, and the Pending phase,
// which is why a stored claim template shows status.phase.
func setClaimDefaults(c *corev1.PersistentVolumeClaim) {
	if c.Spec.VolumeMode == nil {
		c.Spec.VolumeMode = ptr.To(corev1.PersistentVolumeFilesystem)
	}
	if c.Status.Phase == "" {
		c.Status.Phase = corev1.ClaimPending
	}
}
