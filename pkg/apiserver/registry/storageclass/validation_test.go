package storageclass

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// class returns a valid, defaulted class changed by edit.
func class(edit func(*storagev1.StorageClass)) *storagev1.StorageClass {
	c := &storagev1.StorageClass{
		ObjectMeta:  metav1.ObjectMeta{Name: "standard"},
		Provisioner: "example.com/disk",
		Parameters:  map[string]string{"type": "ssd"},
	}
	setDefaults(c)
	edit(c)
	return c
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	c := &storagev1.StorageClass{}
	setDefaults(c)
	if p := c.ReclaimPolicy; p == nil || *p != corev1.PersistentVolumeReclaimDelete {
		t.Errorf("reclaimPolicy = %v, want Delete", p)
	}
	if m := c.VolumeBindingMode; m == nil || *m != storagev1.VolumeBindingImmediate {
		t.Errorf("volumeBindingMode = %v, want Immediate", m)
	}
	set := &storagev1.StorageClass{ReclaimPolicy: ptr.To(corev1.PersistentVolumeReclaimRetain), VolumeBindingMode: ptr.To(storagev1.VolumeBindingWaitForFirstConsumer)}
	setDefaults(set)
	if *set.ReclaimPolicy != corev1.PersistentVolumeReclaimRetain || *set.VolumeBindingMode != storagev1.VolumeBindingWaitForFirstConsumer {
		t.Errorf("set fields changed: reclaimPolicy %q, volumeBindingMode %q", *set.ReclaimPolicy, *set.VolumeBindingMode)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		class *storagev1.StorageClass
		want  []string // "path: text" of each error, in order
	}{
		{"valid", class(func(*storagev1.StorageClass) {}), nil},
		{"upper-case provisioner", class(func(c *storagev1.StorageClass) { c.Provisioner = "Example.com/Disk" }), nil},
		{"allowed topologies", class(func(c *storagev1.StorageClass) {
			c.AllowedTopologies = []corev1.TopologySelectorTerm{{MatchLabelExpressions: []corev1.TopologySelectorLabelRequirement{
				{Key: "topology.kubernetes.io/zone", Values: []string{"a"}},
			}}}
		}), nil},
		{"no provisioner", class(func(c *storagev1.StorageClass) { c.Provisioner = "" }),
			[]string{"provisioner: Required value"}},
		{"provisioner not a qualified name", class(func(c *storagev1.StorageClass) { c.Provisioner = "example.com/disk/v1" }),
			[]string{`provisioner: Invalid value: "example.com/disk/v1": a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`}},
		{"recycle", class(func(c *storagev1.StorageClass) { c.ReclaimPolicy = ptr.To(corev1.PersistentVolumeReclaimRecycle) }),
			[]string{`reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"`}},
		{"bad binding mode", class(func(c *storagev1.StorageClass) { c.VolumeBindingMode = ptr.To(storagev1.VolumeBindingMode("Later")) }),
			[]string{`volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"`}},
		{"no binding mode", class(func(c *storagev1.StorageClass) { c.VolumeBindingMode = nil }),
			[]string{"volumeBindingMode: Required value"}},
		{"empty parameter key", class(func(c *storagev1.StorageClass) { c.Parameters = map[string]string{"": "x"} }),
			[]string{`parameters: Invalid value: {"":"x"}: field can not be empty.`}},
		{"parameters too large", class(func(c *storagev1.StorageClass) {
			c.Parameters = map[string]string{"k": strings.Repeat("x", maxParametersSize)}
		}),
			[]string{"parameters: Too long: may not be more than 262144 bytes"}},
		{"topology without values", class(func(c *storagev1.StorageClass) {
			c.AllowedTopologies = []corev1.TopologySelectorTerm{{MatchLabelExpressions: []corev1.TopologySelectorLabelRequirement{{Key: "zone"}}}}
		}), []string{"allowedTopologies[0].matchLabelExpressions[0].values: Required value"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkErrors(t, validate(tc.class), tc.want)
		})
	}
}

func TestValidateUpdate(t *testing.T) {
	t.Parallel()
	old := class(func(*storagev1.StorageClass) {})
	for _, tc := range []struct {
		name string
		new  *storagev1.StorageClass
		want []string
	}{
		{"labels and expansion change", class(func(c *storagev1.StorageClass) {
			c.Labels = map[string]string{"tier": "gold"}
			c.AllowVolumeExpansion = ptr.To(true)
		}), nil},
		{"parameters", class(func(c *storagev1.StorageClass) { c.Parameters["type"] = "hdd" }),
			[]string{"parameters: Forbidden: updates to parameters are forbidden."}},
		{"provisioner", class(func(c *storagev1.StorageClass) { c.Provisioner = "example.com/other" }),
			[]string{"provisioner: Forbidden: updates to provisioner are forbidden."}},
		{"reclaim policy", class(func(c *storagev1.StorageClass) { c.ReclaimPolicy = ptr.To(corev1.PersistentVolumeReclaimRetain) }),
			[]string{"reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden."}},
		{"binding mode", class(func(c *storagev1.StorageClass) {
			c.VolumeBindingMode = ptr.To(storagev1.VolumeBindingWaitForFirstConsumer)
		}),
			[]string{`volumeBindingMode: Invalid value: "WaitForFirstConsumer": field is immutable`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkErrors(t, validateUpdate(tc.new, old), tc.want)
		})
	}
}

// checkErrors fails unless errs are exactly want, as "path: text".
func checkErrors(t *testing.T, errs field.ErrorList, want []string) {
	t.Helper()
	if len(errs) != len(want) {
		t.Fatalf("errors = %v, want %q", errs, want)
	}
	for i, err := range errs {
		if err.Error() != want[i] {
			t.Errorf("error %d = %q, want %q", i, err.Error(), want[i])
		}
	}
}
