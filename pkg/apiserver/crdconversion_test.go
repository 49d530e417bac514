package apiserver_test

import (
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// TestCustomResourceConversionWebhook serves a CRD whose v1 keeps
// spec.size and whose v2 calls it spec.count, converted by a webhook at a
// URL with its own CA: an object created as v2 goes through the webhook to
// v1, the storage version, and reads back the same in both versions.
func TestCustomResourceConversionWebhook(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	hook := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		var review apiextensionsv1.ConversionReview
		if err := json.NewDecoder(r.Body).Decode(&review); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		review.Response = convertGadgets(review.Request)
		review.Request = nil
		if err := json.NewEncoder(w).Encode(&review); err != nil {
			t.Errorf("write ConversionReview: %v", err)
		}
	}))
	defer hook.Close()
	caBundle := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: hook.Certificate().Raw})

	c := clustertest.StartAPI(t, cluster.Options{})
	cfg := c.RESTConfig()
	crds := apiextensionsclient.NewForConfigOrDie(cfg)
	dyn := dynamic.NewForConfigOrDie(cfg)
	createEstablished(t, crds, gadgetCRD(hook.URL, caBundle))
	v1 := schema.GroupVersionResource{Group: "conv.io", Version: "v1", Resource: "gadgets"}
	v2 := schema.GroupVersionResource{Group: "conv.io", Version: "v2", Resource: "gadgets"}
	waitServed(t, dyn, v2)

	in := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "conv.io/v2", "kind": "Gadget",
		"metadata": map[string]any{"name": "g"},
		"spec":     map[string]any{"count": int64(3)},
	}}
	if _, err := dyn.Resource(v2).Namespace("default").Create(t.Context(), in, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create as v2: %v", err)
	}
	for _, tc := range []struct {
		gvr         schema.GroupVersionResource
		field, want string
	}{{v1, "size", "conv.io/v1"}, {v2, "count", "conv.io/v2"}} {
		got, err := dyn.Resource(tc.gvr).Namespace("default").Get(t.Context(), "g", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get as %s: %v", tc.gvr.Version, err)
		}
		n, _, _ := unstructured.NestedInt64(got.Object, "spec", tc.field)
		if got.GetAPIVersion() != tc.want || n != 3 {
			t.Errorf("get as %s = %s spec %v, want %s spec.%s 3", tc.gvr.Version, got.GetAPIVersion(), got.Object["spec"], tc.want, tc.field)
		}
	}
	if calls.Load() == 0 {
		t.Error("the conversion webhook was never called")
	}
}

// convertGadgets renames spec.size (v1) and spec.count (v2) into each
// other, as a conversion webhook answers a ConversionReview.
func convertGadgets(req *apiextensionsv1.ConversionRequest) *apiextensionsv1.ConversionResponse {
	resp := &apiextensionsv1.ConversionResponse{UID: req.UID, Result: metav1.Status{Status: metav1.StatusSuccess}}
	from, to := "size", "count"
	if req.DesiredAPIVersion == "conv.io/v1" {
		from, to = to, from
	}
	for _, raw := range req.Objects {
		obj := map[string]any{}
		if err := json.Unmarshal(raw.Raw, &obj); err != nil {
			return &apiextensionsv1.ConversionResponse{UID: req.UID, Result: metav1.Status{Status: metav1.StatusFailure, Message: err.Error()}}
		}
		if spec, ok := obj["spec"].(map[string]any); ok && obj["apiVersion"] != req.DesiredAPIVersion {
			if v, ok := spec[from]; ok {
				spec[to] = v
				delete(spec, from)
			}
		}
		obj["apiVersion"] = req.DesiredAPIVersion
		out, _ := json.Marshal(obj)
		resp.ConvertedObjects = append(resp.ConvertedObjects, runtime.RawExtension{Raw: out})
	}
	return resp
}

// gadgetCRD is a CRD with versions v1 (stored) and v2, converted by the
// webhook at url, whose serving certificate caBundle signs.
func gadgetCRD(url string, caBundle []byte) *apiextensionsv1.CustomResourceDefinition {
	version := func(name, field string, storage bool) apiextensionsv1.CustomResourceDefinitionVersion {
		return apiextensionsv1.CustomResourceDefinitionVersion{
			Name: name, Served: true, Storage: storage,
			Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
				Type: "object",
				Properties: map[string]apiextensionsv1.JSONSchemaProps{
					"spec": {Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{field: {Type: "integer"}}},
				},
			}},
		}
	}
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "gadgets.conv.io"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "conv.io",
			Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "gadgets", Singular: "gadget", Kind: "Gadget", ListKind: "GadgetList"},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{
				version("v1", "size", true), version("v2", "count", false),
			},
			Conversion: &apiextensionsv1.CustomResourceConversion{
				Strategy: apiextensionsv1.WebhookConverter,
				Webhook: &apiextensionsv1.WebhookConversion{
					ClientConfig:             &apiextensionsv1.WebhookClientConfig{URL: &url, CABundle: caBundle},
					ConversionReviewVersions: []string{"v1"},
				},
			},
		},
	}
}
