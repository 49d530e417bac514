package apiserver_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	apistorage "k8s.io/apiserver/pkg/storage"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
	"github.com/fakecluster/fakecluster/pkg/storage"
)

// widgetCRD is a namespaced CRD of plural widgets in group, with a
// schema that defaults spec.size, a CEL rule, printer columns and a
// status subresource.
func widgetCRD(group string) *apiextensionsv1.CustomResourceDefinition {
	minSize, maxSize := 1.0, 10.0
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "widgets." + group},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: group,
			Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{
				Plural: "widgets", Singular: "widget", Kind: "Widget", ListKind: "WidgetList", ShortNames: []string{"wd"},
			},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Subresources: &apiextensionsv1.CustomResourceSubresources{Status: &apiextensionsv1.CustomResourceSubresourceStatus{}},
				AdditionalPrinterColumns: []apiextensionsv1.CustomResourceColumnDefinition{
					{Name: "Size", Type: "integer", JSONPath: ".spec.size"},
					{Name: "Ready", Type: "boolean", JSONPath: ".status.ready"},
				},
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object",
					Properties: map[string]apiextensionsv1.JSONSchemaProps{
						"spec": {
							Type: "object",
							Properties: map[string]apiextensionsv1.JSONSchemaProps{
								"size":  {Type: "integer", Minimum: &minSize, Maximum: &maxSize, Default: &apiextensionsv1.JSON{Raw: []byte("1")}},
								"color": {Type: "string"},
							},
							XValidations: apiextensionsv1.ValidationRules{{
								Rule: "self.size <= 5 || self.color == 'red'", Message: "big widgets must be red",
							}},
						},
						"status": {
							Type:       "object",
							Properties: map[string]apiextensionsv1.JSONSchemaProps{"ready": {Type: "boolean"}},
						},
					},
				}},
			}},
		},
	}
}

func widgetResource(group string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: group, Version: "v1", Resource: "widgets"}
}

func widget(group, name string, spec map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": group + "/v1", "kind": "Widget",
		"metadata": map[string]any{"name": name},
		"spec":     spec,
	}}
}

// createEstablished creates crd and waits until its Established and
// NamesAccepted conditions are true, as kubectl wait --for
// condition=established does.
func createEstablished(t *testing.T, client apiextensionsclient.Interface, crd *apiextensionsv1.CustomResourceDefinition) {
	t.Helper()
	if _, err := client.ApiextensionsV1().CustomResourceDefinitions().Create(t.Context(), crd, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create CRD %s: %v", crd.Name, err)
	}
	waitEstablished(t, client, crd.Name)
}

func waitEstablished(t *testing.T, client apiextensionsclient.Interface, name string) {
	t.Helper()
	clustertest.Poll(t, 10*time.Second, func() error {
		got, err := client.ApiextensionsV1().CustomResourceDefinitions().Get(t.Context(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		for _, want := range []apiextensionsv1.CustomResourceDefinitionConditionType{apiextensionsv1.NamesAccepted, apiextensionsv1.Established} {
			if !conditionTrue(got, want) {
				return fmt.Errorf("CRD %s: condition %s not true: %+v", name, want, got.Status.Conditions)
			}
		}
		return nil
	})
}

func conditionTrue(crd *apiextensionsv1.CustomResourceDefinition, typ apiextensionsv1.CustomResourceDefinitionConditionType) bool {
	for _, c := range crd.Status.Conditions {
		if c.Type == typ {
			return c.Status == apiextensionsv1.ConditionTrue
		}
	}
	return false
}

// waitServed polls until a list of gvr in namespace default succeeds:
// the CRD server installs a CRD's handler as its informer sees it.
func waitServed(t *testing.T, dyn dynamic.Interface, gvr schema.GroupVersionResource) {
	t.Helper()
	clustertest.Poll(t, 10*time.Second, func() error {
		_, err := dyn.Resource(gvr).Namespace("default").List(t.Context(), metav1.ListOptions{})
		return err
	})
}

func TestCustomResources(t *testing.T) {
	t.Parallel()
	c := clustertest.StartAPI(t, cluster.Options{})
	cfg := c.RESTConfig()
	crds := apiextensionsclient.NewForConfigOrDie(cfg)
	dyn := dynamic.NewForConfigOrDie(cfg)
	ctx := t.Context()
	a, b := widgetResource("a.io"), widgetResource("b.io")

	createEstablished(t, crds, widgetCRD("a.io"))
	waitServed(t, dyn, a)
	widgets := dyn.Resource(a).Namespace("default")

	t.Run("discovery", func(t *testing.T) {
		checkDiscovery(t, cfg, "a.io")
	})

	t.Run("openapi", func(t *testing.T) {
		rc := restClient(t, cfg)
		clustertest.Poll(t, 10*time.Second, func() error {
			body, err := rc.Get().AbsPath("/openapi/v2").SetHeader("Accept", "application/json").DoRaw(ctx)
			if err != nil {
				return err
			}
			var doc struct{ Definitions map[string]json.RawMessage }
			if err := json.Unmarshal(body, &doc); err != nil {
				return err
			}
			for _, want := range []string{"io.a.v1.Widget", "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition", "io.k8s.api.core.v1.Pod"} {
				if _, ok := doc.Definitions[want]; !ok {
					return fmt.Errorf("/openapi/v2 has no definition %s", want)
				}
			}
			body, err = rc.Get().AbsPath("/openapi/v3").SetHeader("Accept", "application/json").DoRaw(ctx)
			if err != nil {
				return err
			}
			var index struct{ Paths map[string]json.RawMessage }
			if err := json.Unmarshal(body, &index); err != nil {
				return err
			}
			for _, want := range []string{"apis/a.io/v1", "apis/apiextensions.k8s.io/v1", "api/v1"} {
				if _, ok := index.Paths[want]; !ok {
					return fmt.Errorf("/openapi/v3 does not list %s", want)
				}
			}
			return nil
		})
	})

	t.Run("defaulting and pruning", func(t *testing.T) {
		obj := widget("a.io", "small", map[string]any{"color": "blue", "unknown": "dropped"})
		created, err := widgets.Create(ctx, obj, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		spec, _, _ := unstructured.NestedMap(created.Object, "spec")
		if diff := cmp.Diff(map[string]any{"color": "blue", "size": int64(1)}, spec); diff != "" {
			t.Errorf("spec (-want +got):\n%s", diff)
		}
		_, err = widgets.Create(ctx, widget("a.io", "strict", map[string]any{"unknown": "x"}), metav1.CreateOptions{FieldValidation: "Strict"})
		if !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), `unknown field "spec.unknown"`) {
			t.Errorf("strict create with an unknown field: %v, want BadRequest naming spec.unknown", err)
		}
	})

	t.Run("schema and CEL validation", func(t *testing.T) {
		_, err := widgets.Create(ctx, widget("a.io", "huge", map[string]any{"size": int64(11)}), metav1.CreateOptions{})
		wantInvalid(t, err, "spec.size", "should be less than or equal to 10")
		_, err = widgets.Create(ctx, widget("a.io", "big", map[string]any{"size": int64(7), "color": "blue"}), metav1.CreateOptions{})
		wantInvalid(t, err, "spec", "big widgets must be red")
		if _, err := widgets.Create(ctx, widget("a.io", "big", map[string]any{"size": int64(7), "color": "red"}), metav1.CreateOptions{}); err != nil {
			t.Errorf("create a big red widget: %v", err)
		}
	})

	t.Run("status subresource", func(t *testing.T) {
		got, err := widgets.Get(ctx, "small", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := unstructured.SetNestedField(got.Object, true, "status", "ready"); err != nil {
			t.Fatal(err)
		}
		// The main resource ignores status…
		updated, err := widgets.Update(ctx, got.DeepCopy(), metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, found, _ := unstructured.NestedBool(updated.Object, "status", "ready"); found {
			t.Errorf("update of the main resource set status: %v", updated.Object["status"])
		}
		// …and /status takes it.
		updated, err = widgets.UpdateStatus(ctx, got, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if ready, _, _ := unstructured.NestedBool(updated.Object, "status", "ready"); !ready {
			t.Errorf("status after UpdateStatus: %v", updated.Object["status"])
		}
	})

	t.Run("table", func(t *testing.T) {
		table := getTable(t, cfg, "/apis/a.io/v1/namespaces/default/widgets")
		var columns []string
		for _, col := range table.ColumnDefinitions {
			columns = append(columns, col.Name)
		}
		// No Age: the CRD's columns replace the default one, as upstream.
		if diff := cmp.Diff([]string{"Name", "Size", "Ready"}, columns); diff != "" {
			t.Errorf("columns (-want +got):\n%s", diff)
		}
		var rows [][]any
		for _, row := range table.Rows {
			rows = append(rows, row.Cells[:3])
		}
		want := [][]any{{"big", int64(7), nil}, {"small", int64(1), true}}
		if diff := cmp.Diff(want, rows); diff != "" {
			t.Errorf("rows (-want +got):\n%s", diff)
		}
	})

	t.Run("same plural in another group", func(t *testing.T) {
		createEstablished(t, crds, widgetCRD("b.io"))
		waitServed(t, dyn, b)
		if _, err := dyn.Resource(b).Namespace("default").Create(ctx, widget("b.io", "small", map[string]any{"size": int64(3)}), metav1.CreateOptions{}); err != nil {
			t.Fatalf("create b.io's small beside a.io's: %v", err)
		}
		checkNames(t, dyn, a, "big", "small")
		checkNames(t, dyn, b, "small")
		got, err := widgets.Get(ctx, "small", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if size, _, _ := unstructured.NestedInt64(got.Object, "spec", "size"); size != 1 {
			t.Errorf("a.io's small has size %d, want 1 (b.io's has 3)", size)
		}
	})

	t.Run("a changed CRD ends watches on its old storage", func(t *testing.T) {
		w, err := widgets.Watch(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Stop()
		crd, err := crds.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, "widgets.a.io", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		crd.Spec.Names.Categories = []string{"all-widgets"}
		if _, err := crds.ApiextensionsV1().CustomResourceDefinitions().Update(ctx, crd, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		timeout := time.After(30 * time.Second)
		for {
			select {
			case _, ok := <-w.ResultChan():
				if !ok {
					return
				}
			case <-timeout:
				t.Fatal("watch still open 30s after its CRD changed")
			}
		}
	})

	t.Run("deleting a CRD deletes its objects", func(t *testing.T) {
		if err := crds.ApiextensionsV1().CustomResourceDefinitions().Delete(ctx, "widgets.a.io", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		clustertest.Poll(t, 30*time.Second, func() error {
			_, err := crds.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, "widgets.a.io", metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return nil
			}
			return fmt.Errorf("CRD still there: %v", err)
		})
		createEstablished(t, crds, widgetCRD("a.io"))
		waitServed(t, dyn, a)
		checkNames(t, dyn, a)
		checkNames(t, dyn, b, "small")
	})
}

// TestCustomResourcesSurviveRestart reopens the same data dir: the CRD
// is served again, established, with its objects.
func TestCustomResourcesSurviveRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts a cluster; skipped with -short")
	}
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "state")
	opts := cluster.Options{DataDir: dir, Controllers: cluster.NoControllers(), Nodes: cluster.NoNodes}
	first := clustertest.StartWith(t, opts)
	gvr := widgetResource("a.io")
	createEstablished(t, apiextensionsclient.NewForConfigOrDie(first.RESTConfig()), widgetCRD("a.io"))
	dyn := dynamic.NewForConfigOrDie(first.RESTConfig())
	waitServed(t, dyn, gvr)
	if _, err := dyn.Resource(gvr).Namespace("default").Create(t.Context(), widget("a.io", "kept", map[string]any{"size": int64(2)}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}
	checkKeys(t, filepath.Join(dir, cluster.StorageFile), map[string]int{
		"/apiextensions.k8s.io/customresourcedefinitions": 1,
		"/a.io/widgets": 1,
		"/widgets":      0, // the group is in the key
	})

	second := clustertest.StartWith(t, opts)
	waitEstablished(t, apiextensionsclient.NewForConfigOrDie(second.RESTConfig()), "widgets.a.io")
	dyn = dynamic.NewForConfigOrDie(second.RESTConfig())
	waitServed(t, dyn, gvr)
	checkNames(t, dyn, gvr, "kept")
}

// checkKeys opens the stopped cluster's storage file and counts the
// objects under each key prefix (below /registry).
func checkKeys(t *testing.T, file string, want map[string]int) {
	t.Helper()
	db, err := storage.Open(file, storage.Options{CompactInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got := map[string]int{}
	for prefix := range want {
		store, err := db.NewStore(storage.Config{
			Codec:          unstructured.UnstructuredJSONScheme,
			NewFunc:        func() runtime.Object { return &unstructured.Unstructured{} },
			NewListFunc:    func() runtime.Object { return &unstructured.UnstructuredList{} },
			Prefix:         "/registry",
			ResourcePrefix: prefix,
		})
		if err != nil {
			t.Fatal(err)
		}
		var list unstructured.UnstructuredList
		if err := store.GetList(t.Context(), prefix+"/", apistorage.ListOptions{Recursive: true, Predicate: apistorage.Everything}, &list); err != nil {
			t.Fatalf("list %s: %v", prefix, err)
		}
		got[prefix] = len(list.Items)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("objects by key prefix (-want +got):\n%s", diff)
	}
}

// checkDiscovery checks that group/v1 widgets is listed by the aggregated
// and the unaggregated discovery documents, as kubectl api-resources reads
// them.
func checkDiscovery(t *testing.T, cfg *rest.Config, group string) {
	t.Helper()
	clustertest.Poll(t, 10*time.Second, func() error {
		disco := discovery.NewDiscoveryClientForConfigOrDie(cfg) // aggregated
		_, lists, err := disco.ServerGroupsAndResources()
		if err != nil {
			return err
		}
		if !listsResource(lists, group+"/v1", "widgets") || !listsResource(lists, group+"/v1", "widgets/status") {
			return fmt.Errorf("aggregated discovery lacks %s/v1 widgets and widgets/status", group)
		}
		if !listsResource(lists, "apiextensions.k8s.io/v1", "customresourcedefinitions") {
			return errors.New("aggregated discovery lacks customresourcedefinitions")
		}
		return nil
	})
	rc := restClient(t, cfg)
	var groups metav1.APIGroupList
	body, err := rc.Get().AbsPath("/apis").SetHeader("Accept", "application/json").DoRaw(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(body, &groups); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range groups.Groups {
		names = append(names, g.Name)
	}
	for _, want := range []string{group, "apiextensions.k8s.io", "networking.k8s.io"} {
		if !slices.Contains(names, want) {
			t.Errorf("unaggregated /apis lists %v, missing %s", names, want)
		}
	}
	var resources metav1.APIResourceList
	body, err = rc.Get().AbsPath("/apis", group, "v1").SetHeader("Accept", "application/json").DoRaw(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(body, &resources); err != nil {
		t.Fatal(err)
	}
	if !listsResource([]*metav1.APIResourceList{&resources}, group+"/v1", "widgets") {
		t.Errorf("/apis/%s/v1 lists %+v", group, resources.APIResources)
	}
}

func listsResource(lists []*metav1.APIResourceList, gv, name string) bool {
	for _, l := range lists {
		if l.GroupVersion != gv {
			continue
		}
		for _, r := range l.APIResources {
			if r.Name == name {
				return true
			}
		}
	}
	return false
}

func restClient(t *testing.T, cfg *rest.Config) rest.Interface {
	t.Helper()
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return client.Discovery().RESTClient()
}

// getTable GETs path as a server-side Table, as kubectl get does.
func getTable(t *testing.T, cfg *rest.Config, path string) *metav1.Table {
	t.Helper()
	body, err := restClient(t, cfg).Get().AbsPath(path).
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var table metav1.Table
	if err := json.Unmarshal(body, &table); err != nil {
		t.Fatal(err)
	}
	// JSON numbers come back as float64; the server's cells are integers.
	for _, row := range table.Rows {
		for i, cell := range row.Cells {
			if f, ok := cell.(float64); ok {
				row.Cells[i] = int64(f)
			}
		}
	}
	return &table
}

func checkNames(t *testing.T, dyn dynamic.Interface, gvr schema.GroupVersionResource, want ...string) {
	t.Helper()
	list, err := dyn.Resource(gvr).Namespace("default").List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, item := range list.Items {
		got = append(got, item.GetName())
	}
	if want == nil {
		want = []string{}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s names (-want +got):\n%s", gvr.GroupResource(), diff)
	}
}

// wantInvalid checks err is a 422 whose causes name field with a message
// containing text.
func wantInvalid(t *testing.T, err error, field, text string) {
	t.Helper()
	var status apierrors.APIStatus
	if !errors.As(err, &status) || status.Status().Code != 422 {
		t.Fatalf("err = %v, want 422 Invalid", err)
	}
	for _, cause := range status.Status().Details.Causes {
		if cause.Field == field && strings.Contains(cause.Message, text) {
			return
		}
	}
	t.Errorf("422 causes %+v, want field %s with %q", status.Status().Details.Causes, field, text)
}
