package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	saauth "k8s.io/apiserver/pkg/authentication/serviceaccount"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"github.com/fakecluster/fakecluster/pkg/controller/clusterroleaggregation"
	"github.com/fakecluster/fakecluster/pkg/controller/cronjob"
	"github.com/fakecluster/fakecluster/pkg/controller/daemonset"
	"github.com/fakecluster/fakecluster/pkg/controller/deployment"
	"github.com/fakecluster/fakecluster/pkg/controller/endpoints"
	"github.com/fakecluster/fakecluster/pkg/controller/endpointslice"
	"github.com/fakecluster/fakecluster/pkg/controller/garbagecollector"
	"github.com/fakecluster/fakecluster/pkg/controller/job"
	"github.com/fakecluster/fakecluster/pkg/controller/loadbalancer"
	"github.com/fakecluster/fakecluster/pkg/controller/namespace"
	"github.com/fakecluster/fakecluster/pkg/controller/nodeipam"
	"github.com/fakecluster/fakecluster/pkg/controller/nodelifecycle"
	"github.com/fakecluster/fakecluster/pkg/controller/nodelifecycle/tainteviction"
	"github.com/fakecluster/fakecluster/pkg/controller/podgc"
	"github.com/fakecluster/fakecluster/pkg/controller/replicaset"
	"github.com/fakecluster/fakecluster/pkg/controller/resourcequota"
	"github.com/fakecluster/fakecluster/pkg/controller/scheduler"
	"github.com/fakecluster/fakecluster/pkg/controller/serviceaccount"
	"github.com/fakecluster/fakecluster/pkg/controller/statefulset"
	"github.com/fakecluster/fakecluster/pkg/controller/ttlafterfinished"
	"github.com/fakecluster/fakecluster/pkg/controller/volume/localpath"
	"github.com/fakecluster/fakecluster/pkg/controller/volume/persistentvolume"
	"github.com/fakecluster/fakecluster/pkg/controller/volume/pvcprotection"
	"github.com/fakecluster/fakecluster/pkg/controller/volume/pvprotection"
)

// controllerQPS and controllerBurst are the client-side rate limits of the
// controllers' loopback clients: high, as kube-controller-manager's are
// raised, so that emptying a namespace is not throttled and the scheduler
// (a binding and an event per pod) keeps up with a burst of creates.
const (
	controllerQPS   = 2000
	controllerBurst = 4000
)

// runner is what every controller is: Run works until ctx is done and
// returns once its workers have stopped.
type runner interface {
	Run(ctx context.Context, workers int)
}

// controllerDeps are what controllers are built from.
type controllerDeps struct {
	client  kubernetes.Interface
	meta    metadata.Interface
	disc    discovery.DiscoveryInterface
	factory informers.SharedInformerFactory
	opts    Options
	caPEM   []byte
}

// controllerSpec is one controller as kube-controller-manager names it
// (--controllers), with its number of workers (upstream's --concurrent-*
// defaults).
type controllerSpec struct {
	name    string
	workers int
	// user is who the controller's writes act as: for the controllers, the
	// kube-system service account kube-controller-manager's
	// --use-service-account-credentials gives it, which its bootstrap role
	// is bound to. The informers all controllers share read as
	// system:kube-controller-manager, as upstream's. Nil means the API
	// server's loopback identity, for what kube-controller-manager does
	// not run.
	user  *user.DefaultInfo
	build func(d controllerDeps) (runner, error)
}

// controllerSpecs returns every controller the cluster runs, in start
// order. A function, not a variable, so that nothing can change the list
// for the clusters that come after.
func controllerSpecs() []controllerSpec {
	return []controllerSpec{
		{"namespace-controller", 10, controllerAccount("namespace-controller"), func(d controllerDeps) (runner, error) {
			return namespace.New(d.client, d.meta, d.disc, d.factory)
		}},
		{"garbage-collector-controller", 20, controllerAccount("generic-garbage-collector"), func(d controllerDeps) (runner, error) {
			return garbagecollector.New(d.client, d.meta, d.disc), nil
		}},
		{clusterroleaggregation.Name, 5, controllerAccount("clusterrole-aggregation-controller"), func(d controllerDeps) (runner, error) {
			return clusterroleaggregation.New(d.client, d.factory)
		}},
		{"serviceaccount-controller", 1, controllerAccount("service-account-controller"), func(d controllerDeps) (runner, error) {
			return serviceaccount.New(d.client, d.factory)
		}},
		{"root-ca-certificate-publisher-controller", 1, controllerAccount("root-ca-cert-publisher"), func(d controllerDeps) (runner, error) {
			return serviceaccount.NewRootCAPublisher(d.client, d.factory, d.caPEM)
		}},
		{"node-ipam-controller", 1, controllerAccount("node-controller"), func(d controllerDeps) (runner, error) {
			return nodeipam.New(d.client, d.factory, nodeipam.Config{
				ClusterCIDRs:         d.opts.ClusterCIDRs,
				NodeCIDRMaskSizeIPv4: d.opts.NodeCIDRMaskSizeIPv4,
				NodeCIDRMaskSizeIPv6: d.opts.NodeCIDRMaskSizeIPv6,
				ServiceCIDRs:         d.opts.ServiceClusterIPRanges,
			})
		}},
		{"endpointslice-controller", 5, controllerAccount("endpointslice-controller"), func(d controllerDeps) (runner, error) {
			return endpointslice.New(d.client, d.factory, endpointslice.Options{})
		}},
		{"endpoints-controller", 5, controllerAccount("endpoint-controller"), func(d controllerDeps) (runner, error) {
			return endpoints.New(d.client, d.factory, endpoints.Options{})
		}},
		{"service-lb-controller", 1, controllerAccount("service-controller"), func(d controllerDeps) (runner, error) {
			return loadbalancer.New(d.client, d.factory, d.opts.LoadBalancerIPRanges)
		}},
		{"node-lifecycle-controller", 8, controllerAccount("node-controller"), func(d controllerDeps) (runner, error) {
			return nodelifecycle.New(d.client, d.factory, nodelifecycle.Options{NodeMonitorGracePeriod: d.opts.NodeMonitorGracePeriod})
		}},
		{"taint-eviction-controller", 8, controllerAccount("node-controller"), func(d controllerDeps) (runner, error) {
			return tainteviction.New(d.client, d.factory)
		}},
		{deployment.Name, 5, controllerAccount("deployment-controller"), func(d controllerDeps) (runner, error) {
			return deployment.New(d.client, d.factory)
		}},
		{replicaset.Name, 5, controllerAccount("replicaset-controller"), func(d controllerDeps) (runner, error) {
			return replicaset.New(d.client, d.factory)
		}},
		{daemonset.Name, 2, controllerAccount("daemon-set-controller"), func(d controllerDeps) (runner, error) {
			return daemonset.New(d.client, d.factory)
		}},
		{statefulset.Name, 5, controllerAccount("statefulset-controller"), func(d controllerDeps) (runner, error) {
			return statefulset.New(d.client, d.factory)
		}},
		{job.Name, 5, controllerAccount("job-controller"), func(d controllerDeps) (runner, error) {
			return job.New(d.client, d.factory, job.Options{})
		}},
		{cronjob.Name, 5, controllerAccount("cronjob-controller"), func(d controllerDeps) (runner, error) {
			return cronjob.New(d.client, d.factory, cronjob.Options{})
		}},
		{ttlafterfinished.Name, 5, controllerAccount("ttl-after-finished-controller"), func(d controllerDeps) (runner, error) {
			return ttlafterfinished.New(d.client, d.factory)
		}},
		{persistentvolume.Name, 1, controllerAccount("persistent-volume-binder"), func(d controllerDeps) (runner, error) {
			return persistentvolume.New(d.client, d.factory)
		}},
		{pvcprotection.Name, 1, controllerAccount("pvc-protection-controller"), func(d controllerDeps) (runner, error) {
			return pvcprotection.New(d.client, d.factory)
		}},
		{pvprotection.Name, 1, controllerAccount("pv-protection-controller"), func(d controllerDeps) (runner, error) {
			return pvprotection.New(d.client, d.factory)
		}},
		// kind's local-path-provisioner is a Deployment upstream; here it
		// is one more controller, named as kind's pod is. Its role is
		// kind's, not the bootstrap policy's: it acts as the loopback.
		{localpath.Name, 1, nil, func(d controllerDeps) (runner, error) {
			return localpath.New(d.client, d.factory)
		}},
		{resourcequota.Name, 5, controllerAccount("resourcequota-controller"), func(d controllerDeps) (runner, error) {
			return resourcequota.New(d.client, d.meta, d.disc, d.factory, resourcequota.Options{})
		}},
		{"pod-garbage-collector-controller", 1, controllerAccount("pod-garbage-collector"), func(d controllerDeps) (runner, error) {
			return podgc.New(d.client, d.factory, podgc.Options{})
		}},
		// kube-scheduler is its own component upstream; here it is one more
		// controller, named as kube-scheduler names itself.
		{"default-scheduler", scheduler.DefaultBinders, &user.DefaultInfo{Name: user.KubeScheduler}, func(d controllerDeps) (runner, error) {
			return scheduler.New(d.client, d.factory)
		}},
	}
}

// ControllerNames returns the names --controllers accepts, as
// kube-controller-manager spells them.
func ControllerNames() []string {
	specs := controllerSpecs()
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.name
	}
	return names
}

// ValidateControllers checks a --controllers list: each entry is "*", a
// controller's name, or a name with a leading "-".
func ValidateControllers(list []string) error {
	known := ControllerNames()
	for _, c := range list {
		if c == "*" {
			continue
		}
		if !slices.Contains(known, strings.TrimPrefix(c, "-")) {
			return fmt.Errorf("%q is not in the list of known controllers: %s", c, strings.Join(known, ", "))
		}
	}
	return nil
}

// controllerEnabled reports whether list enables name, with
// kube-controller-manager's rules: "-name" disables, "name" enables, and
// "*" enables every controller not named; nil means "*" and an empty
// non-nil list enables none.
func controllerEnabled(list []string, name string) bool {
	if list == nil {
		return true
	}
	star := false
	for _, c := range list {
		switch c {
		case name:
			return true
		case "-" + name:
			return false
		case "*":
			star = true
		}
	}
	return star
}

// startControllers starts the enabled controllers against the API server
// that cfg reaches, as kube-controller-manager would, through client-go
// only, each as its user from ids. The returned stop cancels them and waits
// until they and their informers have stopped.
func startControllers(ctx context.Context, cfg *rest.Config, ids *identities, opts Options, caPEM []byte) (stop func(), err error) {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = controllerQPS, controllerBurst
	cfg = rest.AddUserAgent(cfg, "fakecluster-controller-manager")
	// The endpoints controller's writes of v1 Endpoints each come back with
	// the API's deprecation warning, which is for users, not for it.
	cfg.WarningHandler = rest.NoWarnings{}
	manager, err := kubernetes.NewForConfig(ids.config(cfg, user.KubeControllerManager))
	if err != nil {
		return nil, fmt.Errorf("controller manager clientset: %w", err)
	}
	factory := informers.NewSharedInformerFactory(manager, 0)

	type started struct {
		runner
		workers int
	}
	var run []started
	var accounts []string
	for _, s := range controllerSpecs() {
		if !controllerEnabled(opts.Controllers, s.name) {
			continue
		}
		own := cfg
		if s.user != nil {
			own = ids.config(cfg, s.user.Name)
			if ns, name, err := saauth.SplitUsername(s.user.Name); err == nil && ns == metav1.NamespaceSystem {
				accounts = append(accounts, name)
			}
		}
		d, err := newControllerDeps(own, factory, opts, caPEM)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		r, err := s.build(d)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		run = append(run, started{r, s.workers})
	}
	if err := ensureServiceAccounts(ctx, manager, accounts); err != nil {
		return nil, err
	}

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	factory.Start(ctx.Done())
	for _, r := range run {
		wg.Go(func() { r.Run(ctx, r.workers) })
	}
	return func() {
		cancel()
		wg.Wait()
		factory.Shutdown()
	}, nil
}

// newControllerDeps are the clients of one controller, acting as cfg's
// user, and the informers all controllers share.
func newControllerDeps(cfg *rest.Config, factory informers.SharedInformerFactory, opts Options, caPEM []byte) (controllerDeps, error) {
	d := controllerDeps{factory: factory, opts: opts, caPEM: caPEM}
	var err error
	if d.client, err = kubernetes.NewForConfig(cfg); err != nil {
		return d, fmt.Errorf("clientset: %w", err)
	}
	if d.meta, err = metadata.NewForConfig(cfg); err != nil {
		return d, fmt.Errorf("metadata client: %w", err)
	}
	if d.disc, err = discovery.NewDiscoveryClientForConfig(cfg); err != nil {
		return d, fmt.Errorf("discovery client: %w", err)
	}
	return d, nil
}

// ensureServiceAccounts creates the kube-system service accounts the
// controllers act as, as kube-controller-manager's client builder does
// before it starts each controller, so that `kubectl get serviceaccounts
// -n kube-system` lists them as on a real cluster.
func ensureServiceAccounts(ctx context.Context, client kubernetes.Interface, names []string) error {
	slices.Sort(names)
	names = slices.Compact(names)
	errs := make(chan error, len(names))
	for _, name := range names {
		go func() {
			sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: metav1.NamespaceSystem}}
			_, err := client.CoreV1().ServiceAccounts(metav1.NamespaceSystem).Create(ctx, sa, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) {
				err = nil
			}
			errs <- err
		}()
	}
	var all []error
	for range names {
		if err := <-errs; err != nil {
			all = append(all, fmt.Errorf("service account for the controllers: %w", err))
		}
	}
	return errors.Join(all...)
}
