package vfs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// nestedHost is a host folder as the kubelet lays one out for nested mounts: a volume "a"
// with a folder "sub" (mounted on its own too) holding a file, and a sibling "outside"
// holding files of the same names that no operation may read or change.
type nestedHost struct {
	a, sub, outside string
}

func newNestedHost(t *testing.T) nestedHost {
	t.Helper()
	dir := t.TempDir()
	h := nestedHost{
		a:       filepath.Join(dir, "host", "a"),
		sub:     filepath.Join(dir, "host", "a", "sub"),
		outside: filepath.Join(dir, "outside"),
	}
	must(t, os.MkdirAll(h.sub, 0o755))
	must(t, os.MkdirAll(h.outside, 0o755))
	must(t, os.WriteFile(filepath.Join(h.sub, "f"), []byte("inside"), 0o644))
	must(t, os.WriteFile(filepath.Join(h.outside, "f"), []byte("outside"), 0o644))
	must(t, os.WriteFile(filepath.Join(h.outside, "secret"), []byte("secret"), 0o644))
	before := listTree(t, h.outside)
	t.Cleanup(func() {
		if diff := cmp.Diff(before, listTree(t, h.outside)); diff != "" {
			t.Errorf("host tree outside the mounts changed (-want +got):\n%s", diff)
		}
	})
	return h
}

// newFSCleanup is New with the FS closed (where it can be) at cleanup.
func newFSCleanup(t *testing.T, mounts []Mount) *FS {
	t.Helper()
	f, err := New(testTree(t), mounts, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { must(t, f.Close()) })
	return f
}

// TestSwapToSymlink is the attack on nested mounts: once the container runs, it replaces the
// folder of an inner mount, through the outer mount, with a symbolic link to a host folder
// outside the sandbox. A bind mount pins the folder it was made of, so the inner mount must
// keep showing that folder (or nothing, once it is deleted) and never the link's target.
func TestSwapToSymlink(t *testing.T) {
	t.Parallel()
	// each swap leaves host/a/sub a link to outside; the old folder is moved or deleted
	swaps := []struct {
		name string
		// swap runs in the container; target is what the link at /mnt/a/sub points at
		swap    func(t *testing.T, f *FS, target string)
		target  func(h nestedHost) string
		keptOld bool // the old folder was moved, not deleted: the inner mount still shows it
		viaHost bool // the swap is done on the host, not by this container (swap is unused)
	}{
		{
			name: "rename away, absolute link",
			swap: func(t *testing.T, f *FS, target string) {
				must(t, f.Rename("/mnt/a/sub", "/mnt/a/old"))
				must(t, f.Symlink(target, "/mnt/a/sub"))
			},
			target:  func(h nestedHost) string { return h.outside },
			keptOld: true,
		},
		{
			name: "remove, absolute link",
			swap: func(t *testing.T, f *FS, target string) {
				must(t, f.RemoveAll("/mnt/a/sub"))
				must(t, f.Symlink(target, "/mnt/a/sub"))
			},
			target: func(h nestedHost) string { return h.outside },
		},
		{
			name: "remove, relative link",
			swap: func(t *testing.T, f *FS, target string) {
				must(t, f.RemoveAll("/mnt/a/sub"))
				must(t, f.Symlink(target, "/mnt/a/sub"))
			},
			target: func(h nestedHost) string { return "../../outside" },
		},
		{
			// another pod with the outer folder mounted does it: same result
			name:    "swapped on the host",
			target:  func(h nestedHost) string { return h.outside },
			keptOld: true,
			viaHost: true,
		},
	}
	mountSets := []struct {
		name   string
		mounts func(h nestedHost) []Mount
		// inner is the container path of what the inner mount shows as sub's "f"
		inner string
		file  bool
	}{
		{
			name: "folder inside a folder",
			mounts: func(h nestedHost) []Mount {
				return []Mount{{Path: "/mnt/a", HostPath: h.a}, {Path: "/mnt/sub", HostPath: h.sub}}
			},
			inner: "/mnt/sub/f",
		},
		{
			name: "subPath below the volume's mount",
			mounts: func(h nestedHost) []Mount {
				return []Mount{{Path: "/mnt/a", HostPath: h.a}, {Path: "/mnt/a/data", HostPath: h.sub}}
			},
			inner: "/mnt/a/data/f",
		},
		{
			name: "file of the folder",
			mounts: func(h nestedHost) []Mount {
				return []Mount{{Path: "/mnt/a", HostPath: h.a}, {Path: "/etc/f", HostPath: filepath.Join(h.sub, "f")}}
			},
			inner: "/etc/f",
			file:  true,
		},
	}
	for _, ms := range mountSets {
		for _, sw := range swaps {
			t.Run(ms.name+"/"+sw.name, func(t *testing.T) {
				t.Parallel()
				h := newNestedHost(t)
				f := newFSCleanup(t, ms.mounts(h))
				if got, err := read(t, f, ms.inner); err != nil || got != "inside" {
					t.Fatalf("before the swap %s = %q, %v", ms.inner, got, err)
				}
				target := sw.target(h)
				if sw.viaHost {
					must(t, os.Rename(h.sub, filepath.Join(h.a, "old")))
					must(t, os.Symlink(target, h.sub))
				} else {
					sw.swap(t, f, target)
				}
				if l, err := os.Readlink(h.sub); err != nil || l != target {
					t.Fatalf("the swap did not plant the link on the host: %q, %v", l, err)
				}

				got, err := read(t, f, ms.inner)
				switch {
				case got == "outside" || strings.Contains(got, "secret"):
					t.Errorf("after the swap %s reads the host file outside the mounts: %q", ms.inner, got)
				case sw.keptOld && (err != nil || got != "inside"):
					t.Errorf("after the swap %s = %q, %v; want the pinned folder's %q", ms.inner, got, err, "inside")
				case !sw.keptOld && !errors.Is(err, syscall.ENOENT):
					t.Errorf("after the swap %s = %q, %v; want ENOENT from the deleted folder", ms.inner, got, err)
				}
				inner := filepathDir(ms.inner)
				if !ms.file {
					if _, err := read(t, f, inner+"/secret"); err == nil {
						t.Errorf("%s/secret is readable after the swap", inner)
					}
					ents, _ := f.ReadDir(inner) // an error is fine: the folder may be gone
					for _, e := range ents {
						if e.Name() == "secret" {
							t.Errorf("ReadDir %s lists the outside folder", inner)
						}
					}
					// writes land in the pinned folder, or fail in a deleted one
					werr := f.WriteFile(inner+"/pwned", []byte("pwned"), 0o644)
					if sw.keptOld {
						must(t, werr)
						if b, err := os.ReadFile(filepath.Join(h.a, "old", "pwned")); err != nil || string(b) != "pwned" {
							t.Errorf("write after the swap did not land in the pinned folder: %q, %v", b, err)
						}
					} else if werr == nil {
						t.Errorf("write into the deleted folder succeeded")
					}
					_ = f.Mkdir(inner+"/d", 0o755)
					_ = f.Symlink("/", inner+"/l")
					_ = f.Chmod(inner+"/secret", 0o777)
					_ = f.Remove(inner + "/secret")
					_ = f.Rename(inner+"/secret", inner+"/moved")
				}
				// a write to the inner path, whatever it is now, must not reach outside
				_ = f.WriteFile(ms.inner, []byte("pwned"), 0o644)
				_ = f.Chmod(ms.inner, 0o777)
				_ = f.Chtimes(ms.inner, epoch, epoch)
				// the outer mount sees the link as a link resolved in the container: /outside
				// does not exist there, and the relative link climbs only to /
				if got, err := read(t, f, "/mnt/a/sub/secret"); err == nil {
					t.Errorf("/mnt/a/sub/secret through the outer mount = %q", got)
				}
			})
		}
	}
}

func filepathDir(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// TestFileMountStaysAFile replaces a mounted file's name, in a folder the container can
// write, with links and a folder: the mount shows only a regular file inside the parent.
func TestFileMountStaysAFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		replace func(t *testing.T, f *FS, h nestedHost)
		want    string // "" for ENOENT (or any error) at the mount
	}{
		{
			name: "absolute link out",
			replace: func(t *testing.T, f *FS, h nestedHost) {
				must(t, f.Remove("/mnt/a/sub/f"))
				must(t, f.Symlink(filepath.Join(h.outside, "f"), "/mnt/a/sub/f"))
			},
		},
		{
			name: "relative link out",
			replace: func(t *testing.T, f *FS, h nestedHost) {
				must(t, f.Remove("/mnt/a/sub/f"))
				must(t, f.Symlink("../../../outside/f", "/mnt/a/sub/f"))
			},
		},
		{
			name: "link to the parent",
			replace: func(t *testing.T, f *FS, h nestedHost) {
				must(t, f.Remove("/mnt/a/sub/f"))
				must(t, f.Symlink(".", "/mnt/a/sub/f"))
			},
		},
		{
			name: "folder",
			replace: func(t *testing.T, f *FS, h nestedHost) {
				must(t, f.Remove("/mnt/a/sub/f"))
				must(t, f.Mkdir("/mnt/a/sub/f", 0o755))
				must(t, f.WriteFile("/mnt/a/sub/f/x", []byte("x"), 0o644))
			},
		},
		{
			name: "link to a sibling file stays inside the parent",
			replace: func(t *testing.T, f *FS, h nestedHost) {
				must(t, f.WriteFile("/mnt/a/sub/g", []byte("sibling"), 0o644))
				must(t, f.Remove("/mnt/a/sub/f"))
				must(t, f.Symlink("g", "/mnt/a/sub/f"))
			},
			want: "sibling",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newNestedHost(t)
			f := newFSCleanup(t, []Mount{{Path: "/mnt/a", HostPath: h.a}, {Path: "/etc/f", HostPath: filepath.Join(h.sub, "f")}})
			tt.replace(t, f, h)
			got, err := read(t, f, "/etc/f")
			if tt.want != "" {
				if err != nil || got != tt.want {
					t.Errorf("/etc/f = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Errorf("/etc/f = %q, want an error", got)
			}
			if _, err := f.ReadDir("/etc/f"); err == nil {
				t.Errorf("ReadDir /etc/f succeeded: a file mount became a folder")
			}
			_ = f.WriteFile("/etc/f", []byte("pwned"), 0o644)
			_ = f.WriteFile("/etc/f/x", []byte("pwned"), 0o644)
		})
	}
}

// TestHostUpdatesAreSeen checks that pinning the mounts' folders keeps what the kubelet relies
// on: files it replaces by rename (etc-hosts) and the atomic writer's ..data link swap (a
// configMap volume, mounted whole or a key of it by subPath) show their new content.
func TestHostUpdatesAreSeen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	hosts := filepath.Join(dir, "pod", "etc-hosts")
	vol := filepath.Join(dir, "pod", "volumes", "kubernetes.io~configmap", "config")
	must(t, os.MkdirAll(vol, 0o755))
	must(t, os.WriteFile(hosts, []byte("v1\n"), 0o644))
	project := func(ts, content string) {
		t.Helper()
		must(t, os.Mkdir(filepath.Join(vol, ts), 0o755))
		must(t, os.WriteFile(filepath.Join(vol, ts, "key"), []byte(content), 0o644))
		must(t, os.Symlink(ts, filepath.Join(vol, "..data_tmp")))
		must(t, os.Rename(filepath.Join(vol, "..data_tmp"), filepath.Join(vol, "..data")))
	}
	project("..2025_01_01_00_00_00.1", "v1\n")
	must(t, os.Symlink("..data/key", filepath.Join(vol, "key")))

	f := newFSCleanup(t, []Mount{
		{Path: "/etc/hosts", HostPath: hosts},
		{Path: "/etc/config", HostPath: vol, ReadOnly: true},
		{Path: "/etc/key", HostPath: filepath.Join(vol, "key"), ReadOnly: true},
	})
	check := func(want string) {
		t.Helper()
		for _, name := range []string{"/etc/hosts", "/etc/config/key", "/etc/key"} {
			if got, err := read(t, f, name); err != nil || got != want {
				t.Errorf("%s = %q, %v; want %q", name, got, err, want)
			}
		}
	}
	check("v1\n")

	// the kubelet's writeAtomic: a temporary file renamed over the old one
	must(t, os.WriteFile(filepath.Join(dir, "pod", ".etc-hosts.tmp"), []byte("v2\n"), 0o644))
	must(t, os.Rename(filepath.Join(dir, "pod", ".etc-hosts.tmp"), hosts))
	// the atomic writer: a new payload folder, ..data swapped to it, the old one removed
	project("..2025_01_01_00_00_01.2", "v2\n")
	must(t, os.RemoveAll(filepath.Join(vol, "..2025_01_01_00_00_00.1")))
	check("v2\n")
}
