package secret

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// definition is the secrets resource as kube-apiserver serves it.
func definition() resource.Definition {
	return resource.Define[corev1.Secret, corev1.SecretList](resource.Definition{
		Resource: corev1.SchemeGroupVersion.WithResource("secrets"), Namespaced: true,
		Fields:      func(obj runtime.Object) fields.Set { return fields.Set{"type": string(obj.(*corev1.Secret).Type)} },
		FieldLabels: []string{"type"},
		Defaults:    func(obj runtime.Object) { setDefaults(obj.(*corev1.Secret)) },
		Table:       table,
	})
}

// setDefaults makes a secret Opaque unless it says otherwise, and folds
// stringData into data.
func setDefaults(s *corev1.Secret) {
	if s.Type == "" {
		s.Type = corev1.SecretTypeOpaque
	}
	// stringData is write-only: it is folded into data (winning over
	// the same key there) and never stored or returned.
	for k, v := range s.StringData {
		if s.Data == nil {
			s.Data = map[string][]byte{}
		}
		s.Data[k] = []byte(v)
	}
	s.StringData = nil
}
