package pod

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// fieldErr is what the tests compare of a field.Error.
type fieldErr struct {
	Type   field.ErrorType
	Field  string
	Detail string
}

func summarize(errs field.ErrorList) []fieldErr {
	var out []fieldErr
	for _, e := range errs {
		out = append(out, fieldErr{e.Type, e.Field, e.Detail})
	}
	return out
}

const (
	dnsLabelMsg     = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
	dnsSubdomainMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
	ipMsg           = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
	portRangeMsg    = "must be between 1 and 65535, inclusive"
)

// basePod is a valid pod before defaulting.
func basePod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}},
		},
	}
}

func container(p *corev1.Pod) *corev1.Container { return &p.Spec.Containers[0] }

func TestValidate(t *testing.T) {
	t.Parallel()
	envPath := "spec.containers[0].env[0]"
	tests := []struct {
		name string
		// mutate changes the base pod; SetDefaults runs after it unless raw.
		mutate func(p *corev1.Pod)
		raw    bool
		want   []fieldErr
	}{
		{name: "valid minimal pod", mutate: func(*corev1.Pod) {}},
		{
			name:   "containers required",
			mutate: func(p *corev1.Pod) { p.Spec.Containers = nil },
			want:   []fieldErr{{field.ErrorTypeRequired, "spec.containers", ""}},
		},

		// Container names and images.
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

		// Environment.
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

		// Resources.
		{
			name: "valid resources with an extended resource",
			mutate: func(p *corev1.Pod) {
				container(p).Resources = corev1.ResourceRequirements{
					Limits:   corev1.ResourceList{"cpu": resource.MustParse("1"), "memory": resource.MustParse("1Gi"), "example.com/gpu": resource.MustParse("2")},
					Requests: corev1.ResourceList{"cpu": resource.MustParse("500m")},
				}
			},
		},
		{
			name: "requests over limits",
			mutate: func(p *corev1.Pod) {
				container(p).Resources = corev1.ResourceRequirements{
					Limits:   corev1.ResourceList{"cpu": resource.MustParse("500m")},
					Requests: corev1.ResourceList{"cpu": resource.MustParse("1")},
				}
			},
			want: []fieldErr{{field.ErrorTypeInvalid, "spec.containers[0].resources.requests", "must be less than or equal to cpu limit of 500m"}},
		},
		{
			name: "resource names and quantities",
			mutate: func(p *corev1.Pod) {
				container(p).Resources = corev1.ResourceRequirements{Limits: corev1.ResourceList{
					"pods":            resource.MustParse("1"),
					"memory":          resource.MustParse("-1"),
					"example.com/gpu": resource.MustParse("500m"),
				}}
			},
			want: []fieldErr{
				{field.ErrorTypeInvalid, "spec.containers[0].resources.limits[example.com/gpu]", "must be an integer"},
				{field.ErrorTypeInvalid, "spec.containers[0].resources.limits[memory]", "must be greater than or equal to 0"},
				{field.ErrorTypeInvalid, "spec.containers[0].resources.limits[pods]", "must be a standard resource for containers"},
				{field.ErrorTypeInvalid, "spec.containers[0].resources.requests[example.com/gpu]", "must be an integer"},
				{field.ErrorTypeInvalid, "spec.containers[0].resources.requests[memory]", "must be greater than or equal to 0"},
				{field.ErrorTypeInvalid, "spec.containers[0].resources.requests[pods]", "must be a standard resource for containers"},
			},
		},

		// Volumes and mounts.
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

		// Pod-level fields.
		{
			name:   "restartPolicy supported values",
			mutate: func(p *corev1.Pod) { p.Spec.RestartPolicy = "Sometimes" },
			want:   []fieldErr{{field.ErrorTypeNotSupported, "spec.restartPolicy", `supported values: "Always", "OnFailure", "Never"`}},
		},
		{
			name:   "restartPolicy and terminationGracePeriodSeconds required without defaults",
			raw:    true,
			mutate: func(*corev1.Pod) {},
			want: []fieldErr{
				{field.ErrorTypeRequired, "spec.terminationGracePeriodSeconds", ""},
				{field.ErrorTypeRequired, "spec.containers[0].terminationMessagePolicy", ""},
				{field.ErrorTypeRequired, "spec.containers[0].imagePullPolicy", ""},
				{field.ErrorTypeRequired, "spec.restartPolicy", ""},
				{field.ErrorTypeRequired, "spec.dnsPolicy", ""},
			},
		},
		{
			name:   "dnsPolicy supported values",
			mutate: func(p *corev1.Pod) { p.Spec.DNSPolicy = "Cluster" },
			want: []fieldErr{{field.ErrorTypeNotSupported, "spec.dnsPolicy",
				`supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"`}},
		},
		{
			name:   "dnsPolicy None needs dnsConfig",
			mutate: func(p *corev1.Pod) { p.Spec.DNSPolicy = corev1.DNSNone },
			want:   []fieldErr{{field.ErrorTypeRequired, "spec.dnsConfig", "must provide `dnsConfig` when `dnsPolicy` is None"}},
		},
		{
			name: "dnsPolicy None needs a nameserver",
			mutate: func(p *corev1.Pod) {
				p.Spec.DNSPolicy = corev1.DNSNone
				p.Spec.DNSConfig = &corev1.PodDNSConfig{Searches: []string{"example.com"}}
			},
			want: []fieldErr{{field.ErrorTypeRequired, "spec.dnsConfig.nameservers", "must provide at least one DNS nameserver when `dnsPolicy` is None"}},
		},
		{
			name: "valid dnsConfig with None",
			mutate: func(p *corev1.Pod) {
				p.Spec.DNSPolicy = corev1.DNSNone
				p.Spec.DNSConfig = &corev1.PodDNSConfig{
					Nameservers: []string{"10.96.0.10", "fd00::10"},
					Searches:    []string{"ns1.svc.cluster.local", "_srv.example.com.", "."},
					Options:     []corev1.PodDNSConfigOption{{Name: "ndots", Value: ptr.To("2")}},
				}
			},
		},
		{
			name: "dnsConfig checks",
			mutate: func(p *corev1.Pod) {
				p.Spec.DNSConfig = &corev1.PodDNSConfig{
					Nameservers: []string{"1.1.1.1", "8.8.8.8", "9.9.9.9", "dns.example.com"},
					Searches:    []string{"Bad..Domain"},
					Options:     []corev1.PodDNSConfigOption{{}},
				}
			},
			want: []fieldErr{
				{field.ErrorTypeInvalid, "spec.dnsConfig.nameservers", "must not have more than 3 nameservers"},
				{field.ErrorTypeInvalid, "spec.dnsConfig.nameservers[3]", ipMsg},
				{field.ErrorTypeInvalid, "spec.dnsConfig.searches[0]",
					"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '_', '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\\._?[a-z0-9]([-_a-z0-9]*[a-z0-9])?)*')"},
				{field.ErrorTypeRequired, "spec.dnsConfig.options[0]", "must not be empty"},
			},
		},
		{
			name: "valid hostAliases, legacy IP forms accepted",
			mutate: func(p *corev1.Pod) {
				p.Spec.HostAliases = []corev1.HostAlias{{IP: "127.0.0.1", Hostnames: []string{"foo.local", "bar"}}, {IP: "010.001.002.003"}, {IP: "fd00::1"}}
			},
		},
		{
			name: "hostAliases checks",
			mutate: func(p *corev1.Pod) {
				p.Spec.HostAliases = []corev1.HostAlias{{IP: "999.1.1.1", Hostnames: []string{"ok.example", "Not_OK"}}}
			},
			want: []fieldErr{
				{field.ErrorTypeInvalid, "spec.hostAliases[0].ip", ipMsg},
				{field.ErrorTypeInvalid, "spec.hostAliases[0].hostnames[1]", dnsSubdomainMsg},
			},
		},
		{
			name: "valid hostname, subdomain, nodeName, service account, deadline",
			mutate: func(p *corev1.Pod) {
				p.Spec.Hostname, p.Spec.Subdomain, p.Spec.NodeName = "web-0", "nginx", "node-1.example"
				p.Spec.ServiceAccountName = "robot"
				p.Spec.ActiveDeadlineSeconds = ptr.To[int64](60)
			},
		},
		{
			name: "hostname, subdomain, nodeName, service account, deadline checks",
			mutate: func(p *corev1.Pod) {
				p.Spec.Hostname, p.Spec.Subdomain, p.Spec.NodeName = "web.0", "Nginx", "node_1"
				p.Spec.ServiceAccountName = "Robot"
				p.Spec.ActiveDeadlineSeconds = ptr.To[int64](0)
			},
			want: []fieldErr{
				{field.ErrorTypeInvalid, "spec.serviceAccountName", dnsSubdomainMsg},
				{field.ErrorTypeInvalid, "spec.nodeName", dnsSubdomainMsg},
				{field.ErrorTypeInvalid, "spec.activeDeadlineSeconds", "must be between 1 and 2147483647, inclusive"},
				{field.ErrorTypeInvalid, "spec.hostname", "must not contain dots"},
				{field.ErrorTypeInvalid, "spec.subdomain", dnsLabelMsg},
			},
		},
		{
			name: "valid tolerations",
			mutate: func(p *corev1.Pod) {
				p.Spec.Tolerations = []corev1.Toleration{
					{Operator: corev1.TolerationOpExists},
					{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)},
					{Key: "dedicated", Value: "gpu", Effect: corev1.TaintEffectNoSchedule},
				}
			},
		},
		{
			name: "toleration checks",
			mutate: func(p *corev1.Pod) {
				p.Spec.Tolerations = []corev1.Toleration{
					{Operator: corev1.TolerationOpEqual, Value: "x"},
					{Key: "k", Operator: corev1.TolerationOpExists, Value: "v", Effect: corev1.TaintEffectNoSchedule, TolerationSeconds: ptr.To[int64](1)},
					{Key: "k", Operator: "Gt", Effect: "Sometimes"},
				}
			},
			want: []fieldErr{
				{field.ErrorTypeInvalid, "spec.tolerations[0].operator", "operator must be Exists when `key` is empty, which means \"match all values and all keys\""},
				{field.ErrorTypeInvalid, "spec.tolerations[1].effect", "effect must be 'NoExecute' when `tolerationSeconds` is set"},
				{field.ErrorTypeInvalid, "spec.tolerations[1].operator", "value must be empty when `operator` is 'Exists'"},
				{field.ErrorTypeNotSupported, "spec.tolerations[2].operator", `supported values: "Equal", "Exists"`},
				{field.ErrorTypeNotSupported, "spec.tolerations[2].effect", `supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"`},
			},
		},
		{
			name: "ephemeral containers are not allowed on create",
			mutate: func(p *corev1.Pod) {
				p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug", Image: "busybox:1"}}}
			},
			want: []fieldErr{{field.ErrorTypeForbidden, "spec.ephemeralContainers", "cannot be set on create"}},
		},
		{
			name: "nodeName with scheduling gates",
			mutate: func(p *corev1.Pod) {
				p.Spec.NodeName = "node-1"
				p.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "example.com/gate"}}
			},
			want: []fieldErr{{field.ErrorTypeForbidden, "spec.nodeName", "cannot be set until all schedulingGates have been cleared"}},
		},

		// Probes and lifecycle.
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

		// Security context.
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
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := basePod()
			tc.mutate(p)
			if !tc.raw {
				SetDefaults(p)
			}
			got := summarize(Validate(p))
			// NotSupported details start with the bad value; compare their
			// supported-values tail only.
			for i := range got {
				if got[i].Type == field.ErrorTypeNotSupported {
					if _, tail, ok := strings.Cut(got[i].Detail, "supported values: "); ok {
						got[i].Detail = "supported values: " + tail
					}
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Validate (-want +got):\n%s", diff)
			}
		})
	}
}

// TestValidateErrorStrings pins the full text users see for a few errors.
func TestValidateErrorStrings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(p *corev1.Pod)
		want   []string
	}{
		{
			name:   "invalid container name",
			mutate: func(p *corev1.Pod) { container(p).Name = "App" },
			want:   []string{`spec.containers[0].name: Invalid value: "App": ` + dnsLabelMsg},
		},
		{
			name:   "unsupported restart policy",
			mutate: func(p *corev1.Pod) { p.Spec.RestartPolicy = "Sometimes" },
			want:   []string{`spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"`},
		},
		{
			name:   "dnsPolicy None without config",
			mutate: func(p *corev1.Pod) { p.Spec.DNSPolicy = corev1.DNSNone },
			want:   []string{"spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None"},
		},
		{
			name:   "duplicate volume",
			mutate: func(p *corev1.Pod) { p.Spec.Volumes = []corev1.Volume{{Name: "v"}, {Name: "v"}} },
			want:   []string{`spec.volumes[1].name: Duplicate value: "v"`},
		},
		{
			name:   "container port out of range",
			mutate: func(p *corev1.Pod) { container(p).Ports = []corev1.ContainerPort{{ContainerPort: 70000}} },
			want:   []string{"spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"},
		},
		{
			name: "unknown volume",
			mutate: func(p *corev1.Pod) {
				container(p).VolumeMounts = []corev1.VolumeMount{{Name: "nope", MountPath: "/x"}}
			},
			want: []string{`spec.containers[0].volumeMounts[0].name: Not found: "nope"`},
		},
		{
			name: "requests over limits",
			mutate: func(p *corev1.Pod) {
				container(p).Resources = corev1.ResourceRequirements{
					Limits: corev1.ResourceList{"memory": resource.MustParse("64Mi")}, Requests: corev1.ResourceList{"memory": resource.MustParse("128Mi")}}
			},
			want: []string{`spec.containers[0].resources.requests: Invalid value: "128Mi": must be less than or equal to memory limit of 64Mi`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := basePod()
			tc.mutate(p)
			SetDefaults(p)
			var got []string
			for _, e := range Validate(p) {
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Validate error strings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateUpdate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		old    func(p *corev1.Pod) // changes the old pod (before defaulting)
		mutate func(p *corev1.Pod) // changes the new pod, a copy of the defaulted old one
		want   []fieldErr
		// wantPrefix, if set, is compared instead of the Detail of an error
		// whose Detail is longer (the immutability error carries a diff).
		wantPrefix bool
	}{
		{name: "no change", mutate: func(*corev1.Pod) {}},
		{name: "image change", mutate: func(p *corev1.Pod) { container(p).Image = "nginx:1.28" }},
		{
			name:   "image may not be cleared",
			mutate: func(p *corev1.Pod) { container(p).Image = "" },
			want:   []fieldErr{{field.ErrorTypeRequired, "spec.containers[0].image", ""}, {field.ErrorTypeRequired, "spec.containers[0].image", ""}},
		},
		{name: "activeDeadlineSeconds set", mutate: func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = ptr.To[int64](100) }},
		{
			name:   "activeDeadlineSeconds lowered",
			old:    func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = ptr.To[int64](100) },
			mutate: func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = ptr.To[int64](50) },
		},
		{
			name:   "activeDeadlineSeconds raised",
			old:    func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = ptr.To[int64](100) },
			mutate: func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = ptr.To[int64](200) },
			want:   []fieldErr{{field.ErrorTypeInvalid, "spec.activeDeadlineSeconds", "must be less than or equal to previous value"}},
		},
		{
			name:   "activeDeadlineSeconds removed",
			old:    func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = ptr.To[int64](100) },
			mutate: func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = nil },
			// The deadline is put back before the specs are compared, so this
			// is the only error.
			want: []fieldErr{{field.ErrorTypeInvalid, "spec.activeDeadlineSeconds", "must not update from a positive integer to nil value"}},
		},
		{
			name: "toleration added",
			old: func(p *corev1.Pod) {
				p.Spec.Tolerations = []corev1.Toleration{{Key: "a", Operator: corev1.TolerationOpExists}}
			},
			mutate: func(p *corev1.Pod) {
				p.Spec.Tolerations = append(p.Spec.Tolerations, corev1.Toleration{Key: "b", Operator: corev1.TolerationOpExists})
			},
		},
		{
			name: "toleration tolerationSeconds changed",
			old: func(p *corev1.Pod) {
				p.Spec.Tolerations = []corev1.Toleration{{Key: "a", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](10)}}
			},
			mutate: func(p *corev1.Pod) { p.Spec.Tolerations[0].TolerationSeconds = ptr.To[int64](20) },
		},
		{
			name: "toleration modified",
			old: func(p *corev1.Pod) {
				p.Spec.Tolerations = []corev1.Toleration{{Key: "a", Operator: corev1.TolerationOpExists}}
			},
			mutate: func(p *corev1.Pod) { p.Spec.Tolerations[0].Key = "b" },
			want:   []fieldErr{{field.ErrorTypeForbidden, "spec.tolerations", "existing toleration can not be modified except its tolerationSeconds"}},
		},
		{
			name: "container added",
			mutate: func(p *corev1.Pod) {
				p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "b", Image: "x:1"})
				SetDefaults(p)
			},
			want: []fieldErr{{field.ErrorTypeForbidden, "spec.containers", "pod updates may not add or remove containers"}},
		},
		{
			name:       "other field changed",
			mutate:     func(p *corev1.Pod) { p.Spec.RestartPolicy = corev1.RestartPolicyNever },
			want:       []fieldErr{{field.ErrorTypeForbidden, "spec", "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n"}},
			wantPrefix: true,
		},
		{
			name:   "scheduling gate removed",
			old:    func(p *corev1.Pod) { p.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "a"}, {Name: "b"}} },
			mutate: func(p *corev1.Pod) { p.Spec.SchedulingGates = p.Spec.SchedulingGates[1:] },
		},
		{
			name: "scheduling gate added",
			old:  func(p *corev1.Pod) { p.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "a"}} },
			mutate: func(p *corev1.Pod) {
				p.Spec.SchedulingGates = append(p.Spec.SchedulingGates, corev1.PodSchedulingGate{Name: "b"})
			},
			want: []fieldErr{{field.ErrorTypeForbidden, "spec.schedulingGates[1].name", "only deletion is allowed, but found new scheduling gate 'b'"}},
		},
		{
			name: "gated pod gains a nodeSelector entry",
			old: func(p *corev1.Pod) {
				p.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "a"}}
				p.Spec.NodeSelector = map[string]string{"zone": "a"}
			},
			mutate: func(p *corev1.Pod) { p.Spec.NodeSelector["disk"] = "ssd" },
		},
		{
			name: "gated pod changes a nodeSelector entry",
			old: func(p *corev1.Pod) {
				p.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "a"}}
				p.Spec.NodeSelector = map[string]string{"zone": "a"}
			},
			mutate: func(p *corev1.Pod) { p.Spec.NodeSelector["zone"] = "b" },
			want:   []fieldErr{{field.ErrorTypeInvalid, "spec.nodeSelector", "only additions to spec.nodeSelector are allowed (no mutations or deletions)"}},
		},
		{
			name:   "negative grace period may become 1",
			old:    func(p *corev1.Pod) { p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](-1) },
			mutate: func(p *corev1.Pod) { p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](1) },
		},
		{
			name:       "grace period may not change otherwise",
			mutate:     func(p *corev1.Pod) { p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](60) },
			want:       []fieldErr{{field.ErrorTypeForbidden, "spec", "pod updates may not change fields other than "}},
			wantPrefix: true,
		},
		{
			name:   "new spec is validated too",
			mutate: func(p *corev1.Pod) { container(p).Image = "nginx " },
			want: []fieldErr{
				{field.ErrorTypeInvalid, "spec.containers[0].image", "must not have leading or trailing whitespace"},
				{field.ErrorTypeInvalid, "spec.containers[0].image", "must not have leading or trailing whitespace"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			old := basePod()
			if tc.old != nil {
				tc.old(old)
			}
			SetDefaults(old)
			p := old.DeepCopy()
			tc.mutate(p)
			got := summarize(ValidateUpdate(p, old))
			if tc.wantPrefix {
				for i := range got {
					if i < len(tc.want) && strings.HasPrefix(got[i].Detail, tc.want[i].Detail) {
						got[i].Detail = tc.want[i].Detail
					}
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ValidateUpdate (-want +got):\n%s", diff)
			}
		})
	}
}
