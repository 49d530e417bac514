package volumes

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
	// Volume is the volume's name in the pod spec.
	Volume string
	// Err says why, in the kubelet's words where it has some, such as
	// `configmap "y" not found`.
	Err error
}

func (e *SetUpError) Error() string {
	return fmt.Sprintf("MountVolume.SetUp failed for volume %q : %v", e.Volume, e.Err)
}

func (e *SetUpError) Unwrap() error { return e.Err }

// Setup writes every configMap, secret, downwardAPI, projected and emptyDir
// volume of pod under podDir/volumes/<plugin dir>/<volume name> and returns
// the host path of each volume it set up, by name; other kinds of volume are
// left out. podDir is made (0750) if missing. Calling Setup again updates
// the volumes in place, as the kubelet's resync does, and leaves an
// emptyDir's contents alone; like the kubelet's writer, it must not run
// twice at once for one pod.
//
// Each volume is set up on its own, as the kubelet does: when some fail,
// the others are still written, and the error joins one *SetUpError per
// failed volume, in spec order (errors.As finds the first; a single
// failure's text is exactly its event message).
func Setup(ctx context.Context, podDir string, pod *corev1.Pod, src Source) (map[string]string, error) {
	if err := os.MkdirAll(podDir, 0o750); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(podDir)
	if err != nil {
		return nil, err
	}
	defer root.Close()

	paths := map[string]string{}
	seen := map[string]bool{}
	var errs []error
	for i := range pod.Spec.Volumes {
		v := &pod.Spec.Volumes[i]
		plugin := pluginDir(v)
		if plugin == "" {
			continue
		}
		err := validateVolumeName(v.Name)
		if err == nil && seen[v.Name] {
			err = errors.New("more than one volume has this name")
		}
		seen[v.Name] = true
		if err == nil {
			err = setUpVolume(ctx, root, plugin, pod, v, src)
		}
		if err != nil {
			errs = append(errs, &SetUpError{Volume: v.Name, Err: err})
			continue
		}
		paths[v.Name] = filepath.Join(podDir, "volumes", plugin, v.Name)
	}
	return paths, errors.Join(errs...)
}

// pluginDir is the folder of v's plugin, or "" for a kind of volume this
// package does not write.
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
