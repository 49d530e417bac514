package apiserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/trace/noop"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/initializer"
	mutatingpolicy "k8s.io/apiserver/pkg/admission/plugin/policy/mutating"
	validatingpolicy "k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	webhookinit "k8s.io/apiserver/pkg/admission/plugin/webhook/initializer"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/mutating"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/validating"
	genericapiserver "k8s.io/apiserver/pkg/server"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/apiserver/pkg/util/webhook"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/restmapper"
)

// dynamicAdmission are kube-apiserver's four admission plugins whose
// behaviour the cluster's users configure through the API
// (admissionregistration.k8s.io/v1), in kube-apiserver's order:
// MutatingAdmissionPolicy, MutatingAdmissionWebhook,
// ValidatingAdmissionPolicy, ValidatingAdmissionWebhook. They come from
// k8s.io/apiserver as kube-apiserver's do, and are initialized as
// kube-apiserver's admission options initialize them.
type dynamicAdmission struct {
	plugins []admission.Interface
	// resetMapper refreshes the REST mapper policies resolve their
	// paramKind and match rules with, as kube-apiserver's
	// start-apiserver-admission-initializer hook does every 30 s.
	resetMapper func(genericapiserver.PostStartHookContext) error
}

// newDynamicAdmission builds the four plugins over the clients and
// informers of the loopback. Webhooks named by URL are called over the
// host's network; webhooks named by Service are called at the Service's
// cluster IP through dialService (the simulated network), as
// kube-apiserver calls them at their cluster IP by default.
func newDynamicAdmission(gc *genericapiserver.Config, client kubernetes.Interface, f informers.SharedInformerFactory,
	dialService func(ctx context.Context, network, addr string) (net.Conn, error)) (*dynamicAdmission, error) {
	dyn, err := dynamic.NewForConfig(gc.LoopbackClientConfig)
	if err != nil {
		return nil, err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(client.Discovery()))
	generic := initializer.New(client, dyn, f, gc.Authorization.Authorizer, utilfeature.DefaultFeatureGate,
		gc.EffectiveVersion, gc.DrainedNotify(), mapper)
	var proxy *http.Transport
	if dialService != nil {
		proxy = &http.Transport{DialContext: dialService}
	}
	hooks := webhookinit.NewPluginInitializer(
		webhook.NewDefaultAuthenticationInfoResolverWrapper(proxy, nil, gc.LoopbackClientConfig, noop.NewTracerProvider()),
		clusterIPResolver{services: f.Core().V1().Services().Lister()})
	inits := admission.PluginInitializers{generic, hooks}

	mutatingPolicy, err := mutatingpolicy.NewPlugin(nil)
	if err != nil {
		return nil, fmt.Errorf("MutatingAdmissionPolicy: %w", err)
	}
	mutatingWebhook, err := mutating.NewMutatingWebhook(nil)
	if err != nil {
		return nil, fmt.Errorf("MutatingAdmissionWebhook: %w", err)
	}
	validatingPolicy, err := validatingpolicy.NewPlugin(nil)
	if err != nil {
		return nil, fmt.Errorf("ValidatingAdmissionPolicy: %w", err)
	}
	validatingWebhook, err := validating.NewValidatingAdmissionWebhook(nil)
	if err != nil {
		return nil, fmt.Errorf("ValidatingAdmissionWebhook: %w", err)
	}
	d := &dynamicAdmission{plugins: []admission.Interface{mutatingPolicy, mutatingWebhook, validatingPolicy, validatingWebhook}}
	for _, p := range d.plugins {
		inits.Initialize(p)
		if err := admission.ValidateInitialization(p); err != nil {
			return nil, err
		}
	}
	d.resetMapper = func(ctx genericapiserver.PostStartHookContext) error {
		mapper.Reset()
		go wait.Until(mapper.Reset, 30*time.Second, ctx.Done())
		return nil
	}
	return d, nil
}

// clusterIPResolver resolves a webhook's Service to its cluster IP, as
// kube-apiserver does without --enable-aggregator-routing.
type clusterIPResolver struct {
	services corelisters.ServiceLister
}

func (r clusterIPResolver) ResolveEndpoint(namespace, name string, port int32) (*url.URL, error) {
	svc, err := r.services.Services(namespace).Get(name)
	if err != nil {
		return nil, err
	}
	switch {
	case svc.Spec.Type == corev1.ServiceTypeExternalName:
		return &url.URL{Scheme: "https", Host: net.JoinHostPort(svc.Spec.ExternalName, strconv.Itoa(int(port)))}, nil
	case svc.Spec.ClusterIP == corev1.ClusterIPNone:
		return nil, errors.New(`cannot route to service with ClusterIP "None"`)
	}
	for _, p := range svc.Spec.Ports {
		if p.Port == port {
			return &url.URL{Scheme: "https", Host: net.JoinHostPort(svc.Spec.ClusterIP, strconv.Itoa(int(port)))}, nil
		}
	}
	return nil, apierrors.NewServiceUnavailable(fmt.Sprintf("no service port %d found for service %q", port, name))
}
