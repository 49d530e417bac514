package serviceaccount_test

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/keyutil"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/serviceaccount"
	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
	controller "github.com/fakecluster/fakecluster/pkg/controller/serviceaccount"
)

// startCluster runs a cluster with the service account controllers, which
// the test starts itself so that it does not depend on how pkg/cluster
// wires them (should it run them too, the two instances agree). stop
// stops the controllers; it runs on cleanup too.
func startCluster(t *testing.T, opts ...cluster.Options) (c *cluster.Cluster, stop func()) {
	t.Helper()
	if len(opts) == 0 {
		c = clustertest.StartControlPlane(t, cluster.Options{})
	} else {
		c = clustertest.StartControlPlane(t, opts[0])
	}
	client := clustertest.Client(t, c)
	factory := informers.NewSharedInformerFactory(client, 0)
	accounts, err := controller.New(client, factory)
	if err != nil {
		t.Fatal(err)
	}
	publisher, err := controller.NewRootCAPublisher(client, factory, clustertest.Config(c).CAData)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	factory.Start(ctx.Done())
	wg.Go(func() { accounts.Run(ctx, 1) })
	wg.Go(func() { publisher.Run(ctx, 1) })
	stop = sync.OnceFunc(func() {
		cancel()
		wg.Wait()
		factory.Shutdown()
	})
	t.Cleanup(stop)
	return c, stop
}

// tokenClient is a client that presents only token, as a pod would.
func tokenClient(t *testing.T, c *cluster.Cluster, token string) kubernetes.Interface {
	t.Helper()
	admin := clustertest.Config(c)
	client, err := kubernetes.NewForConfig(&rest.Config{
		Host:            admin.Host,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: admin.CAData},
		QPS:             -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// tryToken is the request a token is tried with: GET /version, which the
// bootstrap RBAC policy (system:public-info-viewer) lets every
// authenticated user make, so 200 with a valid token and 401 otherwise. A
// ServiceAccount holds nothing more until it is bound to a role, as in
// kube-apiserver.
func tryToken(ctx context.Context, client kubernetes.Interface) error {
	return client.Discovery().RESTClient().Get().AbsPath("/version").Do(ctx).Error()
}

func unauthorized(ctx context.Context, client kubernetes.Interface) func() error {
	return func() error {
		err := tryToken(ctx, client)
		if apierrors.IsUnauthorized(err) {
			return nil
		}
		return fmt.Errorf("GET /version with the token: err = %v, want 401 Unauthorized", err)
	}
}

func createNamespace(t *testing.T, client kubernetes.Interface, name string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := client.CoreV1().Namespaces().Create(t.Context(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace: %v", err)
	}
}

func createPod(t *testing.T, client kubernetes.Interface, ns, name string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	t.Helper()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "init", Image: "busybox"}},
			Containers:     []corev1.Container{{Name: "app", Image: "nginx"}},
		},
	}
	for _, m := range mutate {
		m(p)
	}
	created, err := client.CoreV1().Pods(ns).Create(t.Context(), p, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create pod %s: %v", name, err)
	}
	return created
}

// TestPodRightAfterNamespace creates a pod in a namespace the moment the
// namespace exists, before its default service account does: admission
// waits for the controller, as upstream's does, and adds the token volume.
func TestPodRightAfterNamespace(t *testing.T) {
	t.Parallel()
	c, _ := startCluster(t)
	client := clustertest.Client(t, c)
	createNamespace(t, client, "fresh")
	p := createPod(t, client, "fresh", "web")

	if p.Spec.ServiceAccountName != "default" || p.Spec.DeprecatedServiceAccount != "default" {
		t.Errorf("serviceAccountName = %q, serviceAccount = %q, want default", p.Spec.ServiceAccountName, p.Spec.DeprecatedServiceAccount)
	}
	if len(p.Spec.Volumes) != 1 {
		t.Fatalf("volumes = %+v, want the token volume only", p.Spec.Volumes)
	}
	volume := p.Spec.Volumes[0]
	suffix, ok := strings.CutPrefix(volume.Name, "kube-api-access-")
	if !ok || len(suffix) != 5 {
		t.Errorf("volume name = %q, want kube-api-access-<5 characters>", volume.Name)
	}
	want := &corev1.ProjectedVolumeSource{
		DefaultMode: ptr.To[int32](420),
		Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: ptr.To[int64](3607)}},
			{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"},
				Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
			{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "namespace",
				FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"}}}}},
		},
	}
	if diff := cmp.Diff(corev1.VolumeSource{Projected: want}, volume.VolumeSource); diff != "" {
		t.Errorf("token volume (-want +got):\n%s", diff)
	}
	mount := []corev1.VolumeMount{{Name: volume.Name, ReadOnly: true, MountPath: "/var/run/secrets/kubernetes.io/serviceaccount"}}
	for _, c := range append(p.Spec.InitContainers, p.Spec.Containers...) {
		if diff := cmp.Diff(mount, c.VolumeMounts); diff != "" {
			t.Errorf("container %s mounts (-want +got):\n%s", c.Name, diff)
		}
	}

	// A service account that does not exist is refused at once, with
	// upstream's message.
	_, err := client.CoreV1().Pods("fresh").Create(t.Context(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "nope"},
		Spec:       corev1.PodSpec{ServiceAccountName: "builder", Containers: []corev1.Container{{Name: "app", Image: "nginx"}}},
	}, metav1.CreateOptions{})
	const wantErr = `pods "nope" is forbidden: error looking up service account fresh/builder: serviceaccount "builder" not found`
	if !apierrors.IsForbidden(err) || err.Error() != wantErr {
		t.Errorf("create pod with a missing service account: err = %v, want 403 %q", err, wantErr)
	}
}

// requestToken is kubectl create token.
func requestToken(t *testing.T, client kubernetes.Interface, ns, sa string, spec authenticationv1.TokenRequestSpec) (*authenticationv1.TokenRequest, error) {
	t.Helper()
	return client.CoreV1().ServiceAccounts(ns).CreateToken(t.Context(), sa, &authenticationv1.TokenRequest{Spec: spec}, metav1.CreateOptions{})
}

func mustRequestToken(t *testing.T, client kubernetes.Interface, ns, sa string, spec authenticationv1.TokenRequestSpec) *authenticationv1.TokenRequest {
	t.Helper()
	tr, err := requestToken(t, client, ns, sa, spec)
	if err != nil {
		t.Fatalf("request token: %v", err)
	}
	return tr
}

// payload decodes a token's claims without checking them.
func payload(t *testing.T, token string) serviceaccount.Claims {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a JWS", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c serviceaccount.Claims
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTokenRequest(t *testing.T) {
	t.Parallel()
	c, _ := startCluster(t)
	ctx := t.Context()
	admin := clustertest.Client(t, c)
	createNamespace(t, admin, "apps")
	pod := createPod(t, admin, "apps", "web")

	t.Run("defaults", func(t *testing.T) {
		before := time.Now().Truncate(time.Second)
		tr := mustRequestToken(t, admin, "apps", "default", authenticationv1.TokenRequestSpec{})
		if diff := cmp.Diff([]string{"https://kubernetes.default.svc.cluster.local"}, tr.Spec.Audiences); diff != "" {
			t.Errorf("audiences (-want +got):\n%s", diff)
		}
		if tr.Spec.ExpirationSeconds == nil || *tr.Spec.ExpirationSeconds != 3600 {
			t.Errorf("expirationSeconds = %v, want 3600", tr.Spec.ExpirationSeconds)
		}
		if exp := tr.Status.ExpirationTimestamp.Time; exp.Before(before.Add(time.Hour)) || exp.After(time.Now().Add(time.Hour)) {
			t.Errorf("expirationTimestamp = %v, want an hour from now", exp)
		}
		claims := payload(t, tr.Status.Token)
		sa, err := admin.CoreV1().ServiceAccounts("apps").Get(ctx, "default", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if claims.Issuer != "https://kubernetes.default.svc.cluster.local" || claims.Subject != "system:serviceaccount:apps:default" ||
			claims.Kubernetes.Namespace != "apps" || claims.Kubernetes.ServiceAccount != (serviceaccount.ObjectRef{Name: "default", UID: string(sa.UID)}) ||
			claims.Expiry != tr.Status.ExpirationTimestamp.Unix() || claims.ID == "" || claims.Kubernetes.Pod != nil {
			t.Errorf("claims = %+v", claims)
		}
		if err := tryToken(ctx, tokenClient(t, c, tr.Status.Token)); err != nil {
			t.Errorf("GET /version with the token: %v", err)
		}
		clustertest.Poll(t, time.Second, unauthorized(ctx, tokenClient(t, c, tr.Status.Token+"x")))
	})

	t.Run("invalid", func(t *testing.T) {
		for _, tt := range []struct {
			name, sa string
			spec     authenticationv1.TokenRequestSpec
			want     string
			is       func(error) bool
		}{{
			name: "too short", sa: "default", spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](599)},
			want: `TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes`,
			is:   apierrors.IsInvalid,
		}, {
			name: "too long", sa: "default", spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](1<<32 + 1)},
			want: `TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds`,
			is:   apierrors.IsInvalid,
		}, {
			name: "no such service account", sa: "builder",
			want: `serviceaccounts "builder" not found`, is: apierrors.IsNotFound,
		}, {
			name: "pod of another service account", sa: "other",
			spec: authenticationv1.TokenRequestSpec{BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: "web"}},
			want: `cannot bind token for serviceaccount "other" to pod running with different serviceaccount name.`, is: apierrors.IsBadRequest,
		}, {
			name: "stale uid", sa: "default",
			spec: authenticationv1.TokenRequestSpec{BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: "web", UID: "stale"}},
			want: `Operation cannot be fulfilled on Pod "web": the UID in the bound object reference (stale) does not match the UID in record. The object might have been deleted and then recreated`,
			is:   apierrors.IsConflict,
		}, {
			name: "no such pod", sa: "default",
			spec: authenticationv1.TokenRequestSpec{BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: "ghost"}},
			want: `pods "ghost" not found`, is: apierrors.IsNotFound,
		}, {
			name: "no such node", sa: "default",
			spec: authenticationv1.TokenRequestSpec{BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Node", APIVersion: "v1", Name: "ghost"}},
			want: `nodes "ghost" not found`, is: apierrors.IsNotFound,
		}, {
			name: "unsupported kind", sa: "default",
			spec: authenticationv1.TokenRequestSpec{BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "ConfigMap", APIVersion: "v1", Name: "x"}},
			want: `cannot bind token to object of type /v1, Kind=ConfigMap`, is: apierrors.IsBadRequest,
		}} {
			if tt.sa == "other" {
				if _, err := admin.CoreV1().ServiceAccounts("apps").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "other"}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
					t.Fatal(err)
				}
			}
			_, err := requestToken(t, admin, "apps", tt.sa, tt.spec)
			if !tt.is(err) || err.Error() != tt.want {
				t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
			}
		}
	})

	t.Run("bound to a pod", func(t *testing.T) {
		// The admission's token volume lifetime: extended to a year,
		// warning after the asked-for lifetime.
		tr := mustRequestToken(t, admin, "apps", "default", authenticationv1.TokenRequestSpec{
			ExpirationSeconds: ptr.To[int64](3607),
			BoundObjectRef:    &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: "web", UID: pod.UID},
		})
		claims := payload(t, tr.Status.Token)
		if claims.Kubernetes.Pod == nil || *claims.Kubernetes.Pod != (serviceaccount.ObjectRef{Name: "web", UID: string(pod.UID)}) {
			t.Errorf("pod claim = %+v", claims.Kubernetes.Pod)
		}
		if got := claims.Expiry - claims.IssuedAt; got != 365*24*3600 {
			t.Errorf("token lasts %ds, want a year", got)
		}
		if got := claims.Kubernetes.WarnAfter - claims.IssuedAt; got != 3607 {
			t.Errorf("warnafter is %ds after issue, want 3607", got)
		}
		if got := time.Until(tr.Status.ExpirationTimestamp.Time); got > 3607*time.Second || got < 3500*time.Second {
			t.Errorf("status expires in %v, want the 3607s asked for", got)
		}
		client := tokenClient(t, c, tr.Status.Token)
		if err := tryToken(ctx, client); err != nil {
			t.Fatalf("GET /version with the pod's token: %v", err)
		}
		if err := admin.CoreV1().Pods("apps").Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		clustertest.Poll(t, 10*time.Second, unauthorized(ctx, client))
	})

	t.Run("other audience", func(t *testing.T) {
		tr := mustRequestToken(t, admin, "apps", "default", authenticationv1.TokenRequestSpec{Audiences: []string{"vault"}})
		clustertest.Poll(t, time.Second, unauthorized(ctx, tokenClient(t, c, tr.Status.Token)))
	})

	t.Run("service account deleted", func(t *testing.T) {
		if _, err := admin.CoreV1().ServiceAccounts("apps").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "ci"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		tr := mustRequestToken(t, admin, "apps", "ci", authenticationv1.TokenRequestSpec{})
		client := tokenClient(t, c, tr.Status.Token)
		if err := tryToken(ctx, client); err != nil {
			t.Fatalf("GET /version with the token: %v", err)
		}
		if err := admin.CoreV1().ServiceAccounts("apps").Delete(ctx, "ci", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		clustertest.Poll(t, 10*time.Second, unauthorized(ctx, client))
		// A new service account of the same name is not the one the token
		// was for.
		if _, err := admin.CoreV1().ServiceAccounts("apps").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "ci"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		clustertest.Poll(t, time.Second, unauthorized(ctx, client))
	})

	t.Run("expired", func(t *testing.T) {
		// Sign, with the cluster's own key, a token that expired two
		// minutes ago (beyond the minute of clock skew allowed).
		key, err := keyutil.PrivateKeyFromFile(filepath.Join(c.DataDir(), "pki", "sa.key"))
		if err != nil {
			t.Fatal(err)
		}
		issuer, err := serviceaccount.NewIssuer(serviceaccount.DefaultIssuer, []string{serviceaccount.DefaultIssuer}, key.(crypto.Signer))
		if err != nil {
			t.Fatal(err)
		}
		sa, err := admin.CoreV1().ServiceAccounts("apps").Get(ctx, "default", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sign := func(issued time.Time) string {
			claims, err := serviceaccount.NewClaims(sa, serviceaccount.Binding{}, issued, 600, 0, []string{serviceaccount.DefaultIssuer})
			if err != nil {
				t.Fatal(err)
			}
			token, err := issuer.Sign(claims)
			if err != nil {
				t.Fatal(err)
			}
			return token
		}
		// The same token, still fresh, works: only its age differs.
		if err := tryToken(ctx, tokenClient(t, c, sign(time.Now()))); err != nil {
			t.Fatalf("GET /version with a fresh self-signed token: %v", err)
		}
		clustertest.Poll(t, time.Second, unauthorized(ctx, tokenClient(t, c, sign(time.Now().Add(-12*time.Minute)))))
	})
}

// TestTokenAfterRestart checks that the signing key is kept in the data
// dir: a token issued before a restart still authenticates after it.
func TestTokenAfterRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts a cluster")
	}
	t.Parallel()
	dir := t.TempDir()
	first, stopControllers := startCluster(t, cluster.Options{DataDir: dir})
	admin := clustertest.Client(t, first)
	var tr *authenticationv1.TokenRequest
	clustertest.Poll(t, 10*time.Second, func() (err error) {
		tr, err = requestToken(t, admin, "default", "default", authenticationv1.TokenRequestSpec{})
		return err
	})
	stopControllers()
	if err := first.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	second, _ := startCluster(t, cluster.Options{DataDir: dir})
	if err := tryToken(t.Context(), tokenClient(t, second, tr.Status.Token)); err != nil {
		t.Errorf("GET /version with a token from before the restart: %v", err)
	}
}
