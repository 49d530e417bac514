package kubelet

import (
	"context"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/component-helpers/apimachinery/lease"
)

// The kubelet's Lease defaults: a 40 s duration renewed every quarter of
// it, in kube-node-lease, named after the node.
const (
	leaseDurationSeconds = 40
	leaseRenewInterval   = leaseDurationSeconds * time.Second / 4
)

// runLease keeps the node's Lease renewed with component-helpers' lease
// controller, as the kubelet does, owned by the Node (uid) so that
// deleting the Node deletes it. It returns when ctx is done.
func (k *Kubelet) runLease(ctx context.Context, nodeUID types.UID) {
	c := lease.NewController(k.clock, k.cfg.Client, k.cfg.NodeName, leaseDurationSeconds, nil,
		leaseRenewInterval, k.cfg.NodeName, corev1.NamespaceNodeLease,
		func(l *coordinationv1.Lease) error {
			if len(l.OwnerReferences) == 0 {
				l.OwnerReferences = []metav1.OwnerReference{{
					APIVersion: "v1", Kind: "Node", Name: k.cfg.NodeName, UID: nodeUID,
				}}
			}
			return nil
		})
	c.Run(ctx)
}
