package volumes

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// fakeSource serves ConfigMaps and Secrets from maps keyed "namespace/name",
// a token naming what it was asked for, and the few downward API fields the
// tests use.
type fakeSource struct {
	configMaps map[string]*corev1.ConfigMap
	secrets    map[string]*corev1.Secret
	claims     map[string]*corev1.PersistentVolumeClaim // by "namespace/name"
	pvs        map[string]*corev1.PersistentVolume
	tokenErr   error
}

var _ Source = (*fakeSource)(nil)

func (s *fakeSource) ConfigMap(_ context.Context, namespace, name string) (*corev1.ConfigMap, error) {
	if cm, ok := s.configMaps[namespace+"/"+name]; ok {
		return cm, nil
	}
	// The API's own wording (plural resource), which Setup rewords as the
	// kubelet does.
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "configmaps"}, name)
}

func (s *fakeSource) Secret(_ context.Context, namespace, name string) (*corev1.Secret, error) {
	if sec, ok := s.secrets[namespace+"/"+name]; ok {
		return sec, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, name)
}

func (s *fakeSource) PersistentVolumeClaim(_ context.Context, namespace, name string) (*corev1.PersistentVolumeClaim, error) {
	if c, ok := s.claims[namespace+"/"+name]; ok {
		return c, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "persistentvolumeclaims"}, name)
}

func (s *fakeSource) PersistentVolume(_ context.Context, name string) (*corev1.PersistentVolume, error) {
	if pv, ok := s.pvs[name]; ok {
		return pv, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "persistentvolumes"}, name)
}

func (s *fakeSource) ServiceAccountToken(_ context.Context, pod *corev1.Pod, audience string, expirationSeconds int64) (string, error) {
	if s.tokenErr != nil {
		return "", s.tokenErr
	}
	return fmt.Sprintf("token sa=%s/%s pod=%s aud=%q exp=%d", pod.Namespace, pod.Spec.ServiceAccountName, pod.Name, audience, expirationSeconds), nil
}

func (s *fakeSource) DownwardAPI(pod *corev1.Pod, item corev1.DownwardAPIVolumeFile) (string, error) {
	if item.FieldRef == nil {
		return "", errors.New("fake source: only fieldRef items")
	}
	switch f := item.FieldRef.FieldPath; f {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "metadata.labels":
		return formatMap(pod.Labels), nil
	case "metadata.annotations":
		return formatMap(pod.Annotations), nil
	default:
		return "", fmt.Errorf("fake source: unsupported fieldPath %q", f)
	}
}

// formatMap is the kubelet's format of labels and annotations: key="value"
// lines in key order, without a final newline.
func formatMap(m map[string]string) string {
	var lines []string
	for k, v := range m {
		lines = append(lines, fmt.Sprintf("%s=%q", k, v))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

var timestampRE = regexp.MustCompile(`\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\d+`)

// tree lists everything below dir without following symlinks: a line per
// entry with its mode, a symlink's target and a file's contents, payload
// directory timestamps masked.
func tree(tb testing.TB, dir string) string {
	tb.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		line := fmt.Sprintf("%s %s", info.Mode(), filepath.ToSlash(rel))
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			line += " -> " + target
		case info.Mode().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			line += fmt.Sprintf(" %q", data)
		}
		b.WriteString(timestampRE.ReplaceAllString(line, "..TIMESTAMP") + "\n")
		return nil
	})
	if err != nil {
		tb.Fatalf("list %s: %v", dir, err)
	}
	return b.String()
}

// checkGolden compares got with testdata/<name>.golden, or rewrites it
// with -update.
func checkGolden(tb testing.TB, name, got string) {
	tb.Helper()
	file := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		tb.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		tb.Errorf("%s mismatch (-want +got):\n%s", file, diff)
	}
}

// dataDir is where the ..data link of the volume at dir points.
func dataDir(tb testing.TB, dir string) string {
	tb.Helper()
	target, err := os.Readlink(filepath.Join(dir, dataDirName))
	if err != nil {
		tb.Fatal(err)
	}
	return target
}
