package apiserver_test

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	corev1apply "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

func TestServerSideApply(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartControlPlane(t, cluster.Options{}))
	ctx := t.Context()
	cms := client.CoreV1().ConfigMaps("default")

	// Apply creates.
	first, err := cms.Apply(ctx, corev1apply.ConfigMap("settings", "default").
		WithLabels(map[string]string{"app": "web"}).
		WithData(map[string]string{"color": "blue", "size": "L"}),
		metav1.ApplyOptions{FieldManager: "alice"})
	if err != nil {
		t.Fatalf("apply as alice: %v", err)
	}
	if diff := cmp.Diff(map[string]string{"color": "blue", "size": "L"}, first.Data); diff != "" {
		t.Errorf("data after the first apply (-want +got):\n%s", diff)
	}
	if got := managers(first); !cmp.Equal(got, []string{"alice/Apply"}) {
		t.Errorf("managers after the first apply = %v, want [alice/Apply]", got)
	}

	// Another manager may add a field nobody owns.
	second, err := cms.Apply(ctx, corev1apply.ConfigMap("settings", "default").
		WithData(map[string]string{"shape": "round"}),
		metav1.ApplyOptions{FieldManager: "bob"})
	if err != nil {
		t.Fatalf("apply a new field as bob: %v", err)
	}
	if diff := cmp.Diff(map[string]string{"color": "blue", "size": "L", "shape": "round"}, second.Data); diff != "" {
		t.Errorf("data after bob's apply (-want +got):\n%s", diff)
	}

	// But not change one alice owns.
	_, err = cms.Apply(ctx, corev1apply.ConfigMap("settings", "default").
		WithData(map[string]string{"shape": "round", "color": "red"}),
		metav1.ApplyOptions{FieldManager: "bob"})
	if !apierrors.IsConflict(err) {
		t.Fatalf("bob applies alice's field: err = %v, want Conflict", err)
	}
	if want := `conflict with "alice": .data.color`; !strings.Contains(err.Error(), want) {
		t.Errorf("conflict error = %q, want it to contain %q", err, want)
	}
	if code := err.(apierrors.APIStatus).Status().Code; code != 409 {
		t.Errorf("conflict status code = %d, want 409", code)
	}
	unchanged, err := cms.Get(ctx, "settings", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if unchanged.Data["color"] != "blue" || unchanged.ResourceVersion != second.ResourceVersion {
		t.Errorf("after the conflict: color %q rv %s, want blue and rv %s", unchanged.Data["color"], unchanged.ResourceVersion, second.ResourceVersion)
	}

	// Force takes the field over.
	forced, err := cms.Apply(ctx, corev1apply.ConfigMap("settings", "default").
		WithData(map[string]string{"shape": "round", "color": "red"}),
		metav1.ApplyOptions{FieldManager: "bob", Force: true})
	if err != nil {
		t.Fatalf("forced apply: %v", err)
	}
	if forced.Data["color"] != "red" {
		t.Errorf("color after the forced apply = %q, want red", forced.Data["color"])
	}
	owners := fieldOwners(t, forced)
	if !slices.Contains(owners["bob"], "f:color") || slices.Contains(owners["alice"], "f:color") {
		t.Errorf("after the forced apply, fields owned = %v; want color moved from alice to bob", owners)
	}

	// Alice applying without size drops it: she was its only owner.
	dropped, err := cms.Apply(ctx, corev1apply.ConfigMap("settings", "default").
		WithLabels(map[string]string{"app": "web"}),
		metav1.ApplyOptions{FieldManager: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"color": "red", "shape": "round"}, dropped.Data); diff != "" {
		t.Errorf("data after alice stops applying size (-want +got):\n%s", diff)
	}

	// Dry run does not persist.
	if _, err := cms.Apply(ctx, corev1apply.ConfigMap("settings", "default").
		WithData(map[string]string{"shape": "square", "color": "red"}),
		metav1.ApplyOptions{FieldManager: "bob", DryRun: []string{metav1.DryRunAll}}); err != nil {
		t.Fatal(err)
	}
	after, err := cms.Get(ctx, "settings", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if after.Data["shape"] != "round" || after.ResourceVersion != dropped.ResourceVersion {
		t.Errorf("after a dry-run apply: shape %q rv %s, want round, rv %s", after.Data["shape"], after.ResourceVersion, dropped.ResourceVersion)
	}
}

// TestApplyStatus checks that spec and status are owned separately, as
// kubelets and users apply to the same pod.
func TestApplyStatus(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartControlPlane(t, cluster.Options{}))
	ctx := t.Context()
	pods := client.CoreV1().Pods("default")
	_, err := pods.Apply(ctx, corev1apply.Pod("web", "default").
		WithSpec(corev1apply.PodSpec().WithContainers(corev1apply.Container().WithName("app").WithImage("nginx"))).
		WithStatus(corev1apply.PodStatus().WithPhase(corev1.PodRunning)),
		metav1.ApplyOptions{FieldManager: "user"})
	if err != nil {
		t.Fatal(err)
	}
	pod, err := pods.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pod.Status.Phase != corev1.PodPending {
		t.Errorf("phase after applying status to the main resource = %q, want Pending (status is ignored there)", pod.Status.Phase)
	}
	pod, err = pods.ApplyStatus(ctx, corev1apply.Pod("web", "default").
		WithStatus(corev1apply.PodStatus().WithPhase(corev1.PodRunning)),
		metav1.ApplyOptions{FieldManager: "kubelet", Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if pod.Status.Phase != corev1.PodRunning || pod.Spec.Containers[0].Image != "nginx" {
		t.Errorf("after applying status: phase %q image %q, want Running nginx", pod.Status.Phase, pod.Spec.Containers[0].Image)
	}
}

func TestPatch(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartControlPlane(t, cluster.Options{}))
	ctx := t.Context()
	pods := client.CoreV1().Pods("default")

	base := newPod("", "default")
	base.Labels = map[string]string{"app": "web", "tier": "front"}
	base.Spec.Containers = []corev1.Container{{Name: "app", Image: "nginx"}, {Name: "sidecar", Image: "envoy"}}

	tests := []struct {
		name  string
		typ   types.PatchType
		patch string
		check func(t *testing.T, p *corev1.Pod)
		// wantErr, if set, is the error the patch must fail with.
		wantErr func(error) bool
	}{{
		name:  "JSON patch",
		typ:   types.JSONPatchType,
		patch: `[{"op":"replace","path":"/metadata/labels/tier","value":"back"},{"op":"add","path":"/metadata/annotations","value":{"a":"b"}},{"op":"remove","path":"/metadata/labels/app"}]`,
		check: func(t *testing.T, p *corev1.Pod) {
			if diff := cmp.Diff(map[string]string{"tier": "back"}, p.Labels); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
			if p.Annotations["a"] != "b" {
				t.Errorf("annotations = %v, want a=b", p.Annotations)
			}
		},
	}, {
		name:  "merge patch replaces lists and deletes with null",
		typ:   types.MergePatchType,
		patch: `{"metadata":{"labels":{"app":null,"env":"prod"}},"spec":{"containers":[{"name":"app","image":"nginx:1.29"}]}}`,
		// Replacing the container list drops a container, which is not a
		// valid pod update.
		wantErr: apierrors.IsInvalid,
	}, {
		name:  "merge patch",
		typ:   types.MergePatchType,
		patch: `{"metadata":{"labels":{"app":null,"env":"prod"}}}`,
		check: func(t *testing.T, p *corev1.Pod) {
			if diff := cmp.Diff(map[string]string{"tier": "front", "env": "prod"}, p.Labels); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
		},
	}, {
		name:  "strategic merge patch merges containers by name",
		typ:   types.StrategicMergePatchType,
		patch: `{"metadata":{"labels":{"env":"prod"}},"spec":{"containers":[{"name":"sidecar","image":"envoy:v2"}]}}`,
		check: func(t *testing.T, p *corev1.Pod) {
			if diff := cmp.Diff(map[string]string{"app": "web", "tier": "front", "env": "prod"}, p.Labels); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
			var images []string
			for _, c := range p.Spec.Containers {
				images = append(images, c.Name+"="+c.Image)
			}
			if diff := cmp.Diff([]string{"app=nginx", "sidecar=envoy:v2"}, images); diff != "" {
				t.Errorf("containers (-want +got):\n%s", diff)
			}
		},
	}, {
		name:  "strategic merge patch with $patch delete",
		typ:   types.StrategicMergePatchType,
		patch: `{"metadata":{"labels":{"$patch":"delete"}}}`,
		check: func(t *testing.T, p *corev1.Pod) {
			if len(p.Labels) != 0 {
				t.Errorf("labels = %v, want none", p.Labels)
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pod := base.DeepCopy()
			pod.GenerateName = "patched-"
			created, err := pods.Create(ctx, pod, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			patched, err := pods.Patch(ctx, created.Name, tt.typ, []byte(tt.patch), metav1.PatchOptions{})
			if tt.wantErr != nil {
				if !tt.wantErr(err) {
					t.Errorf("patch: err = %v, want Invalid", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("patch: %v", err)
			}
			if rv(t, patched.ResourceVersion) <= rv(t, created.ResourceVersion) {
				t.Errorf("patch did not advance resourceVersion: %s -> %s", created.ResourceVersion, patched.ResourceVersion)
			}
			tt.check(t, patched)
			got, err := pods.Get(ctx, created.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(patched, got); diff != "" {
				t.Errorf("get differs from what patch returned (-patch +get):\n%s", diff)
			}
		})
	}

	t.Run("lists: merge patch replaces, strategic merge patch merges by key", func(t *testing.T) {
		t.Parallel()
		services := client.CoreV1().Services("default")
		_, err := services.Create(ctx, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: "web"},
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{
				{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP},
				{Name: "https", Port: 443, Protocol: corev1.ProtocolTCP},
			}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ports := func(s *corev1.Service) []string {
			var out []string
			for _, p := range s.Spec.Ports {
				out = append(out, p.Name+"="+strconv.Itoa(int(p.Port)))
			}
			return out
		}
		svc, err := services.Patch(ctx, "web", types.StrategicMergePatchType,
			[]byte(`{"spec":{"ports":[{"port":443,"name":"tls","protocol":"TCP"}]}}`), metav1.PatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"http=80", "tls=443"}, ports(svc)); diff != "" {
			t.Errorf("ports after a strategic merge patch (-want +got):\n%s", diff)
		}
		svc, err = services.Patch(ctx, "web", types.MergePatchType,
			[]byte(`{"spec":{"ports":[{"port":8080,"name":"alt","protocol":"TCP"}]}}`), metav1.PatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"alt=8080"}, ports(svc)); diff != "" {
			t.Errorf("ports after a merge patch (-want +got):\n%s", diff)
		}
	})

	t.Run("JSON patch test op fails", func(t *testing.T) {
		t.Parallel()
		pod := base.DeepCopy()
		pod.GenerateName = "tested-"
		created, err := pods.Create(ctx, pod, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = pods.Patch(ctx, created.Name, types.JSONPatchType,
			[]byte(`[{"op":"test","path":"/metadata/labels/app","value":"db"},{"op":"replace","path":"/metadata/labels/app","value":"x"}]`),
			metav1.PatchOptions{})
		if err == nil {
			t.Fatal("JSON patch whose test op fails was applied")
		}
		got, err := pods.Get(ctx, created.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Labels["app"] != "web" || got.ResourceVersion != created.ResourceVersion {
			t.Errorf("after the failed patch: app=%q rv %s, want web, rv %s", got.Labels["app"], got.ResourceVersion, created.ResourceVersion)
		}
	})

	t.Run("patch of a missing object", func(t *testing.T) {
		t.Parallel()
		_, err := pods.Patch(ctx, "missing", types.MergePatchType, []byte(`{"metadata":{"labels":{"a":"b"}}}`), metav1.PatchOptions{})
		if !apierrors.IsNotFound(err) {
			t.Errorf("patch missing pod: err = %v, want NotFound", err)
		}
	})

	t.Run("dry run", func(t *testing.T) {
		t.Parallel()
		pod := base.DeepCopy()
		pod.GenerateName = "dry-"
		created, err := pods.Create(ctx, pod, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		patched, err := pods.Patch(ctx, created.Name, types.MergePatchType, []byte(`{"metadata":{"labels":{"app":"db"}}}`),
			metav1.PatchOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil || patched.Labels["app"] != "db" {
			t.Fatalf("dry-run patch = %v, %v; want app=db", patched.Labels, err)
		}
		got, err := pods.Get(ctx, created.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Labels["app"] != "web" || got.ResourceVersion != created.ResourceVersion {
			t.Errorf("after a dry-run patch: app=%q rv %s, want web, rv %s", got.Labels["app"], got.ResourceVersion, created.ResourceVersion)
		}
	})
}

// managers lists an object's field managers as manager/operation.
func managers(obj metav1.Object) []string {
	var out []string
	for _, e := range obj.GetManagedFields() {
		out = append(out, e.Manager+"/"+string(e.Operation))
	}
	return out
}

// fieldOwners maps each manager to the keys under .data it owns.
func fieldOwners(tb testing.TB, cm *corev1.ConfigMap) map[string][]string {
	tb.Helper()
	out := map[string][]string{}
	for _, e := range cm.ManagedFields {
		if e.FieldsV1 == nil {
			continue
		}
		var fields map[string]map[string]any
		if err := json.Unmarshal(e.FieldsV1.GetRawBytes(), &fields); err != nil {
			tb.Fatalf("managed fields of %s: %v", e.Manager, err)
		}
		for key := range fields["f:data"] {
			if key == "." {
				continue
			}
			out[e.Manager] = append(out[e.Manager], key)
		}
		slices.Sort(out[e.Manager])
	}
	return out
}
