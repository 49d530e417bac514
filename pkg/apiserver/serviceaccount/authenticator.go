package serviceaccount

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	apiserverserviceaccount "k8s.io/apiserver/pkg/authentication/serviceaccount"
	jwtcredential "k8s.io/apiserver/pkg/authentication/token/jwt"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/klog/v2"
)

// Getter looks up the objects a token names, to tell whether it still
// stands. Errors are the API's (NotFound when the object is gone).
type Getter interface {
	GetServiceAccount(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error)
	GetPod(ctx context.Context, namespace, name string) (*corev1.Pod, error)
	GetSecret(ctx context.Context, namespace, name string) (*corev1.Secret, error)
	GetNode(ctx context.Context, name string) (*corev1.Node, error)
}

// Authenticator accepts service account tokens signed with one key, as
// kube-apiserver's service account token authenticator does: a token
// authenticates as its service account while it is unexpired, meant for
// one of the API server's audiences, and the service account and the
// object it is bound to still exist with the UIDs it names.
type Authenticator struct {
	issuer    string
	key       crypto.PublicKey
	audiences authenticator.Audiences
	getter    Getter
	now       func() time.Time
}

var _ authenticator.Token = (*Authenticator)(nil)

// NewAuthenticator returns an Authenticator for tokens issued by issuer and
// signed by key; audiences are the API server's, which a token that names
// no audience is taken to be for.
func NewAuthenticator(issuer string, audiences []string, key crypto.PublicKey, getter Getter) (*Authenticator, error) {
	if _, err := algorithm(key); err != nil {
		return nil, err
	}
	return &Authenticator{issuer: issuer, key: key, audiences: audiences, getter: getter, now: time.Now}, nil
}

// AuthenticateToken says who token is. A token from another issuer, or
// that is no JWT, is not this authenticator's: it returns false and no
// error, so other authenticators may try it.
func (a *Authenticator) AuthenticateToken(ctx context.Context, token string) (*authenticator.Response, bool, error) {
	if iss, ok := unverifiedIssuer(token); !ok || iss != a.issuer {
		return nil, false, nil
	}
	claims, err := ParseSigned(token, a.key)
	if errors.Is(err, ErrMalformed) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}

	tokenAudiences := authenticator.Audiences(claims.Audience)
	if len(tokenAudiences) == 0 {
		tokenAudiences = a.audiences
	}
	requested, ok := authenticator.AudiencesFrom(ctx)
	if !ok {
		requested = a.audiences
	}
	auds := tokenAudiences.Intersect(requested)
	if len(auds) == 0 && len(a.audiences) != 0 {
		return nil, false, fmt.Errorf("token audiences %q is invalid for the target audiences %q", tokenAudiences, requested)
	}

	info, err := a.validate(ctx, claims)
	if err != nil {
		return nil, false, err
	}
	return &authenticator.Response{User: info.UserInfo(), Audiences: auds}, true, nil
}

// validate checks the token's times and that what it names still exists,
// with kube-apiserver's error texts.
func (a *Authenticator) validate(ctx context.Context, c Claims) (*apiserverserviceaccount.ServiceAccountInfo, error) {
	logger := klog.FromContext(ctx)
	now := a.now()
	switch {
	case c.Expiry != 0 && now.Add(-leeway).After(time.Unix(c.Expiry, 0)):
		return nil, errors.New("service account token has expired")
	case c.NotBefore != 0 && now.Add(leeway).Before(time.Unix(c.NotBefore, 0)),
		c.IssuedAt != 0 && now.Add(leeway).Before(time.Unix(c.IssuedAt, 0)):
		return nil, errors.New("service account token could not be validated due to unexpected validation error")
	}
	k := c.Kubernetes
	if k.Namespace == "" || k.ServiceAccount.Name == "" {
		return nil, errors.New("service account token claims are missing the kubernetes.io namespace or service account")
	}
	// Objects deleted longer ago than the leeway no longer vouch for a token.
	deletedBefore := metav1.NewTime(now.Add(-leeway))
	gone := func(m metav1.Object) bool {
		return m.GetDeletionTimestamp() != nil && m.GetDeletionTimestamp().Before(&deletedBefore)
	}

	sa, err := a.getter.GetServiceAccount(ctx, k.Namespace, k.ServiceAccount.Name)
	if err != nil {
		logger.V(4).Info("Could not retrieve service account", "namespace", k.Namespace, "name", k.ServiceAccount.Name, "err", err)
		return nil, err
	}
	if string(sa.UID) != k.ServiceAccount.UID {
		return nil, fmt.Errorf("service account UID (%s) does not match claim (%s)", sa.UID, k.ServiceAccount.UID)
	}
	if gone(sa) {
		return nil, fmt.Errorf("service account %s/%s has been deleted", k.Namespace, k.ServiceAccount.Name)
	}

	if ref := k.Secret; ref != nil {
		secret, err := a.getter.GetSecret(ctx, k.Namespace, ref.Name)
		if err != nil {
			logger.V(4).Info("Could not retrieve bound secret", "namespace", k.Namespace, "name", ref.Name, "err", err)
			return nil, errors.New("service account token has been invalidated")
		}
		if string(secret.UID) != ref.UID {
			return nil, fmt.Errorf("secret UID (%s) does not match service account secret ref claim (%s)", secret.UID, ref.UID)
		}
		if gone(secret) {
			return nil, errors.New("service account token has been invalidated")
		}
	}

	info := &apiserverserviceaccount.ServiceAccountInfo{
		Namespace:    k.Namespace,
		Name:         k.ServiceAccount.Name,
		UID:          k.ServiceAccount.UID,
		CredentialID: jwtcredential.CredentialIDForJTI(c.ID),
	}
	if ref := k.Pod; ref != nil {
		pod, err := a.getter.GetPod(ctx, k.Namespace, ref.Name)
		if err != nil {
			logger.V(4).Info("Could not retrieve bound pod", "namespace", k.Namespace, "name", ref.Name, "err", err)
			return nil, errors.New("service account token has been invalidated")
		}
		if gone(pod) {
			return nil, errors.New("service account token has been invalidated")
		}
		if string(pod.UID) != ref.UID {
			return nil, fmt.Errorf("pod UID (%s) does not match service account pod ref claim (%s)", pod.UID, ref.UID)
		}
		info.PodName, info.PodUID = ref.Name, ref.UID
	}
	if ref := k.Node; ref != nil {
		// A pod-bound token only reports its pod's node; a node-bound token
		// stands only while the node does.
		if k.Pod == nil {
			node, err := a.getter.GetNode(ctx, ref.Name)
			if err != nil {
				logger.V(4).Info("Could not retrieve bound node", "name", ref.Name, "err", err)
				return nil, errors.New("service account token has been invalidated")
			}
			if gone(node) {
				return nil, errors.New("service account token has been invalidated")
			}
			if string(node.UID) != ref.UID {
				return nil, fmt.Errorf("node UID (%s) does not match service account node ref claim (%s)", node.UID, ref.UID)
			}
		}
		info.NodeName, info.NodeUID = ref.Name, ref.UID
	}
	return info, nil
}

// getter reads through informer listers, falling back to the API when the
// cache does not have the object yet, as kube-apiserver's token getter does.
type getter struct {
	client          kubernetes.Interface
	serviceAccounts corelisters.ServiceAccountLister
	pods            corelisters.PodLister
	secrets         corelisters.SecretLister
	nodes           corelisters.NodeLister
}

var _ Getter = (*getter)(nil)

// NewGetter returns a Getter over informers from f (which the caller
// starts) and client.
func NewGetter(client kubernetes.Interface, f informers.SharedInformerFactory) Getter {
	core := f.Core().V1()
	return &getter{
		client:          client,
		serviceAccounts: core.ServiceAccounts().Lister(),
		pods:            core.Pods().Lister(),
		secrets:         core.Secrets().Lister(),
		nodes:           core.Nodes().Lister(),
	}
}

func (g *getter) GetServiceAccount(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error) {
	if sa, err := g.serviceAccounts.ServiceAccounts(namespace).Get(name); err == nil {
		return sa, nil
	}
	return g.client.CoreV1().ServiceAccounts(namespace).Get(ctx, name, metav1.GetOptions{})
}

func (g *getter) GetPod(ctx context.Context, namespace, name string) (*corev1.Pod, error) {
	if pod, err := g.pods.Pods(namespace).Get(name); err == nil {
		return pod, nil
	}
	return g.client.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
}

func (g *getter) GetSecret(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	if secret, err := g.secrets.Secrets(namespace).Get(name); err == nil {
		return secret, nil
	}
	return g.client.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
}

func (g *getter) GetNode(ctx context.Context, name string) (*corev1.Node, error) {
	if node, err := g.nodes.Get(name); err == nil {
		return node, nil
	}
	return g.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
}
