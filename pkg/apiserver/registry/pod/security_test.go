package pod

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// securityCases are TestValidate's rows for security contexts.
func securityCases() []validateCase {
	return []validateCase{
		{
			name: "security context checks",
			mutate: func(p *corev1.Pod) {
				p.Spec.SecurityContext = &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](-1),
					Sysctls: []corev1.Sysctl{{Name: "net.core.somaxconn"}, {Name: "net.core.somaxconn"}, {Name: "Bad"}}}
				p.Spec.HostNetwork = true
				container(p).SecurityContext = &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false), Privileged: ptr.To(true),
					SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost}}
			},
			want: []fieldErr{
				{field.ErrorTypeRequired, "spec.containers[0].securityContext.seccompProfile.localhostProfile", "must be set when seccomp type is Localhost"},
				{field.ErrorTypeInvalid, "spec.containers[0].securityContext", "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"},
				{field.ErrorTypeInvalid, "spec.securityContext.runAsUser", "must be between 0 and 2147483647, inclusive"},
				{field.ErrorTypeInvalid, "spec.securityContext.sysctls[0].name", "may not be specified when 'hostNetwork' is true"},
				{field.ErrorTypeDuplicate, "spec.securityContext.sysctls[1].name", ""},
				{field.ErrorTypeInvalid, "spec.securityContext.sysctls[1].name", "may not be specified when 'hostNetwork' is true"},
				{field.ErrorTypeInvalid, "spec.securityContext.sysctls[2].name",
					"must have at most 253 characters and match regex ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$"},
			},
		},
		{
			name: "os windows forbids linux-only fields",
			mutate: func(p *corev1.Pod) {
				p.Spec.OS = &corev1.PodOS{Name: corev1.Windows}
				p.Spec.SecurityContext = &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](1000)}
			},
			want: []fieldErr{{field.ErrorTypeForbidden, "spec.securityContext.runAsUser", "cannot be set for a windows pod"}},
		},
		{
			name:   "os name supported values",
			mutate: func(p *corev1.Pod) { p.Spec.OS = &corev1.PodOS{Name: "plan9"} },
			want:   []fieldErr{{field.ErrorTypeNotSupported, "spec.os", `supported values: "linux", "windows"`}},
		},
	}
}
