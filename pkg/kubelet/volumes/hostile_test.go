package volumes

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// TestSetupHostile sets up volumes whose paths, names or leftover symlinks
// try to reach outside the pod folder, and checks that nothing outside it
// changed: the temp folder holding the pod folder and a sibling "outside"
// folder is walked before and after.
func TestSetupHostile(t *testing.T) {
	t.Parallel()
	itemsVolume := func(path string) corev1.Volume {
		return configMapVolume("config", "app", func(s *corev1.ConfigMapVolumeSource) {
			s.Items = []corev1.KeyToPath{{Key: "LOG_LEVEL", Path: path}}
		})
	}
	items := func(path string) func(string) corev1.Volume {
		return func(string) corev1.Volume { return itemsVolume(path) }
	}
	fixed := func(v corev1.Volume) func(string) corev1.Volume {
		return func(string) corev1.Volume { return v }
	}
	vol := filepath.Join("volumes", configMapPluginDir, "config")
	tests := []struct {
		name    string
		volume  func(outside string) corev1.Volume
		key     string                                     // when set, the volume is of a ConfigMap with this one key
		plant   func(t *testing.T, podDir, outside string) // before Setup
		wantErr string                                     // "" when Setup should succeed
	}{
		{name: "dot-dot item", volume: items("../x"), wantErr: "invalid path: must not contain '..'"},
		{name: "deep dot-dot item", volume: items("a/../../x"), wantErr: "invalid path: must not contain '..'"},
		{name: "absolute item", volume: items("/etc/x"), wantErr: "invalid path: must be relative path"},
		{name: "data link item", volume: items("..data"), wantErr: "must not start with '..'"},
		{name: "data link item after cleaning", volume: items("./..data"), wantErr: "must not start with '..'"},
		{name: "dot item", volume: items("."), wantErr: "must name a file below the volume"},
		{name: "long name item", volume: items(strings.Repeat("x", 256)), wantErr: "filenames must be less than or equal to 255 characters"},
		{
			name:    "absolute item into outside",
			volume:  func(outside string) corev1.Volume { return itemsVolume(filepath.Join(outside, "x")) },
			wantErr: "invalid path: must be relative path",
		},
		{name: "dot-dot key", key: "../../x", wantErr: "must not contain '..'"},
		{name: "data link key", key: "..data", wantErr: "must not start with '..'"},
		{name: "dot key", key: ".", wantErr: "must name a file below the volume"},
		{
			name: "dot-dot downward item",
			volume: fixed(corev1.Volume{Name: "info", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{
				Items: []corev1.DownwardAPIVolumeFile{fieldItem("../../../x", "metadata.name")},
			}}}),
			wantErr: "must not contain '..'",
		},
		{
			name: "dot-dot token path",
			volume: fixed(corev1.Volume{Name: "token", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
				Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "../token"}}},
			}}}),
			wantErr: "must not contain '..'",
		},
		{name: "dot-dot volume name", volume: fixed(corev1.Volume{Name: "../x", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}), wantErr: "invalid volume name"},
		{name: "setuid mode", volume: fixed(configMapVolume("config", "app", func(s *corev1.ConfigMapVolumeSource) { s.DefaultMode = ptr.To[int32](0o4755) })), wantErr: "invalid mode"},
		{
			name:   "planted link at a key",
			volume: items("level"),
			plant: func(t *testing.T, podDir, outside string) {
				mkdirAll(t, filepath.Join(podDir, vol))
				symlink(t, outside, filepath.Join(podDir, vol, "level"))
			},
		},
		{
			name:   "planted link at a key's folder",
			volume: items("sub/level"),
			plant: func(t *testing.T, podDir, outside string) {
				mkdirAll(t, filepath.Join(podDir, vol))
				symlink(t, outside, filepath.Join(podDir, vol, "sub"))
			},
		},
		{
			name:   "planted stale data_tmp link",
			volume: items("level"),
			plant: func(t *testing.T, podDir, outside string) {
				mkdirAll(t, filepath.Join(podDir, vol))
				symlink(t, outside, filepath.Join(podDir, vol, newDataDirName))
			},
		},
		{
			name:   "data link to outside",
			volume: items("level"),
			plant: func(t *testing.T, podDir, outside string) {
				mkdirAll(t, filepath.Join(podDir, vol))
				symlink(t, outside, filepath.Join(podDir, vol, dataDirName))
			},
			wantErr: "not a payload directory of the volume",
		},
		{
			name:   "data link up and out",
			volume: items("level"),
			plant: func(t *testing.T, podDir, outside string) {
				mkdirAll(t, filepath.Join(podDir, vol))
				symlink(t, "../../../../outside", filepath.Join(podDir, vol, dataDirName))
			},
			wantErr: "not a payload directory of the volume",
		},
		{
			name:   "data link to a link to outside",
			volume: items("level"),
			plant: func(t *testing.T, podDir, outside string) {
				mkdirAll(t, filepath.Join(podDir, vol))
				symlink(t, outside, filepath.Join(podDir, vol, "..2026_01_01_00_00_00.1"))
				symlink(t, "..2026_01_01_00_00_00.1", filepath.Join(podDir, vol, dataDirName))
			},
			wantErr: "read old data directory",
		},
		{
			name:   "volume folder is a link to outside",
			volume: items("level"),
			plant: func(t *testing.T, podDir, outside string) {
				mkdirAll(t, filepath.Join(podDir, "volumes", configMapPluginDir))
				symlink(t, outside, filepath.Join(podDir, vol))
			},
			wantErr: "open volume directory",
		},
		{
			name:   "volumes folder is a link to outside",
			volume: items("level"),
			plant: func(t *testing.T, podDir, outside string) {
				mkdirAll(t, podDir)
				symlink(t, outside, filepath.Join(podDir, "volumes"))
			},
			wantErr: "create volume directory",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			parent := t.TempDir()
			podDir := filepath.Join(parent, "pod")
			outside := filepath.Join(parent, "outside")
			mkdirAll(t, outside)
			if err := os.WriteFile(filepath.Join(outside, "keep"), []byte("untouched"), 0o644); err != nil {
				t.Fatal(err)
			}
			src := testSource()
			var v corev1.Volume
			if tt.key != "" {
				src.configMaps[testNamespace+"/evil"] = &corev1.ConfigMap{Data: map[string]string{tt.key: "pwned"}}
				v = configMapVolume("config", "evil", nil)
			} else {
				v = tt.volume(outside)
			}
			if tt.plant != nil {
				tt.plant(t, podDir, outside)
			}
			before := treeOutside(t, parent)

			_, err := Setup(context.Background(), podDir, testPod(v), src)

			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Setup: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Setup error = %v, want one containing %q", err, tt.wantErr)
			}
			if diff := cmp.Diff(before, treeOutside(t, parent)); diff != "" {
				t.Errorf("files outside the pod folder changed (-want +got):\n%s", diff)
			}
			if tt.wantErr == "" {
				// The planted entry was replaced by the link into ..data.
				top := topLevel(v.ConfigMap.Items[0].Path)
				got, err := os.Readlink(filepath.Join(podDir, vol, top))
				if err != nil || got != dataDirName+"/"+top {
					t.Errorf("%s links to %q (%v), want %s/%s", top, got, err, dataDirName, top)
				}
			}
		})
	}
}

// treeOutside lists parent as tree does, leaving out the pod folder.
func treeOutside(tb testing.TB, parent string) string {
	tb.Helper()
	var kept []string
	for _, line := range strings.SplitAfter(tree(tb, parent), "\n") {
		_, rest, _ := strings.Cut(line, " ")
		if rel, _, _ := strings.Cut(strings.TrimSuffix(rest, "\n"), " "); rel != "pod" && !strings.HasPrefix(rel, "pod/") {
			kept = append(kept, line)
		}
	}
	return strings.Join(kept, "")
}

func mkdirAll(tb testing.TB, dir string) {
	tb.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
}

func symlink(tb testing.TB, target, name string) {
	tb.Helper()
	if err := os.Symlink(target, name); err != nil {
		tb.Fatal(err)
	}
}
