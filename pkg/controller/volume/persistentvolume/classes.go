package persistentvolume

import (
	"slices"
	"strings"

	storagev1 "k8s.io/api/storage/v1"
)

// defaultClass is upstream's GetDefaultClass: of the classes annotated
// is-default-class "true" (or the beta key), the newest, ties broken by
// name; nil if none is.
func defaultClass(all []*storagev1.StorageClass) *storagev1.StorageClass {
	var defaults []*storagev1.StorageClass
	for _, c := range all {
		if c.Annotations["storageclass.kubernetes.io/is-default-class"] == "true" ||
			c.Annotations["storageclass.beta.kubernetes.io/is-default-class"] == "true" {
			defaults = append(defaults, c)
		}
	}
	if len(defaults) == 0 {
		return nil
	}
	slices.SortFunc(defaults, func(a, b *storagev1.StorageClass) int {
		if ta, tb := a.CreationTimestamp.UnixNano(), b.CreationTimestamp.UnixNano(); ta != tb {
			if ta > tb {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return defaults[0]
}
