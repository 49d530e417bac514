package priorityclass

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	// SystemPrefix starts the names reserved for the system classes.
	SystemPrefix = "system-"
	// HighestUserDefinable is the highest value a class not of the system
	// may have, and systemCritical the value of system-cluster-critical.
	HighestUserDefinable = int32(1000000000)
	systemCritical       = 2 * HighestUserDefinable
)

// SystemClasses returns the classes kube-apiserver creates at start,
// system-node-critical and system-cluster-critical, new each call.
func SystemClasses() []*schedulingv1.PriorityClass {
	policy := corev1.PreemptLowerPriority
	return []*schedulingv1.PriorityClass{
		{
			ObjectMeta:       metav1.ObjectMeta{Name: "system-node-critical"},
			Value:            systemCritical + 1000,
			Description:      "Used for system critical pods that must not be moved from their current node.",
			PreemptionPolicy: &policy,
		},
		{
			ObjectMeta:       metav1.ObjectMeta{Name: "system-cluster-critical"},
			Value:            systemCritical,
			Description:      "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.",
			PreemptionPolicy: &policy,
		},
	}
}

// isKnownSystemClass reports whether name, value and globalDefault are
// those of a system class, and if not, why.
func isKnownSystemClass(name string, value int32, globalDefault bool) error {
	for _, c := range SystemClasses() {
		if c.Name != name {
			continue
		}
		if c.Value != value {
			return fmt.Errorf("value of %v PriorityClass must be %v", c.Name, c.Value)
		}
		if c.GlobalDefault != globalDefault {
			return fmt.Errorf("globalDefault of %v PriorityClass must be %v", c.Name, c.GlobalDefault)
		}
		return nil
	}
	return fmt.Errorf("%v is not a known system priority class", name)
}
