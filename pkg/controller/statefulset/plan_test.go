package statefulset

import (
	"fmt"
	"slices"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func TestParentAndOrdinal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, pod, parent string
		ordinal           int
	}{
		{"simple", "web-0", "web", 0},
		{"dashed set", "my-web-12", "my-web", 12},
		{"no ordinal", "web", "", -1},
		{"not a number", "web-x", "", -1},
		{"too big", "web-99999999999", "web", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			parent, ord := parentAndOrdinal(tc.pod)
			if parent != tc.parent || ord != tc.ordinal {
				t.Errorf("parentAndOrdinal(%q) = %q, %d; want %q, %d", tc.pod, parent, ord, tc.parent, tc.ordinal)
			}
		})
	}
}

func TestMaxUnavailableOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		v        *intstr.IntOrString
		replicas int
		want     int
	}{
		{"unset", nil, 5, 1},
		{"count", ptr.To(intstr.FromInt32(3)), 5, 3},
		{"percent rounds down", ptr.To(intstr.FromString("50%")), 5, 2},
		{"small percent is one", ptr.To(intstr.FromString("10%")), 5, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := maxUnavailableOf(tc.v, tc.replicas); got != tc.want {
				t.Errorf("maxUnavailableOf = %d, want %d", got, tc.want)
			}
		})
	}
}

func testSet(replicas int32) *appsv1.StatefulSet {
	labels := map[string]string{"app": "web"}
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "set-uid", Generation: 2},
		Spec: appsv1.StatefulSetSpec{
			Replicas:            ptr.To(replicas),
			ServiceName:         "web",
			Selector:            &metav1.LabelSelector{MatchLabels: labels},
			PodManagementPolicy: appsv1.OrderedReadyPodManagement,
			UpdateStrategy: appsv1.StatefulSetUpdateStrategy{
				Type:          appsv1.RollingUpdateStatefulSetStrategyType,
				RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{Partition: ptr.To[int32](0)},
			},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}},
			},
		},
	}
}

var now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// existing is set's pod of ordinal at revision rev, running and ready
// (since an hour) unless phase says otherwise.
func existing(set *appsv1.StatefulSet, ordinal int, rev string, phase corev1.PodPhase) *corev1.Pod {
	p := newPod(set, ordinal)
	p.UID = types.UID(fmt.Sprintf("uid-%d", ordinal))
	p.Labels[appsv1.StatefulSetRevisionLabel] = rev
	p.Status.Phase = phase
	if phase == corev1.PodRunning {
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(now.Add(-time.Hour))}}
	}
	return p
}

// summary is a plan's actions as "op pod" per phase.
func summary(p plan) [][]string {
	var out [][]string
	for _, phase := range p.phases {
		var s []string
		for _, a := range phase {
			s = append(s, a.op.String()+" "+a.pod.Name)
		}
		out = append(out, s)
	}
	return out
}

func TestMakePlan(t *testing.T) {
	t.Parallel()
	running, pending := corev1.PodRunning, corev1.PodPending
	for _, tc := range []struct {
		name   string
		set    func(*appsv1.StatefulSet)
		pods   func(*appsv1.StatefulSet) []*corev1.Pod
		update string
		want   [][]string
	}{
		{
			name: "ordered creates the first missing pod only",
			pods: func(s *appsv1.StatefulSet) []*corev1.Pod { return []*corev1.Pod{existing(s, 0, "r1", running)} },
			want: [][]string{{"create web-1"}},
		},
		{
			name: "ordered waits for a pod that is not ready",
			pods: func(s *appsv1.StatefulSet) []*corev1.Pod { return []*corev1.Pod{existing(s, 0, "r1", pending)} },
			want: [][]string{nil},
		},
		{
			name: "parallel creates every missing pod",
			set:  func(s *appsv1.StatefulSet) { s.Spec.PodManagementPolicy = appsv1.ParallelPodManagement },
			pods: func(s *appsv1.StatefulSet) []*corev1.Pod { return []*corev1.Pod{existing(s, 1, "r1", pending)} },
			want: [][]string{{"create web-0", "create web-2"}, nil, nil, nil},
		},
		{
			name: "a failed pod is deleted, and ordered stops there",
			pods: func(s *appsv1.StatefulSet) []*corev1.Pod {
				return []*corev1.Pod{existing(s, 0, "r1", corev1.PodFailed), existing(s, 1, "r1", running)}
			},
			want: [][]string{{"delete web-0"}},
		},
		{
			name: "ordered scale-down deletes the highest ordinal only",
			set:  func(s *appsv1.StatefulSet) { s.Spec.Replicas = ptr.To[int32](1) },
			pods: func(s *appsv1.StatefulSet) []*corev1.Pod {
				return []*corev1.Pod{existing(s, 0, "r1", running), existing(s, 1, "r1", running), existing(s, 2, "r1", running)}
			},
			want: [][]string{nil, nil, {"delete web-2"}},
		},
		{
			name: "parallel scale-down deletes all at once",
			set: func(s *appsv1.StatefulSet) {
				s.Spec.Replicas = ptr.To[int32](1)
				s.Spec.PodManagementPolicy = appsv1.ParallelPodManagement
			},
			pods: func(s *appsv1.StatefulSet) []*corev1.Pod {
				return []*corev1.Pod{existing(s, 0, "r1", running), existing(s, 1, "r1", pending), existing(s, 2, "r1", running)}
			},
			want: [][]string{nil, nil, {"delete web-2", "delete web-1"}, nil},
		},
		{
			name:   "rolling update deletes the highest old pod",
			update: "r2",
			pods: func(s *appsv1.StatefulSet) []*corev1.Pod {
				return []*corev1.Pod{existing(s, 0, "r1", running), existing(s, 1, "r1", running), existing(s, 2, "r1", running)}
			},
			want: [][]string{nil, nil, nil, {"delete web-2"}},
		},
		{
			name:   "rolling update waits while a pod is unavailable",
			update: "r2",
			set:    func(s *appsv1.StatefulSet) { s.Spec.PodManagementPolicy = appsv1.ParallelPodManagement },
			pods: func(s *appsv1.StatefulSet) []*corev1.Pod {
				return []*corev1.Pod{existing(s, 0, "r1", running), existing(s, 1, "r1", running), existing(s, 2, "r2", pending)}
			},
			want: [][]string{nil, nil, nil, nil},
		},
		{
			name:   "maxUnavailable deletes several, down to the partition",
			update: "r2",
			set: func(s *appsv1.StatefulSet) {
				s.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{Partition: ptr.To[int32](1), MaxUnavailable: ptr.To(intstr.FromInt32(3))}
			},
			pods: func(s *appsv1.StatefulSet) []*corev1.Pod {
				return []*corev1.Pod{existing(s, 0, "r1", running), existing(s, 1, "r1", running), existing(s, 2, "r1", running)}
			},
			want: [][]string{nil, nil, nil, {"delete web-2", "delete web-1"}},
		},
		{
			name:   "OnDelete replaces nothing",
			update: "r2",
			set: func(s *appsv1.StatefulSet) {
				s.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType}
			},
			pods: func(s *appsv1.StatefulSet) []*corev1.Pod {
				return []*corev1.Pod{existing(s, 0, "r1", running), existing(s, 1, "r1", running), existing(s, 2, "r1", running)}
			},
			want: [][]string{nil, nil, nil},
		},
		{
			name: "ordinals start at spec.ordinals.start",
			set:  func(s *appsv1.StatefulSet) { s.Spec.Ordinals = &appsv1.StatefulSetOrdinals{Start: 3} },
			pods: func(s *appsv1.StatefulSet) []*corev1.Pod {
				return []*corev1.Pod{existing(s, 3, "r1", running), existing(s, 0, "r1", running)}
			},
			want: [][]string{{"create web-4"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			set := testSet(3)
			if tc.set != nil {
				tc.set(set)
			}
			update := tc.update
			if update == "" {
				update = "r1"
			}
			p := makePlan(planInput{
				set: set, currentSet: set, updateSet: set, currentRevision: "r1", updateRevision: update,
				pods: tc.pods(set), claim: func(string) *corev1.PersistentVolumeClaim { return nil }, now: now,
			})
			if got := summary(p); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("plan %v, want %v", got, tc.want)
			}
			if p.status.ObservedGeneration != 2 || p.status.UpdateRevision != update {
				t.Errorf("status %+v", p.status)
			}
		})
	}
}

func TestCountPodsAndComplete(t *testing.T) {
	t.Parallel()
	set := testSet(3)
	set.Spec.MinReadySeconds = 60
	fresh := existing(set, 2, "r2", corev1.PodRunning)
	fresh.Status.Conditions[0].LastTransitionTime = metav1.NewTime(now.Add(-time.Second))
	gone := existing(set, 1, "r2", corev1.PodRunning)
	gone.DeletionTimestamp = ptr.To(metav1.NewTime(now))
	pods := []*corev1.Pod{existing(set, 0, "r1", corev1.PodRunning), gone, fresh, newPod(set, 3)}
	var s appsv1.StatefulSetStatus
	countPods(&s, set.Spec.MinReadySeconds, now, "r1", "r2", pods)
	want := appsv1.StatefulSetStatus{Replicas: 3, ReadyReplicas: 3, AvailableReplicas: 2, CurrentReplicas: 1, UpdatedReplicas: 1}
	if fmt.Sprint(s) != fmt.Sprint(want) {
		t.Errorf("counts %+v, want %+v", s, want)
	}

	done := appsv1.StatefulSetStatus{Replicas: 3, ReadyReplicas: 3, UpdatedReplicas: 3, CurrentReplicas: 0, CurrentRevision: "r1", UpdateRevision: "r2"}
	completeRollingUpdate(set, &done)
	if done.CurrentRevision != "r2" || done.CurrentReplicas != 3 {
		t.Errorf("complete rolling update: %+v", done)
	}
	notYet := appsv1.StatefulSetStatus{Replicas: 3, ReadyReplicas: 2, UpdatedReplicas: 3, CurrentRevision: "r1", UpdateRevision: "r2"}
	completeRollingUpdate(set, &notYet)
	if notYet.CurrentRevision != "r1" {
		t.Errorf("incomplete rolling update completed: %+v", notYet)
	}
}

func TestNewVersionedPod(t *testing.T) {
	t.Parallel()
	current, update := testSet(4), testSet(4)
	update.Spec.Template.Spec.Containers[0].Image = "nginx:2"
	current.Spec.UpdateStrategy.RollingUpdate.Partition = ptr.To[int32](2)
	var got []string
	for ord := range 4 {
		p := newVersionedPod(current, update, "r1", "r2", ord)
		got = append(got, p.Labels[appsv1.StatefulSetRevisionLabel]+":"+p.Spec.Containers[0].Image)
	}
	if want := []string{"r1:nginx", "r1:nginx", "r2:nginx:2", "r2:nginx:2"}; !slices.Equal(got, want) {
		t.Errorf("pods %v, want %v", got, want)
	}
	p := newPod(current, 1)
	if p.Name != "web-1" || p.Spec.Hostname != "web-1" || p.Spec.Subdomain != "web" || p.Labels[appsv1.PodIndexLabel] != "1" ||
		p.Labels[appsv1.StatefulSetPodNameLabel] != "web-1" || !identityMatches(current, p) || !storageMatches(current, p) {
		t.Errorf("pod %+v", p)
	}
}

func TestClaimRefs(t *testing.T) {
	t.Parallel()
	const (
		r = appsv1.RetainPersistentVolumeClaimRetentionPolicyType
		d = appsv1.DeletePersistentVolumeClaimRetentionPolicyType
	)
	for _, tc := range []struct {
		name                string
		whenDeleted, scaled appsv1.PersistentVolumeClaimRetentionPolicyType
		ordinal             int
		want                string
	}{
		{"retain retain", r, r, 0, ""},
		{"delete with set", d, r, 0, "StatefulSet/web"},
		{"delete on scale, in range", r, d, 0, ""},
		{"delete on scale, scaled down", r, d, 5, "Pod/web-5"},
		{"delete both, in range", d, d, 0, "StatefulSet/web"},
		{"delete both, scaled down", d, d, 5, "Pod/web-5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			set := testSet(3)
			set.Spec.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{WhenDeleted: tc.whenDeleted, WhenScaled: tc.scaled}
			pod := existing(set, tc.ordinal, "r1", corev1.PodRunning)
			claim := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "www-web-0",
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "other", UID: "cm"}}}}
			if want := tc.want == ""; claimUpToDate(claim, set, pod) != want {
				t.Errorf("claim with no refs of ours up to date: %v, want %v", !want, want)
			}
			setClaimRefs(claim, set, pod)
			var got []string
			for _, ref := range claim.OwnerReferences[1:] {
				got = append(got, ref.Kind+"/"+ref.Name)
			}
			if fmt.Sprint(got) != fmt.Sprint(slices.DeleteFunc([]string{tc.want}, func(s string) bool { return s == "" })) {
				t.Errorf("refs %v, want %q", got, tc.want)
			}
			if claim.OwnerReferences[0].Name != "other" || !claimUpToDate(claim, set, pod) {
				t.Errorf("after setClaimRefs: %+v, up to date %v", claim.OwnerReferences, claimUpToDate(claim, set, pod))
			}
		})
	}

	// A claim controlled by something else is left alone, and a stale ref
	// to an earlier pod of the name makes the claim stale.
	set := testSet(3)
	set.Spec.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{WhenDeleted: d, WhenScaled: d}
	pod := existing(set, 0, "r1", corev1.PodRunning)
	foreign := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{OwnerReferences: []metav1.OwnerReference{{Kind: "Thing", Name: "x", UID: "x", Controller: ptr.To(true)}}}}
	if !claimUpToDate(foreign, set, pod) {
		t.Error("claim of another controller not left alone")
	}
	stale := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: "web-0", UID: "old"}}}}
	if !staleRef(stale, pod, podKind) || staleRef(stale, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-0", UID: "old"}}, podKind) {
		t.Error("staleRef")
	}
}
