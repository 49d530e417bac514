package kubelet

import (
	"context"
	"fmt"
	"sync"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/fakecluster/fakecluster/pkg/api/downwardapi"
	"github.com/fakecluster/fakecluster/pkg/kubelet/envvars"
	"github.com/fakecluster/fakecluster/pkg/kubelet/volumes"
)

// apiSource is what environments and volumes are made of, read from the
// API server as a kubelet reads it: ConfigMaps, Secrets, claims and their
// PersistentVolumes, and service account tokens through TokenRequest,
// bound to the pod.
type apiSource struct{ k *Kubelet }

var (
	_ envvars.Lookup = apiSource{}
	_ volumes.Source = apiSource{}
)

func (s apiSource) ConfigMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error) {
	return s.k.cfg.Client.CoreV1().ConfigMaps(namespace).Get(ctx, name, metav1.GetOptions{})
}

func (s apiSource) Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	return s.k.cfg.Client.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
}

// PersistentVolumeClaim is read from the API server on every use, as the
// kubelet's volume manager reads claims: a claim bound a moment ago counts.
func (s apiSource) PersistentVolumeClaim(ctx context.Context, namespace, name string) (*corev1.PersistentVolumeClaim, error) {
	return s.k.cfg.Client.CoreV1().PersistentVolumeClaims(namespace).Get(ctx, name, metav1.GetOptions{})
}

func (s apiSource) PersistentVolume(ctx context.Context, name string) (*corev1.PersistentVolume, error) {
	return s.k.cfg.Client.CoreV1().PersistentVolumes().Get(ctx, name, metav1.GetOptions{})
}

// ServiceAccountToken requests a token of the pod's service account bound
// to the pod, as the kubelet's token manager does; an empty audience is
// the API server's own.
func (s apiSource) ServiceAccountToken(ctx context.Context, pod *corev1.Pod, audience string, expirationSeconds int64) (string, error) {
	key := tokenKey{pod: pod.UID, audience: audience, expiration: expirationSeconds}
	if token, ok := s.k.tokens.get(key, s.k.clock.Now()); ok {
		return token, nil
	}
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		ExpirationSeconds: &expirationSeconds,
		BoundObjectRef:    &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID},
	}}
	if audience != "" {
		req.Spec.Audiences = []string{audience}
	}
	sa := pod.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	tr, err := s.k.cfg.Client.CoreV1().ServiceAccounts(pod.Namespace).CreateToken(ctx, sa, req, metav1.CreateOptions{})
	if err != nil {
		return "", err
	}
	s.k.tokens.put(key, tr.Status.Token, s.k.clock.Now(), tr.Status.ExpirationTimestamp.Time)
	return tr.Status.Token, nil
}

// tokenKey is one projected token of one pod.
type tokenKey struct {
	pod        types.UID
	audience   string
	expiration int64
}

// tokenCache keeps the tokens the kubelet requested until they need
// renewing, as the kubelet's token manager: past 80% of their lifetime.
// They are kept by pod, so that a gone pod's go at once.
type tokenCache struct {
	mu     sync.Mutex
	tokens map[types.UID]map[tokenKey]cachedToken
}

type cachedToken struct {
	token string
	renew time.Time
}

func newTokenCache() *tokenCache {
	return &tokenCache{tokens: map[types.UID]map[tokenKey]cachedToken{}}
}

func (c *tokenCache) get(key tokenKey, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.tokens[key.pod][key]
	if !ok || !now.Before(t.renew) {
		return "", false
	}
	return t.token, true
}

func (c *tokenCache) put(key tokenKey, token string, issued, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tokens[key.pod] == nil {
		c.tokens[key.pod] = map[tokenKey]cachedToken{}
	}
	c.tokens[key.pod][key] = cachedToken{token: token, renew: issued.Add(expires.Sub(issued) * 8 / 10)}
}

// forget drops the pod's tokens, once it is gone.
func (c *tokenCache) forget(pod types.UID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.tokens, pod)
}

// DownwardAPI is the value of one downwardAPI volume file: a field of the
// pod or a resource of one of its containers.
func (s apiSource) DownwardAPI(pod *corev1.Pod, item corev1.DownwardAPIVolumeFile) (string, error) {
	switch {
	case item.FieldRef != nil:
		return downwardapi.FieldRefValue(pod, item.FieldRef)
	case item.ResourceFieldRef != nil:
		for i := range pod.Spec.Containers {
			if c := &pod.Spec.Containers[i]; c.Name == item.ResourceFieldRef.ContainerName {
				return downwardapi.ContainerResourceValue(item.ResourceFieldRef, pod, c, allocatable(s.k.cfg.Capacity))
			}
		}
		return "", fmt.Errorf("container %q not found in pod %s/%s", item.ResourceFieldRef.ContainerName, pod.Namespace, pod.Name)
	}
	return "", fmt.Errorf("downwardAPI item %q has neither fieldRef nor resourceFieldRef", item.Path)
}
