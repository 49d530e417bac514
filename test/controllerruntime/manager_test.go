package controllerruntime_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2/ktesting"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

const timeout = 30 * time.Second

var widgetKind = schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}

// widgetCRD is a namespaced Widget with a spec.size and a status
// subresource.
func widgetCRD() *apiextensionsv1.CustomResourceDefinition {
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "widgets.example.com"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "example.com",
			Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "widgets", Singular: "widget", Kind: "Widget", ListKind: "WidgetList"},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Subresources: &apiextensionsv1.CustomResourceSubresources{Status: &apiextensionsv1.CustomResourceSubresourceStatus{}},
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object",
					Properties: map[string]apiextensionsv1.JSONSchemaProps{
						"spec": {Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{
							"size": {Type: "integer", Minimum: ptr.To[float64](1)},
						}},
						"status": {Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{
							"observedSize": {Type: "integer"},
						}},
					},
				}},
			}},
		},
	}
}

// reconciler keeps, for each Widget, a ConfigMap it controls holding the
// Widget's size, and reports the size it saw in the Widget's status.
type reconciler struct{ client client.Client }

func (r *reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	w := &unstructured.Unstructured{}
	w.SetGroupVersionKind(widgetKind)
	if err := r.client.Get(ctx, req.NamespacedName, w); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	size, _, err := unstructured.NestedInt64(w.Object, "spec", "size")
	if err != nil {
		return ctrl.Result{}, err
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: req.Name + "-config", Namespace: req.Namespace}}
	if _, err := controllerutil.CreateOrUpdate(ctx, r.client, cm, func() error {
		cm.Data = map[string]string{"size": fmt.Sprint(size)}
		return controllerutil.SetControllerReference(w, cm, r.client.Scheme())
	}); err != nil {
		return ctrl.Result{}, err
	}
	if err := unstructured.SetNestedField(w.Object, size, "status", "observedSize"); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{}, r.client.Status().Update(ctx, w)
}

// TestManagerReconcilesCustomResource: a controller-runtime manager over
// the cluster's *rest.Config watches Widgets (a CRD installed by the
// test) and the ConfigMaps it owns: a new Widget gets its ConfigMap and
// status, a change of size reaches both, a ConfigMap deleted by hand is
// made again, and deleting the Widget lets the garbage collector remove
// the ConfigMap.
func TestManagerReconcilesCustomResource(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the garbage collector's discovery resync")
	}
	c := clustertest.StartControlPlane(t, cluster.Options{})
	cfg := clustertest.Config(c)
	ctx := t.Context()
	crds := apiextensionsclient.NewForConfigOrDie(cfg).ApiextensionsV1().CustomResourceDefinitions()
	if _, err := crds.Create(ctx, widgetCRD(), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	clustertest.Poll(t, timeout, func() error {
		crd, err := crds.Get(ctx, "widgets.example.com", metav1.GetOptions{})
		if err != nil {
			return err
		}
		for _, cond := range crd.Status.Conditions {
			if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
				return nil
			}
		}
		return fmt.Errorf("not established: %+v", crd.Status.Conditions)
	})
	// Discovery lists the group a moment after Established, as on a real
	// cluster; envtest waits for it too before clients map the kind.
	disc := kubernetes.NewForConfigOrDie(cfg).Discovery()
	clustertest.Poll(t, timeout, func() error {
		_, err := disc.ServerResourcesForGroupVersion("example.com/v1")
		return err
	})

	// controller-runtime logs through one global logger; ktesting's
	// stops writing to t once the test is over.
	log.SetLogger(ktesting.NewLogger(t, ktesting.NewConfig()))
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		t.Fatalf("new manager: %v", err)
	}
	owned := &unstructured.Unstructured{}
	owned.SetGroupVersionKind(widgetKind)
	if err := ctrl.NewControllerManagedBy(mgr).For(owned).Owns(&corev1.ConfigMap{}).Complete(&reconciler{client: mgr.GetClient()}); err != nil {
		t.Fatalf("build controller: %v", err)
	}
	mgrCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(mgrCtx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	})

	cl, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := &unstructured.Unstructured{}
	w.SetGroupVersionKind(widgetKind)
	w.SetName("gear")
	w.SetNamespace("default")
	if err := unstructured.SetNestedField(w.Object, int64(3), "spec", "size"); err != nil {
		t.Fatal(err)
	}
	if err := cl.Create(ctx, w); err != nil {
		t.Fatalf("create widget: %v", err)
	}
	waitReconciled(t, cl, 3)

	if err := cl.Patch(ctx, w, client.RawPatch(types.MergePatchType, []byte(`{"spec":{"size":5}}`))); err != nil {
		t.Fatalf("update widget: %v", err)
	}
	waitReconciled(t, cl, 5)

	if err := cl.Delete(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "gear-config", Namespace: "default"}}); err != nil {
		t.Fatal(err)
	}
	waitReconciled(t, cl, 5)

	if err := cl.Delete(ctx, w); err != nil {
		t.Fatalf("delete widget: %v", err)
	}
	// The garbage collector finds new resources, as upstream's, when it
	// next asks discovery, every 30 s: the Widgets may be news to it.
	clustertest.Poll(t, 3*timeout, func() error {
		err := cl.Get(ctx, client.ObjectKey{Namespace: "default", Name: "gear-config"}, &corev1.ConfigMap{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("ConfigMap of the deleted widget: %v", err)
	})
}

// waitReconciled waits until the gear Widget's status and ConfigMap both
// say size.
func waitReconciled(t *testing.T, cl client.Client, size int64) {
	t.Helper()
	clustertest.Poll(t, timeout, func() error {
		w := &unstructured.Unstructured{}
		w.SetGroupVersionKind(widgetKind)
		if err := cl.Get(t.Context(), client.ObjectKey{Namespace: "default", Name: "gear"}, w); err != nil {
			return err
		}
		observed, _, _ := unstructured.NestedInt64(w.Object, "status", "observedSize")
		cm := &corev1.ConfigMap{}
		if err := cl.Get(t.Context(), client.ObjectKey{Namespace: "default", Name: "gear-config"}, cm); err != nil {
			return err
		}
		ref := metav1.GetControllerOf(cm)
		if observed != size || cm.Data["size"] != fmt.Sprint(size) || ref == nil || ref.UID != w.GetUID() {
			return fmt.Errorf("status.observedSize %d, ConfigMap size %q controlled by %v; want %d", observed, cm.Data["size"], ref, size)
		}
		return nil
	})
}
