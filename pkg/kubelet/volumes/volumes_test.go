package volumes

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

const testNamespace = "team-a"

func testPod(volumes ...corev1.Volume) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: "web-0", Namespace: testNamespace, UID: "0b6f5a3e-1d2c-4e5f-8a9b-0c1d2e3f4a5b",
			Labels:      map[string]string{"app": "web", "tier": "front"},
			Annotations: map[string]string{"note": "say \"hi\""},
		},
		Spec: corev1.PodSpec{ServiceAccountName: "builder", Volumes: volumes},
	}
}

func testSource() *fakeSource {
	return &fakeSource{
		configMaps: map[string]*corev1.ConfigMap{
			testNamespace + "/app": {
				Data:       map[string]string{"app.yaml": "port: 8080\n", "LOG_LEVEL": "debug"},
				BinaryData: map[string][]byte{"logo.bin": {0x00, 0x01, 0xfe, 0xff}},
			},
			testNamespace + "/kube-root-ca.crt": {
				Data: map[string]string{"ca.crt": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"},
			},
		},
		secrets: map[string]*corev1.Secret{
			testNamespace + "/db": {
				Data: map[string][]byte{"username": []byte("admin"), "password": []byte("s3cr3t")},
			},
		},
	}
}

func configMapVolume(name, cm string, mut func(*corev1.ConfigMapVolumeSource)) corev1.Volume {
	s := &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: cm}}
	if mut != nil {
		mut(s)
	}
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{ConfigMap: s}}
}

func secretVolume(name, secret string, mut func(*corev1.SecretVolumeSource)) corev1.Volume {
	s := &corev1.SecretVolumeSource{SecretName: secret}
	if mut != nil {
		mut(s)
	}
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{Secret: s}}
}

func fieldItem(path, fieldPath string) corev1.DownwardAPIVolumeFile {
	return corev1.DownwardAPIVolumeFile{Path: path, FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: fieldPath}}
}

// kubeAPIAccess is the volume the API server's ServiceAccount admission
// adds to every pod, as it adds it.
func kubeAPIAccess(name string) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
		DefaultMode: ptr.To[int32](0o644),
		Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{ExpirationSeconds: ptr.To[int64](3607), Path: "token"}},
			{ConfigMap: &corev1.ConfigMapProjection{
				LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"},
				Items:                []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}},
			}},
			{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{fieldItem("namespace", "metadata.namespace")}}},
		},
	}}}
}

// TestSetupGolden renders the pod folder Setup writes for each kind of
// volume, with the paths it returns and its error.
func TestSetupGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		volumes []corev1.Volume
		src     func(*fakeSource)
	}{{
		name:    "configmap",
		volumes: []corev1.Volume{configMapVolume("config", "app", nil)},
	}, {
		name: "configmap-items",
		volumes: []corev1.Volume{configMapVolume("config", "app", func(s *corev1.ConfigMapVolumeSource) {
			s.DefaultMode = ptr.To[int32](0o440)
			s.Items = []corev1.KeyToPath{
				{Key: "app.yaml", Path: "conf/app/app.yaml", Mode: ptr.To[int32](0o600)},
				{Key: "logo.bin", Path: "logo"},
			}
		})},
	}, {
		name: "secret",
		volumes: []corev1.Volume{
			secretVolume("creds", "db", func(s *corev1.SecretVolumeSource) { s.DefaultMode = ptr.To[int32](0o400) }),
			secretVolume("user-only", "db", func(s *corev1.SecretVolumeSource) {
				s.Items = []corev1.KeyToPath{{Key: "username", Path: "db/user", Mode: ptr.To[int32](0o444)}}
			}),
		},
	}, {
		name: "downward-api",
		volumes: []corev1.Volume{{Name: "podinfo", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{
			Items: []corev1.DownwardAPIVolumeFile{
				fieldItem("labels", "metadata.labels"),
				fieldItem("annotations", "metadata.annotations"),
				fieldItem("meta/name", "metadata.name"),
				{Path: "uid", Mode: ptr.To[int32](0o400), FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.uid"}},
			},
		}}}},
	}, {
		name:    "projected-kube-api-access",
		volumes: []corev1.Volume{kubeAPIAccess("kube-api-access-7xk2p")},
	}, {
		name: "projected-mixed",
		volumes: []corev1.Volume{{Name: "all-in-one", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			DefaultMode: ptr.To[int32](0o440),
			Sources: []corev1.VolumeProjection{
				{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "db"}}},
				{ConfigMap: &corev1.ConfigMapProjection{
					LocalObjectReference: corev1.LocalObjectReference{Name: "app"},
					Items:                []corev1.KeyToPath{{Key: "LOG_LEVEL", Path: "config/log-level", Mode: ptr.To[int32](0o644)}},
				}},
				{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{fieldItem("config/pod-name", "metadata.name")}}},
				// A later source's path replaces an earlier one's.
				{ConfigMap: &corev1.ConfigMapProjection{
					LocalObjectReference: corev1.LocalObjectReference{Name: "app"},
					Items:                []corev1.KeyToPath{{Key: "LOG_LEVEL", Path: "username"}},
				}},
				{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Audience: "vault", Path: "vault/token"}},
			},
		}}}},
	}, {
		name: "empty-dir",
		volumes: []corev1.Volume{
			{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			{Name: "cache", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}}},
		},
	}, {
		name: "optional-missing",
		volumes: []corev1.Volume{
			configMapVolume("no-configmap", "absent", func(s *corev1.ConfigMapVolumeSource) { s.Optional = ptr.To(true) }),
			secretVolume("no-secret", "absent", func(s *corev1.SecretVolumeSource) {
				s.Optional = ptr.To(true)
				s.Items = []corev1.KeyToPath{{Key: "k", Path: "k"}}
			}),
			configMapVolume("missing-key", "app", func(s *corev1.ConfigMapVolumeSource) {
				s.Optional = ptr.To(true)
				s.Items = []corev1.KeyToPath{{Key: "absent", Path: "absent"}, {Key: "LOG_LEVEL", Path: "level"}}
			}),
			{Name: "projected", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
				{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "absent"}, Optional: ptr.To(true)}},
				{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "absent"}, Optional: ptr.To(true)}},
				{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Optional: ptr.To(true),
					Items: []corev1.KeyToPath{{Key: "absent", Path: "absent"}, {Key: "username", Path: "user"}}}},
			}}}},
		},
	}, {
		name: "errors",
		volumes: []corev1.Volume{
			configMapVolume("missing-configmap", "absent", nil),
			secretVolume("missing-key", "db", func(s *corev1.SecretVolumeSource) {
				s.Items = []corev1.KeyToPath{{Key: "absent", Path: "absent"}}
			}),
			configMapVolume("missing-config-key", "app", func(s *corev1.ConfigMapVolumeSource) {
				s.Items = []corev1.KeyToPath{{Key: "absent", Path: "absent"}}
			}),
			kubeAPIAccess("kube-api-access-7xk2p"),
			{Name: "trust", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
				{ClusterTrustBundle: &corev1.ClusterTrustBundleProjection{Name: ptr.To("example.com:ca"), Path: "ca.pem"}},
			}}}},
			configMapVolume("fine", "app", nil),
		},
		src: func(s *fakeSource) {
			delete(s.configMaps, testNamespace+"/kube-root-ca.crt")
			s.tokenErr = apierrors.NewNotFound(corev1.Resource("serviceaccounts"), "builder")
		},
	}, {
		name: "other-kinds-skipped",
		volumes: []corev1.Volume{
			{Name: "share", VolumeSource: corev1.VolumeSource{NFS: &corev1.NFSVolumeSource{Server: "nfs.example.com", Path: "/exports"}}},
			{Name: "scratch", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{}}},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			podDir := filepath.Join(t.TempDir(), "pod")
			src := testSource()
			if tt.src != nil {
				tt.src(src)
			}
			paths, err := Setup(context.Background(), Dirs{Pod: podDir}, testPod(tt.volumes...), src)
			checkGolden(t, tt.name, render(t, podDir, paths, err))
		})
	}
}

// render is the golden form of a Setup: the paths it returned, relative to
// podDir, its error and the pod folder's tree.
func render(tb testing.TB, podDir string, paths map[string]Mounted, err error) string {
	tb.Helper()
	var b strings.Builder
	b.WriteString("# paths\n")
	names := make([]string, 0, len(paths))
	for n := range paths {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		rel, rerr := filepath.Rel(podDir, paths[n].Path)
		if rerr != nil {
			tb.Fatal(rerr)
		}
		fmt.Fprintf(&b, "%s: %s\n", n, filepath.ToSlash(rel))
	}
	b.WriteString("# error\n")
	if err != nil {
		b.WriteString(err.Error() + "\n")
	}
	b.WriteString("# tree\n")
	b.WriteString(tree(tb, podDir))
	return b.String()
}

// TestSetupErrors checks what a caller relies on in Setup's error: one
// *SetUpError per failed volume, worded as the kubelet's event, through
// which the API's NotFound can still be seen.
func TestSetupErrors(t *testing.T) {
	t.Parallel()
	pod := testPod(
		configMapVolume("fine", "app", nil),
		configMapVolume("config", "absent", nil),
		secretVolume("creds", "absent", nil),
	)
	paths, err := Setup(context.Background(), Dirs{Pod: t.TempDir()}, pod, testSource())
	if _, ok := paths["fine"]; !ok || len(paths) != 1 {
		t.Errorf("paths = %v, want only the volume that was set up", paths)
	}
	var first *SetUpError
	if !errors.As(err, &first) {
		t.Fatalf("error %v is not a *SetUpError", err)
	}
	if want := `MountVolume.SetUp failed for volume "config" : configmap "absent" not found`; first.Error() != want {
		t.Errorf("first error = %q, want %q", first.Error(), want)
	}
	if !apierrors.IsNotFound(first) {
		t.Errorf("IsNotFound(%v) = false, want true", first)
	}
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok || len(joined.Unwrap()) != 2 {
		t.Fatalf("error %v does not join two errors", err)
	}
	if want := `MountVolume.SetUp failed for volume "creds" : secret "absent" not found`; joined.Unwrap()[1].Error() != want {
		t.Errorf("second error = %q, want %q", joined.Unwrap()[1].Error(), want)
	}
}

// TestSetupUpdate rewrites a volume as its ConfigMap changes, as the
// kubelet's resync does: a new payload directory per change, the old one
// gone, links to keys no longer there removed, and nothing written when
// nothing changed.
func TestSetupUpdate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	podDir := t.TempDir()
	src := testSource()
	cm := &corev1.ConfigMap{Data: map[string]string{"a": "1", "b": "2"}}
	src.configMaps[testNamespace+"/app"] = cm
	pod := testPod(configMapVolume("config", "app", nil))
	vol := filepath.Join(podDir, "volumes", configMapPluginDir, "config")
	setup := func() string {
		t.Helper()
		if _, err := Setup(ctx, Dirs{Pod: podDir}, pod, src); err != nil {
			t.Fatal(err)
		}
		return dataDir(t, vol)
	}
	names := func() []string {
		t.Helper()
		entries, err := os.ReadDir(vol)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, timestampRE.ReplaceAllString(e.Name(), "..TIMESTAMP"))
		}
		return names
	}
	read := func(name string) string {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(vol, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}

	first := setup()

	// A key goes away; the one left is unchanged, which still needs a new
	// payload directory, as in the kubelet.
	cm.Data = map[string]string{"a": "1"}
	second := setup()
	if second == first {
		t.Fatalf("payload directory %s kept after a key went away", first)
	}
	if _, err := os.Lstat(filepath.Join(vol, first)); !os.IsNotExist(err) {
		t.Errorf("old payload directory %s: Lstat error %v, want it removed", first, err)
	}
	if got, want := names(), []string{"..TIMESTAMP", "..data", "a"}; !slices.Equal(got, want) {
		t.Errorf("volume holds %q, want %q", got, want)
	}

	// Nothing changed: nothing is written, not even the folder's mtime.
	before := tree(t, podDir)
	info, err := os.Stat(vol)
	if err != nil {
		t.Fatal(err)
	}
	if third := setup(); third != second {
		t.Errorf("payload directory changed from %s to %s without a change", second, third)
	}
	after, err := os.Stat(vol)
	if err != nil {
		t.Fatal(err)
	}
	if !after.ModTime().Equal(info.ModTime()) || tree(t, podDir) != before {
		t.Errorf("volume written although nothing changed")
	}

	// A link lost while nothing changed comes back, in the same directory.
	if err := os.Remove(filepath.Join(vol, "a")); err != nil {
		t.Fatal(err)
	}
	if again := setup(); again != second || read("a") != "1" {
		t.Errorf("missing link not restored in place: data dir %s, want %s", again, second)
	}

	// Contents change and a key comes.
	cm.Data = map[string]string{"a": "changed", "d": "4"}
	if fourth := setup(); fourth == second {
		t.Errorf("payload directory %s kept after a change", second)
	}
	if got, want := names(), []string{"..TIMESTAMP", "..data", "a", "d"}; !slices.Equal(got, want) {
		t.Errorf("volume holds %q, want %q", got, want)
	}
	if read("a") != "changed" || read("d") != "4" {
		t.Errorf("contents not updated: a=%q d=%q", read("a"), read("d"))
	}
}
