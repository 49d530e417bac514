package volumes

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

			_, err := Setup(context.Background(), Dirs{Pod: podDir}, testPod(v), src)

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

// TestSetupHostPathHostile sets up hostPath volumes and claims whose paths
// or the links planted in the host folder try to reach outside it: the
// files beside the host folder must not change, and a volume set up must
// be inside the host folder once every link is followed.
func TestSetupHostPathHostile(t *testing.T) {
	t.Parallel()
	typed := func(p string, typ corev1.HostPathType) corev1.Volume {
		return corev1.Volume{Name: "h", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: p, Type: ptr.To(typ)}}}
	}
	tests := []struct {
		name    string
		volume  func(outside string) corev1.Volume
		plant   func(t *testing.T, host, outside string)
		wantErr string // "" when Setup should succeed
	}{
		{name: "dot-dot", volume: func(string) corev1.Volume { return typed("/../outside", corev1.HostPathDirectoryOrCreate) },
			wantErr: "invalid HostPath `/../outside`: must not contain '..'"},
		{name: "dot-dot deep", volume: func(string) corev1.Volume { return typed("/a/b/../../../outside/keep", corev1.HostPathFile) },
			wantErr: "must not contain '..'"},
		{name: "relative dot-dot", volume: func(string) corev1.Volume { return typed("../outside", corev1.HostPathDirectoryOrCreate) },
			wantErr: "must not contain '..'"},
		{name: "the real outside path is a path on the node", volume: func(outside string) corev1.Volume {
			return typed(outside, corev1.HostPathDirectoryOrCreate)
		}},
		{name: "the real outside file is not the node's", volume: func(outside string) corev1.Volume {
			return typed(filepath.Join(outside, "keep"), corev1.HostPathFile)
		}, wantErr: "doesn't exist"},
		{
			name:   "link up and out",
			volume: func(string) corev1.Volume { return typed("/escape", corev1.HostPathDirectoryOrCreate) },
			plant:  func(t *testing.T, host, _ string) { symlink(t, "../outside", filepath.Join(host, "escape")) },
		},
		{
			name:   "link up and out then down",
			volume: func(string) corev1.Volume { return typed("/escape/keep", corev1.HostPathFileOrCreate) },
			plant: func(t *testing.T, host, _ string) {
				symlink(t, "../../../../../../../outside", filepath.Join(host, "escape"))
			},
			// ../outside resolves to <host>/outside, which has no keep.
			wantErr: "no such file or directory",
		},
		{
			name:   "absolute link to the real outside",
			volume: func(string) corev1.Volume { return typed("/escape", corev1.HostPathDirectory) },
			plant:  func(t *testing.T, host, outside string) { symlink(t, outside, filepath.Join(host, "escape")) },
			// It names <host><outside>, which does not exist.
			wantErr: "doesn't exist",
		},
		{
			name:   "absolute link to the real outside, created inside",
			volume: func(string) corev1.Volume { return typed("/escape/new", corev1.HostPathDirectoryOrCreate) },
			plant:  func(t *testing.T, host, outside string) { symlink(t, outside, filepath.Join(host, "escape")) },
		},
		{
			name:   "file link to the real outside file",
			volume: func(string) corev1.Volume { return typed("/etc/passwd", corev1.HostPathFileOrCreate) },
			plant: func(t *testing.T, host, outside string) {
				mkdirAll(t, filepath.Join(host, "etc"))
				symlink(t, filepath.Join(outside, "keep"), filepath.Join(host, "etc", "passwd"))
			},
			// The link's target's folders do not exist in the host folder.
			wantErr: "no such file or directory",
		},
		{
			name:    "link to root then out",
			volume:  func(string) corev1.Volume { return typed("/root/../../outside", corev1.HostPathDirectoryOrCreate) },
			wantErr: "must not contain '..'",
		},
		{
			name:   "link to the host root",
			volume: func(string) corev1.Volume { return typed("/r/r/r/x", corev1.HostPathDirectoryOrCreate) },
			plant:  func(t *testing.T, host, _ string) { symlink(t, "/", filepath.Join(host, "r")) },
		},
		{
			name:   "link loop",
			volume: func(string) corev1.Volume { return typed("/a", corev1.HostPathDirectoryOrCreate) },
			plant: func(t *testing.T, host, _ string) {
				symlink(t, "b", filepath.Join(host, "a"))
				symlink(t, "a", filepath.Join(host, "b"))
			},
			wantErr: "too many levels of symbolic links",
		},
		{
			name:    "missing then dot-dot through a link",
			volume:  func(string) corev1.Volume { return typed("/l", corev1.HostPathDirectoryOrCreate) },
			plant:   func(t *testing.T, host, _ string) { symlink(t, "missing/../../outside", filepath.Join(host, "l")) },
			wantErr: "no such file or directory",
		},
		{
			name: "claim's volume links out",
			volume: func(string) corev1.Volume {
				return corev1.Volume{Name: "h", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}}
			},
			plant: func(t *testing.T, host, outside string) {
				mkdirAll(t, filepath.Join(host, "var"))
				symlink(t, "../../outside", filepath.Join(host, "var", "local-path-provisioner"))
			},
		},
		{
			name: "local volume links out",
			volume: func(string) corev1.Volume {
				return corev1.Volume{Name: "h", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "local"}}}
			},
			plant: func(t *testing.T, host, outside string) {
				mkdirAll(t, filepath.Join(host, "mnt"))
				symlink(t, outside, filepath.Join(host, "mnt", "disk"))
			},
			wantErr: "does not exist",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			parent := t.TempDir()
			dirs := Dirs{Pod: filepath.Join(parent, "pod"), Host: filepath.Join(parent, "host")}
			outside := filepath.Join(parent, "outside")
			mkdirAll(t, outside)
			mkdirAll(t, dirs.Host)
			if err := os.WriteFile(filepath.Join(outside, "keep"), []byte("untouched"), 0o644); err != nil {
				t.Fatal(err)
			}
			if tt.plant != nil {
				tt.plant(t, dirs.Host, outside)
			}
			src := testSource()
			pvc, pv := boundClaim(hostPathPV("pv-1", "/var/local-path-provisioner/pvc-1"))
			lpvc, lpv := boundClaim(&corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv-local"}, Spec: corev1.PersistentVolumeSpec{
				PersistentVolumeSource: corev1.PersistentVolumeSource{Local: &corev1.LocalVolumeSource{Path: "/mnt/disk"}}}})
			lpvc.Name = "local"
			lpv.Spec.ClaimRef.Name = "local"
			src.claims = map[string]*corev1.PersistentVolumeClaim{testNamespace + "/data": pvc, testNamespace + "/local": lpvc}
			src.pvs = map[string]*corev1.PersistentVolume{pv.Name: pv, lpv.Name: lpv}
			before := treeBeside(t, parent)

			got, err := Setup(context.Background(), dirs, testPod(tt.volume(outside)), src)

			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Setup: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Setup error = %v, want one containing %q", err, tt.wantErr)
			}
			if diff := cmp.Diff(before, treeBeside(t, parent)); diff != "" {
				t.Errorf("files outside the host folder changed (-want +got):\n%s", diff)
			}
			if err != nil {
				return
			}
			real, err := filepath.EvalSymlinks(got["h"].Path)
			if err != nil {
				t.Fatal(err)
			}
			hostReal, err := filepath.EvalSymlinks(dirs.Host)
			if err != nil {
				t.Fatal(err)
			}
			if rel, err := filepath.Rel(hostReal, real); err != nil || !filepath.IsLocal(rel) && rel != "." {
				t.Errorf("volume %s is %s, outside the host folder %s", got["h"].Path, real, hostReal)
			}
			// No link below the host folder: the runtime is given the path
			// itself, not something to follow.
			if rel, err := filepath.Rel(dirs.Host, got["h"].Path); err != nil || filepath.Join(hostReal, rel) != real {
				t.Errorf("volume path %s has links in it (it is %s)", got["h"].Path, real)
			}
		})
	}
}

// treeBeside lists parent as tree does, leaving out the host and pod folders.
func treeBeside(tb testing.TB, parent string) string {
	tb.Helper()
	var kept []string
	for _, line := range strings.SplitAfter(tree(tb, parent), "\n") {
		_, rest, _ := strings.Cut(line, " ")
		rel, _, _ := strings.Cut(strings.TrimSuffix(rest, "\n"), " ")
		top, _, _ := strings.Cut(rel, "/")
		if top != "host" && top != "pod" {
			kept = append(kept, line)
		}
	}
	return strings.Join(kept, "")
}

// TestCheckSubPath refuses subPaths whose links, as a container may plant
// them in a volume it writes, lead outside the volume, and accepts those
// that stay in it, such as a configMap item's link through ..data.
func TestCheckSubPath(t *testing.T) {
	t.Parallel()
	vol := t.TempDir()
	mkdirAll(t, filepath.Join(vol, "..2026_01_01_00_00_00.1", "sub"))
	symlink(t, "..2026_01_01_00_00_00.1", filepath.Join(vol, dataDirName))
	symlink(t, dataDirName+"/app.yaml", filepath.Join(vol, "app.yaml"))
	symlink(t, "/", filepath.Join(vol, "root"))
	symlink(t, "/etc", filepath.Join(vol, "etc"))
	symlink(t, "../..", filepath.Join(vol, "up"))
	symlink(t, dataDirName+"/sub/../../..", filepath.Join(vol, "sneaky"))
	symlink(t, "loop", filepath.Join(vol, "loop"))
	for _, tt := range []struct {
		sub     string
		wantErr string
	}{
		{sub: "app.yaml"},
		{sub: "missing/dir"},
		{sub: dataDirName + "/sub"},
		{sub: "root", wantErr: "not within the volume"},
		{sub: "etc/passwd", wantErr: "not within the volume"},
		{sub: "up", wantErr: "not within the volume"},
		{sub: "sneaky", wantErr: "not within the volume"},
		{sub: "loop", wantErr: "too many levels of symbolic links"},
	} {
		err := CheckSubPath(vol, tt.sub)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("CheckSubPath(%q) = %v, want error containing %q", tt.sub, err, tt.wantErr)
		}
	}
}
