package volumes

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	corev1 "k8s.io/api/core/v1"
)

// maxSymlinks is how many symbolic links resolving one node path may pass
// through before it fails with ELOOP, as on Linux.
const maxSymlinks = 40

// hostFS is the node's host folder, the folder standing for the node's
// root filesystem: a hostPath "/x/y" is <host folder>/x/y. Every name goes
// through an os.Root on it, and symbolic links found in it are followed as
// the node would follow them, with "/" meaning the host folder and ".."
// stopping there, so no path and no link reaches outside it.
type hostFS struct {
	dir  string // the host folder on disk
	root *os.Root
	// within makes a link that leads above the folder, or names an
	// absolute path, an error instead of a path from the folder: for a
	// volume's subPath, which must stay in the volume.
	within bool
}

// errOutsideVolume is a subPath whose links lead outside its volume.
var errOutsideVolume = errors.New("subpath is not within the volume")

func openHostFS(dir string) (*hostFS, error) {
	if dir == "" {
		return nil, errors.New("the kubelet has no host folder for this node")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create host folder: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open host folder: %w", err)
	}
	return &hostFS{dir: dir, root: root}, nil
}

func (h *hostFS) Close() error { return h.root.Close() }

// onDisk is where rel, a path resolve returned, is on disk.
func (h *hostFS) onDisk(rel string) string {
	return filepath.Join(h.dir, filepath.FromSlash(rel))
}

// resolve follows the node path p inside the host folder and returns what
// it names: a slash-separated path relative to the host folder ("." for
// the folder itself) with no symbolic link and no ".." in it, and what is
// there (nil when nothing is). When a component is missing, the rest of p
// is appended as it is, naming what creating p would create; a ".." after a
// missing component fails with ENOENT, as the kernel's lookup would.
func (h *hostFS) resolve(p string) (string, fs.FileInfo, error) {
	var cur []string
	rem := strings.Split(p, "/")
	links := 0
	for len(rem) > 0 {
		c := rem[0]
		rem = rem[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(cur) > 0 {
				cur = cur[:len(cur)-1]
			} else if h.within {
				return "", nil, errOutsideVolume
			}
			continue
		}
		next := relPath(append(cur[:len(cur):len(cur)], c))
		info, err := h.root.Lstat(next)
		switch {
		case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
			missing := []string{c}
			for _, r := range rem {
				switch r {
				case "", ".":
				case "..":
					return "", nil, &fs.PathError{Op: "lstat", Path: p, Err: syscall.ENOENT}
				default:
					missing = append(missing, r)
				}
			}
			return relPath(append(cur, missing...)), nil, nil
		case err != nil:
			return "", nil, nodeError("lstat", next, err)
		case info.Mode()&fs.ModeSymlink != 0:
			if links++; links > maxSymlinks {
				return "", nil, &fs.PathError{Op: "lstat", Path: p, Err: syscall.ELOOP}
			}
			target, err := h.root.Readlink(next)
			if err != nil {
				return "", nil, nodeError("readlink", next, err)
			}
			if path.IsAbs(target) {
				if h.within {
					return "", nil, errOutsideVolume
				}
				cur = nil
			}
			rem = append(strings.Split(target, "/"), rem...)
		default:
			cur = append(cur, c)
		}
	}
	rel := relPath(cur)
	info, err := h.root.Lstat(rel)
	if errors.Is(err, fs.ErrNotExist) {
		return rel, nil, nil
	}
	if err != nil {
		return "", nil, nodeError("lstat", rel, err)
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		// Replaced by a link since it was looked at: a pod races us.
		return "", nil, &fs.PathError{Op: "lstat", Path: p, Err: syscall.ELOOP}
	}
	return rel, info, nil
}

// create makes the missing components of rel, a path resolve returned
// for a missing p: folders (mode 0755, as the kubelet's MkdirAll) and, when
// file is set, an empty file (0644) as the last one, whose folder must
// exist, as the kubelet's FileOrCreate does not make it. It resolves p again
// afterwards, so what it returns is what is there now.
func (h *hostFS) create(p, rel string, file bool) (string, fs.FileInfo, error) {
	parts := strings.Split(rel, "/")
	first := 0 // the first missing component
	for first < len(parts) {
		if _, err := h.root.Lstat(relPath(parts[:first+1])); err != nil {
			break
		}
		first++
	}
	for i := first; i < len(parts); i++ {
		name := relPath(parts[:i+1])
		var err error
		if file && i == len(parts)-1 {
			var f *os.File
			if f, err = h.root.OpenFile(name, os.O_RDONLY|os.O_CREATE, 0o644); err == nil {
				err = f.Close()
			}
			if err != nil {
				err = &fs.PathError{Op: "open", Path: p, Err: unwrapPathError(err)}
			}
		} else if file {
			err = &fs.PathError{Op: "open", Path: p, Err: syscall.ENOENT}
		} else {
			err = nodeError("mkdir", name, h.root.Mkdir(name, 0o755))
		}
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return "", nil, err
		}
	}
	return h.resolve(p)
}

func relPath(parts []string) string {
	if len(parts) == 0 {
		return "."
	}
	return strings.Join(parts, "/")
}

// nodeError rewords an error of the host folder's root about rel as the
// node would give it: about /rel, never naming the sandbox on disk.
func nodeError(op, rel string, err error) error {
	if err == nil {
		return nil
	}
	return &fs.PathError{Op: op, Path: path.Join("/", rel), Err: unwrapPathError(err)}
}

// unwrapPathError is the errno (or other cause) inside a *fs.PathError.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// fileType is the kubelet's name of what info describes (its host utils'
// FileType), or "" for a kind it does not recognise, such as a FIFO.
func fileType(info fs.FileInfo) corev1.HostPathType {
	m := info.Mode()
	switch {
	case m.IsDir():
		return corev1.HostPathDirectory
	case m.IsRegular():
		return corev1.HostPathFile
	case m&fs.ModeSocket != 0:
		return corev1.HostPathSocket
	case m&fs.ModeCharDevice != 0:
		return corev1.HostPathCharDev
	case m&fs.ModeDevice != 0:
		return corev1.HostPathBlockDev
	}
	return ""
}

// setUpHostPath does what the kubelet's hostPath plugin does before the
// runtime bind-mounts p: refuse "..", check p against typ (creating it for
// DirectoryOrCreate and FileOrCreate) with the plugin's texts, and return
// where p is on disk. With no type nothing is checked, and a missing p is
// made a folder, as containerd makes a missing bind-mount source.
func (h *hostFS) setUpHostPath(p string, typ *corev1.HostPathType) (string, error) {
	if err := noBacksteps(p); err != nil {
		return "", fmt.Errorf("invalid HostPath `%s`: %w", p, err)
	}
	t := corev1.HostPathUnset
	if typ != nil {
		t = *typ
	}
	rel, info, err := h.resolve(p)
	if err != nil {
		return "", err
	}
	want, what := t, ""
	switch t {
	case corev1.HostPathUnset:
		if info == nil {
			if rel, info, err = h.create(p, rel, false); err != nil {
				return "", err
			}
		}
	case corev1.HostPathDirectoryOrCreate:
		if info == nil {
			if rel, info, err = h.create(p, rel, false); err != nil {
				return "", err
			}
			if info != nil {
				break // created: the kubelet checks no further
			}
		}
		want, what = corev1.HostPathDirectory, "directory"
	case corev1.HostPathDirectory:
		what = "directory"
	case corev1.HostPathFileOrCreate:
		if info == nil {
			if rel, info, err = h.create(p, rel, true); err != nil {
				return "", err
			}
			if info != nil {
				break
			}
		}
		want, what = corev1.HostPathFile, "file"
	case corev1.HostPathFile:
		what = "file"
	case corev1.HostPathSocket:
		what = "socket file"
	case corev1.HostPathCharDev:
		what = "character device"
	case corev1.HostPathBlockDev:
		what = "block device"
	default:
		return "", fmt.Errorf("%s is an invalid volume type", t)
	}
	if what != "" {
		if err := checkType(p, info, want, what); err != nil {
			return "", err
		}
	}
	if info == nil {
		// Nothing to mount: gone again since it was made.
		return "", &fs.PathError{Op: "stat", Path: p, Err: syscall.ENOENT}
	}
	return h.onDisk(rel), nil
}

// checkType is the hostPath plugin's check that what is at p (info, nil
// when nothing is) is a want, described as what in its texts.
func checkType(p string, info fs.FileInfo, want corev1.HostPathType, what string) error {
	if info == nil {
		return fmt.Errorf("hostPath %s doesn't exist", p)
	}
	got := fileType(info)
	if got == "" {
		return fmt.Errorf("hostPath type check failed, %s is not a %s, unable to determine its type: %w", p, what, errUnknownFileType)
	}
	if got != want {
		return fmt.Errorf("hostPath type check failed: %s is not a %s, it's a %s", p, what, got)
	}
	return nil
}

// errUnknownFileType is the kubelet's host utils' error for a file that is
// none of the kinds it knows.
var errUnknownFileType = errors.New("only recognise file, directory, socket, block device and character device")

// noBacksteps refuses a path with a ".." component, as the kubelet's
// volume validation does.
func noBacksteps(p string) error {
	for _, c := range strings.Split(filepath.ToSlash(p), "/") {
		if c == ".." {
			return errors.New("must not contain '..'")
		}
	}
	return nil
}

// setUpLocal is the local volume plugin's preparation of a local
// PersistentVolume's path: it must exist and be a folder (a block device
// would be formatted and mounted; the fake node has none).
func (h *hostFS) setUpLocal(p string) (string, error) {
	if p == "" {
		return "", errors.New("local volume source is nil or local path is not set")
	}
	rel, info, err := h.resolve(p)
	if err != nil {
		return "", err
	}
	if info == nil {
		return "", fmt.Errorf("path %q does not exist", p)
	}
	switch fileType(info) {
	case corev1.HostPathDirectory:
	case corev1.HostPathBlockDev:
		return "", fmt.Errorf("local volume path %s is a block device, which fakecluster's kubelet does not format or mount", p)
	default:
		return "", errors.New("only directory and block device are supported")
	}
	if err := noBacksteps(p); err != nil {
		return "", fmt.Errorf("invalid path: %s %w", p, err)
	}
	return h.onDisk(rel), nil
}

// CheckSubPath reports whether sub, a volumeMount's subPath, stays inside
// the volume at dir once the symbolic links in it are followed: a link to
// an absolute path or up out of the volume, as a container may plant in a
// volume it writes, is an error, so a later mount of the subPath cannot
// reach outside. sub must be local (filepath.IsLocal).
func CheckSubPath(dir, sub string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	h := &hostFS{dir: dir, root: root, within: true}
	_, _, err = h.resolve(filepath.ToSlash(sub))
	return err
}
