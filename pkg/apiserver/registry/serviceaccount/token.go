package serviceaccount

import (
	"context"
	"fmt"
	"slices"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	satoken "github.com/fakecluster/fakecluster/pkg/apiserver/serviceaccount"
)

const (
	// defaultTokenExpirationSeconds is a TokenRequest's lifetime when it
	// asks for none.
	defaultTokenExpirationSeconds int64 = 60 * 60
	// minTokenExpirationSeconds and maxTokenExpirationSeconds bound the
	// lifetime a TokenRequest may ask for.
	minTokenExpirationSeconds int64 = 10 * 60
	maxTokenExpirationSeconds int64 = 1 << 32
)

var tokenRequestKind = authenticationv1.SchemeGroupVersion.WithKind("TokenRequest")

// tokenREST is serviceaccounts/token (kubectl create token): it issues a
// token for the service account, optionally bound to a pod, secret or node
// so that it stops working when that object goes. It stores nothing.
// Tokens are not capped below their requested lifetime, as with
// kube-apiserver's default --service-account-max-token-expiration, and
// pod-bound tokens with the admission's 3607s lifetime are extended to a
// year (--service-account-extend-token-expiration, on by default).
type tokenREST struct {
	serviceAccounts      *genericregistry.Store
	pods, secrets, nodes rest.Getter
	issuer               *satoken.Issuer
}

var (
	_ rest.NamedCreater             = (*tokenREST)(nil)
	_ rest.GroupVersionKindProvider = (*tokenREST)(nil)
)

func (r *tokenREST) New() runtime.Object { return &authenticationv1.TokenRequest{} }
func (r *tokenREST) Destroy()            {}

// GroupVersionKind says the body is an authentication.k8s.io/v1 TokenRequest.
func (r *tokenREST) GroupVersionKind(schema.GroupVersion) schema.GroupVersionKind {
	return tokenRequestKind
}

func (r *tokenREST) Create(ctx context.Context, name string, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	req, ok := obj.(*authenticationv1.TokenRequest)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a TokenRequest object: %T", obj))
	}
	namespace, ok := genericapirequest.NamespaceFrom(ctx)
	if !ok {
		return nil, apierrors.NewBadRequest("namespace is required")
	}
	if req.Name != "" && req.Name != name {
		return nil, apierrors.NewInvalid(tokenRequestKind.GroupKind(), name, field.ErrorList{
			field.Invalid(field.NewPath("metadata", "name"), req.Name, "must match the service account name if specified")})
	}
	if req.Namespace != "" && req.Namespace != namespace {
		return nil, apierrors.NewInvalid(tokenRequestKind.GroupKind(), name, field.ErrorList{
			field.Invalid(field.NewPath("metadata", "namespace"), req.Namespace, "must match the service account namespace if specified")})
	}
	saObj, err := r.serviceAccounts.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	sa := saObj.(*corev1.ServiceAccount)

	if len(req.Spec.Audiences) == 0 {
		req.Spec.Audiences = r.issuer.Audiences()
	}
	if req.Spec.ExpirationSeconds == nil {
		req.Spec.ExpirationSeconds = ptr.To(defaultTokenExpirationSeconds)
	}
	if req.Name == "" {
		req.Name = sa.Name
	}
	if req.Namespace == "" {
		req.Namespace = sa.Namespace
	}
	// The status's expiry must not be later than the token's exp.
	now := time.Now()
	req.CreationTimestamp = metav1.NewTime(now)
	req.Status = authenticationv1.TokenRequestStatus{}

	if errs := validateTokenRequest(req); len(errs) != 0 {
		return nil, apierrors.NewInvalid(tokenRequestKind.GroupKind(), "", errs)
	}
	if createValidation != nil {
		if err := createValidation(ctx, req.DeepCopyObject()); err != nil {
			return nil, err
		}
	}

	binding, err := r.bind(ctx, name, req.Spec.BoundObjectRef)
	if err != nil {
		return nil, err
	}
	expiration, warnAfter := *req.Spec.ExpirationSeconds, int64(0)
	if binding.Pod != nil && expiration == satoken.WarnOnlyBoundExpirationSeconds && isSubset(req.Spec.Audiences, r.issuer.Audiences()) {
		warnAfter, expiration = expiration, satoken.ExtendedExpirationSeconds
	}
	claims, err := satoken.NewClaims(sa, binding, now, expiration, warnAfter, req.Spec.Audiences)
	if err != nil {
		return nil, err
	}
	token, err := r.issuer.Sign(claims)
	if err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("failed to generate token: %w", err))
	}
	out := req.DeepCopy()
	out.Status = authenticationv1.TokenRequestStatus{
		Token:               token,
		ExpirationTimestamp: metav1.NewTime(now.Add(time.Duration(*out.Spec.ExpirationSeconds) * time.Second)),
	}
	return out, nil
}

// bind looks up the object the token is to be bound to, with
// kube-apiserver's checks and messages: a pod must run as the service
// account, and a UID, if given, must match.
func (r *tokenREST) bind(ctx context.Context, saName string, ref *authenticationv1.BoundObjectReference) (satoken.Binding, error) {
	var b satoken.Binding
	if ref == nil {
		return b, nil
	}
	gvk := schema.FromAPIVersionAndKind(ref.APIVersion, ref.Kind)
	var uid types.UID
	switch {
	case gvk.Group == "" && gvk.Kind == "Pod":
		obj, err := r.pods.Get(getContext(ctx, "pods", ref.Name, gvk), ref.Name, &metav1.GetOptions{})
		if err != nil {
			return b, err
		}
		b.Pod = obj.(*corev1.Pod)
		if b.Pod.Spec.ServiceAccountName != saName {
			return b, apierrors.NewBadRequest(fmt.Sprintf("cannot bind token for serviceaccount %q to pod running with different serviceaccount name.", saName))
		}
		uid = b.Pod.UID
		if nodeName := b.Pod.Spec.NodeName; nodeName != "" {
			node, err := r.nodes.Get(getContext(ctx, "nodes", nodeName, corev1.SchemeGroupVersion.WithKind("Node")), nodeName, &metav1.GetOptions{})
			switch {
			case apierrors.IsNotFound(err):
				// The node's name still tells where the pod was scheduled.
				klog.FromContext(ctx).V(4).Info("Bound pod's node not found", "pod", klog.KObj(b.Pod), "node", nodeName)
				b.Node = &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: nodeName}}
			case err != nil:
				return b, apierrors.NewInternalError(err)
			default:
				b.Node = node.(*corev1.Node)
			}
		}
	case gvk.Group == "" && gvk.Kind == "Node":
		obj, err := r.nodes.Get(getContext(ctx, "nodes", ref.Name, gvk), ref.Name, &metav1.GetOptions{})
		if err != nil {
			return b, err
		}
		b.Node = obj.(*corev1.Node)
		uid = b.Node.UID
	case gvk.Group == "" && gvk.Kind == "Secret":
		obj, err := r.secrets.Get(getContext(ctx, "secrets", ref.Name, gvk), ref.Name, &metav1.GetOptions{})
		if err != nil {
			return b, err
		}
		b.Secret = obj.(*corev1.Secret)
		uid = b.Secret.UID
	default:
		return b, apierrors.NewBadRequest(fmt.Sprintf("cannot bind token to object of type %s", gvk.String()))
	}
	if ref.UID != "" && uid != ref.UID {
		return b, apierrors.NewConflict(schema.GroupResource{Group: gvk.Group, Resource: gvk.Kind}, ref.Name,
			fmt.Errorf("the UID in the bound object reference (%s) does not match the UID in record. The object might have been deleted and then recreated", ref.UID))
	}
	return b, nil
}

// getContext is ctx for a get of another resource: the store names the
// resource in its errors ("pods \"x\" not found") after the request info,
// which would otherwise say serviceaccounts. Cluster-scoped resources get
// no namespace.
func getContext(ctx context.Context, resource, name string, gvk schema.GroupVersionKind) context.Context {
	namespace := ""
	if resource != "nodes" {
		namespace, _ = genericapirequest.NamespaceFrom(ctx)
	}
	return genericapirequest.WithRequestInfo(ctx, &genericapirequest.RequestInfo{
		IsResourceRequest: true, Verb: "get", Namespace: namespace, Resource: resource, Name: name,
		Parts: []string{resource, name}, APIGroup: gvk.Group, APIVersion: gvk.Version,
	})
}

// validateTokenRequest is upstream's static TokenRequest validation.
func validateTokenRequest(req *authenticationv1.TokenRequest) field.ErrorList {
	var errs field.ErrorList
	path := field.NewPath("spec", "expirationSeconds")
	seconds := *req.Spec.ExpirationSeconds
	if seconds < minTokenExpirationSeconds {
		errs = append(errs, field.Invalid(path, seconds, "may not specify a duration less than 10 minutes"))
	}
	if seconds > maxTokenExpirationSeconds {
		errs = append(errs, field.Invalid(path, seconds, "may not specify a duration larger than 2^32 seconds"))
	}
	return errs
}

// isSubset reports whether every element of sub is in set.
func isSubset(sub, set []string) bool {
	for _, s := range sub {
		if !slices.Contains(set, s) {
			return false
		}
	}
	return true
}
