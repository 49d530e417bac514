package volumes

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Source gives what volumes are made of; the kubelet implements it with
// client-go, so this package reaches nothing over the network itself.
type Source interface {
	// ConfigMap returns the named ConfigMap, or an error for which
	// apierrors.IsNotFound holds when there is none.
	ConfigMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error)
	// Secret returns the named Secret, or an error for which
	// apierrors.IsNotFound holds when there is none.
	Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error)
	// ServiceAccountToken returns a token for pod's service account, as a
	// TokenRequest bound to pod with that audience ("" means the API
	// server's) and expirationSeconds would.
	ServiceAccountToken(ctx context.Context, pod *corev1.Pod, audience string, expirationSeconds int64) (string, error)
	// DownwardAPI returns the text of one downwardAPI item of pod: its
	// fieldRef or resourceFieldRef, formatted as the kubelet formats it.
	DownwardAPI(pod *corev1.Pod, item corev1.DownwardAPIVolumeFile) (string, error)
	// PersistentVolumeClaim returns the named claim, or an error for which
	// apierrors.IsNotFound holds when there is none.
	PersistentVolumeClaim(ctx context.Context, namespace, name string) (*corev1.PersistentVolumeClaim, error)
	// PersistentVolume returns the named PersistentVolume, or an error for
	// which apierrors.IsNotFound holds when there is none.
	PersistentVolume(ctx context.Context, name string) (*corev1.PersistentVolume, error)
}

// Dirs are where a pod's volumes live on the node.
type Dirs struct {
	// Pod is the pod's folder (<node>/pods/<uid>): configMap, secret,
	// downwardAPI, projected and emptyDir volumes are written below it.
	Pod string
	// Host is the node's host folder, which stands for the node's root
	// filesystem: hostPath volumes, and the hostPath and local
	// PersistentVolumes of claims, name paths in it ("/x" is Host/x).
	// Nothing in it is ever removed.
	Host string
}

// Mounted is a volume Setup set up.
type Mounted struct {
	// Path is the volume's folder (or, for a hostPath of a file, the file)
	// on disk, which the runtime mounts.
	Path string
	// ReadOnly says that containers see the volume read-only whatever their
	// volumeMounts say: a persistentVolumeClaim volume with readOnly set.
	ReadOnly bool
}

// The kubelet's folder of each volume plugin under a pod's volumes folder:
// the plugin's name with "/" escaped as "~".
const (
	configMapPluginDir   = "kubernetes.io~configmap"
	secretPluginDir      = "kubernetes.io~secret"
	downwardAPIPluginDir = "kubernetes.io~downward-api"
	projectedPluginDir   = "kubernetes.io~projected"
	emptyDirPluginDir    = "kubernetes.io~empty-dir"
)

// SetUpError is a volume that could not be set up. Its text is the message
// of the kubelet's FailedMount event for it, so the caller can emit that
// event as it is.
type SetUpError struct {
	// Volume is the volume's name in the pod spec, or for a
	// persistentVolumeClaim volume the PersistentVolume's name, as the
	// kubelet names it in the event.
	Volume string
	// PodVolume is the volume's name in the pod spec.
	PodVolume string
	// Op is the kubelet's word for what failed; "" means
	// "MountVolume.SetUp failed".
	Op string
	// Err says why, in the kubelet's words where it has some, such as
	// `configmap "y" not found`.
	Err error
}

func (e *SetUpError) Error() string {
	op := e.Op
	if op == "" {
		op = "MountVolume.SetUp failed"
	}
	return fmt.Sprintf("%s for volume %q : %v", op, e.Volume, e.Err)
}

func (e *SetUpError) Unwrap() error { return e.Err }

// Setup sets up every volume of pod it knows: it writes the configMap,
// secret, downwardAPI, projected and emptyDir volumes under
// dirs.Pod/volumes/<plugin dir>/<volume name>, checks (and for the
// ...OrCreate types creates) hostPath volumes in dirs.Host, and mounts each
// persistentVolumeClaim's bound PersistentVolume when it is a hostPath or
// local one. It returns each volume it set up, by name; other kinds of
// volume are left out. dirs.Pod is made (0750) and dirs.Host (0755) if
// missing. Calling Setup again updates the volumes in place, as the
// kubelet's resync does, and leaves an emptyDir's and the host folder's
// contents alone; like the kubelet's writer, it must not run twice at once
// for one pod.
//
// Each volume is set up on its own, as the kubelet does: when some fail,
// the others are still set up, and the error joins one error per failed
// volume, in spec order: a *ClaimError for a claim that is not usable
// yet, else a *SetUpError (errors.As finds the first; a single
// *SetUpError's text is exactly its event message).
func Setup(ctx context.Context, dirs Dirs, pod *corev1.Pod, src Source) (map[string]Mounted, error) {
	if err := os.MkdirAll(dirs.Pod, 0o750); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dirs.Pod)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	var host *hostFS
	var hostErr error
	if slices.ContainsFunc(pod.Spec.Volumes, usesHost) {
		if host, hostErr = openHostFS(dirs.Host); host != nil {
			defer host.Close()
		}
	}

	mounted := map[string]Mounted{}
	seen := map[string]bool{}
	var errs []error
	for i := range pod.Spec.Volumes {
		v := &pod.Spec.Volumes[i]
		plugin := pluginDir(v)
		if plugin == "" && !usesHost(*v) {
			continue
		}
		err := validateVolumeName(v.Name)
		if err == nil && seen[v.Name] {
			err = errors.New("more than one volume has this name")
		}
		seen[v.Name] = true
		if err == nil && usesHost(*v) {
			err = hostErr
		}
		if err != nil {
			errs = append(errs, &SetUpError{Volume: v.Name, PodVolume: v.Name, Err: err})
			continue
		}
		switch {
		case v.HostPath != nil:
			p, err := host.setUpHostPath(v.HostPath.Path, v.HostPath.Type)
			if err != nil {
				errs = append(errs, &SetUpError{Volume: v.Name, PodVolume: v.Name, Err: err})
				continue
			}
			mounted[v.Name] = Mounted{Path: p}
		case v.PersistentVolumeClaim != nil:
			pv, err := boundVolume(ctx, src, pod.Namespace, v)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			p, err := host.setUpPersistentVolume(pv)
			if err != nil {
				se := &SetUpError{Volume: pv.Name, PodVolume: v.Name, Err: err}
				var nm newMounterError
				if errors.As(err, &nm) {
					se.Op, se.Err = "MountVolume.NewMounter initialization failed", nm.err
				}
				errs = append(errs, se)
				continue
			}
			// As the kubelet, only the volume's readOnly makes the mount
			// read-only: a hostPath or local volume ignores access modes.
			mounted[v.Name] = Mounted{Path: p, ReadOnly: v.PersistentVolumeClaim.ReadOnly}
		default:
			if err := setUpVolume(ctx, root, plugin, pod, v, src); err != nil {
				errs = append(errs, &SetUpError{Volume: v.Name, PodVolume: v.Name, Err: err})
				continue
			}
			mounted[v.Name] = Mounted{Path: filepath.Join(dirs.Pod, "volumes", plugin, v.Name)}
		}
	}
	return mounted, errors.Join(errs...)
}

// usesHost reports whether v is set up in the node's host folder.
func usesHost(v corev1.Volume) bool {
	return v.HostPath != nil || v.PersistentVolumeClaim != nil
}

// pluginDir is the folder of v's plugin under the pod's volumes folder, or
// "" for a kind of volume this package does not write there.
func pluginDir(v *corev1.Volume) string {
	switch {
	case v.ConfigMap != nil:
		return configMapPluginDir
	case v.Secret != nil:
		return secretPluginDir
	case v.DownwardAPI != nil:
		return downwardAPIPluginDir
	case v.Projected != nil:
		return projectedPluginDir
	case v.EmptyDir != nil:
		return emptyDirPluginDir
	}
	return ""
}

// validateVolumeName checks again what the API server checks, a DNS-1123
// label, because the name becomes a folder.
func validateVolumeName(name string) error {
	if msgs := validation.IsDNS1123Label(name); len(msgs) > 0 {
		return fmt.Errorf("invalid volume name %q: %s", name, strings.Join(msgs, "; "))
	}
	return nil
}

// setUpVolume makes v's folder as the emptyDir the kubelet wraps every
// volume in (mode 0777), then projects v's payload into it.
func setUpVolume(ctx context.Context, root *os.Root, plugin string, pod *corev1.Pod, v *corev1.Volume, src Source) error {
	dir := "volumes/" + plugin + "/" + v.Name
	for _, d := range []struct {
		name string
		perm os.FileMode
	}{
		{"volumes", 0o750},
		{"volumes/" + plugin, 0o755},
		{dir, 0o777},
	} {
		if err := mkdir(root, d.name, d.perm); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("create volume directory: %w", err)
		}
	}
	if v.EmptyDir != nil {
		return nil
	}
	payload, err := collect(ctx, pod, v, src)
	if err != nil {
		return err
	}
	vroot, err := root.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("open volume directory: %w", err)
	}
	defer vroot.Close()
	return writeAtomic(vroot, payload)
}
