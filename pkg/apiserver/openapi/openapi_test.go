package openapi

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// refPrefix is where kube-apiserver's OpenAPI v2 document keeps definitions;
// the test's ReferenceCallback builds refs the same way.
const refPrefix = "#/definitions/"

// definitions returns the generated definitions and the set of names that
// the schemas passed to the ReferenceCallback.
func definitions(t testing.TB) (map[string]common.OpenAPIDefinition, map[string]bool) {
	t.Helper()
	requested := map[string]bool{}
	defs := GetOpenAPIDefinitions(func(name string) spec.Ref {
		requested[name] = true
		return spec.MustCreateRef(refPrefix + name)
	})
	if len(defs) == 0 {
		t.Fatal("GetOpenAPIDefinitions returned no definitions")
	}
	return defs, requested
}

func TestDefinitionsCoverServedTypes(t *testing.T) {
	t.Parallel()
	defs, _ := definitions(t)

	// The names clients see (kubectl explain, /openapi/v2): upstream's model
	// names, not Go import paths.
	for _, tc := range []struct {
		name string
		key  string
	}{
		{name: "Pod", key: "io.k8s.api.core.v1.Pod"},
		{name: "Service", key: "io.k8s.api.core.v1.Service"},
		{name: "Node", key: "io.k8s.api.core.v1.Node"},
		{name: "EndpointSlice", key: "io.k8s.api.discovery.v1.EndpointSlice"},
		{name: "events Event", key: "io.k8s.api.events.v1.Event"},
		{name: "Lease", key: "io.k8s.api.coordination.v1.Lease"},
		{name: "ServiceCIDR", key: "io.k8s.api.networking.v1.ServiceCIDR"},
		{name: "IPAddress", key: "io.k8s.api.networking.v1.IPAddress"},
		{name: "Ingress", key: "io.k8s.api.networking.v1.Ingress"},
		{name: "SelfSubjectReview", key: "io.k8s.api.authentication.v1.SelfSubjectReview"},
		{name: "SelfSubjectAccessReview", key: "io.k8s.api.authorization.v1.SelfSubjectAccessReview"},
		{name: "Eviction", key: "io.k8s.api.policy.v1.Eviction"},
		{name: "Scale", key: "io.k8s.api.autoscaling.v1.Scale"},
		{name: "ObjectMeta", key: "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"},
		{name: "Status", key: "io.k8s.apimachinery.pkg.apis.meta.v1.Status"},
		{name: "WatchEvent", key: "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent"},
		{name: "RawExtension", key: "io.k8s.apimachinery.pkg.runtime.RawExtension"},
		{name: "version Info", key: "io.k8s.apimachinery.pkg.version.Info"},
		{name: "IntOrString", key: "io.k8s.apimachinery.pkg.util.intstr.IntOrString"},
		{name: "Quantity", key: "io.k8s.apimachinery.pkg.api.resource.Quantity"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, ok := defs[tc.key]; !ok {
				t.Errorf("no definition for %q", tc.key)
			}
		})
	}
}

// Every $ref a schema holds, and every dependency a definition lists, must
// name a definition in the map, or the served document has dangling refs and
// the server-side apply type converter cannot be built.
func TestEveryRefResolves(t *testing.T) {
	t.Parallel()
	defs, requested := definitions(t)
	if len(requested) == 0 {
		t.Fatal("no schema asked the ReferenceCallback for a ref")
	}
	for _, name := range slices.Sorted(maps.Keys(requested)) {
		if _, ok := defs[name]; !ok {
			t.Errorf("ReferenceCallback was asked for %q, which has no definition", name)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(defs)) {
		def := defs[key]
		for _, dep := range def.Dependencies {
			if _, ok := defs[dep]; !ok {
				t.Errorf("%s: dependency %q has no definition", key, dep)
			}
		}
		walkRefs(def.Schema, key, func(path, ref string) {
			name, ok := strings.CutPrefix(ref, refPrefix)
			if !ok {
				t.Errorf("%s: $ref %q does not start with %q", path, ref, refPrefix)
				return
			}
			if _, ok := defs[name]; !ok {
				t.Errorf("%s: $ref %q has no definition", path, ref)
			}
		})
	}
}

func TestPodSchema(t *testing.T) {
	t.Parallel()
	defs, _ := definitions(t)
	pod, ok := defs["io.k8s.api.core.v1.Pod"]
	if !ok {
		t.Fatal("no definition for io.k8s.api.core.v1.Pod")
	}
	for _, tc := range []struct {
		property string
		wantRef  string
	}{
		{property: "metadata", wantRef: "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"},
		{property: "spec", wantRef: "io.k8s.api.core.v1.PodSpec"},
		{property: "status", wantRef: "io.k8s.api.core.v1.PodStatus"},
	} {
		t.Run(tc.property, func(t *testing.T) {
			t.Parallel()
			prop, ok := pod.Schema.Properties[tc.property]
			if !ok {
				t.Fatalf("Pod has no property %q", tc.property)
			}
			if got, want := prop.Ref.String(), refPrefix+tc.wantRef; got != want {
				t.Errorf("Pod.%s $ref = %q, want %q", tc.property, got, want)
			}
			if _, ok := defs[tc.wantRef]; !ok {
				t.Errorf("Pod.%s refers to %q, which has no definition", tc.property, tc.wantRef)
			}
		})
	}
	for _, property := range []string{"apiVersion", "kind"} {
		if _, ok := pod.Schema.Properties[property]; !ok {
			t.Errorf("Pod has no property %q", property)
		}
	}
}

// The API server's DefinitionNamer names each registered kind with
// runtime.Scheme.ToOpenAPIDefinitionName and tags that definition with its
// group-version-kind; a kind whose name is missing here would be served
// without a schema.
func TestEverySchemeKindHasDefinition(t *testing.T) {
	t.Parallel()
	defs, _ := definitions(t)
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme,
		discoveryv1.AddToScheme,
		eventsv1.AddToScheme,
		coordinationv1.AddToScheme,
		networkingv1.AddToScheme,
		authenticationv1.AddToScheme,
		authorizationv1.AddToScheme,
		policyv1.AddToScheme,
		autoscalingv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			t.Fatalf("build scheme: %v", err)
		}
	}
	for gvk := range scheme.AllKnownTypes() {
		name, err := scheme.ToOpenAPIDefinitionName(gvk)
		if err != nil {
			t.Errorf("%v: %v", gvk, err)
			continue
		}
		if _, ok := defs[name]; !ok {
			t.Errorf("%v: no definition for %q", gvk, name)
		}
	}
}

// walkRefs calls fn with the path and $ref of every schema under s that has
// one: properties, items, additional properties and the *Of combinators.
func walkRefs(s spec.Schema, path string, fn func(path, ref string)) {
	if ref := s.Ref.String(); ref != "" {
		fn(path, ref)
	}
	for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
		walkRefs(s.Properties[name], path+"."+name, fn)
	}
	if s.Items != nil {
		if s.Items.Schema != nil {
			walkRefs(*s.Items.Schema, path+"[]", fn)
		}
		for i, item := range s.Items.Schemas {
			walkRefs(item, path+"["+strconv.Itoa(i)+"]", fn)
		}
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
		walkRefs(*s.AdditionalProperties.Schema, path+"{}", fn)
	}
	for _, group := range []struct {
		name    string
		schemas []spec.Schema
	}{{"allOf", s.AllOf}, {"oneOf", s.OneOf}, {"anyOf", s.AnyOf}} {
		for _, sub := range group.schemas {
			walkRefs(sub, path+"."+group.name, fn)
		}
	}
	if s.Not != nil {
		walkRefs(*s.Not, path+".not", fn)
	}
}
