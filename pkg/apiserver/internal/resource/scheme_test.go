package resource

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
)

// connecter is a connect subresource reading PodExecOptions.
type connecter struct{}

var _ rest.Connecter = connecter{}

func (connecter) New() runtime.Object { return &corev1.Pod{} }
func (connecter) Destroy()            {}
func (connecter) Connect(context.Context, string, runtime.Object, rest.Responder) (http.Handler, error) {
	return nil, nil
}
func (connecter) NewConnectOptions() (runtime.Object, bool, string) {
	return &corev1.PodExecOptions{}, false, ""
}
func (connecter) ConnectMethods() []string { return []string{http.MethodGet} }

// getter is a get-with-options subresource reading PodLogOptions.
type getter struct{}

var _ rest.GetterWithOptions = getter{}

func (getter) New() runtime.Object { return &corev1.Pod{} }
func (getter) Destroy()            {}
func (getter) Get(context.Context, string, runtime.Object) (runtime.Object, error) {
	return nil, nil
}
func (getter) NewGetOptions() (runtime.Object, bool, string) {
	return &corev1.PodLogOptions{}, false, ""
}

// TestAddToSchemeReadsSubresourceOptionsFromTheQuery: the options of every
// connect and get-with-options subresource decode from a query once the
// storage is added to the scheme, with no list to keep in step.
func TestAddToSchemeReadsSubresourceOptionsFromTheQuery(t *testing.T) {
	t.Parallel()
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	s := &Storage{
		REST:  &REST{Store: &genericregistry.Store{DefaultQualifiedResource: corev1.Resource("pods")}},
		Extra: map[string]rest.Storage{"pods/exec": connecter{}, "pods/log": getter{}},
		def:   Define[corev1.Pod, corev1.PodList](Definition{Resource: corev1.SchemeGroupVersion.WithResource("pods")}),
	}
	if err := s.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	codec := runtime.NewParameterCodec(scheme)
	for _, tt := range []struct {
		name       string
		query      string
		into, want runtime.Object
	}{
		{"connect", "container=c&command=ls", &corev1.PodExecOptions{}, &corev1.PodExecOptions{Container: "c", Command: []string{"ls"}}},
		{"get with options", "follow=true", &corev1.PodLogOptions{}, &corev1.PodLogOptions{Follow: true}},
	} {
		values, err := url.ParseQuery(tt.query)
		if err != nil {
			t.Fatal(err)
		}
		if err := codec.DecodeParameters(values, corev1.SchemeGroupVersion, tt.into); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if diff := cmp.Diff(tt.want, tt.into); diff != "" {
			t.Errorf("%s: decoded options (-want +got):\n%s", tt.name, diff)
		}
	}
}
