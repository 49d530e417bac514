package nodeauthz

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/informers"
	storagelisters "k8s.io/client-go/listers/storage/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/podrefs"
)

// The informer indexes the authorizer adds; named after the package so
// that they do not collide with another user's of the same informers.
const (
	podsByNode  = "nodeauthz:spec.nodeName"
	pvsBySecret = "nodeauthz:kubeletSecret"
)

// kind is what an authorized object is, as upstream's graph names its
// vertex types in its log lines.
type kind string

const (
	kindSecret         kind = "secret"
	kindConfigMap      kind = "configmap"
	kindPod            kind = "pod"
	kindPVC            kind = "pvc"
	kindPV             kind = "pv"
	kindResourceClaim  kind = "resourceclaim"
	kindVA             kind = "volumeattachment"
	kindServiceAccount kind = "serviceaccount"
	kindResourceSlice  kind = "resourceslice"
)

// relations answers whether an object is related to a node, from the
// informers' current state, by walking the same edges as upstream's graph:
//
//	pod -> node (spec.nodeName)
//	secret, configmap, pvc, resourceclaim, serviceaccount -> pod (not for mirror pods)
//	pv -> pvc (spec.claimRef), secret -> pv (secrets the kubelet reads)
//	volumeattachment -> node (spec.nodeName)
//
// Upstream keeps a graph up to date from informer events, because a large
// cluster answers many kubelet reads a second; here a question looks at the
// node's pods through an index, which is as fresh as the informers are and
// has no second copy of the state to fall out of step with it.
type relations struct {
	pods cache.Indexer
	pvs  cache.Indexer
	// attachments is nil when VolumeAttachments are not served: then none
	// is related to any node.
	attachments storagelisters.VolumeAttachmentLister
}

// newRelations registers the informers and indexes relations reads and
// returns what the caller waits for before the authorizer is right.
func newRelations(f informers.SharedInformerFactory, opts Options) (*relations, []cache.InformerSynced, error) {
	pods := f.Core().V1().Pods().Informer()
	if err := pods.AddIndexers(cache.Indexers{podsByNode: indexPodByNode}); err != nil {
		return nil, nil, fmt.Errorf("node authorizer: index pods by node: %w", err)
	}
	pvs := f.Core().V1().PersistentVolumes().Informer()
	if err := pvs.AddIndexers(cache.Indexers{pvsBySecret: indexPVBySecret}); err != nil {
		return nil, nil, fmt.Errorf("node authorizer: index persistent volumes by secret: %w", err)
	}
	r := &relations{pods: pods.GetIndexer(), pvs: pvs.GetIndexer()}
	synced := []cache.InformerSynced{pods.HasSynced, pvs.HasSynced}
	if opts.VolumeAttachments {
		va := f.Storage().V1().VolumeAttachments()
		r.attachments = va.Lister()
		synced = append(synced, va.Informer().HasSynced)
	}
	return r, synced, nil
}

func indexPodByNode(obj any) ([]string, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok || pod.Spec.NodeName == "" {
		return nil, nil
	}
	return []string{pod.Spec.NodeName}, nil
}

// indexPVBySecret keys a bound volume by the namespace/name of each Secret
// the kubelet reads to mount it.
func indexPVBySecret(obj any) ([]string, error) {
	pv, ok := obj.(*corev1.PersistentVolume)
	if !ok || pv.Spec.ClaimRef == nil {
		return nil, nil
	}
	var keys []string
	podrefs.PVSecrets(pv, func(namespace, name string, kubeletVisible bool) bool {
		if kubeletVisible {
			keys = append(keys, namespace+"/"+name)
		}
		return true
	})
	return keys, nil
}

// related reports whether the object of kind k is related to node; the
// error says why not, for the log.
func (r *relations) related(node string, k kind, namespace, name string) (bool, error) {
	switch k {
	case kindPod:
		obj, ok, err := r.pods.GetByKey(namespace + "/" + name)
		if err != nil || !ok {
			return false, unknown(node, k, namespace, name, err)
		}
		return obj.(*corev1.Pod).Spec.NodeName == node, nil
	case kindPV:
		obj, ok, err := r.pvs.GetByKey(name)
		if err != nil || !ok {
			return false, unknown(node, k, namespace, name, err)
		}
		ref := obj.(*corev1.PersistentVolume).Spec.ClaimRef
		return ref != nil && r.podUses(node, ref.Namespace, naming(podrefs.Claims, ref.Name)), nil
	case kindVA:
		if r.attachments == nil {
			return false, unknown(node, k, namespace, name, nil)
		}
		va, err := r.attachments.Get(name)
		if err != nil {
			return false, unknown(node, k, namespace, name, err)
		}
		return va.Spec.NodeName == node, nil
	case kindResourceSlice:
		// fakecluster serves no resource.k8s.io: no slice exists.
		return false, unknown(node, k, namespace, name, nil)
	case kindSecret:
		if r.podUses(node, namespace, naming(podrefs.Secrets, name)) {
			return true, nil
		}
		return r.volumeSecret(node, namespace, name)
	case kindConfigMap:
		return r.podUses(node, namespace, naming(podrefs.ConfigMaps, name)), nil
	case kindPVC:
		return r.podUses(node, namespace, naming(podrefs.Claims, name)), nil
	case kindResourceClaim:
		return r.podUses(node, namespace, naming(podrefs.ResourceClaims, name)), nil
	case kindServiceAccount:
		return r.podUses(node, namespace, func(pod *corev1.Pod) bool { return pod.Spec.ServiceAccountName == name }), nil
	}
	return false, fmt.Errorf("node %q: no relationships of %s are known", node, k)
}

// naming is whether a pod names name, as visit (one of podrefs'
// visitors) finds the names it uses.
func naming(visit func(*corev1.Pod, func(string) bool) bool, name string) func(*corev1.Pod) bool {
	return func(pod *corev1.Pod) bool {
		return !visit(pod, func(n string) bool { return n != name })
	}
}

// podUses reports whether a pod bound to node in namespace uses an object,
// as uses says. Mirror pods use nothing: a node creates them itself, and
// must not grant itself access to other objects by doing so.
func (r *relations) podUses(node, namespace string, uses func(*corev1.Pod) bool) bool {
	objs, err := r.pods.ByIndex(podsByNode, node)
	if err != nil {
		return false
	}
	for _, obj := range objs {
		pod := obj.(*corev1.Pod)
		if pod.Namespace != namespace {
			continue
		}
		if _, mirror := pod.Annotations[corev1.MirrorPodAnnotationKey]; mirror {
			continue
		}
		if uses(pod) {
			return true
		}
	}
	return false
}

// volumeSecret reports whether the Secret is one the kubelet reads to
// mount a PersistentVolume that a pod bound to node uses.
func (r *relations) volumeSecret(node, namespace, name string) (bool, error) {
	objs, err := r.pvs.ByIndex(pvsBySecret, namespace+"/"+name)
	if err != nil {
		return false, err
	}
	for _, obj := range objs {
		ref := obj.(*corev1.PersistentVolume).Spec.ClaimRef
		if r.podUses(node, ref.Namespace, naming(podrefs.Claims, ref.Name)) {
			return true, nil
		}
	}
	return false, nil
}

// unknown is why an object that is not known is related to no node.
func unknown(node string, k kind, namespace, name string, err error) error {
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	return fmt.Errorf("node %q cannot get unknown %s %s/%s", node, k, namespace, name)
}
