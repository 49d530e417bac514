package serviceaccount

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"
)

// tokenMount is the mount the plugin adds, with the test's volume name.
var tokenMount = corev1.VolumeMount{Name: "kube-api-access-abcde", ReadOnly: true, MountPath: DefaultAPITokenMountPath}

func tokenVolume(name string) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{Projected: TokenVolumeSource()}}
}

// newTestAdmission is the plugin over a fake API holding objects, with its
// cache filled with the service accounts among them, a fixed volume
// suffix and no wait between lookups.
func newTestAdmission(t *testing.T, objects ...runtime.Object) (*Admission, *fake.Clientset) {
	t.Helper()
	client := fake.NewClientset(objects...)
	f := informers.NewSharedInformerFactory(client, 0)
	a := NewAdmission(client, f)
	for _, obj := range objects {
		if sa, ok := obj.(*corev1.ServiceAccount); ok {
			if err := f.Core().V1().ServiceAccounts().Informer().GetIndexer().Add(sa); err != nil {
				t.Fatal(err)
			}
		}
	}
	a.generateName = func(prefix string) string { return prefix + "abcde" }
	a.retryInterval = func() time.Duration { return 0 }
	return a, client
}

func attributes(p *corev1.Pod, subresource string, op admission.Operation) admission.Attributes {
	return admission.NewAttributesRecord(p, nil, corev1.SchemeGroupVersion.WithKind("Pod"), p.Namespace, p.Name,
		corev1.SchemeGroupVersion.WithResource("pods"), subresource, op, &metav1.CreateOptions{}, false, &user.DefaultInfo{})
}

func serviceAccount(name string, mutate ...func(*corev1.ServiceAccount)) *corev1.ServiceAccount {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: "sa-uid"}}
	for _, m := range mutate {
		m(sa)
	}
	return sa
}

// testPod has an init container, two containers and an ephemeral container.
func testPod(mutate ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"},
		Spec: corev1.PodSpec{
			InitContainers:      []corev1.Container{{Name: "init", Image: "busybox"}},
			Containers:          []corev1.Container{{Name: "a", Image: "nginx"}, {Name: "b", Image: "nginx"}},
			EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug", Image: "busybox"}}},
		},
	}
	for _, m := range mutate {
		m(p)
	}
	return p
}

// mounted is testPod as the plugin leaves it: service account sa, and the
// token volume mounted in the init and regular containers.
func mounted(sa string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	p := testPod(func(p *corev1.Pod) {
		p.Spec.ServiceAccountName, p.Spec.DeprecatedServiceAccount = sa, sa
		p.Spec.InitContainers[0].VolumeMounts = []corev1.VolumeMount{tokenMount}
		p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{tokenMount}
		p.Spec.Containers[1].VolumeMounts = []corev1.VolumeMount{tokenMount}
		p.Spec.Volumes = []corev1.Volume{tokenVolume(tokenMount.Name)}
	})
	for _, m := range mutate {
		m(p)
	}
	return p
}

func TestAdmit(t *testing.T) {
	t.Parallel()
	ownMount := corev1.VolumeMount{Name: "mine", MountPath: DefaultAPITokenMountPath}
	tests := []struct {
		name    string
		objects []runtime.Object
		pod     *corev1.Pod
		want    *corev1.Pod
		wantErr string
	}{{
		name:    "no service account named: default, volume in init and regular containers, not ephemeral",
		objects: []runtime.Object{serviceAccount("default")},
		pod:     testPod(),
		want:    mounted("default"),
	}, {
		name:    "named service account",
		objects: []runtime.Object{serviceAccount("build")},
		pod:     testPod(func(p *corev1.Pod) { p.Spec.ServiceAccountName = "build" }),
		want:    mounted("build"),
	}, {
		name:    "automount off on the pod",
		objects: []runtime.Object{serviceAccount("default")},
		pod:     testPod(func(p *corev1.Pod) { p.Spec.AutomountServiceAccountToken = ptr.To(false) }),
		want: testPod(func(p *corev1.Pod) {
			p.Spec.AutomountServiceAccountToken = ptr.To(false)
			p.Spec.ServiceAccountName, p.Spec.DeprecatedServiceAccount = "default", "default"
		}),
	}, {
		name:    "automount off on the service account",
		objects: []runtime.Object{serviceAccount("default", func(sa *corev1.ServiceAccount) { sa.AutomountServiceAccountToken = ptr.To(false) })},
		pod:     testPod(),
		want:    testPod(func(p *corev1.Pod) { p.Spec.ServiceAccountName, p.Spec.DeprecatedServiceAccount = "default", "default" }),
	}, {
		name:    "the pod's automount wins over the service account's",
		objects: []runtime.Object{serviceAccount("default", func(sa *corev1.ServiceAccount) { sa.AutomountServiceAccountToken = ptr.To(false) })},
		pod:     testPod(func(p *corev1.Pod) { p.Spec.AutomountServiceAccountToken = ptr.To(true) }),
		want:    mounted("default", func(p *corev1.Pod) { p.Spec.AutomountServiceAccountToken = ptr.To(true) }),
	}, {
		name:    "a container with its own mount at the path keeps it",
		objects: []runtime.Object{serviceAccount("default")},
		pod:     testPod(func(p *corev1.Pod) { p.Spec.Containers[1].VolumeMounts = []corev1.VolumeMount{ownMount} }),
		want:    mounted("default", func(p *corev1.Pod) { p.Spec.Containers[1].VolumeMounts = []corev1.VolumeMount{ownMount} }),
	}, {
		name:    "no volume when every container mounts the path itself",
		objects: []runtime.Object{serviceAccount("default")},
		pod: testPod(func(p *corev1.Pod) {
			p.Spec.InitContainers[0].VolumeMounts = []corev1.VolumeMount{ownMount}
			p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{ownMount}
			p.Spec.Containers[1].VolumeMounts = []corev1.VolumeMount{ownMount}
		}),
		want: testPod(func(p *corev1.Pod) {
			p.Spec.ServiceAccountName, p.Spec.DeprecatedServiceAccount = "default", "default"
			p.Spec.InitContainers[0].VolumeMounts = []corev1.VolumeMount{ownMount}
			p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{ownMount}
			p.Spec.Containers[1].VolumeMounts = []corev1.VolumeMount{ownMount}
		}),
	}, {
		name:    "an existing kube-api-access volume is reused",
		objects: []runtime.Object{serviceAccount("default")},
		pod: testPod(func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "kube-api-access-zzzzz", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
		}),
		want: testPod(func(p *corev1.Pod) {
			m := corev1.VolumeMount{Name: "kube-api-access-zzzzz", ReadOnly: true, MountPath: DefaultAPITokenMountPath}
			p.Spec.ServiceAccountName, p.Spec.DeprecatedServiceAccount = "default", "default"
			p.Spec.InitContainers[0].VolumeMounts = []corev1.VolumeMount{m}
			p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{m}
			p.Spec.Containers[1].VolumeMounts = []corev1.VolumeMount{m}
			p.Spec.Volumes = []corev1.Volume{{Name: "kube-api-access-zzzzz", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
		}),
	}, {
		name: "image pull secrets come from the service account",
		objects: []runtime.Object{serviceAccount("default", func(sa *corev1.ServiceAccount) {
			sa.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "registry"}}
		})},
		pod: testPod(),
		want: mounted("default", func(p *corev1.Pod) {
			p.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "registry"}}
		}),
	}, {
		name: "the pod's own image pull secrets win",
		objects: []runtime.Object{serviceAccount("default", func(sa *corev1.ServiceAccount) {
			sa.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "registry"}}
		})},
		pod: testPod(func(p *corev1.Pod) { p.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "own"}} }),
		want: mounted("default", func(p *corev1.Pod) {
			p.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "own"}}
		}),
	}, {
		name:    "missing named service account",
		objects: []runtime.Object{serviceAccount("default")},
		pod:     testPod(func(p *corev1.Pod) { p.Spec.ServiceAccountName = "build" }),
		wantErr: `pods "p" is forbidden: error looking up service account ns/build: serviceaccount "build" not found`,
	}, {
		name:    "missing default service account",
		pod:     testPod(),
		wantErr: `pods "p" is forbidden: error looking up service account ns/default: serviceaccount "default" not found`,
	}, {
		name: "a mirror pod is left alone",
		pod:  testPod(func(p *corev1.Pod) { p.Annotations = map[string]string{mirrorPodAnnotation: "hash"} }),
		want: testPod(func(p *corev1.Pod) { p.Annotations = map[string]string{mirrorPodAnnotation: "hash"} }),
	}, {
		name: "a mirror pod may not name a service account",
		pod: testPod(func(p *corev1.Pod) {
			p.Annotations = map[string]string{mirrorPodAnnotation: "hash"}
			p.Spec.ServiceAccountName = "default"
		}),
		wantErr: `pods "p" is forbidden: a mirror pod may not reference service accounts`,
	}, {
		name: "a mirror pod may not reference secrets",
		pod: testPod(func(p *corev1.Pod) {
			p.Annotations = map[string]string{mirrorPodAnnotation: "hash"}
			p.Spec.Containers[1].EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}}}}
		}),
		wantErr: `pods "p" is forbidden: a mirror pod may not reference secrets`,
	}, {
		name: "a mirror pod may not project a token",
		pod: testPod(func(p *corev1.Pod) {
			p.Annotations = map[string]string{mirrorPodAnnotation: "hash"}
			p.Spec.Volumes = []corev1.Volume{tokenVolume("tok")}
		}),
		wantErr: `pods "p" is forbidden: a mirror pod may not use ServiceAccountToken volume projections`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, _ := newTestAdmission(t, tt.objects...)
			p := tt.pod.DeepCopy()
			err := a.Admit(t.Context(), attributes(p, "", admission.Create), nil)
			if err == nil {
				err = a.Validate(t.Context(), attributes(p, "", admission.Create), nil)
			}
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("admit: %v", err)
			}
			if diff := cmp.Diff(tt.want, p); diff != "" {
				t.Errorf("admitted pod (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDefaultServiceAccountLookups checks that a missing default service
// account is looked up ten times before the pod is refused, and a named
// one once, as upstream does.
func TestDefaultServiceAccountLookups(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, sa string
		want     int
	}{{"default", "", defaultLookups}, {"named", "build", 1}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, client := newTestAdmission(t)
			p := testPod(func(p *corev1.Pod) { p.Spec.ServiceAccountName = tt.sa })
			if err := a.Admit(t.Context(), attributes(p, "", admission.Create), nil); err == nil {
				t.Fatal("admitted a pod whose service account does not exist")
			}
			gets := 0
			for _, action := range client.Actions() {
				if action.GetVerb() == "get" && action.GetResource().Resource == "serviceaccounts" {
					gets++
				}
			}
			if gets != tt.want {
				t.Errorf("%d lookups, want %d", gets, tt.want)
			}
		})
	}
}

// TestDefaultServiceAccountAppears checks that a pod is admitted when its
// default service account appears while the plugin waits for it.
func TestDefaultServiceAccountAppears(t *testing.T) {
	t.Parallel()
	a, client := newTestAdmission(t)
	a.retryInterval = func() time.Duration { return 20 * time.Millisecond }
	go func() {
		time.Sleep(50 * time.Millisecond)
		_, _ = client.CoreV1().ServiceAccounts("ns").Create(context.Background(), serviceAccount("default"), metav1.CreateOptions{})
	}()
	p := testPod()
	if err := a.Admit(t.Context(), attributes(p, "", admission.Create), nil); err != nil {
		t.Fatalf("admit: %v", err)
	}
	if diff := cmp.Diff(mounted("default"), p); diff != "" {
		t.Errorf("admitted pod (-want +got):\n%s", diff)
	}
}

// TestIgnored checks that the plugin leaves alone what it does not admit:
// updates and subresources.
func TestIgnored(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name        string
		subresource string
		op          admission.Operation
	}{{"update", "", admission.Update}, {"status", "status", admission.Create}, {"ephemeral containers", "ephemeralcontainers", admission.Update}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, _ := newTestAdmission(t)
			p := testPod()
			if err := a.Admit(t.Context(), attributes(p, tt.subresource, tt.op), nil); err != nil {
				t.Fatalf("admit: %v", err)
			}
			if diff := cmp.Diff(testPod(), p); diff != "" {
				t.Errorf("pod changed (-want +got):\n%s", diff)
			}
		})
	}
}
