package persistentvolume

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// volume returns a valid, defaulted hostPath volume changed by edit.
func volume(edit func(*corev1.PersistentVolume)) *corev1.PersistentVolume {
	v := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "pv"},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:               corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
			AccessModes:            []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/data"}},
		},
	}
	setDefaults(v)
	edit(v)
	return v
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	v := &corev1.PersistentVolume{}
	setDefaults(v)
	if v.Status.Phase != corev1.VolumePending {
		t.Errorf("status.phase = %q, want Pending", v.Status.Phase)
	}
	if v.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimRetain {
		t.Errorf("spec.persistentVolumeReclaimPolicy = %q, want Retain", v.Spec.PersistentVolumeReclaimPolicy)
	}
	if m := v.Spec.VolumeMode; m == nil || *m != corev1.PersistentVolumeFilesystem {
		t.Errorf("spec.volumeMode = %v, want Filesystem", m)
	}
	set := &corev1.PersistentVolume{Spec: corev1.PersistentVolumeSpec{PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete}}
	setDefaults(set)
	if set.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete {
		t.Errorf("spec.persistentVolumeReclaimPolicy = %q, want Delete kept", set.Spec.PersistentVolumeReclaimPolicy)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	nodeAffinity := &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
		MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "kubernetes.io/hostname", Operator: corev1.NodeSelectorOpIn, Values: []string{"node-1"}}},
	}}}}
	source := func(s corev1.PersistentVolumeSource) func(*corev1.PersistentVolume) {
		return func(v *corev1.PersistentVolume) { v.Spec.PersistentVolumeSource = s }
	}
	for _, tc := range []struct {
		name   string
		volume *corev1.PersistentVolume
		want   []string // "path: text" of each error, in order
	}{
		{"hostPath", volume(func(*corev1.PersistentVolume) {}), nil},
		{"local with node affinity", volume(func(v *corev1.PersistentVolume) {
			v.Spec.PersistentVolumeSource = corev1.PersistentVolumeSource{Local: &corev1.LocalVolumeSource{Path: "/mnt/disk"}}
			v.Spec.NodeAffinity = nodeAffinity
		}), nil},
		{"csi with a volume attributes class", volume(func(v *corev1.PersistentVolume) {
			v.Spec.PersistentVolumeSource = corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{Driver: "csi.example.com", VolumeHandle: "vol-1"}}
			v.Spec.VolumeAttributesClassName = ptr.To("gold")
		}), nil},
		{"nfs", volume(source(corev1.PersistentVolumeSource{NFS: &corev1.NFSVolumeSource{Server: "nfs.example.com", Path: "/exports"}})), nil},
		{"no capacity", volume(func(v *corev1.PersistentVolume) { v.Spec.Capacity = nil }),
			[]string{"spec.capacity: Required value", `spec.capacity: Unsupported value: null: supported values: "storage"`}},
		{"capacity besides storage", volume(func(v *corev1.PersistentVolume) {
			v.Spec.Capacity[corev1.ResourceCPU] = resource.MustParse("1")
		}), []string{`spec.capacity: Unsupported value: {"cpu":"1","storage":"1Gi"}: supported values: "storage"`}},
		{"zero capacity", volume(func(v *corev1.PersistentVolume) {
			v.Spec.Capacity[corev1.ResourceStorage] = resource.MustParse("0")
		}), []string{`spec.capacity[storage]: Invalid value: "0": must be greater than zero`}},
		{"no access modes", volume(func(v *corev1.PersistentVolume) { v.Spec.AccessModes = nil }),
			[]string{"spec.accessModes: Required value"}},
		{"unknown access mode", volume(func(v *corev1.PersistentVolume) { v.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{"RWO"} }),
			[]string{`spec.accessModes: Unsupported value: "RWO": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"`}},
		{"bad reclaim policy", volume(func(v *corev1.PersistentVolume) { v.Spec.PersistentVolumeReclaimPolicy = "Keep" }),
			[]string{`spec.persistentVolumeReclaimPolicy: Unsupported value: "Keep": supported values: "Delete", "Recycle", "Retain"`}},
		{"no source", volume(source(corev1.PersistentVolumeSource{})),
			[]string{"spec: Required value: must specify a volume type"}},
		{"two sources", volume(func(v *corev1.PersistentVolume) {
			v.Spec.CSI = &corev1.CSIPersistentVolumeSource{Driver: "csi.example.com", VolumeHandle: "vol-1"}
		}), []string{"spec.csi: Forbidden: may not specify more than 1 volume type"}},
		{"hostPath without a path", volume(source(corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{}})),
			[]string{"spec.hostPath.path: Required value"}},
		{"hostPath with backsteps and a bad type", volume(source(corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{
			Path: "/data/../etc", Type: ptr.To(corev1.HostPathType("Pipe")),
		}})), []string{
			`spec.hostPath.path: Invalid value: "/data/../etc": must not contain '..'`,
			`spec.hostPath.type: Unsupported value: "Pipe": supported values: "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"`,
		}},
		{"recycling a hostPath of /", volume(func(v *corev1.PersistentVolume) {
			v.Spec.HostPath.Path, v.Spec.PersistentVolumeReclaimPolicy = "/", corev1.PersistentVolumeReclaimRecycle
		}), []string{"spec.persistentVolumeReclaimPolicy: Forbidden: may not be 'recycle' for a hostPath mount of '/'"}},
		{"local without node affinity", volume(source(corev1.PersistentVolumeSource{Local: &corev1.LocalVolumeSource{Path: "/mnt/disk"}})),
			[]string{"spec.nodeAffinity: Required value: Local volume requires node affinity"}},
		{"nfs without server, relative path", volume(source(corev1.PersistentVolumeSource{NFS: &corev1.NFSVolumeSource{Path: "exports"}})),
			[]string{"spec.nfs.server: Required value", `spec.nfs.path: Invalid value: "exports": must be an absolute path`}},
		{"csi without driver or handle", volume(source(corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{}})),
			[]string{"spec.csi.driver: Required value", "spec.csi.volumeHandle: Required value"}},
		{"csi with a bad driver", volume(source(corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{Driver: "csi_driver", VolumeHandle: "v"}})),
			[]string{`spec.csi.driver: Invalid value: "csi_driver": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`}},
		{"volume attributes class without csi", volume(func(v *corev1.PersistentVolume) { v.Spec.VolumeAttributesClassName = ptr.To("gold") }),
			[]string{"spec.csi: Required value: has to be specified when using volumeAttributesClassName"}},
		{"bad storage class", volume(func(v *corev1.PersistentVolume) { v.Spec.StorageClassName = "Fast" }),
			[]string{`spec.storageClassName: Invalid value: "Fast": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkErrors(t, validate(tc.volume), tc.want, false)
		})
	}
}

func TestValidateUpdate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		old, new *corev1.PersistentVolume
		want     []string // prefixes of "path: text" of each error, in order
	}{
		{"claimRef and reclaim policy change", volume(func(*corev1.PersistentVolume) {}), volume(func(v *corev1.PersistentVolume) {
			v.Spec.ClaimRef = &corev1.ObjectReference{Namespace: "default", Name: "data"}
			v.Spec.PersistentVolumeReclaimPolicy = corev1.PersistentVolumeReclaimDelete
		}), nil},
		{"source changes", volume(func(*corev1.PersistentVolume) {}), volume(func(v *corev1.PersistentVolume) { v.Spec.HostPath.Path = "/other" }),
			[]string{"spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation"}},
		{"volume mode changes", volume(func(*corev1.PersistentVolume) {}), volume(func(v *corev1.PersistentVolume) {
			v.Spec.VolumeMode = ptr.To(corev1.PersistentVolumeBlock)
		}), []string{`volumeMode: Invalid value: "Block": field is immutable`}},
		{"csi gains an expand secret", volume(func(v *corev1.PersistentVolume) {
			v.Spec.PersistentVolumeSource = corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{Driver: "csi.example.com", VolumeHandle: "v"}}
		}), volume(func(v *corev1.PersistentVolume) {
			v.Spec.PersistentVolumeSource = corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{
				Driver: "csi.example.com", VolumeHandle: "v", ControllerExpandSecretRef: &corev1.SecretReference{Name: "s", Namespace: "kube-system"},
			}}
		}), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkErrors(t, validateUpdate(tc.new, tc.old), tc.want, true)
		})
	}
}

// checkErrors fails unless errs are want, as "path: text" (or its prefix).
func checkErrors(t *testing.T, errs field.ErrorList, want []string, prefix bool) {
	t.Helper()
	if len(errs) != len(want) {
		t.Fatalf("errors = %v, want %q", errs, want)
	}
	for i, err := range errs {
		if got := err.Error(); got != want[i] && !(prefix && strings.HasPrefix(got, want[i])) {
			t.Errorf("error %d = %q, want %q", i, got, want[i])
		}
	}
}

// TestStatusUpdateTimesPhaseChanges checks that a status write keeps the
// stored spec and stamps lastPhaseTransitionTime when the phase changes,
// unless the writer set a new time.
func TestStatusUpdateTimesPhaseChanges(t *testing.T) {
	t.Parallel()
	then := metav1.NewTime(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	stored := volume(func(v *corev1.PersistentVolume) { v.Status.LastPhaseTransitionTime = &then })

	update := stored.DeepCopy()
	update.Spec.HostPath.Path = "/ignored"
	update.Status.Phase = corev1.VolumeAvailable
	statusUpdate(update, stored)
	if update.Spec.HostPath.Path != "/data" {
		t.Errorf("spec.hostPath.path = %q, want the stored /data", update.Spec.HostPath.Path)
	}
	if got := update.Status.LastPhaseTransitionTime; got == nil || !got.After(then.Time) {
		t.Errorf("lastPhaseTransitionTime = %v, want now", got)
	}

	own := metav1.NewTime(then.Add(time.Hour))
	update = stored.DeepCopy()
	update.Status.Phase, update.Status.LastPhaseTransitionTime = corev1.VolumeBound, &own
	statusUpdate(update, stored)
	if !update.Status.LastPhaseTransitionTime.Equal(&own) {
		t.Errorf("lastPhaseTransitionTime = %v, want the writer's %v", update.Status.LastPhaseTransitionTime, own)
	}

	update = stored.DeepCopy()
	statusUpdate(update, stored)
	if !update.Status.LastPhaseTransitionTime.Equal(&then) {
		t.Errorf("lastPhaseTransitionTime = %v, want unchanged %v without a phase change", update.Status.LastPhaseTransitionTime, then)
	}
}
