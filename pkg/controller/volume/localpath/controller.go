package localpath

import (
	"context"
	"fmt"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	corelisters "k8s.io/client-go/listers/core/v1"
	storagelisters "k8s.io/client-go/listers/storage/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/reference"
	"k8s.io/client-go/util/workqueue"
	storagehelpers "k8s.io/component-helpers/storage/volume"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/eventhandlers"
	"github.com/fakecluster/fakecluster/pkg/internal/events"
	"github.com/fakecluster/fakecluster/pkg/internal/workers"
)

// Name is the controller's name: kind's Deployment of the provisioner.
const Name = "local-path-provisioner"

// Provisioner is the provisioner name classes ask for.
const Provisioner = "rancher.io/local-path"

// DefaultClassName is the StorageClass kind installs.
const DefaultClassName = "standard"

// BasePath is where volumes live on a node, kind's nodePathMap default.
const BasePath = "/var/local-path-provisioner"

// selectedNodeAnnotation names the node on the volume, as local-path does.
const selectedNodeAnnotation = "local.path.provisioner/selected-node"

// nodeAffinityKey is the node label a volume is pinned by.
const nodeAffinityKey = corev1.LabelHostname

// item is a claim (namespace/name) or a volume (name) to sync.
type item struct {
	volume bool
	key    string
}

// Controller provisions and deletes local-path volumes.
type Controller struct {
	client  kubernetes.Interface
	claims  corelisters.PersistentVolumeClaimLister
	volumes corelisters.PersistentVolumeLister
	nodes   corelisters.NodeLister
	classes storagelisters.StorageClassLister
	events  *events.Recorder
	loop    workers.Loop[item]
}

// New returns a provisioner that watches claims, volumes, nodes and
// classes through factory; the caller starts factory and calls Run.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory) (*Controller, error) {
	claims := factory.Core().V1().PersistentVolumeClaims()
	volumes := factory.Core().V1().PersistentVolumes()
	nodes := factory.Core().V1().Nodes()
	classes := factory.Storage().V1().StorageClasses()
	c := &Controller{
		client: client, claims: claims.Lister(), volumes: volumes.Lister(), nodes: nodes.Lister(), classes: classes.Lister(),
		// The library's event source: the provisioner, its host and a
		// unique id.
		events: events.New(client, Provisioner+"_"+Name+"_"+string(uuid.NewUUID())),
	}
	synced, err := eventhandlers.Add(
		eventhandlers.For("persistentvolumeclaim", claims.TypedInformer(), coreinformers.PersistentVolumeClaimHandlerFuncs{
			AddFunc:    c.enqueueClaim,
			UpdateFunc: func(_, claim *corev1.PersistentVolumeClaim) { c.enqueueClaim(claim) },
		}),
		eventhandlers.For("persistentvolume", volumes.TypedInformer(), coreinformers.PersistentVolumeHandlerFuncs{
			AddFunc:    func(pv *corev1.PersistentVolume) { c.loop.Queue.Add(item{volume: true, key: pv.Name}) },
			UpdateFunc: func(_, pv *corev1.PersistentVolume) { c.loop.Queue.Add(item{volume: true, key: pv.Name}) },
		}),
		eventhandlers.For("node", nodes.TypedInformer(), coreinformers.NodeHandlerFuncs{}),
		eventhandlers.For("storageclass", classes.TypedInformer(), cache.TypedResourceEventHandlerFuncs[*storagev1.StorageClass]{}),
	)
	if err != nil {
		return nil, err
	}
	c.loop = workers.Loop[item]{
		Pool: workers.Pool[item]{
			Queue: workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[item]()),
			Sync:  c.sync, Expected: workers.LostRace,
			ErrorMessage: "Error syncing claim or volume", ItemKey: "item",
		},
		Name: Name, Title: "local-path provisioner", Synced: synced, Events: c.events,
		Ready: c.ensureDefaultClass,
	}
	return c, nil
}

// Run provisions with n workers until ctx is done.
func (c *Controller) Run(ctx context.Context, n int) { c.loop.Run(ctx, n, "provisioner", Provisioner) }

// StandardClass is the StorageClass kind installs: the default class, for
// this provisioner, deleting volumes with their claims and binding them
// where the first pod goes.
func StandardClass() *storagev1.StorageClass {
	return &storagev1.StorageClass{
		ObjectMeta:        metav1.ObjectMeta{Name: DefaultClassName, Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}},
		Provisioner:       Provisioner,
		ReclaimPolicy:     ptr.To(corev1.PersistentVolumeReclaimDelete),
		VolumeBindingMode: ptr.To(storagev1.VolumeBindingWaitForFirstConsumer),
	}
}

// ensureDefaultClass creates kind's class unless a class of its name
// exists (one the user changed stays as it is).
func (c *Controller) ensureDefaultClass(ctx context.Context) {
	if _, err := c.classes.Get(DefaultClassName); err == nil {
		return
	}
	_, err := c.client.StorageV1().StorageClasses().Create(ctx, StandardClass(), metav1.CreateOptions{})
	switch {
	case err == nil:
		klog.FromContext(ctx).V(2).Info("Created default StorageClass", "storageClass", DefaultClassName)
	case apierrors.IsAlreadyExists(err), ctx.Err() != nil:
	default:
		klog.FromContext(ctx).Error(err, "Failed to create default StorageClass", "storageClass", DefaultClassName)
	}
}

func (c *Controller) enqueueClaim(claim *corev1.PersistentVolumeClaim) {
	if key, err := cache.MetaNamespaceKeyFunc(claim); err == nil {
		c.loop.Queue.Add(item{key: key})
	}
}

func (c *Controller) sync(ctx context.Context, it item) error {
	if it.volume {
		return c.syncVolume(ctx, it.key)
	}
	return c.syncClaim(ctx, it.key)
}

// shouldProvision is the library's: a claim without a volume that the
// binder handed to this provisioner, and for a WaitForFirstConsumer class
// one on which the scheduler has selected a node.
func (c *Controller) shouldProvision(claim *corev1.PersistentVolumeClaim) (bool, error) {
	if claim.Spec.VolumeName != "" || claim.DeletionTimestamp != nil {
		return false, nil
	}
	p, ok := claim.Annotations[storagehelpers.AnnStorageProvisioner]
	if !ok {
		p, ok = claim.Annotations[storagehelpers.AnnBetaStorageProvisioner]
	}
	if !ok || p != Provisioner {
		return false, nil
	}
	class, err := c.classes.Get(storagehelpers.GetPersistentVolumeClaimClass(claim))
	if err != nil {
		return false, err
	}
	if m := class.VolumeBindingMode; m != nil && *m == storagev1.VolumeBindingWaitForFirstConsumer {
		return claim.Annotations[storagehelpers.AnnSelectedNode] != "", nil
	}
	return true, nil
}

func (c *Controller) syncClaim(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	claim, err := c.claims.PersistentVolumeClaims(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	should, err := c.shouldProvision(claim)
	if err != nil || !should {
		return err
	}
	return c.provision(ctx, claim)
}

// provision is the library's provisionClaimOperation with local-path's
// Provision.
func (c *Controller) provision(ctx context.Context, claim *corev1.PersistentVolumeClaim) error {
	logger := klog.FromContext(ctx)
	pvName := "pvc-" + string(claim.UID)
	if _, err := c.volumes.Get(pvName); err == nil {
		return nil // already provisioned
	}
	claimRef, err := reference.GetReference(scheme.Scheme, claim)
	if err != nil {
		return err
	}
	if m := claim.Spec.VolumeMode; m != nil && *m == corev1.PersistentVolumeBlock {
		c.events.Eventf(claim, corev1.EventTypeWarning, "ProvisioningFailed", "%s does not support block volume provisioning", Provisioner)
		return nil
	}
	className := storagehelpers.GetPersistentVolumeClaimClass(claim)
	class, err := c.classes.Get(className)
	if err != nil {
		return err
	}
	if class.Provisioner != Provisioner {
		return nil
	}
	var node *corev1.Node
	if nodeName := claim.Annotations[storagehelpers.AnnSelectedNode]; nodeName != "" {
		if node, err = c.nodes.Get(nodeName); apierrors.IsNotFound(err) {
			// Gone: the scheduler is to pick another.
			c.events.Event(claim, corev1.EventTypeWarning, "ProvisioningFailed", err.Error())
			return c.reschedule(ctx, claim)
		} else if err != nil {
			c.events.Eventf(claim, corev1.EventTypeWarning, "ProvisioningFailed", "failed to get target node: %v", err)
			return err
		}
	}
	c.events.Eventf(claim, corev1.EventTypeNormal, "Provisioning", "External provisioner is provisioning volume for claim %q", claim.Namespace+"/"+claim.Name)
	pv, err := volumeFor(pvName, claim, class, node)
	if err != nil {
		c.events.Eventf(claim, corev1.EventTypeWarning, "ProvisioningFailed", "failed to provision volume with StorageClass %q: %v", className, err)
		return nil
	}
	pv.Spec.ClaimRef = claimRef
	metav1.SetMetaDataAnnotation(&pv.ObjectMeta, storagehelpers.AnnDynamicallyProvisioned, class.Provisioner)
	pv.Spec.StorageClassName = className
	if _, err := c.client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		c.events.Eventf(claim, corev1.EventTypeWarning, "ProvisioningFailed", "Failed to save volume %s: %v", pvName, err)
		return err
	}
	logger.V(2).Info("Provisioned volume", "PVC", klog.KObj(claim), "PV", pvName, "path", pv.Spec.HostPath.Path)
	c.events.Eventf(claim, corev1.EventTypeNormal, "ProvisioningSucceeded", "Successfully provisioned volume %s", pvName)
	return nil
}

// volumeFor is local-path's Provision for a node path: a hostPath volume
// in its own directory under BasePath, pinned to node.
func volumeFor(pvName string, claim *corev1.PersistentVolumeClaim, class *storagev1.StorageClass, node *corev1.Node) (*corev1.PersistentVolume, error) {
	if claim.Spec.Selector != nil {
		return nil, fmt.Errorf("claim.Spec.Selector is not supported")
	}
	for _, m := range claim.Spec.AccessModes {
		if m != corev1.ReadWriteOnce && m != corev1.ReadWriteOncePod {
			return nil, fmt.Errorf("NodePath only supports ReadWriteOnce and ReadWriteOncePod (1.22+) access modes")
		}
	}
	if node == nil {
		return nil, fmt.Errorf("configuration error, no node was specified")
	}
	dir := path.Join(BasePath, strings.Join([]string{pvName, claim.Namespace, claim.Name}, "_"))
	hostname, ok := node.Labels[nodeAffinityKey]
	if !ok {
		hostname = node.Name
	}
	reclaim := corev1.PersistentVolumeReclaimDelete
	if class.ReclaimPolicy != nil {
		reclaim = *class.ReclaimPolicy
	}
	return &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: pvName, Annotations: map[string]string{selectedNodeAnnotation: node.Name}},
		Spec: corev1.PersistentVolumeSpec{
			PersistentVolumeReclaimPolicy: reclaim,
			AccessModes:                   claim.Spec.AccessModes,
			VolumeMode:                    ptr.To(corev1.PersistentVolumeFilesystem),
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: claim.Spec.Resources.Requests[corev1.ResourceStorage]},
			PersistentVolumeSource: corev1.PersistentVolumeSource{
				HostPath: &corev1.HostPathVolumeSource{Path: dir, Type: ptr.To(corev1.HostPathDirectoryOrCreate)},
			},
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: nodeAffinityKey, Operator: corev1.NodeSelectorOpIn, Values: []string{hostname}}},
			}}}},
			MountOptions: class.MountOptions,
		},
	}, nil
}

// reschedule drops the selected-node annotation, for the scheduler to
// pick a node again.
func (c *Controller) reschedule(ctx context.Context, claim *corev1.PersistentVolumeClaim) error {
	clone := claim.DeepCopy()
	delete(clone.Annotations, storagehelpers.AnnSelectedNode)
	_, err := c.client.CoreV1().PersistentVolumeClaims(claim.Namespace).Update(ctx, clone, metav1.UpdateOptions{})
	return err
}

// syncVolume deletes a Released volume of this provisioner's whose policy
// is Delete. Its directory is left on the node (no helper pod runs).
func (c *Controller) syncVolume(ctx context.Context, name string) error {
	pv, err := c.volumes.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if pv.Annotations[storagehelpers.AnnDynamicallyProvisioned] != Provisioner || pv.DeletionTimestamp != nil ||
		pv.Status.Phase != corev1.VolumeReleased || pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete {
		return nil
	}
	err = c.client.CoreV1().PersistentVolumes().Delete(ctx, pv.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &pv.UID}})
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	klog.FromContext(ctx).V(2).Info("Deleted volume", "PV", pv.Name)
	return nil
}
