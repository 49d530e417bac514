package cluster

import (
	"context"
	"fmt"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"github.com/fakecluster/fakecluster/pkg/controller/namespace"
)

// controllerQPS and controllerBurst are the client-side rate limits of the
// controllers' loopback clients: high, as kube-controller-manager's are
// raised, so that emptying a namespace is not throttled.
const (
	controllerQPS   = 200
	controllerBurst = 400
)

// startControllers starts the controllers against the API server that cfg
// reaches, as kube-controller-manager would, through client-go only. The
// returned stop cancels them and waits until they and their informers
// have stopped.
func startControllers(ctx context.Context, cfg *rest.Config) (stop func(), err error) {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = controllerQPS, controllerBurst
	cfg = rest.AddUserAgent(cfg, "fakecluster-controller-manager")
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("controller clientset: %w", err)
	}
	meta, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("controller metadata client: %w", err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("controller discovery client: %w", err)
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	namespaces := namespace.New(client, meta, disc, factory)

	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	factory.Start(ctx.Done())
	go func() {
		defer close(done)
		namespaces.Run(ctx, 2)
	}()
	return func() {
		cancel()
		<-done
		factory.Shutdown()
	}, nil
}
