package pod

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// volumeCases are TestValidate's rows for volumes and volume mounts.
func volumeCases() []validateCase {
	return []validateCase{
		{
			name: "valid volumes and mounts",
			mutate: func(p *corev1.Pod) {
				p.Spec.Volumes = []corev1.Volume{
					{Name: "data"},
					{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"},
						Items: []corev1.KeyToPath{{Key: "a", Path: "conf/a"}}}}},
					{Name: "pvc", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "claim"}}},
				}
				container(p).VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/data"}, {Name: "cfg", MountPath: "/etc/app", SubPath: "conf"}}
			},
		},
		{
			name: "volume names",
			mutate: func(p *corev1.Pod) {
				p.Spec.Volumes = []corev1.Volume{{Name: "data"}, {Name: "data"}, {Name: "Bad_Name"}}
			},
			want: []fieldErr{
				{field.ErrorTypeDuplicate, "spec.volumes[1].name", ""},
				{field.ErrorTypeInvalid, "spec.volumes[2].name", dnsLabelMsg},
			},
		},
		{
			name: "volume needs exactly one source",
			raw:  true,
			mutate: func(p *corev1.Pod) {
				SetDefaults(p)
				p.Spec.Volumes = []corev1.Volume{
					{Name: "none"},
					{Name: "two", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}, HostPath: &corev1.HostPathVolumeSource{Path: "/tmp"}}},
				}
			},
			want: []fieldErr{
				{field.ErrorTypeRequired, "spec.volumes[0]", "must specify a volume type"},
				{field.ErrorTypeForbidden, "spec.volumes[1].hostPath", "may not specify more than 1 volume type"},
			},
		},
		{
			name: "volume source checks",
			mutate: func(p *corev1.Pod) {
				p.Spec.Volumes = []corev1.Volume{
					{Name: "a", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{DefaultMode: ptr.To[int32](01000)}}},
					{Name: "b", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/a/../b", Type: ptr.To(corev1.HostPathType("Pipe"))}}},
					{Name: "c", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "c"},
						Items: []corev1.KeyToPath{{Key: "k", Path: "/abs"}}}}},
				}
			},
			want: []fieldErr{
				{field.ErrorTypeRequired, "spec.volumes[0].secret.secretName", ""},
				{field.ErrorTypeInvalid, "spec.volumes[0].secret.defaultMode", fileModeErrorMsg},
				{field.ErrorTypeInvalid, "spec.volumes[1].hostPath.path", "must not contain '..'"},
				{field.ErrorTypeNotSupported, "spec.volumes[1].hostPath.type",
					`supported values: "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"`},
				{field.ErrorTypeInvalid, "spec.volumes[2].configMap.items[0].path", "must be a relative path"},
			},
		},
		{
			name: "mounts",
			mutate: func(p *corev1.Pod) {
				p.Spec.Volumes = []corev1.Volume{{Name: "data"}}
				container(p).VolumeMounts = []corev1.VolumeMount{
					{Name: "data", MountPath: "/data"},
					{Name: "missing", MountPath: "/data"},
					{Name: "data"},
				}
			},
			want: []fieldErr{
				{field.ErrorTypeNotFound, "spec.containers[0].volumeMounts[1].name", ""},
				{field.ErrorTypeInvalid, "spec.containers[0].volumeMounts[1].mountPath", "must be unique"},
				{field.ErrorTypeRequired, "spec.containers[0].volumeMounts[2].mountPath", ""},
			},
		},
		{
			name: "a mount of an invalid volume is not found",
			mutate: func(p *corev1.Pod) {
				p.Spec.Volumes = []corev1.Volume{{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{}}}}
				container(p).VolumeMounts = []corev1.VolumeMount{{Name: "cfg", MountPath: "/cfg"}}
			},
			want: []fieldErr{
				{field.ErrorTypeRequired, "spec.volumes[0].configMap.name", ""},
				{field.ErrorTypeNotFound, "spec.containers[0].volumeMounts[0].name", ""},
			},
		},
		{
			name: "projected service account token needs a service account",
			mutate: func(p *corev1.Pod) {
				p.Spec.Volumes = []corev1.Volume{{Name: "tok", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
					Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token"}}}}}}}
			},
			want: []fieldErr{{field.ErrorTypeForbidden, "spec.volumes[0].projected.sources[0].serviceAccountToken", "must not be specified when serviceAccountName is not set"}},
		},
	}
}
