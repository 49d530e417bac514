package podrefs_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/podrefs"
)

// collect is every name visit calls back with.
func collect(visit func(*corev1.Pod, func(string) bool) bool, pod *corev1.Pod) []string {
	var names []string
	visit(pod, func(n string) bool { names = append(names, n); return true })
	return names
}

func TestPodNames(t *testing.T) {
	t.Parallel()
	secretEnv := func(name string) corev1.EnvVar {
		return corev1.EnvVar{Name: "E", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}}}}
	}
	cmEnv := func(name string) corev1.EnvVar {
		return corev1.EnvVar{Name: "E", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}}}}
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p"},
		Spec: corev1.PodSpec{
			ImagePullSecrets: []corev1.LocalObjectReference{{Name: "pull"}},
			InitContainers:   []corev1.Container{{Env: []corev1.EnvVar{secretEnv("init-env"), cmEnv("init-cm")}}},
			Containers: []corev1.Container{{
				Env:     []corev1.EnvVar{secretEnv("env"), {Name: "plain", Value: "v"}},
				EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "env-from"}}}, {ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cm-from"}}}},
			}},
			EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Env: []corev1.EnvVar{secretEnv("debug"), cmEnv("debug-cm")}}}},
			Volumes: []corev1.Volume{
				{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "vol"}}},
				{Name: "csi", VolumeSource: corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{Driver: "d", NodePublishSecretRef: &corev1.LocalObjectReference{Name: "csi"}}}},
				{Name: "rbd", VolumeSource: corev1.VolumeSource{RBD: &corev1.RBDVolumeSource{SecretRef: &corev1.LocalObjectReference{Name: "rbd"}}}},
				{Name: "cm", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cm-vol"}}}},
				{Name: "proj", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
					{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "proj"}}},
					{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "proj-cm"}}},
				}}}},
				{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "claim"}}},
				{Name: "scratch", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{}}},
			},
			ResourceClaims: []corev1.PodResourceClaim{
				{Name: "named", ResourceClaimName: ptr.To("gpu")},
				{Name: "made", ResourceClaimTemplateName: ptr.To("t")},
				{Name: "not-yet", ResourceClaimTemplateName: ptr.To("t")},
			},
		},
		Status: corev1.PodStatus{
			ResourceClaimStatuses:       []corev1.PodResourceClaimStatus{{Name: "made", ResourceClaimName: ptr.To("p-made-1")}, {Name: "not-yet"}},
			ExtendedResourceClaimStatus: &corev1.PodExtendedResourceClaimStatus{ResourceClaimName: "p-extended"},
		},
	}
	tests := []struct {
		name  string
		visit func(*corev1.Pod, func(string) bool) bool
		want  []string
	}{
		{name: "secrets", visit: podrefs.Secrets, want: []string{"pull", "init-env", "env-from", "env", "debug", "vol", "csi", "rbd", "proj"}},
		{name: "config maps", visit: podrefs.ConfigMaps, want: []string{"init-cm", "cm-from", "debug-cm", "cm-vol", "proj-cm"}},
		{name: "claims", visit: podrefs.Claims, want: []string{"claim", "p-scratch"}},
		{name: "resource claims", visit: podrefs.ResourceClaims, want: []string{"gpu", "p-made-1", "p-extended"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, collect(tc.visit, pod)); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
			calls := 0
			if tc.visit(pod, func(string) bool { calls++; return false }) || calls != 1 {
				t.Errorf("visit went on after its callback said stop (%d calls)", calls)
			}
		})
	}
}

func TestPVSecrets(t *testing.T) {
	t.Parallel()
	type ref struct {
		Namespace, Name string
		Kubelet         bool
	}
	claimRef := &corev1.ObjectReference{Namespace: "claims", Name: "c"}
	tests := []struct {
		name string
		src  corev1.PersistentVolumeSource
		want []ref
	}{
		{name: "no secrets", src: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}},
		{name: "azure file in the claim's namespace", src: corev1.PersistentVolumeSource{AzureFile: &corev1.AzureFilePersistentVolumeSource{SecretName: "az"}},
			want: []ref{{"claims", "az", true}}},
		{name: "azure file in its own namespace", src: corev1.PersistentVolumeSource{AzureFile: &corev1.AzureFilePersistentVolumeSource{SecretName: "az", SecretNamespace: ptr.To("sec")}},
			want: []ref{{"sec", "az", true}}},
		{name: "rbd without a namespace", src: corev1.PersistentVolumeSource{RBD: &corev1.RBDPersistentVolumeSource{SecretRef: &corev1.SecretReference{Name: "rbd"}}},
			want: []ref{{"claims", "rbd", true}}},
		{name: "iscsi with a namespace", src: corev1.PersistentVolumeSource{ISCSI: &corev1.ISCSIPersistentVolumeSource{SecretRef: &corev1.SecretReference{Name: "i", Namespace: "sec"}}},
			want: []ref{{"sec", "i", true}}},
		{name: "csi", src: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{
			ControllerPublishSecretRef: &corev1.SecretReference{Name: "cp", Namespace: "a"},
			ControllerExpandSecretRef:  &corev1.SecretReference{Name: "ce", Namespace: "a"},
			NodePublishSecretRef:       &corev1.SecretReference{Name: "np", Namespace: "a"},
			NodeStageSecretRef:         &corev1.SecretReference{Name: "ns", Namespace: "a"},
			NodeExpandSecretRef:        &corev1.SecretReference{Name: "ne", Namespace: "a"},
		}}, want: []ref{{"a", "cp", false}, {"a", "ce", false}, {"a", "np", true}, {"a", "ns", true}, {"a", "ne", true}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pv := &corev1.PersistentVolume{Spec: corev1.PersistentVolumeSpec{ClaimRef: claimRef, PersistentVolumeSource: tc.src}}
			var got []ref
			podrefs.PVSecrets(pv, func(ns, name string, kubelet bool) bool { got = append(got, ref{ns, name, kubelet}); return true })
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("secrets (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAPIObjectReference(t *testing.T) {
	t.Parallel()
	withVolume := func(src corev1.VolumeSource) *corev1.Pod {
		return &corev1.Pod{Spec: corev1.PodSpec{Volumes: []corev1.Volume{{Name: "v", VolumeSource: src}}}}
	}
	tests := []struct {
		name string
		pod  *corev1.Pod
		want string
	}{
		{name: "nothing", pod: &corev1.Pod{}},
		{name: "emptyDir", pod: withVolume(corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}})},
		{name: "image", pod: withVolume(corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: "x"}})},
		{name: "service account", pod: &corev1.Pod{Spec: corev1.PodSpec{ServiceAccountName: "sa"}}, want: "serviceaccounts"},
		{name: "secret volume", pod: withVolume(corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "s"}}), want: "secrets"},
		{name: "config map volume", pod: withVolume(corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{}}), want: "configmaps"},
		{name: "glusterfs", pod: withVolume(corev1.VolumeSource{Glusterfs: &corev1.GlusterfsVolumeSource{}}), want: "endpoints (via glusterFS volumes)"},
		{name: "projected downward API", pod: withVolume(corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{{DownwardAPI: &corev1.DownwardAPIProjection{}}}}})},
		{name: "unknown volume", pod: withVolume(corev1.VolumeSource{}), want: "unknown volume type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := podrefs.APIObjectReference(tc.pod)
			if got != tc.want || ok != (tc.want != "") {
				t.Errorf("APIObjectReference = %q, %v; want %q", got, ok, tc.want)
			}
		})
	}
}
