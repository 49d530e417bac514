package vfs

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var epoch = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func testTree(t testing.TB) *Tree {
	t.Helper()
	b := NewBuilder(epoch)
	b.File("/etc/os-release", []byte("NAME=test\n"), 0o644)
	b.File("/etc/passwd", []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644)
	b.Dir("/usr/bin", 0o755)
	b.Symlink("/bin", "usr/bin")
	b.File("/usr/bin/ls", []byte("applet"), 0o755)
	b.Dir("/run", 0o755)
	b.Symlink("/var/run", "../run")
	b.Dir("/tmp", 0o1777)
	b.Device("/dev/null", DevNull)
	b.Device("/dev/full", DevFull)
	tree, err := b.Tree()
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// hostLayout makes a host directory with a volume, a mounted file, a read-only volume and a
// sentinel tree beside them that nothing may touch; the cleanup checks the sentinel.
type hostLayout struct {
	vol, ro, file, outside string
}

func newHost(t *testing.T) hostLayout {
	t.Helper()
	dir := t.TempDir()
	h := hostLayout{
		vol:     filepath.Join(dir, "pod", "volumes", "data"),
		ro:      filepath.Join(dir, "pod", "volumes", "config"),
		file:    filepath.Join(dir, "pod", "etc-hosts"),
		outside: filepath.Join(dir, "outside"),
	}
	for _, d := range []string{h.vol, h.ro, h.outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	must(t, os.WriteFile(h.file, []byte("127.0.0.1\tlocalhost\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(h.outside, "secret"), []byte("secret"), 0o644))
	must(t, os.WriteFile(filepath.Join(h.ro, "key"), []byte("value"), 0o644))
	// links planted on the host that point out of the volume
	must(t, os.Symlink(h.outside, filepath.Join(h.vol, "abs-escape")))
	must(t, os.Symlink("../../../outside", filepath.Join(h.vol, "rel-escape")))
	must(t, os.Symlink("../../../outside/secret", filepath.Join(h.vol, "file-escape")))
	before := listTree(t, h.outside)
	t.Cleanup(func() {
		if diff := cmp.Diff(before, listTree(t, h.outside)); diff != "" {
			t.Errorf("host tree outside the mounts changed (-want +got):\n%s", diff)
		}
	})
	return h
}

func listTree(t testing.TB, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		line := p + " " + info.Mode().String()
		if info.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			line += " " + string(b)
		}
		out = append(out, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func newFS(t *testing.T, h hostLayout) *FS {
	t.Helper()
	f, err := New(testTree(t), []Mount{
		{Path: "/data", HostPath: h.vol},
		{Path: "/etc/config", HostPath: h.ro, ReadOnly: true},
		{Path: "/etc/hosts", HostPath: h.file},
		{Path: "/var/run/secrets/token", HostPath: h.ro, ReadOnly: true},
	}, Options{Now: func() time.Time { return epoch }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { must(t, f.Close()) })
	return f
}

func read(t testing.TB, f *FS, name string) (string, error) {
	t.Helper()
	b, err := f.ReadFile(name)
	return string(b), err
}

func TestOperations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// do runs against a fresh FS and returns an error to compare with wantErr
		do      func(t *testing.T, f *FS, h hostLayout) error
		wantErr syscall.Errno
		check   func(t *testing.T, f *FS, h hostLayout)
	}{
		{
			name: "image file readable through a symlinked directory",
			do: func(t *testing.T, f *FS, h hostLayout) error {
				got, err := read(t, f, "/bin/ls")
				if got != "applet" {
					t.Errorf("read /bin/ls = %q", got)
				}
				return err
			},
		},
		{
			name:    "missing file",
			do:      func(t *testing.T, f *FS, h hostLayout) error { _, err := f.Open("/nope"); return err },
			wantErr: syscall.ENOENT,
		},
		{
			name:    "file used as a directory",
			do:      func(t *testing.T, f *FS, h hostLayout) error { _, err := f.Open("/etc/passwd/x"); return err },
			wantErr: syscall.ENOTDIR,
		},
		{
			name: "write to an image file stays in the layer",
			do: func(t *testing.T, f *FS, h hostLayout) error {
				return f.WriteFile("/etc/os-release", []byte("NAME=changed\n"), 0o644)
			},
			check: func(t *testing.T, f *FS, h hostLayout) {
				if got, _ := read(t, f, "/etc/os-release"); got != "NAME=changed\n" {
					t.Errorf("after write: %q", got)
				}
				other := newFS(t, h)
				if got, _ := read(t, other, "/etc/os-release"); got != "NAME=test\n" {
					t.Errorf("another FS of the same image sees %q", got)
				}
			},
		},
		{
			name: "append",
			do: func(t *testing.T, f *FS, h hostLayout) error {
				w, err := f.OpenFile("/etc/passwd", os.O_WRONLY|os.O_APPEND, 0)
				if err != nil {
					return err
				}
				_, err = io.WriteString(w, "x:y\n")
				w.Close()
				return err
			},
			check: func(t *testing.T, f *FS, h hostLayout) {
				if got, _ := read(t, f, "/etc/passwd"); got != "root:x:0:0:root:/root:/bin/sh\nx:y\n" {
					t.Errorf("got %q", got)
				}
			},
		},
		{
			name: "write into a volume reaches the host",
			do: func(t *testing.T, f *FS, h hostLayout) error {
				return f.WriteFile("/data/out.txt", []byte("hi"), 0o644)
			},
			check: func(t *testing.T, f *FS, h hostLayout) {
				b, err := os.ReadFile(filepath.Join(h.vol, "out.txt"))
				if err != nil || string(b) != "hi" {
					t.Errorf("host file: %q, %v", b, err)
				}
			},
		},
		{
			name: "mounted file reads and writes the host file",
			do: func(t *testing.T, f *FS, h hostLayout) error {
				w, err := f.OpenFile("/etc/hosts", os.O_WRONLY|os.O_APPEND, 0)
				if err != nil {
					return err
				}
				_, err = io.WriteString(w, "10.0.0.1\tx\n")
				w.Close()
				return err
			},
			check: func(t *testing.T, f *FS, h hostLayout) {
				b, _ := os.ReadFile(h.file)
				if string(b) != "127.0.0.1\tlocalhost\n10.0.0.1\tx\n" {
					t.Errorf("host file: %q", b)
				}
			},
		},
		{
			name:    "mounted file has no children",
			do:      func(t *testing.T, f *FS, h hostLayout) error { _, err := f.Open("/etc/hosts/x"); return err },
			wantErr: syscall.ENOTDIR,
		},
		{
			name:    "mount point cannot be removed",
			do:      func(t *testing.T, f *FS, h hostLayout) error { return f.Remove("/etc/hosts") },
			wantErr: syscall.EBUSY,
		},
		{
			name:    "read-only mount refuses create",
			do:      func(t *testing.T, f *FS, h hostLayout) error { return f.WriteFile("/etc/config/new", nil, 0o644) },
			wantErr: syscall.EROFS,
		},
		{
			name:    "read-only mount refuses truncate",
			do:      func(t *testing.T, f *FS, h hostLayout) error { return f.WriteFile("/etc/config/key", nil, 0o644) },
			wantErr: syscall.EROFS,
		},
		{
			name:    "read-only mount refuses mkdir",
			do:      func(t *testing.T, f *FS, h hostLayout) error { return f.Mkdir("/etc/config/d", 0o755) },
			wantErr: syscall.EROFS,
		},
		{
			name:    "read-only mount refuses remove",
			do:      func(t *testing.T, f *FS, h hostLayout) error { return f.Remove("/etc/config/key") },
			wantErr: syscall.EROFS,
		},
		{
			name:    "read-only mount refuses chmod",
			do:      func(t *testing.T, f *FS, h hostLayout) error { return f.Chmod("/etc/config/key", 0o600) },
			wantErr: syscall.EROFS,
		},
		{
			name:    "read-only mount refuses symlink",
			do:      func(t *testing.T, f *FS, h hostLayout) error { return f.Symlink("/x", "/etc/config/l") },
			wantErr: syscall.EROFS,
		},
		{
			name: "read-only mount reads",
			do: func(t *testing.T, f *FS, h hostLayout) error {
				got, err := read(t, f, "/etc/config/key")
				if got != "value" {
					t.Errorf("got %q", got)
				}
				return err
			},
		},
		{
			name: "mount through an image symlink lands at the link's target",
			do: func(t *testing.T, f *FS, h hostLayout) error {
				got, err := read(t, f, "/run/secrets/token/key")
				if got != "value" {
					t.Errorf("got %q", got)
				}
				return err
			},
		},
		{
			name: "dot-dot cannot climb out of the container",
			do: func(t *testing.T, f *FS, h hostLayout) error {
				must(t, f.WriteFile("/data/../../../../../../tmp/x", []byte("in"), 0o644))
				got, err := read(t, f, "/tmp/x")
				if got != "in" {
					t.Errorf("got %q", got)
				}
				return err
			},
		},
		{
			name: "dot-dot inside a volume stays in the container namespace",
			do: func(t *testing.T, f *FS, h hostLayout) error {
				got, err := read(t, f, "/data/../etc/os-release")
				if got != "NAME=test\n" {
					t.Errorf("got %q", got)
				}
				return err
			},
		},
		{
			name: "absolute host symlink in a volume resolves inside the container",
			do: func(t *testing.T, f *FS, h hostLayout) error {
				_, err := f.Open("/data/abs-escape/secret")
				return err
			},
			wantErr: syscall.ENOENT,
		},
		{
			name: "relative host symlink climbing out of a volume resolves inside the container",
			do: func(t *testing.T, f *FS, h hostLayout) error {
				return f.WriteFile("/data/rel-escape/secret", []byte("pwned"), 0o644)
			},
			wantErr: syscall.ENOENT,
		},
		{
			name: "write through an escaping file symlink cannot reach the host target",
			do: func(t *testing.T, f *FS, h hostLayout) error {
				return f.WriteFile("/data/file-escape", []byte("pwned"), 0o644)
			},
			wantErr: syscall.ENOENT,
		},
		{
			name: "container symlink in a volume points into the container",
			do: func(t *testing.T, f *FS, h hostLayout) error {
				must(t, f.Symlink("/etc/passwd", "/data/pw"))
				got, err := read(t, f, "/data/pw")
				if !strings.HasPrefix(got, "root:") {
					t.Errorf("got %q", got)
				}
				return err
			},
		},
		{
			name:    "rename across filesystems",
			do:      func(t *testing.T, f *FS, h hostLayout) error { return f.Rename("/etc/passwd", "/data/passwd") },
			wantErr: syscall.EXDEV,
		},
		{
			name: "rename inside the layer",
			do:   func(t *testing.T, f *FS, h hostLayout) error { return f.Rename("/etc/passwd", "/tmp/pw") },
			check: func(t *testing.T, f *FS, h hostLayout) {
				if _, err := f.Stat("/etc/passwd"); !errors.Is(err, syscall.ENOENT) {
					t.Errorf("old name: %v", err)
				}
				if got, _ := read(t, f, "/tmp/pw"); !strings.HasPrefix(got, "root:") {
					t.Errorf("new name: %q", got)
				}
			},
		},
		{
			name:    "rename a directory into itself",
			do:      func(t *testing.T, f *FS, h hostLayout) error { return f.Rename("/etc", "/etc/sub") },
			wantErr: syscall.EINVAL,
		},
		{
			name:    "remove a non-empty directory",
			do:      func(t *testing.T, f *FS, h hostLayout) error { return f.Remove("/usr") },
			wantErr: syscall.ENOTEMPTY,
		},
		{
			name:    "create where the parent is missing",
			do:      func(t *testing.T, f *FS, h hostLayout) error { return f.WriteFile("/no/such/file", nil, 0o644) },
			wantErr: syscall.ENOENT,
		},
		{
			name: "symlink loop",
			do: func(t *testing.T, f *FS, h hostLayout) error {
				must(t, f.Symlink("/tmp/b", "/tmp/a"))
				must(t, f.Symlink("/tmp/a", "/tmp/b"))
				_, err := f.Open("/tmp/a")
				return err
			},
			wantErr: syscall.ELOOP,
		},
		{
			name: "dangling symlink is created through",
			do: func(t *testing.T, f *FS, h hostLayout) error {
				must(t, f.Symlink("target", "/tmp/link"))
				return f.WriteFile("/tmp/link", []byte("x"), 0o644)
			},
			check: func(t *testing.T, f *FS, h hostLayout) {
				if got, _ := read(t, f, "/tmp/target"); got != "x" {
					t.Errorf("got %q", got)
				}
				if l, _ := f.Readlink("/tmp/link"); l != "target" {
					t.Errorf("readlink = %q", l)
				}
			},
		},
		{
			name:    "write to /dev/full",
			do:      func(t *testing.T, f *FS, h hostLayout) error { return f.WriteFile("/dev/full", []byte("x"), 0) },
			wantErr: syscall.ENOSPC,
		},
		{
			name: "read /dev/null",
			do: func(t *testing.T, f *FS, h hostLayout) error {
				got, err := read(t, f, "/dev/null")
				if got != "" {
					t.Errorf("got %q", got)
				}
				return err
			},
		},
		{
			name:    "open a directory for writing",
			do:      func(t *testing.T, f *FS, h hostLayout) error { return f.WriteFile("/etc", nil, 0o644) },
			wantErr: syscall.EISDIR,
		},
		{
			name: "exclusive create of an existing file",
			do: func(t *testing.T, f *FS, h hostLayout) error {
				_, err := f.OpenFile("/etc/passwd", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
				return err
			},
			wantErr: syscall.EEXIST,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHost(t)
			f := newFS(t, h)
			err := tt.do(t, f, h)
			switch {
			case tt.wantErr == 0 && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != 0 && !errors.Is(err, tt.wantErr):
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), h.vol) {
				t.Errorf("error names the host path: %v", err)
			}
			if tt.check != nil {
				tt.check(t, f, h)
			}
		})
	}
}

func TestReadDirShowsMountPoints(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	f := newFS(t, h)
	names := func(dir string) []string {
		ents, err := f.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range ents {
			out = append(out, e.Name())
		}
		return out
	}
	if got := names("/"); !slices.Contains(got, "data") {
		t.Errorf("/ lists %v, want data among them", got)
	}
	if diff := cmp.Diff([]string{"config", "hosts", "os-release", "passwd"}, names("/etc")); diff != "" {
		t.Errorf("/etc (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"abs-escape", "file-escape", "rel-escape"}, names("/data")); diff != "" {
		t.Errorf("/data (-want +got):\n%s", diff)
	}
	st, err := f.Stat("/etc/hosts")
	if err != nil || st.Name() != "hosts" || !st.Mode().IsRegular() {
		t.Errorf("stat /etc/hosts = %v, %v", st, err)
	}
}

func TestLimits(t *testing.T) {
	t.Parallel()
	h := newHost(t)
	f, err := New(testTree(t), []Mount{{Path: "/data", HostPath: h.vol}}, Options{LayerLimit: 100, HostWriteLimit: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	big := make([]byte, 101)
	for _, name := range []string{"/tmp/big", "/data/big"} {
		if err := f.WriteFile(name, big, 0o644); !errors.Is(err, syscall.ENOSPC) {
			t.Errorf("write %s: %v, want ENOSPC", name, err)
		}
	}
	must(t, f.WriteFile("/tmp/small", big[:60], 0o644))
	must(t, f.Remove("/tmp/small"))
	if err := f.WriteFile("/tmp/again", big[:90], 0o644); err != nil {
		t.Errorf("a removed file's bytes were not released: %v", err)
	}
}

func TestNewRejectsBadMounts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name string
		m    Mount
	}{
		{"relative path", Mount{Path: "data", HostPath: dir}},
		{"root", Mount{Path: "/", HostPath: dir}},
		{"missing host path", Mount{Path: "/data", HostPath: filepath.Join(dir, "nope")}},
		{"through a file", Mount{Path: "/etc/passwd/x", HostPath: dir}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := New(testTree(t), []Mount{tt.m}, Options{}); err == nil {
				t.Errorf("New accepted %+v", tt.m)
			}
		})
	}
}

func TestBuilderErrors(t *testing.T) {
	t.Parallel()
	b := NewBuilder(epoch)
	b.File("/etc/x", nil, 0o644)
	b.File("/etc/x/y", nil, 0o644)
	if _, err := b.Tree(); err == nil {
		t.Error("file under a file accepted")
	}
	b = NewBuilder(epoch)
	b.File("relative", nil, 0o644)
	if _, err := b.Tree(); err == nil {
		t.Error("relative path accepted")
	}
}

func TestConcurrentWriters(t *testing.T) {
	t.Parallel()
	f, err := New(testTree(t), nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for i := range 8 {
		go func() {
			name := "/tmp/f" + string(rune('a'+i))
			for range 50 {
				if err := f.WriteFile(name, []byte("data"), 0o644); err != nil {
					done <- err
					return
				}
				if _, err := f.ReadDir("/tmp"); err != nil {
					done <- err
					return
				}
			}
			done <- f.Remove(name)
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	if n := f.LayerBytes(); n != 0 {
		t.Errorf("layer holds %d bytes after every file was removed", n)
	}
}
