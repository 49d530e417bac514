package persistentvolumeclaim

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// claim returns a valid, defaulted claim changed by edit.
func claim(edit func(*corev1.PersistentVolumeClaim)) *corev1.PersistentVolumeClaim {
	c := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "data", Namespace: "default"},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
		},
	}
	setDefaults(c)
	edit(c)
	return c
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	c := &corev1.PersistentVolumeClaim{}
	setDefaults(c)
	if c.Status.Phase != corev1.ClaimPending {
		t.Errorf("status.phase = %q, want Pending", c.Status.Phase)
	}
	if m := c.Spec.VolumeMode; m == nil || *m != corev1.PersistentVolumeFilesystem {
		t.Errorf("spec.volumeMode = %v, want Filesystem", m)
	}
	block := &corev1.PersistentVolumeClaim{Spec: corev1.PersistentVolumeClaimSpec{VolumeMode: ptr.To(corev1.PersistentVolumeBlock)}}
	setDefaults(block)
	if *block.Spec.VolumeMode != corev1.PersistentVolumeBlock {
		t.Errorf("spec.volumeMode = %q, want Block kept", *block.Spec.VolumeMode)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		claim *corev1.PersistentVolumeClaim
		want  []string // "path: text" of each error, in order
	}{
		{"valid", claim(func(*corev1.PersistentVolumeClaim) {}), nil},
		{"valid with everything", claim(func(c *corev1.PersistentVolumeClaim) {
			c.Spec.StorageClassName = ptr.To("fast")
			c.Spec.VolumeAttributesClassName = ptr.To("gold")
			c.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"disk": "ssd"}}
			c.Spec.DataSource = &corev1.TypedLocalObjectReference{Kind: "PersistentVolumeClaim", Name: "src"}
			c.Spec.DataSourceRef = &corev1.TypedObjectReference{Kind: "PersistentVolumeClaim", Name: "src"}
		}), nil},
		{"no access modes", claim(func(c *corev1.PersistentVolumeClaim) { c.Spec.AccessModes = nil }),
			[]string{"spec.accessModes: Required value: at least 1 access mode is required"}},
		{"unknown access mode", claim(func(c *corev1.PersistentVolumeClaim) {
			c.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{"ReadSometimes"}
		}),
			[]string{`spec.accessModes: Unsupported value: "ReadSometimes": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"`}},
		{"ReadWriteOncePod with another", claim(func(c *corev1.PersistentVolumeClaim) {
			c.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOncePod, corev1.ReadWriteOnce}
		}), []string{"spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes"}},
		{"no storage request", claim(func(c *corev1.PersistentVolumeClaim) { c.Spec.Resources.Requests = nil }),
			[]string{"spec.resources[storage]: Required value"}},
		{"zero storage request", claim(func(c *corev1.PersistentVolumeClaim) {
			c.Spec.Resources.Requests[corev1.ResourceStorage] = resource.MustParse("0")
		}), []string{`spec.resources[storage]: Invalid value: "0": must be greater than zero`}},
		{"bad storage class", claim(func(c *corev1.PersistentVolumeClaim) { c.Spec.StorageClassName = ptr.To("Fast_SSD") }),
			[]string{`spec.storageClassName: Invalid value: "Fast_SSD": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`}},
		{"bad volume mode", claim(func(c *corev1.PersistentVolumeClaim) { c.Spec.VolumeMode = ptr.To(corev1.PersistentVolumeMode("Raw")) }),
			[]string{`spec.volumeMode: Unsupported value: "Raw": supported values: "Block", "Filesystem"`}},
		{"bad selector", claim(func(c *corev1.PersistentVolumeClaim) {
			c.Spec.Selector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "disk", Operator: "Near"}}}
		}), []string{`spec.selector.matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator`}},
		{"data source without name, not a claim", claim(func(c *corev1.PersistentVolumeClaim) {
			c.Spec.DataSource = &corev1.TypedLocalObjectReference{Kind: "Secret"}
		}), []string{"spec.dataSource.name: Required value", `spec.dataSource: Invalid value: "Secret": must be 'PersistentVolumeClaim' when referencing the default apiGroup`}},
		{"data source ref with a bad group", claim(func(c *corev1.PersistentVolumeClaim) {
			c.Spec.DataSourceRef = &corev1.TypedObjectReference{APIGroup: ptr.To("Snap_Shots"), Kind: "VolumeSnapshot", Name: "s"}
		}), []string{`spec.dataSourceRef.apiGroup: Invalid value: "Snap_Shots": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`}},
		// upstream passes the path as the value, which prints as {}.
		{"data source and ref differ", claim(func(c *corev1.PersistentVolumeClaim) {
			c.Spec.DataSource = &corev1.TypedLocalObjectReference{Kind: "PersistentVolumeClaim", Name: "a"}
			c.Spec.DataSourceRef = &corev1.TypedObjectReference{Kind: "PersistentVolumeClaim", Name: "b"}
		}), []string{"spec: Invalid value: {}: must match dataSourceRef"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkErrors(t, validate(tc.claim), tc.want)
		})
	}
}

func TestValidateUpdate(t *testing.T) {
	t.Parallel()
	bound := func(edit func(*corev1.PersistentVolumeClaim)) *corev1.PersistentVolumeClaim {
		return claim(func(c *corev1.PersistentVolumeClaim) {
			c.Spec.VolumeName = "pv-1"
			c.Spec.VolumeAttributesClassName = ptr.To("silver")
			c.Status.Phase = corev1.ClaimBound
			c.Status.Capacity = corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}
			edit(c)
		})
	}
	for _, tc := range []struct {
		name     string
		old, new *corev1.PersistentVolumeClaim
		want     []string // prefixes of "path: text" of each error, in order
	}{
		{"volumeName set once", claim(func(*corev1.PersistentVolumeClaim) {}),
			claim(func(c *corev1.PersistentVolumeClaim) { c.Spec.VolumeName = "pv-1" }), nil},
		{"volumeName changed", bound(func(*corev1.PersistentVolumeClaim) {}),
			bound(func(c *corev1.PersistentVolumeClaim) { c.Spec.VolumeName = "pv-2" }),
			[]string{"spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"}},
		{"bound claim expands", bound(func(*corev1.PersistentVolumeClaim) {}),
			bound(func(c *corev1.PersistentVolumeClaim) {
				c.Spec.Resources.Requests[corev1.ResourceStorage] = resource.MustParse("2Gi")
			}), nil},
		{"bound claim shrinks to its capacity", bound(func(c *corev1.PersistentVolumeClaim) {
			c.Spec.Resources.Requests[corev1.ResourceStorage] = resource.MustParse("2Gi")
		}), bound(func(*corev1.PersistentVolumeClaim) {}),
			[]string{"spec.resources.requests.storage: Forbidden: field can not be less than status.capacity"}},
		{"pending claim's request is immutable", claim(func(*corev1.PersistentVolumeClaim) {}),
			claim(func(c *corev1.PersistentVolumeClaim) {
				c.Spec.Resources.Requests[corev1.ResourceStorage] = resource.MustParse("2Gi")
			}),
			[]string{"spec: Forbidden: spec is immutable after creation"}},
		{"access modes immutable", bound(func(*corev1.PersistentVolumeClaim) {}),
			bound(func(c *corev1.PersistentVolumeClaim) {
				c.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}
			}),
			[]string{"spec: Forbidden: spec is immutable after creation"}},
		{"volume attributes class changes", bound(func(*corev1.PersistentVolumeClaim) {}),
			bound(func(c *corev1.PersistentVolumeClaim) { c.Spec.VolumeAttributesClassName = ptr.To("gold") }), nil},
		{"volume attributes class unset", bound(func(*corev1.PersistentVolumeClaim) {}),
			bound(func(c *corev1.PersistentVolumeClaim) { c.Spec.VolumeAttributesClassName = nil }),
			[]string{"spec.volumeAttributesClassName: Forbidden: update from non-nil value to nil is forbidden"}},
		{"storage class set from nil", claim(func(*corev1.PersistentVolumeClaim) {}),
			claim(func(c *corev1.PersistentVolumeClaim) { c.Spec.StorageClassName = ptr.To("fast") }), nil},
		{"storage class changed", claim(func(c *corev1.PersistentVolumeClaim) { c.Spec.StorageClassName = ptr.To("slow") }),
			claim(func(c *corev1.PersistentVolumeClaim) { c.Spec.StorageClassName = ptr.To("fast") }),
			[]string{"spec: Forbidden: spec is immutable after creation"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			errs := validateUpdate(tc.new, tc.old)
			if len(errs) != len(tc.want) {
				t.Fatalf("errors = %v, want %q", errs, tc.want)
			}
			for i, err := range errs {
				if !strings.HasPrefix(err.Error(), tc.want[i]) {
					t.Errorf("error %d = %q, want prefix %q", i, err.Error(), tc.want[i])
				}
			}
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
