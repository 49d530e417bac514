package volumes

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// plantFile, plantDir, plantLink, plantFIFO and plantSocket make what a
// test needs in the host folder.
func plantFile(tb testing.TB, host, rel, data string) {
	tb.Helper()
	mkdirAll(tb, filepath.Dir(filepath.Join(host, rel)))
	if err := os.WriteFile(filepath.Join(host, rel), []byte(data), 0o644); err != nil {
		tb.Fatal(err)
	}
}

func plantDir(tb testing.TB, host, rel string) { tb.Helper(); mkdirAll(tb, filepath.Join(host, rel)) }

func plantLink(tb testing.TB, host, rel, target string) {
	tb.Helper()
	mkdirAll(tb, filepath.Dir(filepath.Join(host, rel)))
	symlink(tb, target, filepath.Join(host, rel))
}

func plantFIFO(tb testing.TB, host, rel string) {
	tb.Helper()
	if err := syscall.Mkfifo(filepath.Join(host, rel), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// plantSocket binds a unix socket in a short temporary folder (socket
// paths are limited to about 100 bytes) and moves it into place.
func plantSocket(tb testing.TB, host, rel string) {
	tb.Helper()
	dir, err := os.MkdirTemp("", "sock")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	l, err := net.Listen("unix", filepath.Join(dir, "s"))
	if err != nil {
		tb.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	tb.Cleanup(func() { l.Close() })
	if err := os.Rename(filepath.Join(dir, "s"), filepath.Join(host, rel)); err != nil {
		tb.Fatal(err)
	}
}

// TestHostPathTypes checks each hostPath type against what is (or is not)
// at the path, with the kubelet's texts, and where the volume is on disk.
func TestHostPathTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		plant   func(tb testing.TB, host string)
		path    string
		typ     *corev1.HostPathType
		want    string // where the volume is, relative to the host folder
		wantErr string // the whole event text
		check   func(t *testing.T, host string)
	}{
		{name: "unset missing is made a folder", path: "/var/data", want: "var/data", check: isDir("var/data")},
		{name: "unset file", plant: aFile("etc/app.conf"), path: "/etc/app.conf", want: "etc/app.conf"},
		{name: "unset socket is not checked", plant: socket("run.sock"), path: "/run.sock", want: "run.sock"},
		{name: "root", path: "/", typ: ptr.To(corev1.HostPathDirectory), want: "."},
		{name: "relative path is from the root", path: "var/log", typ: ptr.To(corev1.HostPathDirectoryOrCreate), want: "var/log"},
		{name: "doubled slashes and dots", plant: aDir("var/log"), path: "//var/./log/", typ: ptr.To(corev1.HostPathDirectory), want: "var/log"},

		{name: "DirectoryOrCreate missing", path: "/var/local-path-provisioner/pvc-1", typ: ptr.To(corev1.HostPathDirectoryOrCreate),
			want: "var/local-path-provisioner/pvc-1", check: isDir("var/local-path-provisioner/pvc-1")},
		{name: "DirectoryOrCreate existing", plant: aDir("data"), path: "/data", typ: ptr.To(corev1.HostPathDirectoryOrCreate), want: "data"},
		{name: "DirectoryOrCreate on a file", plant: aFile("data"), path: "/data", typ: ptr.To(corev1.HostPathDirectoryOrCreate),
			wantErr: `MountVolume.SetUp failed for volume "v" : hostPath type check failed: /data is not a directory, it's a File`},
		{name: "DirectoryOrCreate below a file", plant: aFile("data"), path: "/data/x", typ: ptr.To(corev1.HostPathDirectoryOrCreate),
			wantErr: `MountVolume.SetUp failed for volume "v" : mkdir /data/x: not a directory`},
		{name: "Directory", plant: aDir("srv"), path: "/srv", typ: ptr.To(corev1.HostPathDirectory), want: "srv"},
		{name: "Directory missing", path: "/srv", typ: ptr.To(corev1.HostPathDirectory),
			wantErr: `MountVolume.SetUp failed for volume "v" : hostPath /srv doesn't exist`, check: absent("srv")},
		{name: "Directory on a file", plant: aFile("srv"), path: "/srv", typ: ptr.To(corev1.HostPathDirectory),
			wantErr: `MountVolume.SetUp failed for volume "v" : hostPath type check failed: /srv is not a directory, it's a File`},
		{name: "Directory on a FIFO", plant: fifo("pipe"), path: "/pipe", typ: ptr.To(corev1.HostPathDirectory),
			wantErr: `MountVolume.SetUp failed for volume "v" : hostPath type check failed, /pipe is not a directory, unable to determine its type: only recognise file, directory, socket, block device and character device`},

		{name: "FileOrCreate missing", plant: aDir("etc"), path: "/etc/motd", typ: ptr.To(corev1.HostPathFileOrCreate), want: "etc/motd", check: isEmptyFile("etc/motd")},
		{name: "FileOrCreate missing folder", path: "/etc/motd", typ: ptr.To(corev1.HostPathFileOrCreate),
			wantErr: `MountVolume.SetUp failed for volume "v" : open /etc/motd: no such file or directory`, check: absent("etc")},
		{name: "FileOrCreate existing keeps it", plant: aFile("etc/motd"), path: "/etc/motd", typ: ptr.To(corev1.HostPathFileOrCreate), want: "etc/motd",
			check: contents("etc/motd", "planted")},
		{name: "FileOrCreate on a folder", plant: aDir("etc"), path: "/etc", typ: ptr.To(corev1.HostPathFileOrCreate),
			wantErr: `MountVolume.SetUp failed for volume "v" : hostPath type check failed: /etc is not a file, it's a Directory`},
		{name: "File", plant: aFile("etc/motd"), path: "/etc/motd", typ: ptr.To(corev1.HostPathFile), want: "etc/motd"},
		{name: "File missing", path: "/etc/motd", typ: ptr.To(corev1.HostPathFile),
			wantErr: `MountVolume.SetUp failed for volume "v" : hostPath /etc/motd doesn't exist`},
		{name: "File on a socket", plant: socket("s"), path: "/s", typ: ptr.To(corev1.HostPathFile),
			wantErr: `MountVolume.SetUp failed for volume "v" : hostPath type check failed: /s is not a file, it's a Socket`},

		{name: "Socket", plant: socket("docker.sock"), path: "/docker.sock", typ: ptr.To(corev1.HostPathSocket), want: "docker.sock"},
		{name: "Socket on a file", plant: aFile("docker.sock"), path: "/docker.sock", typ: ptr.To(corev1.HostPathSocket),
			wantErr: `MountVolume.SetUp failed for volume "v" : hostPath type check failed: /docker.sock is not a socket file, it's a File`},
		{name: "Socket missing", path: "/var/run/docker.sock", typ: ptr.To(corev1.HostPathSocket),
			wantErr: `MountVolume.SetUp failed for volume "v" : hostPath /var/run/docker.sock doesn't exist`},
		{name: "CharDevice on a file", plant: aFile("dev/null"), path: "/dev/null", typ: ptr.To(corev1.HostPathCharDev),
			wantErr: `MountVolume.SetUp failed for volume "v" : hostPath type check failed: /dev/null is not a character device, it's a File`},
		{name: "CharDevice missing", path: "/dev/fuse", typ: ptr.To(corev1.HostPathCharDev),
			wantErr: `MountVolume.SetUp failed for volume "v" : hostPath /dev/fuse doesn't exist`},
		{name: "BlockDevice on a folder", plant: aDir("dev/sda"), path: "/dev/sda", typ: ptr.To(corev1.HostPathBlockDev),
			wantErr: `MountVolume.SetUp failed for volume "v" : hostPath type check failed: /dev/sda is not a block device, it's a Directory`},
		{name: "invalid type", path: "/x", typ: ptr.To(corev1.HostPathType("Folder")),
			wantErr: `MountVolume.SetUp failed for volume "v" : Folder is an invalid volume type`, check: absent("x")},

		{name: "relative link followed", plant: both(aDir("data/v1"), aLink("current", "data/v1")), path: "/current", typ: ptr.To(corev1.HostPathDirectory), want: "data/v1"},
		{name: "absolute link is from the host root", plant: both(aDir("data/v1"), aLink("etc/current", "/data/v1")), path: "/etc/current/x",
			typ: ptr.To(corev1.HostPathDirectoryOrCreate), want: "data/v1/x", check: isDir("data/v1/x")},
		{name: "link then dot-dot", plant: both(aDir("a/b"), aDir("a/c"), aLink("a/b/up", "../c")), path: "/a/b/up", typ: ptr.To(corev1.HostPathDirectory), want: "a/c"},
		{name: "link to a file", plant: both(aFile("etc/real.conf"), aLink("etc/app.conf", "real.conf")), path: "/etc/app.conf", typ: ptr.To(corev1.HostPathFile), want: "etc/real.conf"},
		{name: "dangling link is followed when creating", plant: aLink("cache", "/var/cache/app"), path: "/cache", typ: ptr.To(corev1.HostPathDirectoryOrCreate),
			want: "var/cache/app", check: isDir("var/cache/app")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dirs := Dirs{Pod: filepath.Join(t.TempDir(), "pod"), Host: filepath.Join(t.TempDir(), "host")}
			mkdirAll(t, dirs.Host)
			if tt.plant != nil {
				tt.plant(t, dirs.Host)
			}
			v := corev1.Volume{Name: "v", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: tt.path, Type: tt.typ}}}

			got, err := Setup(context.Background(), dirs, testPod(v), testSource())

			if tt.wantErr != "" {
				var se *SetUpError
				if !errors.As(err, &se) || se.Error() != tt.wantErr {
					t.Errorf("Setup error = %v, want a *SetUpError %q", err, tt.wantErr)
				}
				if _, ok := got["v"]; ok {
					t.Errorf("Setup returned %v for a volume it failed", got["v"])
				}
			} else {
				if err != nil {
					t.Fatalf("Setup: %v", err)
				}
				want := Mounted{Path: filepath.Join(dirs.Host, filepath.FromSlash(tt.want))}
				if diff := cmp.Diff(want, got["v"]); diff != "" {
					t.Errorf("volume (-want +got):\n%s", diff)
				}
				if _, err := os.Stat(got["v"].Path); err != nil {
					t.Errorf("volume path: %v", err)
				}
			}
			if tt.check != nil {
				tt.check(t, dirs.Host)
			}
			if entries, err := os.ReadDir(dirs.Pod); err != nil || len(entries) != 0 {
				t.Errorf("pod folder holds %v (%v), want nothing for a hostPath volume", entries, err)
			}
		})
	}
}

func aFile(rel string) func(testing.TB, string) {
	return func(tb testing.TB, host string) { plantFile(tb, host, rel, "planted") }
}
func aDir(rel string) func(testing.TB, string) {
	return func(tb testing.TB, host string) { plantDir(tb, host, rel) }
}
func aLink(rel, target string) func(testing.TB, string) {
	return func(tb testing.TB, host string) { plantLink(tb, host, rel, target) }
}
func fifo(rel string) func(testing.TB, string) {
	return func(tb testing.TB, host string) { plantFIFO(tb, host, rel) }
}
func socket(rel string) func(testing.TB, string) {
	return func(tb testing.TB, host string) { plantSocket(tb, host, rel) }
}
func both(fs ...func(testing.TB, string)) func(testing.TB, string) {
	return func(tb testing.TB, host string) {
		for _, f := range fs {
			f(tb, host)
		}
	}
}

func isDir(rel string) func(*testing.T, string) {
	return func(t *testing.T, host string) {
		t.Helper()
		info, err := os.Lstat(filepath.Join(host, rel))
		if err != nil || !info.IsDir() || info.Mode().Perm()&^0o755 != 0 {
			t.Errorf("%s: %v (%v), want a folder of mode 0755 at most", rel, info, err)
		}
	}
}

func isEmptyFile(rel string) func(*testing.T, string) {
	return func(t *testing.T, host string) {
		t.Helper()
		info, err := os.Lstat(filepath.Join(host, rel))
		if err != nil || !info.Mode().IsRegular() || info.Size() != 0 || info.Mode().Perm()&^0o644 != 0 {
			t.Errorf("%s: %v (%v), want an empty file of mode 0644 at most", rel, info, err)
		}
	}
}

func contents(rel, want string) func(*testing.T, string) {
	return func(t *testing.T, host string) {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(host, rel))
		if err != nil || string(data) != want {
			t.Errorf("%s holds %q (%v), want %q", rel, data, err, want)
		}
	}
}

func absent(rel string) func(*testing.T, string) {
	return func(t *testing.T, host string) {
		t.Helper()
		if _, err := os.Lstat(filepath.Join(host, rel)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: Lstat error %v, want it not to exist", rel, err)
		}
	}
}

const claimUID = types.UID("6c1f2e0a-7b3d-4c5e-9f8a-1b2c3d4e5f60")

// boundClaim is a claim "data" bound to the PersistentVolume pv, and pv
// bound back to it.
func boundClaim(pv *corev1.PersistentVolume) (*corev1.PersistentVolumeClaim, *corev1.PersistentVolume) {
	pvc := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "data", Namespace: testNamespace, UID: claimUID},
		Spec:       corev1.PersistentVolumeClaimSpec{VolumeName: pv.Name, AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}},
		Status:     corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound},
	}
	pv.Spec.ClaimRef = &corev1.ObjectReference{Kind: "PersistentVolumeClaim", Namespace: testNamespace, Name: "data", UID: claimUID}
	return pvc, pv
}

func hostPathPV(name, path string) *corev1.PersistentVolume {
	return &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PersistentVolumeSpec{PersistentVolumeSource: corev1.PersistentVolumeSource{
			HostPath: &corev1.HostPathVolumeSource{Path: path, Type: ptr.To(corev1.HostPathDirectoryOrCreate)},
		}},
	}
}

func claimVolume(readOnly bool) corev1.Volume {
	return corev1.Volume{Name: "store", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data", ReadOnly: readOnly}}}
}

// TestSetupClaims mounts persistentVolumeClaim volumes: a claim bound to a
// hostPath or local PersistentVolume is mounted from the host folder,
// read-only when the volume says so; a claim the kubelet cannot use yet is
// a *ClaimError with the volume manager's text; a volume it cannot mount
// is a *SetUpError naming the PersistentVolume, as the kubelet's event does.
func TestSetupClaims(t *testing.T) {
	t.Parallel()
	const provisioned = "/var/local-path-provisioner/pvc-6c1f2e0a_team-a_data"
	tests := []struct {
		name      string
		readOnly  bool
		objects   func() (*corev1.PersistentVolumeClaim, *corev1.PersistentVolume) // nil results are left out
		plant     func(testing.TB, string)
		want      *Mounted // relative to the host folder
		wantClaim string   // the *ClaimError's text
		wantSetUp string   // the *SetUpError's text
	}{
		{
			name: "hostPath volume of the local-path provisioner",
			objects: func() (*corev1.PersistentVolumeClaim, *corev1.PersistentVolume) {
				return boundClaim(hostPathPV("pvc-6c1f2e0a", provisioned))
			},
			want: &Mounted{Path: provisioned[1:]},
		},
		{
			name:     "read-only volume",
			readOnly: true,
			objects: func() (*corev1.PersistentVolumeClaim, *corev1.PersistentVolume) {
				return boundClaim(hostPathPV("pv-1", "/srv/data"))
			},
			want: &Mounted{Path: "srv/data", ReadOnly: true},
		},
		{
			name: "read-only access mode alone does not make it read-only",
			objects: func() (*corev1.PersistentVolumeClaim, *corev1.PersistentVolume) {
				pvc, pv := boundClaim(hostPathPV("pv-1", "/srv/data"))
				pvc.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadOnlyMany}
				pv.Spec.AccessModes = pvc.Spec.AccessModes
				return pvc, pv
			},
			want: &Mounted{Path: "srv/data"},
		},
		{
			name: "local volume",
			objects: func() (*corev1.PersistentVolumeClaim, *corev1.PersistentVolume) {
				return boundClaim(&corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "local-pv"}, Spec: corev1.PersistentVolumeSpec{
					PersistentVolumeSource: corev1.PersistentVolumeSource{Local: &corev1.LocalVolumeSource{Path: "/mnt/disks/ssd1"}}}})
			},
			plant: aDir("mnt/disks/ssd1"),
			want:  &Mounted{Path: "mnt/disks/ssd1"},
		},
		{
			name: "local volume missing",
			objects: func() (*corev1.PersistentVolumeClaim, *corev1.PersistentVolume) {
				return boundClaim(&corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "local-pv"}, Spec: corev1.PersistentVolumeSpec{
					PersistentVolumeSource: corev1.PersistentVolumeSource{Local: &corev1.LocalVolumeSource{Path: "/mnt/disks/ssd1"}}}})
			},
			wantSetUp: `MountVolume.NewMounter initialization failed for volume "local-pv" : path "/mnt/disks/ssd1" does not exist`,
		},
		{
			name: "local volume on a file",
			objects: func() (*corev1.PersistentVolumeClaim, *corev1.PersistentVolume) {
				return boundClaim(&corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "local-pv"}, Spec: corev1.PersistentVolumeSpec{
					PersistentVolumeSource: corev1.PersistentVolumeSource{Local: &corev1.LocalVolumeSource{Path: "/mnt/disks/ssd1"}}}})
			},
			plant:     aFile("mnt/disks/ssd1"),
			wantSetUp: `MountVolume.NewMounter initialization failed for volume "local-pv" : only directory and block device are supported`,
		},
		{
			name: "hostPath volume type check",
			objects: func() (*corev1.PersistentVolumeClaim, *corev1.PersistentVolume) {
				return boundClaim(hostPathPV("pv-1", "/srv/data"))
			},
			plant:     aFile("srv/data"),
			wantSetUp: `MountVolume.SetUp failed for volume "pv-1" : hostPath type check failed: /srv/data is not a directory, it's a File`,
		},
		{
			name: "nfs volume",
			objects: func() (*corev1.PersistentVolumeClaim, *corev1.PersistentVolume) {
				return boundClaim(&corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "nfs-pv"}, Spec: corev1.PersistentVolumeSpec{
					PersistentVolumeSource: corev1.PersistentVolumeSource{NFS: &corev1.NFSVolumeSource{Server: "nfs.example.com", Path: "/exports"}}}})
			},
			wantSetUp: `MountVolume.NewMounter initialization failed for volume "nfs-pv" : persistent volume nfs-pv has a nfs source: fakecluster's kubelet mounts only hostPath and local persistent volumes`,
		},
		{
			name:      "claim missing",
			objects:   func() (*corev1.PersistentVolumeClaim, *corev1.PersistentVolume) { return nil, nil },
			wantClaim: `error processing PVC team-a/data: failed to fetch PVC from API server: persistentvolumeclaims "data" not found`,
		},
		{
			name: "claim pending",
			objects: func() (*corev1.PersistentVolumeClaim, *corev1.PersistentVolume) {
				pvc, _ := boundClaim(hostPathPV("pv-1", "/srv/data"))
				pvc.Spec.VolumeName, pvc.Status.Phase = "", corev1.ClaimPending
				return pvc, nil
			},
			wantClaim: `error processing PVC team-a/data: PVC is not bound`,
		},
		{
			name: "claim bound without a volume name",
			objects: func() (*corev1.PersistentVolumeClaim, *corev1.PersistentVolume) {
				pvc, _ := boundClaim(hostPathPV("pv-1", "/srv/data"))
				pvc.Spec.VolumeName = ""
				return pvc, nil
			},
			wantClaim: `error processing PVC team-a/data: PVC has empty pvc.Spec.VolumeName`,
		},
		{
			name: "claim being deleted",
			objects: func() (*corev1.PersistentVolumeClaim, *corev1.PersistentVolume) {
				pvc, pv := boundClaim(hostPathPV("pv-1", "/srv/data"))
				pvc.DeletionTimestamp = &metav1.Time{}
				return pvc, pv
			},
			wantClaim: `error processing PVC team-a/data: PVC is being deleted`,
		},
		{
			name: "volume missing",
			objects: func() (*corev1.PersistentVolumeClaim, *corev1.PersistentVolume) {
				pvc, _ := boundClaim(hostPathPV("pv-1", "/srv/data"))
				return pvc, nil
			},
			wantClaim: `error processing PVC team-a/data: failed to fetch PV pv-1 from API server: persistentvolumes "pv-1" not found`,
		},
		{
			name: "volume without a claimRef",
			objects: func() (*corev1.PersistentVolumeClaim, *corev1.PersistentVolume) {
				pvc, pv := boundClaim(hostPathPV("pv-1", "/srv/data"))
				pv.Spec.ClaimRef = nil
				return pvc, pv
			},
			wantClaim: `error processing PVC team-a/data: found PV object pv-1 but it has a nil pv.Spec.ClaimRef indicating it is not yet bound to the claim`,
		},
		{
			name: "volume bound to another claim",
			objects: func() (*corev1.PersistentVolumeClaim, *corev1.PersistentVolume) {
				pvc, pv := boundClaim(hostPathPV("pv-1", "/srv/data"))
				pv.Spec.ClaimRef.UID = "other"
				return pvc, pv
			},
			wantClaim: `error processing PVC team-a/data: found PV object pv-1 but its pv.Spec.ClaimRef.UID other does not point to claim.UID ` + string(claimUID),
		},
		{
			name: "block volume",
			objects: func() (*corev1.PersistentVolumeClaim, *corev1.PersistentVolume) {
				pvc, pv := boundClaim(hostPathPV("pv-1", "/srv/data"))
				pv.Spec.VolumeMode = ptr.To(corev1.PersistentVolumeBlock)
				return pvc, pv
			},
			wantClaim: `error processing PVC team-a/data: volume store has volumeMode Block, but is specified in volumeMounts`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dirs := Dirs{Pod: filepath.Join(t.TempDir(), "pod"), Host: filepath.Join(t.TempDir(), "host")}
			mkdirAll(t, dirs.Host)
			if tt.plant != nil {
				tt.plant(t, dirs.Host)
			}
			src := testSource()
			src.claims, src.pvs = map[string]*corev1.PersistentVolumeClaim{}, map[string]*corev1.PersistentVolume{}
			pvc, pv := tt.objects()
			if pvc != nil {
				src.claims[testNamespace+"/"+pvc.Name] = pvc
			}
			if pv != nil {
				src.pvs[pv.Name] = pv
			}

			got, err := Setup(context.Background(), dirs, testPod(claimVolume(tt.readOnly), configMapVolume("config", "app", nil)), src)

			if _, ok := got["config"]; !ok {
				t.Errorf("the configMap volume beside the claim was not set up: %v", got)
			}
			var ce *ClaimError
			var se *SetUpError
			switch {
			case tt.wantClaim != "":
				if !errors.As(err, &ce) || ce.Error() != tt.wantClaim || ce.Volume != "store" {
					t.Errorf("Setup error = %v, want a *ClaimError of volume store %q", err, tt.wantClaim)
				}
				if errors.As(err, &se) {
					t.Errorf("Setup error %v is also a *SetUpError", err)
				}
			case tt.wantSetUp != "":
				if !errors.As(err, &se) || se.Error() != tt.wantSetUp || se.PodVolume != "store" {
					t.Errorf("Setup error = %v, want a *SetUpError of volume store %q", err, tt.wantSetUp)
				}
			default:
				if err != nil {
					t.Fatalf("Setup: %v", err)
				}
				want := Mounted{Path: filepath.Join(dirs.Host, filepath.FromSlash(tt.want.Path)), ReadOnly: tt.want.ReadOnly}
				if diff := cmp.Diff(want, got["store"]); diff != "" {
					t.Errorf("volume (-want +got):\n%s", diff)
				}
				if info, err := os.Stat(want.Path); err != nil || !info.IsDir() {
					t.Errorf("volume folder: %v %v", info, err)
				}
				return
			}
			if _, ok := got["store"]; ok {
				t.Errorf("Setup returned %v for a volume it failed", got["store"])
			}
		})
	}
}

// TestClaimNotFoundIsNotFound: the API's NotFound can still be seen
// through a *ClaimError, for callers that want to tell it apart.
func TestClaimNotFoundIsNotFound(t *testing.T) {
	t.Parallel()
	_, err := Setup(context.Background(), Dirs{Pod: t.TempDir(), Host: t.TempDir()}, testPod(claimVolume(false)), testSource())
	if !apierrors.IsNotFound(err) {
		t.Errorf("IsNotFound(%v) = false, want true", err)
	}
}

// TestClaimDataOutlivesPod: a second pod using the claim gets the same
// folder and sees what the first wrote, even once the first pod's folder
// is gone, as the kubelet never removes hostPath data.
func TestClaimDataOutlivesPod(t *testing.T) {
	t.Parallel()
	host := filepath.Join(t.TempDir(), "host")
	src := testSource()
	pvc, pv := boundClaim(hostPathPV("pv-1", "/var/local-path-provisioner/pv-1"))
	src.claims = map[string]*corev1.PersistentVolumeClaim{testNamespace + "/data": pvc}
	src.pvs = map[string]*corev1.PersistentVolume{"pv-1": pv}

	first := testPod(claimVolume(false))
	firstDir := filepath.Join(t.TempDir(), "pods", string(first.UID))
	got, err := Setup(context.Background(), Dirs{Pod: firstDir, Host: host}, first, src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(got["store"].Path, "counter"), []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(firstDir); err != nil { // what the kubelet's cleanup does
		t.Fatal(err)
	}

	second := testPod(claimVolume(false))
	second.UID = "second"
	again, err := Setup(context.Background(), Dirs{Pod: filepath.Join(t.TempDir(), "pods", "second"), Host: host}, second, src)
	if err != nil {
		t.Fatal(err)
	}
	if again["store"] != got["store"] {
		t.Errorf("second pod's volume %v, want the first's %v", again["store"], got["store"])
	}
	data, err := os.ReadFile(filepath.Join(again["store"].Path, "counter"))
	if err != nil || string(data) != "1\n" {
		t.Errorf("second pod reads %q (%v), want what the first wrote", data, err)
	}
}
