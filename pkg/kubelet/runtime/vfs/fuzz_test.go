package vfs

import (
	"os"
	"path"
	"testing"
)

// FuzzOperations applies a random program of filesystem operations (names drawn from a
// small alphabet that includes "..", the mounts and symlink targets) and checks that nothing
// outside the mounts' host paths changed and nothing panicked.
func FuzzOperations(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{7, 3, 3, 3, 1, 2, 9, 9, 9, 0, 4, 4})
	f.Add([]byte("symlinks and dot dots"))
	f.Fuzz(func(t *testing.T, prog []byte) {
		h := newHost(t)
		fs := newFS(t, h)
		parts := []string{"..", ".", "data", "etc", "hosts", "config", "abs-escape", "rel-escape", "file-escape", "x", "/", "tmp", "run", "secrets", "l"}
		name := func(i int) string {
			p := "/"
			for j := 0; j < 3 && i+j < len(prog); j++ {
				p = path.Join(p, parts[int(prog[i+j])%len(parts)])
			}
			if i < len(prog) && prog[i]%5 == 0 {
				p += "/"
			}
			return p
		}
		for i := 0; i+1 < len(prog); i += 4 {
			a, b := name(i+1), name(i+2)
			switch prog[i] % 10 {
			case 0:
				_ = fs.WriteFile(a, []byte("fuzz"), 0o644)
			case 1:
				_, _ = fs.ReadFile(a)
			case 2:
				_ = fs.MkdirAll(a, 0o755)
			case 3:
				_ = fs.Symlink(b, a)
			case 4:
				_ = fs.Rename(a, b)
			case 5:
				_ = fs.RemoveAll(a)
			case 6:
				_, _ = fs.ReadDir(a)
			case 7:
				_ = fs.Symlink("../../../../"+b, a)
			case 8:
				_ = fs.Chmod(a, 0o777)
			case 9:
				_, _ = fs.Lstat(a)
				_, _ = fs.Readlink(a)
			}
		}
		if _, err := os.Stat(h.outside); err != nil {
			t.Fatal(err)
		}
	})
}
