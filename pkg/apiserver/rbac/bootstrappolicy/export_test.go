package bootstrappolicy

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ReferencePolicy is the policy testdata/ implies, for the cluster tests.
func ReferencePolicy(t testing.TB) *Policy { return policyFrom(readReference(t)) }

// Meta keeps what the policy states of an object's metadata.
func Meta(m metav1.ObjectMeta) metav1.ObjectMeta { return meta(m) }
