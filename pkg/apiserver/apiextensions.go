package apiserver

import (
	"fmt"
	"maps"

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
func newCRDServer(gc *genericapiserver.Config, f informers.SharedInformerFactory, db *storage.DB, codecs serializer.CodecFactory) (*apiextensionsapiserver.CustomResourceDefinitions, error) {
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
	return s, nil
}

// crdServerOpenAPIDefinitions are the definitions the CRD server's routes
// refer to: apiextensions.k8s.io's types and the meta types they share
// with the built-in groups.
func crdServerOpenAPIDefinitions(ref common.ReferenceCallback) map[string]common.OpenAPIDefinition {
	defs := openapi.GetOpenAPIDefinitions(ref)
	maps.Copy(defs, apiextensionsopenapi.GetOpenAPIDefinitions(ref))
	return defs
}
