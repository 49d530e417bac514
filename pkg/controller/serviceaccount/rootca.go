package serviceaccount

import (
	"context"
	"maps"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/eventhandlers"
)

const (
	// RootCACertConfigMapName is the ConfigMap the publisher keeps in every
	// namespace; pods' token volumes project its ca.crt.
	RootCACertConfigMapName = "kube-root-ca.crt"
	// RootCACertKey is the key that holds the CA bundle.
	RootCACertKey = "ca.crt"
	// DescriptionAnnotation and Description say what the ConfigMap is for,
	// in upstream's words.
	DescriptionAnnotation = "kubernetes.io/description"
	Description           = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints " +
		"such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."
)

// RootCAPublisher keeps a kube-root-ca.crt ConfigMap holding the cluster CA
// in every namespace: it creates it when the namespace appears, and
// recreates or corrects it when it is deleted or its data or description
// changes.
type RootCAPublisher struct {
	client     kubernetes.Interface
	rootCA     string
	configMaps corelisters.ConfigMapLister
	synced     []cache.InformerSynced
	queue      workqueue.TypedRateLimitingInterface[string]
}

// NewRootCAPublisher returns a publisher of rootCA (PEM, as clients are to
// trust it) that watches namespaces and ConfigMaps through factory; the
// caller starts factory and calls Run. It fails if an event handler cannot
// be added.
func NewRootCAPublisher(client kubernetes.Interface, factory informers.SharedInformerFactory, rootCA []byte) (*RootCAPublisher, error) {
	configMaps := factory.Core().V1().ConfigMaps()
	namespaces := factory.Core().V1().Namespaces()
	p := &RootCAPublisher{
		client:     client,
		rootCA:     string(rootCA),
		configMaps: configMaps.Lister(),
		// Unnamed: a named queue would report into workqueue's
		// process-wide metrics.
		queue: workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
	}
	synced, err := eventhandlers.Add(
		eventhandlers.For("configmap", configMaps.TypedInformer(), coreinformers.ConfigMapHandlerFuncs{
			UpdateFunc: func(_, cm *corev1.ConfigMap) { p.configMapChanged(cm.Namespace, cm.Name) },
			DeleteFunc: func(d coreinformers.DeletedConfigMap) { p.configMapChanged(d.GetNamespace(), d.GetName()) },
		}),
		eventhandlers.For("namespace", namespaces.TypedInformer(), coreinformers.NamespaceHandlerFuncs{
			AddFunc: func(ns *corev1.Namespace) { p.queue.Add(ns.Name) },
			UpdateFunc: func(_, ns *corev1.Namespace) {
				if ns.Status.Phase == corev1.NamespaceActive {
					p.queue.Add(ns.Name)
				}
			},
		}),
	)
	if err != nil {
		return nil, err
	}
	p.synced = synced
	return p, nil
}

// configMapChanged queues namespace if the ConfigMap changed or deleted
// there is its kube-root-ca.crt.
func (p *RootCAPublisher) configMapChanged(namespace, name string) {
	if name == RootCACertConfigMapName {
		p.queue.Add(namespace)
	}
}

// Run processes namespaces with the given number of workers until ctx is
// done, and returns once they have all stopped. kube-controller-manager
// runs one.
func (p *RootCAPublisher) Run(ctx context.Context, n int) {
	loop := namespaceLoop("root-ca-cert-publisher", "root CA cert publisher", p.queue, p.synced, p.sync)
	loop.Run(ctx, n)
}

// sync creates or corrects the ConfigMap in namespace ns.
func (p *RootCAPublisher) sync(ctx context.Context, ns string) error {
	logger := klog.FromContext(ctx)
	start := time.Now()
	defer func() {
		logger.V(4).Info("Finished syncing namespace", "namespace", ns, "duration", time.Since(start))
	}()
	data := map[string]string{RootCACertKey: p.rootCA}
	cm, err := p.configMaps.ConfigMaps(ns).Get(RootCACertConfigMapName)
	switch {
	case apierrors.IsNotFound(err):
		_, err := p.client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{
				Name:        RootCACertConfigMapName,
				Annotations: map[string]string{DescriptionAnnotation: Description},
			},
			Data: data,
		}, metav1.CreateOptions{})
		// A namespace that is gone or going needs no CA.
		if apierrors.IsNotFound(err) || apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			return nil
		}
		if err == nil {
			logger.V(2).Info("Published root CA", "namespace", ns)
		}
		return err
	case err != nil:
		return err
	}
	if maps.Equal(cm.Data, data) && cm.Annotations[DescriptionAnnotation] != "" {
		return nil
	}
	cm = cm.DeepCopy()
	cm.Data = data
	if cm.Annotations == nil {
		cm.Annotations = map[string]string{}
	}
	cm.Annotations[DescriptionAnnotation] = Description
	_, err = p.client.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{})
	return err
}
