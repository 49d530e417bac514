package pod

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// validateCase is a row of TestValidate.
type validateCase struct {
	name string
	// mutate changes the base pod; SetDefaults runs after it unless raw.
	mutate func(p *corev1.Pod)
	raw    bool
	want   []fieldErr
}

// TestValidate runs the rows of every topic: the containers' (names,
// images, ports, environment, resources, probes), the volumes', the
// pod-level fields' and the security contexts'.
func TestValidate(t *testing.T) {
	t.Parallel()
	tests := slices.Concat([]validateCase{
		{name: "valid minimal pod", mutate: func(*corev1.Pod) {}},
		{
			name:   "containers required",
			mutate: func(p *corev1.Pod) { p.Spec.Containers = nil },
			want:   []fieldErr{{field.ErrorTypeRequired, "spec.containers", ""}},
		},
	}, containerCases(), envCases(), resourceCases(), volumeCases(), podFieldCases(), probeCases(), securityCases())
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

// podFieldCases are TestValidate's rows for the pod-level fields.
func podFieldCases() []validateCase {
	return []validateCase{
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
