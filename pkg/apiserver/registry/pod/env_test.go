package pod

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// envCases are TestValidate's rows for container environment variables.
func envCases() []validateCase {
	const envPath = "spec.containers[0].env[0]"
	return []validateCase{
		{
			name: "valid env, relaxed names",
			mutate: func(p *corev1.Pod) {
				container(p).Env = []corev1.EnvVar{
					{Name: "A", Value: "1"}, {Name: "1st var.x", Value: "2"},
					{Name: "POD", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels['app.kubernetes.io/name']"}}},
					{Name: "NODE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.host"}}},
					{Name: "IPS", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIPs"}}},
					{Name: "MEM", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.memory", Divisor: resource.MustParse("1Mi")}}},
					{Name: "CM", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, Key: "k"}}},
				}
				container(p).EnvFrom = []corev1.EnvFromSource{{Prefix: "X_", SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}}}}
			},
		},
		{
			name:   "env name required",
			mutate: func(p *corev1.Pod) { container(p).Env = []corev1.EnvVar{{Name: "", Value: "x"}} },
			want:   []fieldErr{{field.ErrorTypeRequired, envPath + ".name", ""}},
		},
		{
			name:   "env name may not contain '='",
			mutate: func(p *corev1.Pod) { container(p).Env = []corev1.EnvVar{{Name: "A=B", Value: "x"}} },
			want:   []fieldErr{{field.ErrorTypeInvalid, envPath + ".name", "a valid environment variable name must consist only of printable ASCII characters other than '='"}},
		},
		{
			name: "valueFrom needs a source",
			mutate: func(p *corev1.Pod) {
				container(p).Env = []corev1.EnvVar{{Name: "A", ValueFrom: &corev1.EnvVarSource{}}}
			},
			want: []fieldErr{{field.ErrorTypeInvalid, envPath + ".valueFrom",
				"must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef`, `secretKeyRef` or `fileKeyRef`"}},
		},
		{
			name: "valueFrom with two sources",
			mutate: func(p *corev1.Pod) {
				container(p).Env = []corev1.EnvVar{{Name: "A", ValueFrom: &corev1.EnvVarSource{
					FieldRef:     &corev1.ObjectFieldSelector{FieldPath: "metadata.name"},
					SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}, Key: "k"},
				}}}
			},
			want: []fieldErr{{field.ErrorTypeInvalid, envPath + ".valueFrom", "may not have more than one field specified at a time"}},
		},
		{
			name: "value and valueFrom",
			mutate: func(p *corev1.Pod) {
				container(p).Env = []corev1.EnvVar{{Name: "A", Value: "x", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}}
			},
			want: []fieldErr{{field.ErrorTypeInvalid, envPath + ".valueFrom", "may not be specified when `value` is not empty"}},
		},
		{
			name: "fieldRef paths",
			mutate: func(p *corev1.Pod) {
				fr := func(v, path string) corev1.EnvVar {
					return corev1.EnvVar{Name: "A", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: v, FieldPath: path}}}
				}
				container(p).Env = []corev1.EnvVar{
					fr("v1", "status.phase"), fr("v1", "metadata.labels"), fr("v2", "metadata.name"),
					fr("v1", "spec.foo"), fr("v1", "metadata.name['x']"), fr("v1", "metadata.annotations['Bad Key']"),
				}
			},
			want: []fieldErr{
				{field.ErrorTypeNotSupported, "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath",
					`supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"`},
				{field.ErrorTypeNotSupported, "spec.containers[0].env[1].valueFrom.fieldRef.fieldPath",
					`supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"`},
				{field.ErrorTypeInvalid, "spec.containers[0].env[2].valueFrom.fieldRef.fieldPath", "error converting fieldPath: unsupported pod version: v2"},
				{field.ErrorTypeInvalid, "spec.containers[0].env[3].valueFrom.fieldRef.fieldPath", "error converting fieldPath: field label not supported: spec.foo"},
				{field.ErrorTypeInvalid, "spec.containers[0].env[4].valueFrom.fieldRef.fieldPath", "error converting fieldPath: field label does not support subscript: metadata.name['x']"},
				{field.ErrorTypeInvalid, "spec.containers[0].env[5].valueFrom.fieldRef",
					"name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"},
			},
		},
		{
			name: "resourceFieldRef and key selectors",
			mutate: func(p *corev1.Pod) {
				container(p).Env = []corev1.EnvVar{
					{Name: "A", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.gpu"}}},
					{Name: "B", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.cpu", Divisor: resource.MustParse("2")}}},
					{Name: "C", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}}},
				}
			},
			want: []fieldErr{
				{field.ErrorTypeNotSupported, "spec.containers[0].env[0].valueFrom.resourceFieldRef.resource",
					`supported values: "limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu", "requests.ephemeral-storage", "requests.memory"`},
				{field.ErrorTypeInvalid, "spec.containers[0].env[1].valueFrom.resourceFieldRef.divisor", "only divisor's values 1m and 1 are supported with the cpu resource"},
				{field.ErrorTypeRequired, "spec.containers[0].env[2].valueFrom.configMapKeyRef.key", ""},
			},
		},
		{
			name:   "envFrom needs a source; reported on the list",
			mutate: func(p *corev1.Pod) { container(p).EnvFrom = []corev1.EnvFromSource{{Prefix: "P="}} },
			want: []fieldErr{
				{field.ErrorTypeInvalid, "spec.containers[0].envFrom[0].prefix", "a valid environment variable name must consist only of printable ASCII characters other than '='"},
				{field.ErrorTypeInvalid, "spec.containers[0].envFrom", "must specify one of: `configMapRef` or `secretRef`"},
			},
		},
	}
}
