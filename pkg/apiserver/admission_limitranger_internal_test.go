package apiserver

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/client-go/kubernetes/fake"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
)

// list parses "name=quantity" pairs into a resource list.
func list(pairs ...string) corev1.ResourceList {
	l := corev1.ResourceList{}
	for i := 0; i+1 < len(pairs); i += 2 {
		l[corev1.ResourceName(pairs[i])] = resource.MustParse(pairs[i+1])
	}
	return l
}

// kindAttrs are the attributes of a request on obj of kind in core/v1.
func kindAttrs(obj, old runtime.Object, kind, res string, op admission.Operation) admission.Attributes {
	return admission.NewAttributesRecord(obj, old, corev1.SchemeGroupVersion.WithKind(kind), "default", "x",
		corev1.SchemeGroupVersion.WithResource(res), "", op, nil, false, &user.DefaultInfo{})
}

func testLimitRanger(t *testing.T, ranges ...*corev1.LimitRange) *limitRanger {
	t.Helper()
	idx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	for _, lr := range ranges {
		if err := idx.Add(lr); err != nil {
			t.Fatal(err)
		}
	}
	return &limitRanger{Handler: admission.NewHandler(admission.Create, admission.Update),
		lister: corelisters.NewLimitRangeLister(idx), client: fake.NewClientset(), live: map[string]liveLookup{}}
}

func limitRange(items ...corev1.LimitRangeItem) *corev1.LimitRange {
	return &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: "limits", Namespace: "default"}, Spec: corev1.LimitRangeSpec{Limits: items}}
}

func podWith(containers ...corev1.Container) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"}, Spec: corev1.PodSpec{Containers: containers}}
}

func container(name string, requests, limits corev1.ResourceList) corev1.Container {
	return corev1.Container{Name: name, Image: "nginx", Resources: corev1.ResourceRequirements{Requests: requests, Limits: limits}}
}

// TestLimitRangerDefaults admits pods through the plugin: the Container
// item's defaults fill what each container lacks, and the annotation says
// what was set, as upstream words it.
func TestLimitRangerDefaults(t *testing.T) {
	t.Parallel()
	lr := limitRange(corev1.LimitRangeItem{Type: corev1.LimitTypeContainer,
		Default: list("cpu", "500m", "memory", "256Mi"), DefaultRequest: list("cpu", "100m", "memory", "128Mi")})
	tests := []struct {
		name           string
		pod            *corev1.Pod
		wantRequests   []corev1.ResourceList
		wantLimits     []corev1.ResourceList
		wantAnnotation string
	}{
		{
			name:           "nothing set",
			pod:            podWith(container("app", nil, nil)),
			wantRequests:   []corev1.ResourceList{list("cpu", "100m", "memory", "128Mi")},
			wantLimits:     []corev1.ResourceList{list("cpu", "500m", "memory", "256Mi")},
			wantAnnotation: "LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app",
		},
		{
			name:           "own cpu kept",
			pod:            podWith(container("app", list("cpu", "200m"), list("cpu", "1")), container("side", nil, list("memory", "64Mi"))),
			wantRequests:   []corev1.ResourceList{list("cpu", "200m", "memory", "128Mi"), list("cpu", "100m", "memory", "128Mi")},
			wantLimits:     []corev1.ResourceList{list("cpu", "1", "memory", "256Mi"), list("cpu", "500m", "memory", "64Mi")},
			wantAnnotation: "LimitRanger plugin set: memory request for container app; memory limit for container app; cpu, memory request for container side; cpu limit for container side",
		},
		{
			name:         "everything set: no annotation",
			pod:          podWith(container("app", list("cpu", "1", "memory", "1Gi"), list("cpu", "1", "memory", "1Gi"))),
			wantRequests: []corev1.ResourceList{list("cpu", "1", "memory", "1Gi")},
			wantLimits:   []corev1.ResourceList{list("cpu", "1", "memory", "1Gi")},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := testLimitRanger(t, lr)
			if err := p.Admit(t.Context(), kindAttrs(tc.pod, nil, "Pod", "pods", admission.Create), nil); err != nil {
				t.Fatal(err)
			}
			for i, c := range tc.pod.Spec.Containers {
				if diff := cmp.Diff(tc.wantRequests[i], c.Resources.Requests); diff != "" {
					t.Errorf("container %s requests (-want +got):\n%s", c.Name, diff)
				}
				if diff := cmp.Diff(tc.wantLimits[i], c.Resources.Limits); diff != "" {
					t.Errorf("container %s limits (-want +got):\n%s", c.Name, diff)
				}
			}
			if got := tc.pod.Annotations[limitRangerAnnotation]; got != tc.wantAnnotation {
				t.Errorf("annotation = %q, want %q", got, tc.wantAnnotation)
			}
		})
	}

	t.Run("init containers too", func(t *testing.T) {
		t.Parallel()
		pod := podWith(container("app", list("cpu", "1", "memory", "1Gi"), list("cpu", "1", "memory", "1Gi")))
		pod.Spec.InitContainers = []corev1.Container{container("setup", nil, nil)}
		if err := testLimitRanger(t, lr).Admit(t.Context(), kindAttrs(pod, nil, "Pod", "pods", admission.Create), nil); err != nil {
			t.Fatal(err)
		}
		want := "LimitRanger plugin set: cpu, memory request for init container setup; cpu, memory limit for init container setup"
		if got := pod.Annotations[limitRangerAnnotation]; got != want {
			t.Errorf("annotation = %q, want %q", got, want)
		}
	})
	t.Run("pod updates are left alone", func(t *testing.T) {
		t.Parallel()
		pod := podWith(container("app", nil, nil))
		if err := testLimitRanger(t, lr).Admit(t.Context(), kindAttrs(pod, pod.DeepCopy(), "Pod", "pods", admission.Update), nil); err != nil {
			t.Fatal(err)
		}
		if pod.Spec.Containers[0].Resources.Limits != nil || pod.Annotations != nil {
			t.Errorf("update defaulted: %+v, %v", pod.Spec.Containers[0].Resources, pod.Annotations)
		}
	})
}

// TestLimitRangerValidate checks pods and claims against LimitRanges and
// the errors' exact texts.
func TestLimitRangerValidate(t *testing.T) {
	t.Parallel()
	containerMax := corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Max: list("cpu", "500m", "memory", "1Gi")}
	containerMin := corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Min: list("cpu", "100m")}
	ratio := corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, MaxLimitRequestRatio: list("cpu", "2")}
	podMax := corev1.LimitRangeItem{Type: corev1.LimitTypePod, Max: list("cpu", "1")}
	claim := corev1.LimitRangeItem{Type: corev1.LimitTypePersistentVolumeClaim, Min: list("storage", "1Gi"), Max: list("storage", "10Gi")}
	pvc := func(size string) *corev1.PersistentVolumeClaim {
		c := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "data", Namespace: "default"}}
		if size != "" {
			c.Spec.Resources.Requests = list("storage", size)
		}
		return c
	}
	const prefix = `pods "x" is forbidden: `
	const claimPrefix = `persistentvolumeclaims "x" is forbidden: `
	tests := []struct {
		name string
		item corev1.LimitRangeItem
		obj  runtime.Object
		old  runtime.Object
		want string // "" for admitted
	}{
		{name: "within max", item: containerMax, obj: podWith(container("app", list("cpu", "200m", "memory", "1Gi"), list("cpu", "500m", "memory", "1Gi")))},
		{name: "limit over max", item: containerMax, obj: podWith(container("app", list("cpu", "200m", "memory", "1Gi"), list("cpu", "1", "memory", "1Gi"))),
			want: prefix + "maximum cpu usage per Container is 500m, but limit is 1"},
		{name: "no limit under a max", item: containerMax, obj: podWith(container("app", list("cpu", "200m"), list("cpu", "500m"))),
			want: prefix + "maximum memory usage per Container is 1Gi.  No limit is specified"},
		{name: "two errors, in name order", item: containerMax, obj: podWith(container("app", nil, list("cpu", "2", "memory", "2Gi"))),
			want: prefix + "[maximum cpu usage per Container is 500m, but limit is 2, maximum memory usage per Container is 1Gi, but limit is 2Gi]"},
		{name: "request under min", item: containerMin, obj: podWith(container("app", list("cpu", "50m"), nil)),
			want: prefix + "minimum cpu usage per Container is 100m, but request is 50m"},
		{name: "no request under a min", item: containerMin, obj: podWith(container("app", nil, nil)),
			want: prefix + "minimum cpu usage per Container is 100m.  No request is specified"},
		{name: "limit under min", item: containerMin, obj: podWith(container("app", list("cpu", "100m"), list("cpu", "10m"))),
			want: prefix + "minimum cpu usage per Container is 100m, but limit is 10m"},
		{name: "init container checked", item: containerMin, obj: func() *corev1.Pod {
			p := podWith(container("app", list("cpu", "100m"), nil))
			p.Spec.InitContainers = []corev1.Container{container("setup", list("cpu", "1m"), nil)}
			return p
		}(), want: prefix + "minimum cpu usage per Container is 100m, but request is 1m"},
		{name: "ratio kept", item: ratio, obj: podWith(container("app", list("cpu", "250m"), list("cpu", "500m")))},
		{name: "ratio exceeded", item: ratio, obj: podWith(container("app", list("cpu", "100m"), list("cpu", "400m"))),
			want: prefix + "cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000"},
		{name: "ratio without request", item: ratio, obj: podWith(container("app", nil, list("cpu", "400m"))),
			want: prefix + "cpu max limit to request ratio per Container is 2, but no request is specified or request is 0"},
		{name: "ratio without limit", item: ratio, obj: podWith(container("app", list("cpu", "100m"), nil)),
			want: prefix + "cpu max limit to request ratio per Container is 2, but no limit is specified or limit is 0"},
		{name: "pod total over max", item: podMax, obj: podWith(container("a", nil, list("cpu", "600m")), container("b", nil, list("cpu", "600m"))),
			want: prefix + "maximum cpu usage per Pod is 1, but limit is 1200m"},
		{name: "pod total within max", item: podMax, obj: podWith(container("a", nil, list("cpu", "500m")), container("b", nil, list("cpu", "500m")))},
		{name: "pod-level limit replaces the sum", item: podMax, obj: func() *corev1.Pod {
			p := podWith(container("a", nil, list("cpu", "600m")), container("b", nil, list("cpu", "600m")))
			p.Spec.Resources = &corev1.ResourceRequirements{Limits: list("cpu", "1")}
			return p
		}()},
		{name: "an init container bigger than the sum", item: podMax, obj: func() *corev1.Pod {
			p := podWith(container("a", nil, list("cpu", "500m")))
			p.Spec.InitContainers = []corev1.Container{container("setup", nil, list("cpu", "2"))}
			return p
		}(), want: prefix + "maximum cpu usage per Pod is 1, but limit is 2"},
		{name: "sidecars add up", item: podMax, obj: func() *corev1.Pod {
			p := podWith(container("a", nil, list("cpu", "600m")))
			side := container("log", nil, list("cpu", "600m"))
			side.RestartPolicy = ptr.To(corev1.ContainerRestartPolicyAlways)
			p.Spec.InitContainers = []corev1.Container{side}
			return p
		}(), want: prefix + "maximum cpu usage per Pod is 1, but limit is 1200m"},
		{name: "claim within", item: claim, obj: pvc("5Gi")},
		{name: "claim over max", item: claim, obj: pvc("20Gi"), want: claimPrefix + "maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi"},
		{name: "claim under min", item: claim, obj: pvc("500Mi"), want: claimPrefix + "minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi"},
		{name: "claim without request", item: claim, obj: pvc(""),
			want: claimPrefix + "[minimum storage usage per PersistentVolumeClaim is 1Gi.  No request is specified, maximum storage usage per PersistentVolumeClaim is 10Gi.  No request is specified]"},
		{name: "claim update keeping a stored request", item: claim, obj: pvc("20Gi"), old: pvc("20Gi")},
		{name: "claim update growing past max", item: claim, obj: pvc("30Gi"), old: pvc("5Gi"),
			want: claimPrefix + "maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 30Gi"},
		{name: "container items ignore claims", item: containerMax, obj: pvc("100Gi")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			kind, res := "Pod", "pods"
			if _, ok := tc.obj.(*corev1.PersistentVolumeClaim); ok {
				kind, res = "PersistentVolumeClaim", "persistentvolumeclaims"
			}
			op := admission.Create
			if tc.old != nil {
				op = admission.Update
			}
			err := testLimitRanger(t, limitRange(tc.item)).Validate(t.Context(), kindAttrs(tc.obj, tc.old, kind, res, op), nil)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("error = %q\nwant    %q", got, tc.want)
			}
		})
	}
}

// TestLimitRangerLiveLookup: with an informer that has not seen the
// namespace's LimitRange yet, the plugin lists it live, and keeps that
// answer for a while.
func TestLimitRangerLiveLookup(t *testing.T) {
	t.Parallel()
	p := testLimitRanger(t)
	lr := limitRange(corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Default: list("cpu", "300m")})
	if _, err := p.client.CoreV1().LimitRanges("default").Create(t.Context(), lr, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := podWith(container("app", nil, nil))
	if err := p.Admit(t.Context(), kindAttrs(pod, nil, "Pod", "pods", admission.Create), nil); err != nil {
		t.Fatal(err)
	}
	if got := pod.Spec.Containers[0].Resources.Limits[corev1.ResourceCPU]; got.String() != "300m" {
		t.Errorf("cpu limit = %s, want 300m from the live list", got.String())
	}
	if err := p.client.CoreV1().LimitRanges("default").Delete(t.Context(), lr.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	again := podWith(container("app", nil, nil))
	if err := p.Admit(t.Context(), kindAttrs(again, nil, "Pod", "pods", admission.Create), nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := again.Spec.Containers[0].Resources.Limits[corev1.ResourceCPU]; !ok {
		t.Error("second pod got no default: the live list was not kept")
	}
}

// TestLimitRangerIgnores: subresources, other kinds and deletes are not
// looked at.
func TestLimitRangerIgnores(t *testing.T) {
	t.Parallel()
	p := testLimitRanger(t, limitRange(corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Max: list("cpu", "1m")}))
	pod := podWith(container("app", nil, list("cpu", "1")))
	status := admission.NewAttributesRecord(pod, pod.DeepCopy(), corev1.SchemeGroupVersion.WithKind("Pod"), "default", "x",
		corev1.SchemeGroupVersion.WithResource("pods"), "status", admission.Update, nil, false, &user.DefaultInfo{})
	if err := p.Validate(t.Context(), status, nil); err != nil {
		t.Errorf("pods/status: %v", err)
	}
	other := admission.NewAttributesRecord(&corev1.ConfigMap{}, nil, schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, "default", "x",
		corev1.SchemeGroupVersion.WithResource("configmaps"), "", admission.Create, nil, false, &user.DefaultInfo{})
	if err := p.Validate(t.Context(), other, nil); err != nil {
		t.Errorf("configmap: %v", err)
	}
}
