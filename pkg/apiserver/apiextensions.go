package apiserver

import (
	"errors"
	"fmt"
	"maps"
	"strings"

	restful "github.com/emicklei/go-restful/v3"
	openapicontroller "k8s.io/apiextensions-apiserver/pkg/controller/openapi"
	openapiv3controller "k8s.io/apiextensions-apiserver/pkg/controller/openapiv3"
	"k8s.io/kube-openapi/pkg/aggregator"
	"k8s.io/kube-openapi/pkg/builder"
	"k8s.io/kube-openapi/pkg/builder3"
	"k8s.io/kube-openapi/pkg/common/restfuladapter"
	"k8s.io/kube-openapi/pkg/handler"

	apiextensionsapiserver "k8s.io/apiextensions-apiserver/pkg/apiserver"
	apiextensionsopenapi "k8s.io/apiextensions-apiserver/pkg/generated/openapi"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	genericapifilters "k8s.io/apiserver/pkg/endpoints/filters"
	apiopenapi "k8s.io/apiserver/pkg/endpoints/openapi"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/util/notfoundhandler"
	"k8s.io/apiserver/pkg/util/webhook"
	"k8s.io/client-go/informers"
	"k8s.io/kube-openapi/pkg/common"

	"github.com/fakecluster/fakecluster/pkg/apiserver/openapi"
	"github.com/fakecluster/fakecluster/pkg/storage"
)

// newCRDServer builds k8s.io/apiextensions-apiserver's server, which serves
// customresourcedefinitions and every custom resource, as the delegate of
// fakecluster's own server, as kube-apiserver chains them: a request none
// of fakecluster's groups takes goes to it, and one it does not take either
// to kube-apiserver's not-found handler (503 until the CRDs are known, then
// 404). Its config is a copy of gc, as kube-apiserver's is of its own, so
// both share authentication, authorization, admission and the aggregated
// discovery they write to; CRDs and custom resources live in db beside the
// built-in objects.
func newCRDServer(gc *genericapiserver.Config, f informers.SharedInformerFactory, db *storage.DB, codecs serializer.CodecFactory) (*crdServer, error) {
	c := *gc
	// The hooks that start fakecluster's informers and bootstrap objects
	// are the top server's; the delegate adds its own.
	c.PostStartHooks = map[string]genericapiserver.PostStartHookConfigEntry{}
	c.RESTOptionsGetter = crdRESTOptions(db)
	c.MergedResourceConfig = apiextensionsapiserver.DefaultAPIResourceConfigSource()
	namer := apiopenapi.NewDefinitionNamer(apiextensionsapiserver.Scheme)
	c.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(crdServerOpenAPIDefinitions, namer)
	c.OpenAPIConfig.Info.Title = "Kubernetes"
	c.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(crdServerOpenAPIDefinitions, namer)
	c.OpenAPIV3Config.Info.Title = "Kubernetes"
	// The top server serves /openapi/v2 and /openapi/v3 for both
	// (crdServer.mergeOpenAPI); skipping the delegate's also keeps the
	// library from running its OpenAPI controllers against it.
	c.SkipOpenAPIInstallation = true
	config := apiextensionsapiserver.Config{
		GenericConfig: &genericapiserver.RecommendedConfig{Config: c, SharedInformerFactory: f, ClientConfig: gc.LoopbackClientConfig},
		ExtraConfig: apiextensionsapiserver.ExtraConfig{
			CRDRESTOptionsGetter: customResourceRESTOptions(db),
			// One API server: a new CRD is established at once, not after
			// the 5 s an HA control plane waits for its peers.
			MasterCount: 1,
			// Conversion webhooks named by Service are reached at the
			// Service's DNS name, as upstream's default resolver does.
			ServiceResolver: webhook.NewDefaultServiceResolver(),
		},
	}
	notFound := notfoundhandler.New(codecs, genericapifilters.NoMuxAndDiscoveryIncompleteKey)
	s, err := config.Complete().New(genericapiserver.NewEmptyDelegateWithCustomHandler(notFound))
	if err != nil {
		return nil, fmt.Errorf("create apiextensions server: %w", err)
	}
	return &crdServer{CustomResourceDefinitions: s, openAPI: c.OpenAPIConfig, openAPIV3: c.OpenAPIV3Config}, nil
}

// crdServer is the CRD server with the OpenAPI configs its routes are
// described by.
type crdServer struct {
	*apiextensionsapiserver.CustomResourceDefinitions
	openAPI   *common.Config
	openAPIV3 *common.OpenAPIV3Config
}

// mergeOpenAPI makes top's OpenAPI v2 and v3 documents describe the CRD
// server's routes (apiextensions.k8s.io) and, through the library's OpenAPI
// controllers, every established CRD's schema, as kube-apiserver's
// aggregator merges its delegates' documents. It must run after top's
// PrepareRun, which builds those documents, and before top serves them.
func (s *crdServer) mergeOpenAPI(top *genericapiserver.GenericAPIServer) error {
	if top.StaticOpenAPISpec == nil || top.OpenAPIV3VersionedService == nil {
		return errors.New("merge CRD OpenAPI: the API server's OpenAPI documents are not built")
	}
	services := s.GenericAPIServer.Handler.GoRestfulContainer.RegisteredWebServices()
	v2, err := builder.BuildOpenAPISpecFromRoutes(restfuladapter.AdaptWebServices(services), s.openAPI)
	if err != nil {
		return fmt.Errorf("build apiextensions OpenAPI v2: %w", err)
	}
	v2.Definitions = handler.PruneDefaults(v2.Definitions)
	if err := aggregator.MergeSpecsIgnorePathConflictRenamingDefinitionsAndParameters(top.StaticOpenAPISpec, v2); err != nil {
		return fmt.Errorf("merge apiextensions OpenAPI v2: %w", err)
	}
	if err := top.OpenAPIVersionedService.UpdateSpec(top.StaticOpenAPISpec); err != nil {
		return err
	}
	for _, ws := range services {
		v3, err := builder3.BuildOpenAPISpecFromRoutes(restfuladapter.AdaptWebServices([]*restful.WebService{ws}), s.openAPIV3)
		if err != nil {
			return fmt.Errorf("build OpenAPI v3 of %s: %w", ws.RootPath(), err)
		}
		top.OpenAPIV3VersionedService.UpdateGroupVersion(strings.TrimPrefix(ws.RootPath(), "/"), v3)
	}
	return nil
}

// startOpenAPIControllers has the library's OpenAPI controllers add and
// remove the schemas of established CRDs in top's documents once top runs,
// after mergeOpenAPI.
func (s *crdServer) startOpenAPIControllers(top *genericapiserver.GenericAPIServer) error {
	crds := s.Informers.Apiextensions().V1().CustomResourceDefinitions()
	return top.AddPostStartHook("start-crd-openapi-controllers", func(ctx genericapiserver.PostStartHookContext) error {
		go openapicontroller.NewController(crds).Run(top.StaticOpenAPISpec, top.OpenAPIVersionedService, ctx.Done())
		go openapiv3controller.NewController(crds).Run(top.OpenAPIV3VersionedService, ctx.Done())
		return nil
	})
}

// crdServerOpenAPIDefinitions are the definitions the CRD server's routes
// refer to: apiextensions.k8s.io's types and the meta types they share
// with the built-in groups.
func crdServerOpenAPIDefinitions(ref common.ReferenceCallback) map[string]common.OpenAPIDefinition {
	defs := openapi.GetOpenAPIDefinitions(ref)
	maps.Copy(defs, apiextensionsopenapi.GetOpenAPIDefinitions(ref))
	return defs
}
