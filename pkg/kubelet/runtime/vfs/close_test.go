package vfs

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// openFDs counts this process' open file descriptors, or skips where /proc cannot tell.
func openFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count open files: %v", err)
	}
	return len(ents)
}

// TestCloseReleasesHost counts file descriptors, so it does not run in parallel: the held
// folders are opened once by New (a file's parent shared by the files in it), nothing more is
// opened per operation, and Close releases them along with files left open below a mount.
func TestCloseReleasesHost(t *testing.T) {
	dir := t.TempDir()
	pod := filepath.Join(dir, "pod")
	vol := filepath.Join(pod, "volumes", "data")
	must(t, os.MkdirAll(filepath.Join(vol, "sub"), 0o755))
	for _, name := range []string{"etc-hosts", "etc-hostname", "resolv.conf"} {
		must(t, os.WriteFile(filepath.Join(pod, name), []byte(name), 0o644))
	}
	mounts := []Mount{
		{Path: "/etc/hosts", HostPath: filepath.Join(pod, "etc-hosts")},
		{Path: "/etc/hostname", HostPath: filepath.Join(pod, "etc-hostname")},
		{Path: "/etc/resolv.conf", HostPath: filepath.Join(pod, "resolv.conf")},
		{Path: "/data", HostPath: vol},
		{Path: "/sub", HostPath: filepath.Join(vol, "sub")},
	}
	tree := testTree(t)
	base := openFDs(t)

	f, err := New(tree, mounts, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// the pod folder (for the three files), the volume and its sub folder
	if got := openFDs(t) - base; got != 3 {
		t.Errorf("New holds %d descriptors, want 3", got)
	}
	for range 10 {
		must(t, f.WriteFile("/data/x", []byte("x"), 0o644))
		if _, err := f.ReadFile("/etc/hosts"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.ReadDir("/sub"); err != nil {
			t.Fatal(err)
		}
	}
	if got := openFDs(t) - base; got != 3 {
		t.Errorf("after operations %d descriptors are held, want 3", got)
	}
	left, err := f.Open("/data/x") // a process killed before closing it
	if err != nil {
		t.Fatal(err)
	}
	written, err := f.OpenFile("/sub/y", os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if got := openFDs(t) - base; got != 5 {
		t.Errorf("with two files open %d descriptors are held, want 5", got)
	}

	must(t, f.Close())
	if got := openFDs(t) - base; got != 0 {
		t.Errorf("after Close %d descriptors are still open", got)
	}
	must(t, f.Close()) // twice is harmless

	if _, err := left.Read(make([]byte, 1)); !errors.Is(err, syscall.EBADF) {
		t.Errorf("read of a file left open = %v, want EBADF", err)
	}
	if _, err := written.Write([]byte("late")); !errors.Is(err, syscall.EBADF) {
		t.Errorf("write of a file left open = %v, want EBADF", err)
	}
	if err := left.Close(); !errors.Is(err, syscall.EBADF) {
		t.Errorf("close of a file closed with the FS = %v, want EBADF", err)
	}
	for _, name := range []string{"/etc/hosts", "/data/x", "/sub/y"} {
		if _, err := f.ReadFile(name); !errors.Is(err, syscall.EBADF) {
			t.Errorf("read %s after Close = %v, want EBADF", name, err)
		}
	}
	if err := f.WriteFile("/data/new", nil, 0o644); !errors.Is(err, syscall.EBADF) {
		t.Errorf("create below a mount after Close = %v, want EBADF", err)
	}
	if _, err := os.Stat(filepath.Join(vol, "new")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file was created on the host after Close: %v", err)
	}
	if got, err := read(t, f, "/etc/passwd"); err != nil || got == "" {
		t.Errorf("the memory layer after Close: %q, %v", got, err)
	}
	if got := openFDs(t) - base; got != 0 {
		t.Errorf("operations after Close left %d descriptors open", got)
	}
}

// TestNewFailureReleasesHost checks that a mount that cannot be made closes the folders the
// mounts before it opened.
func TestNewFailureReleasesHost(t *testing.T) {
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "a"), 0o755))
	must(t, os.MkdirAll(filepath.Join(dir, "b"), 0o755))
	tree := testTree(t)
	base := openFDs(t)
	_, err := New(tree, []Mount{
		{Path: "/a", HostPath: filepath.Join(dir, "a")},
		{Path: "/etc/passwd/x", HostPath: filepath.Join(dir, "b")},
	}, Options{})
	if err == nil {
		t.Fatal("New accepted a mount below a file")
	}
	if got := openFDs(t) - base; got != 0 {
		t.Errorf("a failed New left %d descriptors open", got)
	}
}
