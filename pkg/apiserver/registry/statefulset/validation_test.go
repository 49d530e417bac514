package statefulset

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// db is a defaulted StatefulSet whose pods mount a claim template.
func db(edit func(*appsv1.StatefulSet)) *appsv1.StatefulSet {
	labels := map[string]string{"app": "db"}
	s := &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "default"},
		Spec: appsv1.StatefulSetSpec{
			ServiceName: "db",
			Selector:    &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "postgres", Image: "postgres",
					VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/var/lib/postgresql"}},
				}}},
			},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
				ObjectMeta: metav1.ObjectMeta{Name: "data"},
				Spec: corev1.PersistentVolumeClaimSpec{
					AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{
						corev1.ResourceStorage: resource.MustParse("1Gi"),
					}},
				},
			}},
		},
	}
	setDefaults(s)
	if edit != nil {
		edit(s)
	}
	return s
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	s := db(nil)
	spec := s.Spec
	if spec.PodManagementPolicy != appsv1.OrderedReadyPodManagement || spec.UpdateStrategy.Type != appsv1.RollingUpdateStatefulSetStrategyType ||
		*spec.UpdateStrategy.RollingUpdate.Partition != 0 || spec.UpdateStrategy.RollingUpdate.MaxUnavailable != nil ||
		*spec.Replicas != 1 || *spec.RevisionHistoryLimit != 10 ||
		spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted != appsv1.RetainPersistentVolumeClaimRetentionPolicyType ||
		spec.PersistentVolumeClaimRetentionPolicy.WhenScaled != appsv1.RetainPersistentVolumeClaimRetentionPolicyType {
		t.Errorf("spec defaults: %+v", spec)
	}
	if spec.Template.Spec.RestartPolicy != corev1.RestartPolicyAlways || spec.Template.Spec.DNSPolicy != corev1.DNSClusterFirst {
		t.Errorf("pod template defaults: %+v", spec.Template.Spec)
	}
	claim := spec.VolumeClaimTemplates[0]
	if claim.Spec.VolumeMode == nil || *claim.Spec.VolumeMode != corev1.PersistentVolumeFilesystem || claim.Status.Phase != corev1.ClaimPending {
		t.Errorf("claim template defaults: %+v", claim)
	}

	// An explicit RollingUpdate type without rollingUpdate gets none, as upstream.
	onlyType := &appsv1.StatefulSet{Spec: appsv1.StatefulSetSpec{UpdateStrategy: appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType}}}
	setDefaults(onlyType)
	if onlyType.Spec.UpdateStrategy.RollingUpdate != nil {
		t.Errorf("rollingUpdate = %+v, want nil", onlyType.Spec.UpdateStrategy.RollingUpdate)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		set  *appsv1.StatefulSet
		want []string // "path: text" of each error, in order
	}{
		{"defaulted, mounting its claim template", db(nil), nil},
		{"parallel, on delete", db(func(s *appsv1.StatefulSet) {
			s.Spec.PodManagementPolicy = appsv1.ParallelPodManagement
			s.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType}
		}), nil},
		{"claim template replaces a template volume of its name", db(func(s *appsv1.StatefulSet) {
			s.Spec.Template.Spec.Volumes = []corev1.Volume{{Name: "data"}}
		}), nil},
		{"mount of no volume or claim", db(func(s *appsv1.StatefulSet) {
			s.Spec.Template.Spec.Containers[0].VolumeMounts[0].Name = "cache"
		}), []string{`spec.template.spec.containers[0].volumeMounts[0].name: Not found: "cache"`}},
		{"unknown pod management policy", db(func(s *appsv1.StatefulSet) { s.Spec.PodManagementPolicy = "Sometimes" }),
			[]string{`spec.podManagementPolicy: Invalid value: "Sometimes": must be 'OrderedReady' or 'Parallel'`}},
		{"no pod management policy", db(func(s *appsv1.StatefulSet) { s.Spec.PodManagementPolicy = "" }),
			[]string{`spec.podManagementPolicy: Required value`}},
		{"no update strategy", db(func(s *appsv1.StatefulSet) { s.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{} }),
			[]string{`spec.updateStrategy: Required value`}},
		{"on delete with rollingUpdate", db(func(s *appsv1.StatefulSet) {
			s.Spec.UpdateStrategy.Type = appsv1.OnDeleteStatefulSetStrategyType
		}), []string{`spec.updateStrategy.rollingUpdate: Invalid value: {"partition":0}: only allowed for updateStrategy 'RollingUpdate'`}},
		{"unknown update strategy", db(func(s *appsv1.StatefulSet) {
			s.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: "Recreate"}
		}), []string{`spec.updateStrategy: Invalid value: {"type":"Recreate"}: must be 'RollingUpdate' or 'OnDelete'`}},
		{"negative partition, zero maxUnavailable", db(func(s *appsv1.StatefulSet) {
			s.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{Partition: ptr.To[int32](-1), MaxUnavailable: ptr.To(intstr.FromInt32(0))}
		}), []string{
			`spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or equal to 0`,
			`spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 0: cannot be 0`,
		}},
		{"maxUnavailable over 100%", db(func(s *appsv1.StatefulSet) {
			s.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable = ptr.To(intstr.FromString("150%"))
		}), []string{`spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: "150%": must not be greater than 100%`}},
		{"malformed maxUnavailable counts as 0", db(func(s *appsv1.StatefulSet) {
			s.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable = ptr.To(intstr.FromString("x"))
		}), []string{
			`spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: "x": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`,
			`spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: "x": cannot be 0`,
		}},
		{"unknown claim retention", db(func(s *appsv1.StatefulSet) {
			s.Spec.PersistentVolumeClaimRetentionPolicy.WhenScaled = "Keep"
		}), []string{`spec.persistentVolumeClaimRetentionPolicy.whenScaled: Unsupported value: "Keep": supported values: "Retain", "Delete"`}},
		{"negative counts", db(func(s *appsv1.StatefulSet) {
			s.Spec.Replicas, s.Spec.MinReadySeconds = ptr.To[int32](-1), -1
			s.Spec.Ordinals = &appsv1.StatefulSetOrdinals{Start: -1}
			s.Spec.RevisionHistoryLimit = ptr.To[int32](-1)
		}), []string{
			`spec.replicas: Invalid value: -1: must be greater than or equal to 0`,
			`spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0`,
			`spec.ordinals.start: Invalid value: -1: must be greater than or equal to 0`,
			`spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0`,
		}},
		{"no selector", db(func(s *appsv1.StatefulSet) { s.Spec.Selector = nil }), []string{
			`spec.selector: Required value`,
			`spec.template.metadata.labels: Invalid value: {"app":"db"}: ` + "`selector` does not match template `labels`",
		}},
		{"empty selector", db(func(s *appsv1.StatefulSet) { s.Spec.Selector = &metav1.LabelSelector{} }),
			[]string{`spec.selector: Invalid value: {}: empty selector is invalid for statefulset`}},
		{"template not selected, restarts never", db(func(s *appsv1.StatefulSet) {
			s.Spec.Template.Labels = map[string]string{"app": "other"}
			s.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever
		}), []string{
			`spec.template.metadata.labels: Invalid value: {"app":"other"}: ` + "`selector` does not match template `labels`",
			`spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkErrors(t, validate(tc.set), tc.want)
		})
	}
}

func TestValidateUpdate(t *testing.T) {
	t.Parallel()
	old := db(nil)
	for _, tc := range []struct {
		name string
		edit func(*appsv1.StatefulSet)
		want []string
	}{
		{"unchanged", func(*appsv1.StatefulSet) {}, nil},
		{"the mutable fields", func(s *appsv1.StatefulSet) {
			s.Spec.Replicas = ptr.To[int32](3)
			s.Spec.Ordinals = &appsv1.StatefulSetOrdinals{Start: 1}
			s.Spec.Template.Spec.Containers[0].Image = "postgres:18"
			s.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType}
			s.Spec.RevisionHistoryLimit = ptr.To[int32](2)
			s.Spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted = appsv1.DeletePersistentVolumeClaimRetentionPolicyType
			s.Spec.MinReadySeconds = 5
		}, nil},
		{"service name", func(s *appsv1.StatefulSet) { s.Spec.ServiceName = "other" },
			[]string{"spec: Forbidden: " + forbiddenUpdate}},
		{"claim templates", func(s *appsv1.StatefulSet) {
			s.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests[corev1.ResourceStorage] = resource.MustParse("2Gi")
		}, []string{"spec: Forbidden: " + forbiddenUpdate}},
		{"invalid and forbidden", func(s *appsv1.StatefulSet) {
			s.Spec.Replicas = ptr.To[int32](-1)
			s.Spec.PodManagementPolicy = appsv1.ParallelPodManagement
		}, []string{
			`spec.replicas: Invalid value: -1: must be greater than or equal to 0`,
			"spec: Forbidden: " + forbiddenUpdate,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := old.DeepCopy()
			tc.edit(s)
			checkErrors(t, validateUpdate(s, old), tc.want)
		})
	}
}

func checkErrors(t *testing.T, errs field.ErrorList, want []string) {
	t.Helper()
	if len(errs) != len(want) {
		t.Fatalf("errors = %v, want %q", errs, want)
	}
	for i, err := range errs {
		if err.Error() != want[i] {
			t.Errorf("error %d = %q, want %q", i, err.Error(), want[i])
		}
	}
}
