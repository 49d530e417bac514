package vfs

import (
	"os"
	"path/filepath"
	"testing"
)

// benchFS is an FS over a pod-like host layout: a volume with a nested folder, a volume
// mounted inside it and a mounted file, as the kubelet gives a container.
func benchFS(b *testing.B) *FS {
	b.Helper()
	dir := b.TempDir()
	vol := filepath.Join(dir, "volumes", "data")
	must(b, os.MkdirAll(filepath.Join(vol, "a", "b"), 0o755))
	must(b, os.WriteFile(filepath.Join(vol, "a", "b", "f"), []byte("hello world\n"), 0o644))
	must(b, os.WriteFile(filepath.Join(dir, "etc-hosts"), []byte("127.0.0.1\tlocalhost\n"), 0o644))
	f, err := New(testTree(b), benchMounts(dir), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { must(b, f.Close()) })
	return f
}

func benchMounts(dir string) []Mount {
	vol := filepath.Join(dir, "volumes", "data")
	return []Mount{
		{Path: "/etc/hosts", HostPath: filepath.Join(dir, "etc-hosts")},
		{Path: "/data", HostPath: vol},
		{Path: "/data/a/inner", HostPath: filepath.Join(vol, "a", "b"), ReadOnly: true},
		{Path: "/etc/config", HostPath: filepath.Join(vol, "a"), ReadOnly: true},
	}
}

func BenchmarkNew(b *testing.B) {
	dir := b.TempDir()
	vol := filepath.Join(dir, "volumes", "data")
	must(b, os.MkdirAll(filepath.Join(vol, "a", "b"), 0o755))
	must(b, os.WriteFile(filepath.Join(dir, "etc-hosts"), nil, 0o644))
	tree, mounts := testTree(b), benchMounts(dir)
	for b.Loop() {
		f, err := New(tree, mounts, Options{})
		if err != nil {
			b.Fatal(err)
		}
		must(b, f.Close())
	}
}

func BenchmarkReadFile(b *testing.B) {
	f := benchFS(b)
	for _, name := range []string{"/etc/passwd", "/etc/hosts", "/data/a/b/f", "/data/a/inner/f"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := f.ReadFile(name); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkStat(b *testing.B) {
	f := benchFS(b)
	for _, name := range []string{"/usr/bin/ls", "/etc/hosts", "/data/a/b/f", "/data/a/inner/f"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := f.Stat(name); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkWriteFile(b *testing.B) {
	f := benchFS(b)
	data := []byte("some bytes\n")
	for _, name := range []string{"/tmp/x", "/data/x", "/data/a/b/x"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if err := f.WriteFile(name, data, 0o644); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkReadDir(b *testing.B) {
	f := benchFS(b)
	for _, name := range []string{"/etc", "/data/a"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := f.ReadDir(name); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
