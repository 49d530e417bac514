package pod

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// probeCases are TestValidate's rows for probes and lifecycle hooks.
func probeCases() []validateCase {
	return []validateCase{
		{
			name: "valid probes and sidecar",
			mutate: func(p *corev1.Pod) {
				container(p).LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromString("http")}}}
				container(p).ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(80)}}, SuccessThreshold: 2}
				container(p).Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 0}}}
				p.Spec.InitContainers = []corev1.Container{{Name: "proxy", Image: "envoy:1", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways),
					StartupProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}}}}
			},
		},
		{
			name: "probe checks",
			mutate: func(p *corev1.Pod) {
				container(p).LivenessProbe = &corev1.Probe{SuccessThreshold: 2}
				container(p).ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
					Exec: &corev1.ExecAction{}, HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(80)}}}
				container(p).Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 31}}}
				p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: "busybox:1",
					LivenessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}}}}
			},
			want: []fieldErr{
				{field.ErrorTypeInvalid, "spec.containers[0].lifecycle.preStop.sleep", "must be non-negative and less than terminationGracePeriodSeconds (30)"},
				{field.ErrorTypeRequired, "spec.containers[0].livenessProbe", "must specify a handler type"},
				{field.ErrorTypeInvalid, "spec.containers[0].livenessProbe.successThreshold", "must be 1"},
				{field.ErrorTypeRequired, "spec.containers[0].readinessProbe.exec.command", ""},
				{field.ErrorTypeForbidden, "spec.containers[0].readinessProbe.httpGet", "may not specify more than 1 handler type"},
				{field.ErrorTypeForbidden, "spec.initContainers[0].livenessProbe", "may not be set for init containers without restartPolicy=Always"},
			},
		},
	}
}
