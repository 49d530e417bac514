package downwardapi

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
)

// seedPod is the dual-stack pod of the seed document, as a fakecluster
// kubelet leaves its status before starting containers.
func seedPod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: "pod1", Namespace: "default", UID: "0f9c4f1c-5b0e-4bd5-9d2c-0d5e1c4c7a11",
			Labels:      map[string]string{"app": "MyApp", "tier": "web"},
			Annotations: map[string]string{"note": `say "hi"`, "a.example.com/x": "1"},
		},
		Spec: corev1.PodSpec{NodeName: "worker0", ServiceAccountName: "default"},
		Status: corev1.PodStatus{
			HostIP:  "172.18.0.2",
			HostIPs: []corev1.HostIP{{IP: "172.18.0.2"}, {IP: "fc00:f853:ccd:e793::2"}},
			PodIP:   "10.244.1.4",
			PodIPs:  []corev1.PodIP{{IP: "10.244.1.4"}, {IP: "a00:100::4"}},
		},
	}
}

func TestConvertFieldLabel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, version, label string
		want, wantErr        string
	}{
		{name: "name", version: "v1", label: "metadata.name", want: "metadata.name"},
		{name: "podIPs", version: "v1", label: "status.podIPs", want: "status.podIPs"},
		{name: "phase is a label but no fieldRef", version: "v1", label: "status.phase", want: "status.phase"},
		{name: "spec.host alias", version: "v1", label: "spec.host", want: "spec.nodeName"},
		{name: "label subscript", version: "v1", label: "metadata.labels['app']", want: "metadata.labels['app']"},
		{name: "annotation subscript", version: "v1", label: "metadata.annotations['a/b']", want: "metadata.annotations['a/b']"},
		{name: "other version", version: "v2", label: "metadata.name", wantErr: "unsupported pod version: v2"},
		{name: "empty version", version: "", label: "metadata.name", wantErr: "unsupported pod version: "},
		{name: "subscript on name", version: "v1", label: "metadata.name['x']", wantErr: "field label does not support subscript: metadata.name['x']"},
		{name: "unknown", version: "v1", label: "spec.hostname", wantErr: "field label not supported: spec.hostname"},
		{name: "bad subscript form is a plain label", version: "v1", label: "metadata.labels[app]", wantErr: "field label not supported: metadata.labels[app]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ConvertFieldLabel(tt.version, tt.label)
			if gotErr := errString(err); gotErr != tt.wantErr {
				t.Fatalf("error = %q, want %q", gotErr, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ConvertFieldLabel(%q, %q) = %q, want %q", tt.version, tt.label, got, tt.want)
			}
		})
	}
}

func TestSplitSubscriptedPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, path, sub string
		ok            bool
	}{
		{"metadata.labels['app']", "metadata.labels", "app", true},
		{"metadata.annotations['a[b]c']", "metadata.annotations", "a[b]c", true},
		{"metadata.labels['']", "metadata.labels", "", true},
		{"metadata.labels", "metadata.labels", "", false},
		{"['x']", "['x']", "", false},
		{"metadata.labels['x'", "metadata.labels['x'", "", false},
		{"metadata.labels']", "metadata.labels']", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			path, sub, ok := SplitSubscriptedPath(tt.in)
			if path != tt.path || sub != tt.sub || ok != tt.ok {
				t.Errorf("SplitSubscriptedPath(%q) = %q, %q, %v; want %q, %q, %v", tt.in, path, sub, ok, tt.path, tt.sub, tt.ok)
			}
		})
	}
}

func TestPodFieldValue(t *testing.T) {
	t.Parallel()
	singleStack := seedPod()
	singleStack.Status.PodIPs = []corev1.PodIP{{IP: "10.244.0.7"}}
	singleStack.Status.HostIPs = []corev1.HostIP{{IP: "172.18.0.3"}}
	ipv6First := seedPod()
	ipv6First.Status.PodIPs = []corev1.PodIP{{IP: "fd00:10:244:1::5"}, {IP: "10.244.1.5"}}
	onlyPodIP := seedPod()
	onlyPodIP.Status.PodIPs, onlyPodIP.Status.HostIPs = nil, nil
	noIPs := seedPod()
	noIPs.Status = corev1.PodStatus{}
	noMaps := seedPod()
	noMaps.Labels, noMaps.Annotations = nil, nil

	tests := []struct {
		name    string
		pod     *corev1.Pod
		path    string
		want    string
		wantErr string
	}{
		{name: "seed podIPs", pod: seedPod(), path: "status.podIPs", want: "10.244.1.4,a00:100::4"},
		{name: "seed podIP", pod: seedPod(), path: "status.podIP", want: "10.244.1.4"},
		{name: "seed hostIPs", pod: seedPod(), path: "status.hostIPs", want: "172.18.0.2,fc00:f853:ccd:e793::2"},
		{name: "seed hostIP", pod: seedPod(), path: "status.hostIP", want: "172.18.0.2"},
		{name: "single-stack podIPs", pod: singleStack, path: "status.podIPs", want: "10.244.0.7"},
		{name: "single-stack hostIPs", pod: singleStack, path: "status.hostIPs", want: "172.18.0.3"},
		{name: "IPv6-first podIPs keep status order", pod: ipv6First, path: "status.podIPs", want: "fd00:10:244:1::5,10.244.1.5"},
		{name: "IPv6-first podIP", pod: ipv6First, path: "status.podIP", want: "fd00:10:244:1::5"},
		{name: "podIPs from podIP alone", pod: onlyPodIP, path: "status.podIPs", want: "10.244.1.4"},
		{name: "hostIPs from hostIP alone", pod: onlyPodIP, path: "status.hostIPs", want: "172.18.0.2"},
		{name: "no pod IP yet", pod: noIPs, path: "status.podIP", want: ""},
		{name: "no pod IPs yet", pod: noIPs, path: "status.podIPs", want: ""},
		{name: "no host IP", pod: noIPs, path: "status.hostIP", wantErr: "host IP unknown"},
		{name: "no host IPs", pod: noIPs, path: "status.hostIPs", wantErr: "host IP unknown"},
		{name: "name", pod: seedPod(), path: "metadata.name", want: "pod1"},
		{name: "namespace", pod: seedPod(), path: "metadata.namespace", want: "default"},
		{name: "uid", pod: seedPod(), path: "metadata.uid", want: "0f9c4f1c-5b0e-4bd5-9d2c-0d5e1c4c7a11"},
		{name: "nodeName", pod: seedPod(), path: "spec.nodeName", want: "worker0"},
		{name: "spec.host alias", pod: seedPod(), path: "spec.host", want: "worker0"},
		{name: "serviceAccountName", pod: seedPod(), path: "spec.serviceAccountName", want: "default"},
		{name: "label", pod: seedPod(), path: "metadata.labels['app']", want: "MyApp"},
		{name: "missing label", pod: seedPod(), path: "metadata.labels['nope']", want: ""},
		{name: "annotation", pod: seedPod(), path: "metadata.annotations['a.example.com/x']", want: "1"},
		{name: "annotation key is checked lower-cased", pod: seedPod(), path: "metadata.annotations['NOTE']", want: ""},
		{name: "invalid label key", pod: seedPod(), path: "metadata.labels['-x']",
			wantErr: "invalid key subscript in metadata.labels['-x']: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"},
		{name: "all labels", pod: seedPod(), path: "metadata.labels", want: "app=\"MyApp\"\ntier=\"web\""},
		{name: "all annotations quoted and sorted", pod: seedPod(), path: "metadata.annotations", want: "a.example.com/x=\"1\"\nnote=\"say \\\"hi\\\"\""},
		{name: "no labels", pod: noMaps, path: "metadata.labels", want: ""},
		{name: "label but no fieldRef", pod: seedPod(), path: "status.phase", wantErr: "unsupported fieldPath: status.phase"},
		{name: "unknown", pod: seedPod(), path: "spec.hostname", wantErr: "field label not supported: spec.hostname"},
		{name: "nil pod", pod: nil, path: "metadata.name", wantErr: "invalid input, pod cannot be nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := PodFieldValue(tt.pod, tt.path)
			if gotErr := errString(err); gotErr != tt.wantErr {
				t.Fatalf("error = %q, want %q", gotErr, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("PodFieldValue(%q) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}

func TestFieldRefValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fs      *corev1.ObjectFieldSelector
		want    string
		wantErr string
	}{
		{name: "v1", fs: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "status.podIPs"}, want: "10.244.1.4,a00:100::4"},
		{name: "spec.host", fs: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "spec.host"}, want: "worker0"},
		{name: "no version", fs: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}, wantErr: "unsupported pod version: "},
		{name: "nil", fs: nil, wantErr: "fieldRef is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := FieldRefValue(seedPod(), tt.fs)
			if gotErr := errString(err); gotErr != tt.wantErr {
				t.Fatalf("error = %q, want %q", gotErr, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("FieldRefValue = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPathSetsResolve checks the sets against the resolver: every path a
// fieldRef may name resolves for a complete pod, and every label
// ConvertFieldLabel accepts that is in neither set is one the kubelet cannot
// resolve, so the sets are exactly what works.
func TestPathSetsResolve(t *testing.T) {
	t.Parallel()
	allowed := EnvFieldPaths().Union(VolumeFieldPaths())
	for _, p := range sets.List(allowed) {
		if _, err := PodFieldValue(seedPod(), p); err != nil {
			t.Errorf("PodFieldValue(%q) = %v, want a value", p, err)
		}
	}
	for _, p := range []string{"spec.restartPolicy", "spec.schedulerName", "status.phase"} {
		if _, err := ConvertFieldLabel("v1", p); err != nil {
			t.Errorf("ConvertFieldLabel(%q) = %v, want it accepted", p, err)
		}
		if allowed.Has(p) {
			t.Errorf("%q is in a fieldRef set", p)
		}
		if _, err := PodFieldValue(seedPod(), p); err == nil {
			t.Errorf("PodFieldValue(%q) resolved, want unsupported", p)
		}
	}
	if VolumeFieldPaths().Has("status.podIP") || !EnvFieldPaths().Has("status.podIPs") || EnvFieldPaths().Has("metadata.labels") {
		t.Errorf("env and volume sets mixed up: env %v, volume %v", sets.List(EnvFieldPaths()), sets.List(VolumeFieldPaths()))
	}
}

// TestSetsAreFresh checks that a caller changing a returned set does not
// change what the next caller gets (no shared mutable state).
func TestSetsAreFresh(t *testing.T) {
	t.Parallel()
	for name, f := range map[string]func() sets.Set[string]{
		"env": EnvFieldPaths, "volume": VolumeFieldPaths, "resource": ResourceFieldPaths,
		"cpu divisors": CPUDivisors, "bytes divisors": BytesDivisors,
	} {
		a := f()
		n := a.Len()
		a.Insert("x.y")
		if b := f(); b.Len() != n || b.Has("x.y") {
			t.Errorf("%s: a change to one set shows in the next", name)
		}
	}
}

func TestIsResourceFieldPath(t *testing.T) {
	t.Parallel()
	for _, r := range sets.List(ResourceFieldPaths()) {
		if !IsResourceFieldPath(r) {
			t.Errorf("IsResourceFieldPath(%q) = false", r)
		}
	}
	for r, want := range map[string]bool{
		"requests.hugepages-2Mi": true, "limits.hugepages-1Gi": true,
		"limits.nvidia.com/gpu": false, "requests.pods": false, "cpu": false, "": false, "limits.hugepages": false,
	} {
		if got := IsResourceFieldPath(r); got != want {
			t.Errorf("IsResourceFieldPath(%q) = %v, want %v", r, got, want)
		}
	}
	milli, mebi := resource.MustParse("1m"), resource.MustParse("1Mi")
	if !CPUDivisors().Has(milli.String()) || !BytesDivisors().Has(mebi.String()) || CPUDivisors().Has("1Mi") {
		t.Errorf("divisor sets: cpu %v, bytes %v", sets.List(CPUDivisors()), sets.List(BytesDivisors()))
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
