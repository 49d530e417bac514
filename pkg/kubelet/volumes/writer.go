package volumes

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"time"
)

// file is one file of a volume's payload.
type file struct {
	data []byte
	mode fs.FileMode
}

// The atomic writer's reserved names in a volume directory; no payload path
// may start with "..", so they never collide with a user's file.
const (
	dataDirName    = "..data"
	newDataDirName = "..data_tmp"
)

// The kubelet's limits on a payload path (pkg/volume/util/atomic_writer.go).
const (
	maxFileNameLength = 255
	maxPathLength     = 4096
)

// writeAtomic projects payload into the volume directory root as the
// kubelet's AtomicWriter does, so a container never sees half an update:
// the files go into a new timestamped directory, the ..data symlink is
// swapped to it with a rename, each top-level path is a symlink through
// ..data, and the previous directory is removed. A payload whose contents
// are already on disk writes no new directory. Every name goes through root,
// so neither a hostile path nor a symlink left in the directory can reach
// outside it.
func writeAtomic(root *os.Root, payload map[string]file) error {
	clean, err := validatePayload(payload)
	if err != nil {
		return err
	}
	old, err := root.Readlink(dataDirName)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		old = ""
	case err != nil:
		return fmt.Errorf("read data directory link: %w", err)
	case !isDataDirTarget(old):
		return fmt.Errorf("data directory link points at %q, not a payload directory of the volume", old)
	}

	var remove []string
	write := true
	if old != "" {
		if remove, err = pathsToRemove(root, clean, old); err != nil {
			return err
		}
		changed, err := payloadChanged(root, clean, old)
		if err != nil {
			return err
		}
		if !changed && len(remove) == 0 {
			// Up to date; still recreate any missing top-level link below,
			// as the kubelet does, but keep the payload directory.
			write, old = false, ""
		}
	}
	if write {
		if err := swapPayload(root, clean); err != nil {
			return err
		}
	}
	if err := linkTopLevel(root, clean); err != nil {
		return err
	}
	for _, p := range remove {
		if err := root.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove old path %s: %w", p, err)
		}
	}
	if old != "" {
		if err := root.RemoveAll(old); err != nil {
			return fmt.Errorf("remove old data directory %s: %w", old, err)
		}
	}
	return nil
}

// swapPayload writes payload into a new timestamped directory and points
// ..data at it through ..data_tmp and an atomic rename.
func swapPayload(root *os.Root, payload map[string]file) error {
	ts, err := newTimestampDir(root)
	if err != nil {
		return err
	}
	if err := writePayload(root, ts, payload); err != nil {
		_ = root.RemoveAll(ts)
		return err
	}
	// A ..data_tmp left by an interrupted write would make Symlink fail.
	if err := root.Remove(newDataDirName); err != nil && !errors.Is(err, fs.ErrNotExist) {
		_ = root.RemoveAll(ts)
		return fmt.Errorf("remove stale %s: %w", newDataDirName, err)
	}
	if err := root.Symlink(ts, newDataDirName); err != nil {
		_ = root.RemoveAll(ts)
		return fmt.Errorf("link new data directory: %w", err)
	}
	if err := root.Rename(newDataDirName, dataDirName); err != nil {
		_ = root.Remove(newDataDirName)
		_ = root.RemoveAll(ts)
		return fmt.Errorf("swap data directory link: %w", err)
	}
	return nil
}

// isDataDirTarget reports whether target, read from ..data, names a
// timestamped directory directly inside the volume. Anything else was not
// written by this package, and following it could reach outside the volume.
func isDataDirTarget(target string) bool {
	return strings.HasPrefix(target, "..") && len(target) > 2 && !strings.Contains(target, "/") &&
		target != dataDirName && target != newDataDirName
}

// validatePayload checks every path as the kubelet does and returns the
// payload keyed by cleaned paths. Paths are taken in sorted order so that,
// when two spell the same cleaned path, the same one wins every time.
func validatePayload(payload map[string]file) (map[string]file, error) {
	clean := make(map[string]file, len(payload))
	for _, p := range sortedKeys(payload) {
		if err := validatePath(p); err != nil {
			return nil, err
		}
		clean[path.Clean(p)] = payload[p]
	}
	return clean, nil
}

// validatePath applies the kubelet's rules for a payload path: not empty,
// not absolute, at most 4096 characters with names of at most 255, no ".."
// element and no leading "..". The cleaned path is held to the same rules
// (so "./..data" cannot name the data link) and must name something below
// the volume directory.
func validatePath(p string) error {
	if err := checkPath(p); err != nil {
		return err
	}
	c := path.Clean(p)
	if c == "." {
		return fmt.Errorf("invalid path: must name a file below the volume: %q", p)
	}
	return checkPath(c)
}

func checkPath(p string) error {
	if p == "" {
		return fmt.Errorf("invalid path: must not be empty: %q", p)
	}
	if path.IsAbs(p) {
		return fmt.Errorf("invalid path: must be relative path: %s", p)
	}
	if len(p) > maxPathLength {
		return fmt.Errorf("invalid path: must be less than or equal to %d characters", maxPathLength)
	}
	items := strings.Split(p, "/")
	for _, item := range items {
		if item == ".." {
			return fmt.Errorf("invalid path: must not contain '..': %s", p)
		}
		if len(item) > maxFileNameLength {
			return fmt.Errorf("invalid path: filenames must be less than or equal to %d characters", maxFileNameLength)
		}
	}
	if strings.HasPrefix(items[0], "..") {
		return fmt.Errorf("invalid path: must not start with '..': %s", p)
	}
	return nil
}

// pathsToRemove lists the top-level names of the old payload directory
// that the new payload no longer has: their links must go.
func pathsToRemove(root *os.Root, payload map[string]file, old string) ([]string, error) {
	entries, err := fs.ReadDir(root.FS(), old)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read old data directory: %w", err)
	}
	keep := map[string]bool{}
	for p := range payload {
		keep[topLevel(p)] = true
	}
	var remove []string
	for _, e := range entries {
		// A name starting with ".." cannot come from a payload; never let a
		// tampered directory make us remove ..data itself.
		if !keep[e.Name()] && !strings.HasPrefix(e.Name(), "..") {
			remove = append(remove, e.Name())
		}
	}
	return remove, nil
}

// payloadChanged reports whether any file of payload differs from what the
// old payload directory holds. As in the kubelet, only contents count.
func payloadChanged(root *os.Root, payload map[string]file, old string) (bool, error) {
	for _, p := range sortedKeys(payload) {
		name := old + "/" + p
		info, err := root.Lstat(name)
		if errors.Is(err, fs.ErrNotExist) || err == nil && !info.Mode().IsRegular() {
			return true, nil
		}
		if err != nil {
			return false, fmt.Errorf("compare %s: %w", p, err)
		}
		data, err := root.ReadFile(name)
		if err != nil {
			return false, fmt.Errorf("compare %s: %w", p, err)
		}
		if !bytes.Equal(data, payload[p].data) {
			return true, nil
		}
	}
	return false, nil
}

// newTimestampDir creates the directory for a new payload, named as the
// kubelet names it: "..", the UTC time to the second, then a number (the
// nanoseconds here), with mode 0755 whatever the umask.
func newTimestampDir(root *os.Root) (string, error) {
	for range 10 {
		now := time.Now().UTC()
		name := now.Format("..2006_01_02_15_04_05.") + fmt.Sprintf("%09d", now.Nanosecond())
		err := mkdir(root, name, 0o755)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return name, err
	}
	return "", errors.New("create data directory: every name tried exists")
}

// writePayload writes each file of payload below dir with its mode, making
// the directories between with 0755.
func writePayload(root *os.Root, dir string, payload map[string]file) error {
	for _, p := range sortedKeys(payload) {
		f := payload[p]
		parts := strings.Split(p, "/")
		sub := dir
		for _, part := range parts[:len(parts)-1] {
			sub += "/" + part
			if err := mkdir(root, sub, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("write %s: %w", p, err)
			}
		}
		if err := createFile(root, dir+"/"+p, f.data, f.mode); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	return nil
}

// linkTopLevel makes each top-level name of payload a symlink into ..data.
// The kubelet leaves an existing entry of that name alone; here one that is
// not the expected link is replaced, so a stale or planted link cannot
// stand in for the payload.
func linkTopLevel(root *os.Root, payload map[string]file) error {
	var names []string
	for p := range payload {
		names = append(names, topLevel(p))
	}
	slices.Sort(names)
	for _, name := range slices.Compact(names) {
		target := dataDirName + "/" + name
		got, err := root.Readlink(name)
		if err == nil && got == target {
			continue
		}
		if !errors.Is(err, fs.ErrNotExist) {
			if err := root.RemoveAll(name); err != nil {
				return fmt.Errorf("replace %s: %w", name, err)
			}
		}
		if err := root.Symlink(target, name); err != nil {
			return fmt.Errorf("link %s: %w", name, err)
		}
	}
	return nil
}

// mkdir creates name with exactly perm, whatever the umask.
func mkdir(root *os.Root, name string, perm fs.FileMode) error {
	if err := root.Mkdir(name, perm); err != nil {
		return err
	}
	d, err := root.Open(name)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Chmod(perm)
}

// createFile writes a new file with exactly perm, whatever the umask. It
// refuses to open an existing name, so it never writes through a symlink.
func createFile(root *os.Root, name string, data []byte, perm fs.FileMode) error {
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func topLevel(p string) string {
	first, _, _ := strings.Cut(p, "/")
	return first
}

func sortedKeys(m map[string]file) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
