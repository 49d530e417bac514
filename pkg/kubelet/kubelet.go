package kubelet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"k8s.io/apimachinery/pkg/api/validate/content"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/fakecluster/fakecluster/pkg/internal/events"
	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime"
	"github.com/fakecluster/fakecluster/pkg/kubelet/volumes"
)

// Config is one fake node.
type Config struct {
	// NodeName names the Node the kubelet registers (worker0…).
	NodeName string
	// Client reaches the API server; the kubelet uses nothing else.
	Client kubernetes.Interface
	// NodeIPs are the node's InternalIPs, one per family in the cluster's
	// family order. They are simulated: nothing listens on them.
	NodeIPs []netip.Addr
	// Port is the kubelet API port the Node reports
	// (status.daemonEndpoints.kubeletEndpoint), where the API server
	// reaches this kubelet's HTTP API on loopback.
	Port int32
	// SandboxDir is the sandbox: the node's folder is
	// <SandboxDir>/<NodeName>, with pods/<uid>/… and logs/pods/… under it,
	// and host/, the node's root filesystem as hostPath volumes see it
	// (see HostDir). It is created if missing.
	SandboxDir string
	// Capacity is the node's resources; nil means DefaultCapacity().
	Capacity corev1.ResourceList
	// ClusterDNS are the nameservers of pods with dnsPolicy ClusterFirst
	// (the kube-dns Service's cluster IP); ClusterDomain is the cluster's
	// DNS domain (cluster.local).
	ClusterDNS    []netip.Addr
	ClusterDomain string
	// KernelVersion, OSImage and RuntimeVersion fill status.nodeInfo.
	KernelVersion, OSImage, RuntimeVersion string
	// Runtime runs the containers; several kubelets may share one.
	Runtime *runtime.Runtime
	// Clock is the kubelet's clock; nil means the real one.
	Clock clock.WithTicker
}

// Kubelet is one running fake kubelet. New makes one; Run runs it.
type Kubelet struct {
	cfg      Config
	clock    clock.WithTicker
	recorder *events.Recorder
	nodeRef  *corev1.ObjectReference
	ids      nodeIDs
	images   *imageCache
	tokens   *tokenCache
	ips      *podIPs

	pods     corelisters.PodLister
	services corelisters.ServiceLister

	// procs are the running containers (*runningContainer), by procKey,
	// for the kubelet API's exec, attach, port-forward and log follow.
	procs sync.Map

	mu      sync.Mutex
	workers map[types.UID]*podWorker
	wg      sync.WaitGroup
}

// nodeIDs are the node's machine, system and boot IDs: stable per node
// name, as a real machine's are across kubelet restarts.
type nodeIDs struct{ machineID, systemUUID, bootID string }

// New checks cfg and returns a kubelet for it; Run starts it.
func New(cfg Config) (*Kubelet, error) {
	var errs []error
	if cfg.NodeName == "" {
		errs = append(errs, errors.New("no node name"))
	} else if msgs := content.IsPathSegmentName(cfg.NodeName); len(msgs) > 0 {
		// It names the node's folder in the sandbox.
		errs = append(errs, fmt.Errorf("node name %q: %s", cfg.NodeName, strings.Join(msgs, ", ")))
	}
	if cfg.Client == nil {
		errs = append(errs, errors.New("no client"))
	}
	if cfg.Runtime == nil {
		errs = append(errs, errors.New("no runtime"))
	}
	if cfg.SandboxDir == "" {
		errs = append(errs, errors.New("no sandbox dir"))
	}
	if len(cfg.NodeIPs) == 0 {
		errs = append(errs, errors.New("no node IPs"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("kubelet %s: %w", cfg.NodeName, err)
	}
	if cfg.Capacity == nil {
		cfg.Capacity = DefaultCapacity()
	}
	if cfg.ClusterDomain == "" {
		cfg.ClusterDomain = "cluster.local"
	}
	k := &Kubelet{
		cfg:      cfg,
		clock:    cfg.Clock,
		recorder: events.New(cfg.Client, "kubelet", events.WithHost(cfg.NodeName)),
		nodeRef:  &corev1.ObjectReference{Kind: "Node", Name: cfg.NodeName, UID: types.UID(cfg.NodeName)},
		ids:      newNodeIDs(cfg.NodeName),
		images:   newImageCache(),
		tokens:   newTokenCache(),
		ips:      newPodIPs(),
		workers:  make(map[types.UID]*podWorker),
	}
	if k.clock == nil {
		k.clock = clock.RealClock{}
	}
	return k, nil
}

// NodeName is the name of the kubelet's Node.
func (k *Kubelet) NodeName() string { return k.cfg.NodeName }

// Run registers the node, then keeps its Lease and status fresh and runs
// the pods bound to it until ctx is done. It returns once every goroutine
// it started has stopped. Stopping leaves pods as they are in the API, as
// stopping a real kubelet does; the next Run adopts them.
func (k *Kubelet) Run(ctx context.Context) error {
	logger := klog.FromContext(ctx).WithValues("node", k.cfg.NodeName)
	ctx = klog.NewContext(ctx, logger)
	if err := os.MkdirAll(filepath.Join(k.nodeDir(), "pods"), 0o750); err != nil {
		return fmt.Errorf("kubelet %s: create sandbox: %w", k.cfg.NodeName, err)
	}
	if err := os.MkdirAll(k.HostDir(), 0o755); err != nil {
		return fmt.Errorf("kubelet %s: create host folder: %w", k.cfg.NodeName, err)
	}
	// The recorder outlives ctx until Run returns, so that the events of
	// the last moments are written rather than dropped with an error.
	stopEvents := k.recorder.Start(context.WithoutCancel(ctx))
	defer stopEvents()
	k.recorder.Event(k.nodeRef, corev1.EventTypeNormal, "Starting", "Starting kubelet.")

	var node *corev1.Node
	err := wait.PollUntilContextCancel(ctx, time.Second, true, func(ctx context.Context) (bool, error) {
		rctx, cancel := requestContext(ctx)
		defer cancel()
		n, err := k.registerNode(rctx)
		if err != nil {
			if ctx.Err() == nil {
				logger.Error(err, "Unable to register node with API server")
			}
			return false, nil
		}
		node = n
		return true, nil
	})
	if err != nil {
		return nil // stopped before registering
	}
	k.recorder.Event(k.nodeRef, corev1.EventTypeNormal, "NodeAllocatableEnforced", "Updated Node Allocatable limit across pods")

	factory := informers.NewSharedInformerFactory(k.cfg.Client, 0)
	podFactory := informers.NewSharedInformerFactoryWithOptions(k.cfg.Client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", k.cfg.NodeName).String()
		}))
	podInformer := podFactory.Core().V1().Pods()
	k.pods = podInformer.Lister()
	k.services = factory.Core().V1().Services().Lister()
	nodeInformer := informers.NewSharedInformerFactoryWithOptions(k.cfg.Client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", k.cfg.NodeName).String()
		}))
	nodes := nodeInformer.Core().V1().Nodes()

	if _, err := podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { k.podChanged(ctx, obj, false) },
		UpdateFunc: func(_, obj any) { k.podChanged(ctx, obj, false) },
		DeleteFunc: func(obj any) { k.podChanged(ctx, obj, true) },
	}); err != nil {
		return err
	}
	if _, err := nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { k.nodeChanged(obj) },
		UpdateFunc: func(_, obj any) { k.nodeChanged(obj) },
	}); err != nil {
		return err
	}
	k.nodeChanged(node)
	rctx, cancel := requestContext(ctx)
	err = k.restorePodIPs(rctx)
	cancel()
	if err != nil {
		logger.Error(err, "Could not restore pod IPs")
	}

	var wg sync.WaitGroup
	wg.Go(func() { k.runLease(ctx, node.UID) })
	wg.Go(func() { k.runNodeStatus(ctx) })
	factory.Start(ctx.Done())
	nodeInformer.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())
	podFactory.Start(ctx.Done())
	<-ctx.Done()
	podFactory.Shutdown()
	factory.Shutdown()
	nodeInformer.Shutdown()
	k.mu.Lock()
	for _, w := range k.workers {
		w.stop()
	}
	k.mu.Unlock()
	k.wg.Wait()
	wg.Wait()
	return nil
}

// runNodeStatus writes the node's status when it changes, and at least
// every nodeStatusReportFrequency, as the kubelet's status loop does.
func (k *Kubelet) runNodeStatus(ctx context.Context) {
	last := k.clock.Now()
	t := k.clock.NewTicker(nodeStatusUpdateFrequency)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
		force := k.clock.Since(last) >= nodeStatusReportFrequency
		rctx, cancel := requestContext(ctx)
		_, err := k.updateNodeStatus(rctx, nil, force)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				klog.FromContext(ctx).Error(err, "Error updating node status, will retry")
			}
			continue
		}
		if force {
			last = k.clock.Now()
		}
	}
}

// nodeChanged learns the node's podCIDRs once the node IPAM controller
// has set them, and wakes the pods waiting for an IP.
func (k *Kubelet) nodeChanged(obj any) {
	node, ok := obj.(*corev1.Node)
	if !ok {
		return
	}
	cidrs, err := podCIDRs(node)
	if err != nil || len(cidrs) == 0 {
		return
	}
	if err := k.ips.setCIDRs(cidrs); err != nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, w := range k.workers {
		w.wake()
	}
}

// restorePodIPs marks the IPs of the node's pods as taken, so that a
// restarted kubelet hands none out twice.
func (k *Kubelet) restorePodIPs(ctx context.Context) error {
	list, err := k.cfg.Client.CoreV1().Pods("").List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("spec.nodeName", k.cfg.NodeName).String(),
	})
	if err != nil {
		return err
	}
	for i := range list.Items {
		p := &list.Items[i]
		if p.Spec.HostNetwork || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		var addrs []netip.Addr
		for _, ip := range p.Status.PodIPs {
			if a, err := netip.ParseAddr(ip.IP); err == nil {
				addrs = append(addrs, a)
			}
		}
		k.ips.restore(string(p.UID), addrs)
	}
	return nil
}

// podChanged hands a pod's new state to its worker, starting one for a
// pod not seen before; gone says the pod was deleted from the API.
func (k *Kubelet) podChanged(ctx context.Context, obj any, gone bool) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	w, ok := k.workers[pod.UID]
	if !ok && gone {
		return
	}
	if !ok {
		w = newPodWorker(k, pod)
		k.workers[pod.UID] = w
		k.wg.Go(func() {
			w.run(ctx)
			k.mu.Lock()
			delete(k.workers, pod.UID)
			k.mu.Unlock()
		})
	}
	w.update(pod, gone)
}

// nodeDir is the node's folder in the sandbox.
func (k *Kubelet) nodeDir() string { return filepath.Join(k.cfg.SandboxDir, k.cfg.NodeName) }

// podDir is where the pod's kubelet-managed files live.
func (k *Kubelet) podDir(uid types.UID) string {
	return filepath.Join(k.nodeDir(), "pods", string(uid))
}

// HostDir is the node's host folder, <SandboxDir>/<NodeName>/host: it
// stands for the node's root filesystem, so a hostPath volume (or a
// hostPath or local PersistentVolume) with path /x/y is HostDir()/x/y on
// disk. The kubelet creates what DirectoryOrCreate and FileOrCreate ask
// for in it and never removes anything from it, so data written there
// outlives the pods that wrote it.
func (k *Kubelet) HostDir() string { return filepath.Join(k.nodeDir(), hostDirName) }

// hostDirName is the host folder's name in the node's folder.
const hostDirName = "host"

// volumeDirs are where the pod's volumes go.
func (k *Kubelet) volumeDirs(uid types.UID) volumes.Dirs {
	return volumes.Dirs{Pod: k.podDir(uid), Host: k.HostDir()}
}

// newNodeIDs derives the node's IDs from its name.
func newNodeIDs(name string) nodeIDs {
	h := func(salt string) string {
		sum := sha256.Sum256([]byte(salt + "/" + name))
		return hex.EncodeToString(sum[:16])
	}
	uuid := func(s string) string {
		return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
	}
	return nodeIDs{machineID: h("machine-id"), systemUUID: uuid(h("system-uuid")), bootID: uuid(h("boot-id"))}
}
