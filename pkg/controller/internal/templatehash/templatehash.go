// Package templatehash names a version of a pod template as upstream's
// controllers do (the pod-template-hash label of a Deployment's
// ReplicaSets, the controller-revision-hash of StatefulSets and
// DaemonSets): FNV-32a over the template printed for hashing
// (k8s.io/utils's dump.ForHash), salted with the owner's collision
// count, in rand's safe alphabet. The same template gives the same name
// as a real cluster's.
package templatehash

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/utils/dump"
)

// Compute is the hash of template under collisionCount (nil: none yet).
func Compute(template *corev1.PodTemplateSpec, collisionCount *int32) string {
	h := fnv.New32a()
	fmt.Fprintf(h, "%v", dump.ForHash(*template))
	if collisionCount != nil {
		b := make([]byte, 8)
		binary.LittleEndian.PutUint32(b, uint32(*collisionCount))
		h.Write(b)
	}
	return rand.SafeEncodeString(fmt.Sprint(h.Sum32()))
}
