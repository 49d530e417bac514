// Package podindex indexes a shared pod informer by spec.nodeName, under
// the one name the controllers that share the informer agree on (node
// lifecycle and taint eviction both list a node's pods).
package podindex

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
)

// ByNodeName is the index of pods by spec.nodeName.
const ByNodeName = "spec.nodeName"

// AddByNodeName adds the ByNodeName index to informer, unless another
// controller sharing it already has.
func AddByNodeName(informer coreinformers.PodIndexInformer) error {
	if _, ok := informer.GetIndexer().GetIndexers()[ByNodeName]; ok {
		return nil
	}
	err := informer.AddTypedIndexers(coreinformers.PodIndexers{ByNodeName: func(pod *corev1.Pod) ([]string, error) {
		if pod.Spec.NodeName == "" {
			return nil, nil
		}
		return []string{pod.Spec.NodeName}, nil
	}})
	if err != nil {
		return fmt.Errorf("index pods by node name: %w", err)
	}
	return nil
}
