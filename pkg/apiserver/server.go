package apiserver

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/sets"
	apimachineryversion "k8s.io/apimachinery/pkg/version"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/group"
	"k8s.io/apiserver/pkg/authentication/request/bearertoken"
	"k8s.io/apiserver/pkg/authentication/token/tokenfile"
	"k8s.io/apiserver/pkg/authentication/token/union"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/endpoints/discovery/aggregated"
	apiopenapi "k8s.io/apiserver/pkg/endpoints/openapi"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	genericfilters "k8s.io/apiserver/pkg/server/filters"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	restclient "k8s.io/client-go/rest"
	"k8s.io/component-base/compatibility"

	"github.com/fakecluster/fakecluster/pkg/allocator"
	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/kubeletclient"
	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
	"github.com/fakecluster/fakecluster/pkg/apiserver/openapi"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/service/alloc"
	"github.com/fakecluster/fakecluster/pkg/apiserver/serviceaccount"
	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
	"github.com/fakecluster/fakecluster/pkg/storage"
)

// KubernetesVersion is the Kubernetes release fakecluster behaves as.
const KubernetesVersion = "1.37"

// Config is everything the API server needs. The caller (pkg/cluster) owns
// the listener, the certificates and the credential, and writes the
// kubeconfig.
type Config struct {
	// DB holds every object.
	DB *storage.DB
	// Listener is the bound secure port.
	Listener net.Listener
	// ServingCertPEM and ServingKeyPEM are the TLS serving certificate
	// (with its chain) and key; CAPEM is the CA that signed it.
	ServingCertPEM, ServingKeyPEM, CAPEM []byte
	// Token is the bearer token that authenticates as a cluster admin.
	Token string
	// DialAddress is the host:port clients reach the listener at; empty
	// means the listener's own address.
	DialAddress string
	// ServiceCIDRs are the --service-cluster-ip-range ranges, primary
	// first: the "kubernetes" ServiceCIDR, and default/kubernetes takes
	// the first address of the primary one.
	ServiceCIDRs []netip.Prefix
	// ServiceNodePortRange is the --service-node-port-range NodePort and
	// LoadBalancer Services take node ports from; zero means 30000-32767.
	ServiceNodePortRange allocator.PortRange
	// ServiceAccountKey signs service account tokens (an ECDSA P-256 or RSA
	// key, like --service-account-signing-key-file) and its public half
	// verifies them. Nil means serviceaccounts/token is not served and no
	// service account token authenticates.
	ServiceAccountKey crypto.Signer
	// KubeletClientCertPEM and KubeletClientKeyPEM are the client
	// certificate the API server presents to kubelets (kubeadm's
	// apiserver-kubelet-client); empty means none.
	KubeletClientCertPEM, KubeletClientKeyPEM []byte
	// PodDialer connects to pod IPs for pods/proxy and services/proxy, as
	// kube-apiserver reaches pods over the node network. fakecluster's pod
	// IPs exist only in its simulated network, which this dials; nil means
	// the host's network.
	PodDialer func(ctx context.Context, network, addr string) (net.Conn, error)
	// AuthorizationModes are --authorization-mode's modes, in order (Node,
	// RBAC, AlwaysAllow); nil means DefaultAuthorizationModes. Members of
	// system:masters are always allowed.
	AuthorizationModes []string
	// ComponentTokens are bearer tokens of the cluster's own components
	// (controllers, scheduler, kubelets) and the users they authenticate
	// as, as kube-apiserver's --token-auth-file: each component then acts
	// with its own identity and RBAC roles, not as a cluster admin.
	ComponentTokens map[string]*user.DefaultInfo
}

// Server is a configured API server, ready to Run.
type Server struct {
	generic  *genericapiserver.GenericAPIServer
	crds     *crdServer
	loopback *restclient.Config
}

// adminUser is who the kubeconfig's token authenticates as.
var adminUser = &user.DefaultInfo{Name: "kubernetes-admin", Groups: []string{user.SystemPrivilegedGroup, user.AllAuthenticated}}

// New builds the API server and installs every served resource.
func New(cfg Config) (*Server, error) {
	if cfg.DB == nil || cfg.Listener == nil || cfg.Token == "" || len(cfg.ServiceCIDRs) == 0 {
		return nil, errors.New("apiserver: a DB, a listener, a token and a service CIDR are required")
	}
	scheme, codecs, err := newScheme()
	if err != nil {
		return nil, err
	}
	gc, err := genericConfig(cfg, codecs)
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(gc.LoopbackClientConfig)
	if err != nil {
		return nil, err
	}
	informerFactory := informers.NewSharedInformerFactory(client, 0)
	authz, err := newAuthorization(cfg.AuthorizationModes, informerFactory)
	if err != nil {
		return nil, err
	}
	gc.Authorization.Authorizer, gc.RuleResolver = authz.authorizer, authz.rules
	namespaces, err := namespaceLifecycle(client, informerFactory)
	if err != nil {
		return nil, err
	}
	podSecurity, err := newPodSecurity(client, informerFactory)
	if err != nil {
		return nil, err
	}
	quotas, err := newResourceQuota(client, informerFactory, gc.DrainedNotify())
	if err != nil {
		return nil, err
	}
	dynamicAdmission, err := newDynamicAdmission(gc, client, informerFactory, cfg.PodDialer)
	if err != nil {
		return nil, err
	}
	// In kube-apiserver's order: NamespaceLifecycle, LimitRanger,
	// ServiceAccount, NodeRestriction, TaintNodesByCondition, PodSecurity, Priority,
	// DefaultTolerationSeconds, DefaultStorageClass,
	// StorageObjectInUseProtection, the policies and webhooks, then
	// ResourceQuota (always last).
	chain := []admission.Interface{namespaces, newLimitRanger(client, informerFactory), serviceaccount.NewAdmission(client, informerFactory),
		newNodeRestriction(informerFactory, authz.authorizer), newTaintNodesByCondition(), podSecurity, newPodPriority(informerFactory), newDefaultTolerationSeconds(),
		newDefaultStorageClass(informerFactory), newStorageObjectInUseProtection()}
	chain = append(chain, dynamicAdmission.plugins...)
	gc.AdmissionControl = admission.NewChainHandler(append(chain, quotas)...)
	var tokens *serviceaccount.Issuer
	if cfg.ServiceAccountKey != nil {
		if tokens, err = serviceAccountTokens(gc, cfg, client, informerFactory); err != nil {
			return nil, err
		}
	}
	// Both servers write to one aggregated /apis, as in kube-apiserver.
	gc.AggregatedDiscoveryGroupManager = aggregated.NewResourceManager("apis")
	crds, err := newCRDServer(gc, informerFactory, cfg.DB, codecs)
	if err != nil {
		return nil, err
	}
	completed := gc.Complete(informerFactory)
	generic, err := completed.New("fakecluster", crds.GenericAPIServer)
	if err != nil {
		return nil, fmt.Errorf("create API server: %w", err)
	}
	kubelet, err := kubeletConnection(cfg.CAPEM, cfg.KubeletClientCertPEM, cfg.KubeletClientKeyPEM)
	if err != nil {
		return nil, err
	}
	services, err := serviceAllocators(cfg, gc.LoopbackClientConfig)
	if err != nil {
		return nil, err
	}
	stores := registry.Config{
		Options: resource.Options{
			RESTOptions: builtinRESTOptions(cfg.DB, scheme, codecs),
			Typer:       scheme,
			Tables:      tables.New(nil),
		},
		Kubelet:      kubelet,
		PodTransport: podTransport(cfg.PodDialer),
		Tokens:       tokens,
		Services:     services,
		// Read once the authenticator and authorizer are final.
		Authorizer:    gc.Authorization.Authorizer,
		RuleResolver:  gc.RuleResolver,
		Authenticator: gc.Authentication.Authenticator,
		APIAudiences:  gc.Authentication.APIAudiences,
	}
	if err := installAPIs(generic, scheme, codecs, stores); err != nil {
		return nil, err
	}
	if err := listCRDGroups(generic, crds); err != nil {
		return nil, err
	}
	if err := crds.startOpenAPIControllers(generic); err != nil {
		return nil, err
	}
	err = errors.Join(
		generic.AddPostStartHook("start-informers", func(ctx genericapiserver.PostStartHookContext) error {
			informerFactory.Start(ctx.Done())
			return nil
		}),
		generic.AddPostStartHook("bootstrap-cluster-objects", func(ctx genericapiserver.PostStartHookContext) error {
			return retryBootstrap(ctx, client, services, cfg.ServiceCIDRs, gc.ExternalAddress)
		}),
		generic.AddPostStartHook("rbac/bootstrap-roles", func(ctx genericapiserver.PostStartHookContext) error {
			return bootstrapRBAC(ctx, client, authz)
		}),
		generic.AddPostStartHook("scheduling/bootstrap-system-priority-classes", func(ctx genericapiserver.PostStartHookContext) error {
			return bootstrapPriorityClasses(ctx, client)
		}),
		generic.AddPostStartHook("start-apiserver-admission-initializer", dynamicAdmission.resetMapper),
	)
	if err != nil {
		return nil, err
	}
	return &Server{generic: generic, crds: crds, loopback: gc.LoopbackClientConfig}, nil
}

// serviceAllocators allocates Services' cluster IPs and node ports. Its
// client, like kube-apiserver's in-process writes, ignores the deprecation
// warnings of the APIs it uses (v1 Endpoints).
func serviceAllocators(cfg Config, loopback *restclient.Config) (*alloc.Allocators, error) {
	rc := restclient.CopyConfig(loopback)
	rc.WarningHandler = restclient.NoWarnings{}
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, err
	}
	return alloc.New(alloc.Config{ServiceCIDRs: cfg.ServiceCIDRs, NodePorts: cfg.ServiceNodePortRange, Client: client})
}

// podTransport is the HTTP transport of pods/proxy and services/proxy.
func podTransport(dial func(ctx context.Context, network, addr string) (net.Conn, error)) http.RoundTripper {
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	return &http.Transport{
		Proxy:               nil,
		DialContext:         dial,
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: true}, // as upstream's proxy to pods: their certificates name no IP
		TLSHandshakeTimeout: 10 * time.Second,
		IdleConnTimeout:     90 * time.Second,
	}
}

// kubeletConnection reaches fakecluster's kubelets: on loopback whatever
// node the URL names, over TLS with serving certificates from the cluster
// CA for the node's name, presenting the API server's client certificate.
func kubeletConnection(caPEM, clientCertPEM, clientKeyPEM []byte) (kubeletclient.Connection, error) {
	pool := x509.NewCertPool()
	if len(caPEM) > 0 && !pool.AppendCertsFromPEM(caPEM) {
		return kubeletclient.Connection{}, errors.New("no certificate in the CA bundle")
	}
	tlsConfig := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if len(clientCertPEM) > 0 {
		pair, err := tls.X509KeyPair(clientCertPEM, clientKeyPEM)
		if err != nil {
			return kubeletclient.Connection{}, fmt.Errorf("kubelet client certificate: %w", err)
		}
		tlsConfig.Certificates = []tls.Certificate{pair}
	}
	const host = "127.0.0.1"
	var dialer net.Dialer
	transport := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			_, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			return dialer.DialContext(ctx, network, net.JoinHostPort(host, port))
		},
		TLSClientConfig:     tlsConfig,
		TLSHandshakeTimeout: 10 * time.Second,
		IdleConnTimeout:     90 * time.Second,
	}
	return kubeletclient.Connection{Host: host, Transport: transport}, nil
}

// serviceAccountTokens returns the issuer of service account tokens and
// makes gc authenticate them, after the admin token, as kube-apiserver
// does with kubeadm's flags: issuer and API audience
// https://kubernetes.default.svc.cluster.local, and the bound objects
// looked up through informers from f.
func serviceAccountTokens(gc *genericapiserver.Config, cfg Config, client kubernetes.Interface, f informers.SharedInformerFactory) (*serviceaccount.Issuer, error) {
	audiences := []string{serviceaccount.DefaultIssuer}
	issuer, err := serviceaccount.NewIssuer(serviceaccount.DefaultIssuer, audiences, cfg.ServiceAccountKey)
	if err != nil {
		return nil, fmt.Errorf("service account issuer: %w", err)
	}
	tokens, err := serviceaccount.NewAuthenticator(serviceaccount.DefaultIssuer, audiences, cfg.ServiceAccountKey.Public(), serviceaccount.NewGetter(client, f))
	if err != nil {
		return nil, fmt.Errorf("service account authenticator: %w", err)
	}
	gc.Authentication.APIAudiences = audiences
	gc.Authentication.Authenticator = group.NewAuthenticatedGroupAdder(
		bearertoken.New(union.New(authenticator.WrapAudienceAgnosticToken(audiences, staticTokens(cfg)), tokens)))
	return issuer, nil
}

// staticTokens authenticates the admin token and the component tokens.
func staticTokens(cfg Config) authenticator.Token {
	return union.New(adminToken(cfg.Token), tokenfile.New(cfg.ComponentTokens))
}

// namespaceLifecycle is kube-apiserver's NamespaceLifecycle admission: no
// objects in a namespace that does not exist or is terminating, and the
// system namespaces cannot be deleted.
func namespaceLifecycle(client kubernetes.Interface, f informers.SharedInformerFactory) (admission.Interface, error) {
	plugin, err := lifecycle.NewLifecycle(sets.New(systemNamespaces...))
	if err != nil {
		return nil, err
	}
	plugin.SetExternalKubeClientSet(client)
	plugin.SetExternalKubeInformerFactory(f)
	if err := plugin.ValidateInitialization(); err != nil {
		return nil, err
	}
	return plugin, nil
}

// kubernetesRelease is the version /version reports.
const kubernetesRelease = "v1.37.2"

// effectiveVersion reports kubernetesRelease as the git version, which
// k8s.io/component-base otherwise takes from linker flags.
type effectiveVersion struct{ compatibility.EffectiveVersion }

func (v effectiveVersion) Info() *apimachineryversion.Info {
	info := v.EffectiveVersion.Info()
	info.GitVersion = kubernetesRelease
	info.GitTreeState = "clean"
	return info
}

// genericConfig assembles k8s.io/apiserver's server.Config by hand: the
// recommended options assume etcd, a kube client and API priority and
// fairness, none of which fakecluster has.
func genericConfig(cfg Config, codecs serializer.CodecFactory) (*genericapiserver.Config, error) {
	gc := genericapiserver.NewConfig(codecs)
	// Stopping ends open watches (kubectl get -w, informers) promptly
	// instead of waiting out the HTTP shutdown timeout for them.
	gc.ShutdownWatchTerminationGracePeriod = 2 * time.Second
	// As kube-apiserver: watches, proxies and the streaming subresources
	// run as long as their clients want, outside the request timeout.
	gc.LongRunningFunc = genericfilters.BasicLongRunningRequestCheck(
		sets.NewString("watch", "proxy"), sets.NewString("attach", "exec", "proxy", "log", "portforward"))
	gc.EffectiveVersion = effectiveVersion{compatibility.NewEffectiveVersionFromString(KubernetesVersion, "", "")}

	cert, err := dynamiccertificates.NewStaticCertKeyContent("serving-cert", cfg.ServingCertPEM, cfg.ServingKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("serving certificate: %w", err)
	}
	gc.SecureServing = &genericapiserver.SecureServingInfo{Listener: cfg.Listener, Cert: cert}
	dial := cfg.DialAddress
	if dial == "" {
		dial = cfg.Listener.Addr().String()
	}
	host, _, err := net.SplitHostPort(dial)
	if err != nil {
		return nil, err
	}
	gc.ExternalAddress = dial
	gc.PublicAddress = net.ParseIP(host)
	// The in-process clients have a token of their own, new each start, as
	// kube-apiserver's loopback: Complete makes it authenticate as
	// system:apiserver, so that the kubeconfig's token stays
	// kubernetes-admin's (kubectl auth whoami, TokenReviews).
	gc.LoopbackClientConfig = &restclient.Config{
		Host:            "https://" + dial,
		BearerToken:     rand.Text(),
		TLSClientConfig: restclient.TLSClientConfig{CAData: cfg.CAPEM},
		QPS:             -1,
	}

	gc.Authentication.Authenticator = group.NewAuthenticatedGroupAdder(bearertoken.New(staticTokens(cfg)))
	// The authorizer is New's, from the authorization modes (authorization.go).

	// The OpenAPI namer sees only the real versions, or the
	// x-kubernetes-group-version-kind extensions would name __internal.
	namerScheme := runtime.NewScheme()
	for _, served := range servedGroupVersions {
		if err := served.add(namerScheme); err != nil {
			return nil, err
		}
	}
	addBodyKinds(namerScheme, false)
	namer := apiopenapi.NewDefinitionNamer(namerScheme)
	gc.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(openapi.GetOpenAPIDefinitions, namer)
	gc.OpenAPIConfig.Info.Title = "Kubernetes"
	gc.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(openapi.GetOpenAPIDefinitions, namer)
	gc.OpenAPIV3Config.Info.Title = "Kubernetes"
	return gc, nil
}

// adminToken accepts exactly the configured token, compared in constant time.
func adminToken(token string) authenticator.TokenFunc {
	return func(ctx context.Context, got string) (*authenticator.Response, bool, error) {
		if subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			return nil, false, nil
		}
		return &authenticator.Response{User: adminUser}, true, nil
	}
}

// installAPIs installs the legacy core group and every named group.
func installAPIs(s *genericapiserver.GenericAPIServer, scheme *runtime.Scheme, codecs serializer.CodecFactory, stores registry.Config) error {
	groups, err := resourcesByGroupVersion(scheme, stores)
	if err != nil {
		return err
	}
	for gv, resources := range groups {
		info := genericapiserver.NewDefaultAPIGroupInfo(gv.Group, scheme, runtime.NewParameterCodec(scheme), codecs)
		info.PrioritizedVersions = []schema.GroupVersion{gv}
		info.VersionedResourcesStorageMap[gv.Version] = resources
		if gv.Group == "" {
			err = s.InstallLegacyAPIGroup(genericapiserver.DefaultLegacyAPIPrefix, &info)
		} else {
			err = s.InstallAPIGroup(&info)
		}
		if err != nil {
			return fmt.Errorf("install %s: %w", gv, err)
		}
	}
	return nil
}

// listCRDGroups makes the top server's unaggregated /apis list
// apiextensions.k8s.io and the groups of established CRDs, which the CRD
// server serves below it.
func listCRDGroups(top *genericapiserver.GenericAPIServer, crds *crdServer) error {
	v1 := metav1.GroupVersionForDiscovery{GroupVersion: apiextensionsv1.SchemeGroupVersion.String(), Version: apiextensionsv1.SchemeGroupVersion.Version}
	top.DiscoveryGroupManager.AddGroup(metav1.APIGroup{Name: apiextensionsv1.GroupName, Versions: []metav1.GroupVersionForDiscovery{v1}, PreferredVersion: v1})
	builtin := map[string]bool{"": true, apiextensionsv1.GroupName: true}
	for _, served := range servedGroupVersions {
		builtin[served.gv.Group] = true
	}
	informer := crds.Informers.Apiextensions().V1().CustomResourceDefinitions()
	l := &crdGroupLister{groups: top.DiscoveryGroupManager, crds: informer.Lister(), builtin: builtin}
	return l.watch(informer.Informer())
}

// LoopbackConfig is a client config with full access, for in-process
// controllers and kubelets.
func (s *Server) LoopbackConfig() *restclient.Config { return restclient.CopyConfig(s.loopback) }

// Run serves until ctx is done, then shuts down gracefully.
func (s *Server) Run(ctx context.Context) error {
	prepared := s.generic.PrepareRun()
	if err := s.crds.mergeOpenAPI(s.generic); err != nil {
		return err
	}
	return prepared.RunWithContext(ctx)
}
