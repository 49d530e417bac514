package apiserver

import (
	"fmt"
	"reflect"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
)

// servedGroupVersions are the API versions fakecluster serves, each with the
// function that registers its k8s.io/api types.
var servedGroupVersions = []struct {
	gv  schema.GroupVersion
	add func(*runtime.Scheme) error
}{
	{corev1.SchemeGroupVersion, corev1.AddToScheme},
	{discoveryv1.SchemeGroupVersion, discoveryv1.AddToScheme},
	{eventsv1.SchemeGroupVersion, eventsv1.AddToScheme},
	{coordinationv1.SchemeGroupVersion, coordinationv1.AddToScheme},
	{networkingv1.SchemeGroupVersion, networkingv1.AddToScheme},
	{appsv1.SchemeGroupVersion, appsv1.AddToScheme},
	{batchv1.SchemeGroupVersion, batchv1.AddToScheme},
	{storagev1.SchemeGroupVersion, storagev1.AddToScheme},
	{schedulingv1.SchemeGroupVersion, schedulingv1.AddToScheme},
	{authorizationv1.SchemeGroupVersion, authorizationv1.AddToScheme},
	{authenticationv1.SchemeGroupVersion, authenticationv1.AddToScheme},
	{rbacv1.SchemeGroupVersion, rbacv1.AddToScheme},
	{admissionregistrationv1.SchemeGroupVersion, admissionregistrationv1.AddToScheme},
}

// newScheme registers every served k8s.io/api type under its own version
// and again under its group's internal version. The generic registry works
// on the internal version; because it is the same Go type, decoding and
// encoding need no conversion functions, and there are no hand-written
// internal types to keep in step with k8s.io/api.
func newScheme() (*runtime.Scheme, serializer.CodecFactory, error) {
	scheme := runtime.NewScheme()
	for _, served := range servedGroupVersions {
		if err := served.add(scheme); err != nil {
			return nil, serializer.CodecFactory{}, fmt.Errorf("register %s: %w", served.gv, err)
		}
		internal := schema.GroupVersion{Group: served.gv.Group, Version: runtime.APIVersionInternal}
		for kind, typ := range scheme.KnownTypes(served.gv) {
			if isMetaKind(kind) {
				continue
			}
			scheme.AddKnownTypeWithName(internal.WithKind(kind), reflect.New(typ).Interface().(runtime.Object))
		}
		if err := scheme.SetVersionPriority(served.gv); err != nil {
			return nil, serializer.CodecFactory{}, err
		}
	}
	addBodyKinds(scheme, true)
	// Each resource's defaulting, conversions and field selectors are added
	// with its storage (resourcesByGroupVersion), before it is installed.
	// Unversioned meta types the generic server answers with.
	unversioned := schema.GroupVersion{Group: "", Version: "v1"}
	scheme.AddUnversionedTypes(unversioned,
		&metav1.Status{}, &metav1.APIVersions{}, &metav1.APIGroupList{}, &metav1.APIGroup{}, &metav1.APIResourceList{})
	return scheme, serializer.NewCodecFactory(scheme), nil
}

// isMetaKind reports the option and event kinds metav1.AddToGroupVersion adds
// to every group version; they are not resources of the group.
func isMetaKind(kind string) bool {
	switch kind {
	case "WatchEvent", "ListOptions", "GetOptions", "DeleteOptions", "CreateOptions",
		"UpdateOptions", "PatchOptions", "Status", "APIVersions", "APIGroupList",
		"APIGroup", "APIResourceList":
		return true
	}
	return false
}

// bodyKinds are the bodies of subresources whose groups are not served
// otherwise: policy/v1 Eviction (pods/eviction), authentication.k8s.io/v1
// TokenRequest (serviceaccounts/token) and autoscaling/v1 Scale (the scale
// subresources).
var bodyKinds = []struct {
	gv  schema.GroupVersion
	obj runtime.Object
}{
	{policyv1.SchemeGroupVersion, &policyv1.Eviction{}},
	{authenticationv1.SchemeGroupVersion, &authenticationv1.TokenRequest{}},
	{autoscalingv1.SchemeGroupVersion, &autoscalingv1.Scale{}},
}

// addBodyKinds registers the bodyKinds in their versions and, with
// internal, in their groups' internal versions too.
func addBodyKinds(scheme *runtime.Scheme, internal bool) {
	for _, k := range bodyKinds {
		scheme.AddKnownTypes(k.gv, k.obj.DeepCopyObject())
		if internal {
			scheme.AddKnownTypes(schema.GroupVersion{Group: k.gv.Group, Version: runtime.APIVersionInternal}, k.obj.DeepCopyObject())
		}
		metav1.AddToGroupVersion(scheme, k.gv)
	}
}
