package kubelet

import (
	"context"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

// The kubelet's Lease defaults: a 40 s duration renewed every quarter of
// it, in kube-node-lease, named after the node.
const (
	leaseDurationSeconds = 40
	leaseRenewInterval   = leaseDurationSeconds * time.Second / 4
)

// runLease keeps the node's Lease renewed, as the kubelet's node lease
// controller does, owned by the Node (nodeUID) so that deleting the Node
// deletes it. It returns when ctx is done; a renewal in flight then still
// finishes (requestContext), so stopping cuts no request short.
func (k *Kubelet) runLease(ctx context.Context, nodeUID types.UID) {
	t := k.clock.NewTicker(leaseRenewInterval)
	defer t.Stop()
	for {
		if err := k.renewLease(ctx, nodeUID); err != nil && ctx.Err() == nil {
			klog.FromContext(ctx).Error(err, "Failed to update lease")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
	}
}

func (k *Kubelet) renewLease(ctx context.Context, nodeUID types.UID) error {
	rctx, cancel := requestContext(ctx)
	defer cancel()
	leases := k.cfg.Client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	now := metav1.NewMicroTime(k.clock.Now())
	lease, err := leases.Get(rctx, k.cfg.NodeName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = leases.Create(rctx, &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: k.cfg.NodeName, Namespace: corev1.NamespaceNodeLease,
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: k.cfg.NodeName, UID: nodeUID}}},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To(k.cfg.NodeName),
				LeaseDurationSeconds: ptr.To[int32](leaseDurationSeconds), RenewTime: &now},
		}, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	lease.Spec.HolderIdentity = ptr.To(k.cfg.NodeName)
	lease.Spec.LeaseDurationSeconds = ptr.To[int32](leaseDurationSeconds)
	lease.Spec.RenewTime = &now
	if len(lease.OwnerReferences) == 0 {
		lease.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: k.cfg.NodeName, UID: nodeUID}}
	}
	_, err = leases.Update(rctx, lease, metav1.UpdateOptions{})
	return err
}

// requestGrace is how long a request the kubelet started may still take
// once it is stopping.
const requestGrace = 5 * time.Second

// requestContext is the context of one API request made under ctx: it keeps
// ctx's values but not its cancellation, so that a request in flight when
// the kubelet stops completes (or gives up after requestGrace) instead of
// being cut off, which the API server would log as an error.
func requestContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), requestGrace)
}
