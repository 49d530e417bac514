package pod

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// containerCases are TestValidate's rows for container names, images and ports.
func containerCases() []validateCase {
	return []validateCase{
		{
			name:   "container name required",
			mutate: func(p *corev1.Pod) { container(p).Name = "" },
			want:   []fieldErr{{field.ErrorTypeRequired, "spec.containers[0].name", ""}},
		},
		{
			name:   "container name is a DNS label",
			mutate: func(p *corev1.Pod) { container(p).Name = "App_1" },
			want:   []fieldErr{{field.ErrorTypeInvalid, "spec.containers[0].name", dnsLabelMsg}},
		},
		{
			name: "valid init and regular containers with distinct names",
			mutate: func(p *corev1.Pod) {
				p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "sidecar", Image: "busybox:1"})
				p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: "busybox:1"}}
			},
		},
		{
			name: "duplicate container names",
			mutate: func(p *corev1.Pod) {
				p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "app", Image: "busybox:1"})
			},
			want: []fieldErr{{field.ErrorTypeDuplicate, "spec.containers[1].name", ""}},
		},
		{
			name:   "init container name clashes with a regular one",
			mutate: func(p *corev1.Pod) { p.Spec.InitContainers = []corev1.Container{{Name: "app", Image: "busybox:1"}} },
			want:   []fieldErr{{field.ErrorTypeDuplicate, "spec.initContainers[0].name", ""}},
		},
		{
			name:   "image required",
			mutate: func(p *corev1.Pod) { container(p).Image = "" },
			want:   []fieldErr{{field.ErrorTypeRequired, "spec.containers[0].image", ""}},
		},
		{
			name:   "image may not be padded",
			mutate: func(p *corev1.Pod) { container(p).Image = "nginx " },
			want:   []fieldErr{{field.ErrorTypeInvalid, "spec.containers[0].image", "must not have leading or trailing whitespace"}},
		},
		{
			name:   "imagePullPolicy supported values",
			mutate: func(p *corev1.Pod) { container(p).ImagePullPolicy = "Sometimes" },
			want: []fieldErr{{field.ErrorTypeNotSupported, "spec.containers[0].imagePullPolicy",
				`supported values: "Always", "IfNotPresent", "Never"`}},
		},

		// Ports.
		{
			name: "valid ports",
			mutate: func(p *corev1.Pod) {
				container(p).Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: 80}, {Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP}}
			},
		},
		{
			name: "port checks",
			mutate: func(p *corev1.Pod) {
				container(p).Ports = []corev1.ContainerPort{
					{Name: "http", ContainerPort: 80},
					{Name: "http", ContainerPort: 0},
					{Name: "Web_UI", ContainerPort: 70000, HostPort: -1, Protocol: "ICMP"},
				}
			},
			want: []fieldErr{
				{field.ErrorTypeDuplicate, "spec.containers[0].ports[1].name", ""},
				{field.ErrorTypeRequired, "spec.containers[0].ports[1].containerPort", ""},
				{field.ErrorTypeInvalid, "spec.containers[0].ports[2].name", "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"},
				{field.ErrorTypeInvalid, "spec.containers[0].ports[2].containerPort", portRangeMsg},
				{field.ErrorTypeInvalid, "spec.containers[0].ports[2].hostPort", portRangeMsg},
				{field.ErrorTypeNotSupported, "spec.containers[0].ports[2].protocol", `supported values: "SCTP", "TCP", "UDP"`},
			},
		},
		{
			name: "host ports clash across containers",
			mutate: func(p *corev1.Pod) {
				container(p).Ports = []corev1.ContainerPort{{ContainerPort: 80, HostPort: 8080}}
				p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "b", Image: "x:1", Ports: []corev1.ContainerPort{{ContainerPort: 81, HostPort: 8080}}})
			},
			want: []fieldErr{{field.ErrorTypeDuplicate, "spec.containers[1].ports[0].hostPort", ""}},
		},
		{
			name: "hostNetwork: hostPort must equal containerPort",
			mutate: func(p *corev1.Pod) {
				p.Spec.HostNetwork = true
				container(p).Ports = []corev1.ContainerPort{{ContainerPort: 80}, {ContainerPort: 443, HostPort: 8443}}
			},
			want: []fieldErr{{field.ErrorTypeInvalid, "spec.containers[0].ports[1].hostPort", "must match `containerPort` when `hostNetwork` is true"}},
		},
	}
}
