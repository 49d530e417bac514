package pod

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func TestSetDefaults(t *testing.T) {
	t.Parallel()
	// defaultedSpec is what a pod with one container "app" running image
	// becomes, with the given pull policy.
	defaultedContainer := func(image string, pull corev1.PullPolicy) corev1.Container {
		return corev1.Container{
			Name: "app", Image: image, ImagePullPolicy: pull,
			TerminationMessagePath: "/dev/termination-log", TerminationMessagePolicy: corev1.TerminationMessageReadFile,
		}
	}
	defaultedSpec := func(c ...corev1.Container) corev1.PodSpec {
		return corev1.PodSpec{
			Containers:                    c,
			RestartPolicy:                 corev1.RestartPolicyAlways,
			TerminationGracePeriodSeconds: ptr.To[int64](30),
			DNSPolicy:                     corev1.DNSClusterFirst,
			SecurityContext:               &corev1.PodSecurityContext{},
			SchedulerName:                 "default-scheduler",
			EnableServiceLinks:            ptr.To(true),
		}
	}
	rl := func(kv ...string) corev1.ResourceList {
		l := corev1.ResourceList{}
		for i := 0; i < len(kv); i += 2 {
			l[corev1.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
		}
		return l
	}
	// allSet sets, to other values, the fields defaulting would fill, so
	// defaulting leaves it as it is (each row defaults a deep copy of in).
	allSet := corev1.PodSpec{
		Containers: []corev1.Container{{
			Name: "app", Image: "nginx", ImagePullPolicy: corev1.PullNever,
			TerminationMessagePath: "/tmp/msg", TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
		}},
		RestartPolicy: corev1.RestartPolicyNever, TerminationGracePeriodSeconds: ptr.To[int64](0),
		DNSPolicy: corev1.DNSNone, SecurityContext: &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](1000)},
		SchedulerName: "other", EnableServiceLinks: ptr.To(false),
	}

	tests := []struct {
		name string
		in   corev1.PodSpec
		want corev1.PodSpec
	}{
		{
			name: "minimal pod gets the pod and container defaults",
			in:   corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}},
			want: defaultedSpec(defaultedContainer("nginx:1.27", corev1.PullIfNotPresent)),
		},
		{name: "set fields are kept", in: allSet, want: allSet},
		{
			name: "untagged image is pulled Always",
			in:   corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx"}}},
			want: defaultedSpec(defaultedContainer("nginx", corev1.PullAlways)),
		},
		{
			name: "latest tag is pulled Always",
			in:   corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.k8s.io:5000/pause:latest"}}},
			want: defaultedSpec(defaultedContainer("registry.k8s.io:5000/pause:latest", corev1.PullAlways)),
		},
		{
			name: "digest without tag is IfNotPresent",
			in: corev1.PodSpec{Containers: []corev1.Container{{Name: "app",
				Image: "nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}}},
			want: defaultedSpec(defaultedContainer("nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", corev1.PullIfNotPresent)),
		},
		{
			name: "unparsable image is IfNotPresent",
			in:   corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "NGINX"}}},
			want: defaultedSpec(defaultedContainer("NGINX", corev1.PullIfNotPresent)),
		},
		{
			name: "hostNetwork fills hostPort from containerPort; protocol TCP",
			in: corev1.PodSpec{HostNetwork: true, Containers: []corev1.Container{{Name: "app", Image: "nginx:1",
				Ports: []corev1.ContainerPort{{ContainerPort: 80}, {ContainerPort: 53, HostPort: 53, Protocol: corev1.ProtocolUDP}}}}},
			want: func() corev1.PodSpec {
				c := defaultedContainer("nginx:1", corev1.PullIfNotPresent)
				c.Ports = []corev1.ContainerPort{{ContainerPort: 80, HostPort: 80, Protocol: corev1.ProtocolTCP},
					{ContainerPort: 53, HostPort: 53, Protocol: corev1.ProtocolUDP}}
				s := defaultedSpec(c)
				s.HostNetwork = true
				return s
			}(),
		},
		{
			name: "requests default to limits, quantities round up to milli",
			in: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1", Resources: corev1.ResourceRequirements{
				Limits: rl("cpu", "0.0001", "memory", "64Mi"), Requests: rl("memory", "32Mi")}}}},
			want: func() corev1.PodSpec {
				c := defaultedContainer("nginx:1", corev1.PullIfNotPresent)
				c.Resources = corev1.ResourceRequirements{Limits: rl("cpu", "1m", "memory", "64Mi"), Requests: rl("cpu", "1m", "memory", "32Mi")}
				return defaultedSpec(c)
			}(),
		},
		{
			name: "probes, hooks and env fieldRefs",
			in: corev1.PodSpec{Containers: []corev1.Container{{
				Name: "app", Image: "nginx:1",
				LivenessProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(80)}}},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9090}}, PeriodSeconds: 5},
				Lifecycle:      &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/stop", Port: intstr.FromString("http")}}},
				Env:            []corev1.EnvVar{{Name: "NODE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}}},
			}}},
			want: func() corev1.PodSpec {
				c := defaultedContainer("nginx:1", corev1.PullIfNotPresent)
				c.LivenessProbe = &corev1.Probe{
					ProbeHandler:   corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/", Port: intstr.FromInt32(80), Scheme: corev1.URISchemeHTTP}},
					TimeoutSeconds: 1, PeriodSeconds: 10, SuccessThreshold: 1, FailureThreshold: 3,
				}
				c.ReadinessProbe = &corev1.Probe{
					ProbeHandler:   corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9090, Service: ptr.To("")}},
					TimeoutSeconds: 1, PeriodSeconds: 5, SuccessThreshold: 1, FailureThreshold: 3,
				}
				c.Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{
					Path: "/stop", Port: intstr.FromString("http"), Scheme: corev1.URISchemeHTTP}}}
				c.Env = []corev1.EnvVar{{Name: "NODE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "spec.nodeName"}}}}
				return defaultedSpec(c)
			}(),
		},
		{
			name: "volumes",
			in: corev1.PodSpec{
				Containers: []corev1.Container{{Name: "app", Image: "nginx:1"}},
				Volumes: []corev1.Volume{
					{Name: "scratch"},
					{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/log"}}},
					{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}}},
					{Name: "sec", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "s", DefaultMode: ptr.To[int32](0400)}}},
					{Name: "proj", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
						{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token"}},
						{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "name", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}}},
					}}}},
					{Name: "dapi", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{}}},
				},
			},
			want: func() corev1.PodSpec {
				s := defaultedSpec(defaultedContainer("nginx:1", corev1.PullIfNotPresent))
				s.Volumes = []corev1.Volume{
					{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
					{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/log", Type: ptr.To(corev1.HostPathUnset)}}},
					{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, DefaultMode: ptr.To[int32](420)}}},
					{Name: "sec", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "s", DefaultMode: ptr.To[int32](0400)}}},
					{Name: "proj", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{DefaultMode: ptr.To[int32](420), Sources: []corev1.VolumeProjection{
						{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: ptr.To[int64](3600)}},
						{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "name", FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}}}}},
					}}}},
					{Name: "dapi", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{DefaultMode: ptr.To[int32](420)}}},
				}
				return s
			}(),
		},
		{
			name: "deprecated serviceAccount fills serviceAccountName",
			in:   corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1"}}, DeprecatedServiceAccount: "robot"},
			want: func() corev1.PodSpec {
				s := defaultedSpec(defaultedContainer("nginx:1", corev1.PullIfNotPresent))
				s.ServiceAccountName, s.DeprecatedServiceAccount = "robot", "robot"
				return s
			}(),
		},
		{
			name: "serviceAccountName wins and is copied to serviceAccount",
			in:   corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1"}}, ServiceAccountName: "new", DeprecatedServiceAccount: "old"},
			want: func() corev1.PodSpec {
				s := defaultedSpec(defaultedContainer("nginx:1", corev1.PullIfNotPresent))
				s.ServiceAccountName, s.DeprecatedServiceAccount = "new", "new"
				return s
			}(),
		},
		{
			name: "init and ephemeral containers get container defaults; only init ones get requests from limits",
			in: corev1.PodSpec{
				Containers:          []corev1.Container{{Name: "app", Image: "nginx:1"}},
				InitContainers:      []corev1.Container{{Name: "init", Image: "busybox:1", Resources: corev1.ResourceRequirements{Limits: rl("cpu", "1")}}},
				EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug", Image: "busybox", Resources: corev1.ResourceRequirements{Limits: rl("cpu", "1")}}}},
			},
			want: func() corev1.PodSpec {
				s := defaultedSpec(defaultedContainer("nginx:1", corev1.PullIfNotPresent))
				ic := defaultedContainer("busybox:1", corev1.PullIfNotPresent)
				ic.Name = "init"
				ic.Resources = corev1.ResourceRequirements{Limits: rl("cpu", "1"), Requests: rl("cpu", "1")}
				s.InitContainers = []corev1.Container{ic}
				ec := defaultedContainer("busybox", corev1.PullAlways)
				ec.Name = "debug"
				ec.Resources = corev1.ResourceRequirements{Limits: rl("cpu", "1")}
				s.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon(ec)}}
				return s
			}(),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: *tc.in.DeepCopy()}
			SetDefaults(pod)
			if diff := cmp.Diff(tc.want, pod.Spec); diff != "" {
				t.Errorf("SetDefaults (-want +got):\n%s", diff)
			}
			again := pod.DeepCopy()
			SetDefaults(again)
			if diff := cmp.Diff(pod, again); diff != "" {
				t.Errorf("SetDefaults is not idempotent (-first +second):\n%s", diff)
			}
		})
	}
}

func TestImageTag(t *testing.T) {
	t.Parallel()
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		name, image, want string
	}{
		{"no tag means latest", "nginx", "latest"},
		{"explicit tag", "nginx:1.27", "1.27"},
		{"explicit latest", "nginx:latest", "latest"},
		{"registry with port, no tag", "localhost:5000/app", "latest"},
		{"registry with port and tag", "localhost:5000/app:v2", "v2"},
		{"nested path", "registry.k8s.io/kube-apiserver/foo:v1.37.2", "v1.37.2"},
		{"upper-case tag is kept", "nginx:LATEST", "LATEST"},
		{"digest only", "nginx@" + digest, ""},
		{"tag and digest", "nginx:latest@" + digest, "latest"},
		{"bad digest does not parse", "nginx:latest@sha256:abc", ""},
		{"unknown digest algorithm", "nginx:latest@md5:0123456789abcdef0123456789abcdef", ""},
		{"upper-case repository does not parse", "Nginx", ""},
		{"upper-case registry is fine", "Registry.example.com/app", "latest"},
		{"image ID is not a name", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", ""},
		{"empty", "", ""},
		{"whitespace", " nginx", ""},
		{"ipv6 registry", "[::1]:5000/app:v1", "v1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := imageTag(tc.image); got != tc.want {
				t.Errorf("imageTag(%q) = %q, want %q", tc.image, got, tc.want)
			}
		})
	}
}
