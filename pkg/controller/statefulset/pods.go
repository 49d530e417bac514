package statefulset

import (
	"fmt"
	"maps"
	"regexp"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/kubectl/pkg/util/podutils"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/podcontrol"
)

// memberName splits a stateful pod's name into its set's name and its
// ordinal, as upstream reads them: everything before the last dash, and
// the decimal number after it.
var memberName = regexp.MustCompile(`^(.*)-([0-9]+)$`)

// parentAndOrdinal is the StatefulSet a pod of that name belongs to and
// its ordinal; a name that is no member's gives "" and -1.
func parentAndOrdinal(name string) (string, int) {
	m := memberName.FindStringSubmatch(name)
	if m == nil {
		return "", -1
	}
	ord, err := strconv.ParseInt(m[2], 10, 32)
	if err != nil {
		return m[1], -1
	}
	return m[1], int(ord)
}

func ordinalOf(pod *corev1.Pod) int {
	_, ord := parentAndOrdinal(pod.Name)
	return ord
}

// isMember reports whether pod is named as one of set's.
func isMember(set *appsv1.StatefulSet, pod *corev1.Pod) bool {
	parent, _ := parentAndOrdinal(pod.Name)
	return parent == set.Name
}

// startOrdinal is the ordinal of set's first pod, spec.ordinals.start.
func startOrdinal(set *appsv1.StatefulSet) int {
	if set.Spec.Ordinals != nil {
		return int(set.Spec.Ordinals.Start)
	}
	return 0
}

func replicasOf(set *appsv1.StatefulSet) int {
	if set.Spec.Replicas == nil {
		return 1
	}
	return int(*set.Spec.Replicas)
}

// endOrdinal is the ordinal of set's last pod (one less than the first
// when it has none).
func endOrdinal(set *appsv1.StatefulSet) int { return startOrdinal(set) + replicasOf(set) - 1 }

// inRange reports whether pod's ordinal is one set should run.
func inRange(pod *corev1.Pod, set *appsv1.StatefulSet) bool {
	ord := ordinalOf(pod)
	return ord >= startOrdinal(set) && ord <= endOrdinal(set)
}

func podName(set *appsv1.StatefulSet, ordinal int) string {
	return fmt.Sprintf("%s-%d", set.Name, ordinal)
}

// claimName is the name of the claim made from template for set's pod of
// ordinal: <template>-<set>-<ordinal>.
func claimName(set *appsv1.StatefulSet, template string, ordinal int) string {
	return fmt.Sprintf("%s-%s-%d", template, set.Name, ordinal)
}

// identityMatches reports whether pod has the name, namespace and pod-name
// label of one of set's pods.
func identityMatches(set *appsv1.StatefulSet, pod *corev1.Pod) bool {
	parent, ord := parentAndOrdinal(pod.Name)
	return ord >= 0 && parent == set.Name && pod.Name == podName(set, ord) &&
		pod.Namespace == set.Namespace && pod.Labels[appsv1.StatefulSetPodNameLabel] == pod.Name
}

// storageMatches reports whether pod mounts, under each claim template's
// name, the claim of that template for its ordinal.
func storageMatches(set *appsv1.StatefulSet, pod *corev1.Pod) bool {
	ord := ordinalOf(pod)
	if ord < 0 {
		return false
	}
	volumes := make(map[string]corev1.Volume, len(pod.Spec.Volumes))
	for _, v := range pod.Spec.Volumes {
		volumes[v.Name] = v
	}
	for _, t := range set.Spec.VolumeClaimTemplates {
		v, ok := volumes[t.Name]
		if !ok || v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != claimName(set, t.Name, ord) {
			return false
		}
	}
	return true
}

// claimsFor are the claims pod's ordinal has from set's templates, in
// template order: each template under its per-pod name, in set's
// namespace, with the set's selector labels over the template's.
func claimsFor(set *appsv1.StatefulSet, pod *corev1.Pod) []*corev1.PersistentVolumeClaim {
	ord := ordinalOf(pod)
	out := make([]*corev1.PersistentVolumeClaim, 0, len(set.Spec.VolumeClaimTemplates))
	for i := range set.Spec.VolumeClaimTemplates {
		claim := set.Spec.VolumeClaimTemplates[i].DeepCopy()
		claim.Name = claimName(set, set.Spec.VolumeClaimTemplates[i].Name, ord)
		claim.Namespace = set.Namespace
		if set.Spec.Selector != nil {
			if claim.Labels == nil {
				claim.Labels = map[string]string{}
			}
			maps.Copy(claim.Labels, set.Spec.Selector.MatchLabels)
		}
		out = append(out, claim)
	}
	return out
}

// updateStorage makes pod's volumes named after set's claim templates
// mount the pod's claims, replacing volumes of the same names, and keeps
// its other volumes after them.
func updateStorage(set *appsv1.StatefulSet, pod *corev1.Pod) {
	ord := ordinalOf(pod)
	templates := map[string]bool{}
	volumes := make([]corev1.Volume, 0, len(set.Spec.VolumeClaimTemplates)+len(pod.Spec.Volumes))
	for _, t := range set.Spec.VolumeClaimTemplates {
		templates[t.Name] = true
		volumes = append(volumes, corev1.Volume{Name: t.Name, VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claimName(set, t.Name, ord)},
		}})
	}
	for _, v := range pod.Spec.Volumes {
		if !templates[v.Name] {
			volumes = append(volumes, v)
		}
	}
	pod.Spec.Volumes = volumes
}

// updateIdentity gives pod its name, namespace and the pod-name and
// pod-index labels for its ordinal.
func updateIdentity(set *appsv1.StatefulSet, pod *corev1.Pod) {
	ord := ordinalOf(pod)
	pod.Name = podName(set, ord)
	pod.Namespace = set.Namespace
	if pod.Labels == nil {
		pod.Labels = map[string]string{}
	}
	pod.Labels[appsv1.StatefulSetPodNameLabel] = pod.Name
	pod.Labels[appsv1.PodIndexLabel] = strconv.Itoa(ord)
}

// newPod is set's pod of ordinal: its template with the set as
// controller, the pod's identity, hostname = its name and subdomain =
// the set's service (immutable, so set only here), and its claims.
func newPod(set *appsv1.StatefulSet, ordinal int) *corev1.Pod {
	pod := podcontrol.FromTemplate(&set.Spec.Template, set, kind)
	pod.Name = podName(set, ordinal)
	updateIdentity(set, pod)
	pod.Spec.Hostname = pod.Name
	pod.Spec.Subdomain = set.Spec.ServiceName
	updateStorage(set, pod)
	return pod
}

// newVersionedPod is the pod of ordinal made from the current revision's
// set when it is below the partition (or, with no rollingUpdate, among
// the first currentReplicas), else from the update revision's, labelled
// with its revision's name. As upstream, the partition counts from
// spec.ordinals.start and applies whatever the strategy's type.
func newVersionedPod(current, update *appsv1.StatefulSet, currentRevision, updateRevision string, ordinal int) *corev1.Pod {
	s := current.Spec.UpdateStrategy
	start := startOrdinal(current)
	fromCurrent := (s.Type == appsv1.RollingUpdateStatefulSetStrategyType && s.RollingUpdate == nil && ordinal < start+int(current.Status.CurrentReplicas)) ||
		(s.RollingUpdate != nil && s.RollingUpdate.Partition != nil && ordinal < start+int(*s.RollingUpdate.Partition))
	if fromCurrent {
		pod := newPod(current, ordinal)
		pod.Labels[appsv1.StatefulSetRevisionLabel] = currentRevision
		return pod
	}
	pod := newPod(update, ordinal)
	pod.Labels[appsv1.StatefulSetRevisionLabel] = updateRevision
	return pod
}

func revisionOf(pod *corev1.Pod) string { return pod.Labels[appsv1.StatefulSetRevisionLabel] }

// created reports whether pod exists (the API server has given it a phase),
// as against one newPod made that is still to be created.
func created(pod *corev1.Pod) bool { return pod.Status.Phase != "" }

func terminating(pod *corev1.Pod) bool { return pod.DeletionTimestamp != nil }

func finished(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded
}

func runningAndReady(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodRunning && podutils.IsPodReady(pod)
}

// available reports whether pod is running and has been ready for
// minReadySeconds at now.
func available(pod *corev1.Pod, minReadySeconds int32, now time.Time) bool {
	return runningAndReady(pod) && podutils.IsPodAvailable(pod, minReadySeconds, metav1.NewTime(now))
}

// unavailable reports whether pod counts against maxUnavailable: it is
// being deleted, or not available.
func unavailable(pod *corev1.Pod, minReadySeconds int32, now time.Time) bool {
	return terminating(pod) || !available(pod, minReadySeconds, now)
}
