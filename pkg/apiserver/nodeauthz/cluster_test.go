package nodeauthz_test

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/fakecluster/fakecluster/pkg/apiserver/nodeauthz"
	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

// TestAuthorizerOnAPIServer runs the authorizer over informers of a real
// API server: what pods bound to a node use becomes readable once the
// informers see it, and stops being so when the pod goes.
func TestAuthorizerOnAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an API server")
	}
	t.Parallel()
	c := clustertest.StartAPI(t, cluster.Options{})
	client := clustertest.Client(t, c)
	ctx := t.Context()

	f := informers.NewSharedInformerFactory(client, 0)
	a, synced, err := nodeauthz.New(f, nodeauthz.Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.Start(ctx.Done())
	t.Cleanup(f.Shutdown)
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		t.Fatal("informers did not sync")
	}

	if _, err := client.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("create service account: %v", err)
	}
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "authz-pv"},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:    corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			ClaimRef:    &corev1.ObjectReference{Namespace: "default", Name: "data"},
			PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{
				Driver: "csi.example.com", VolumeHandle: "h", NodePublishSecretRef: &corev1.SecretReference{Namespace: "default", Name: "csi-secret"},
			}},
		},
	}
	if _, err := client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create persistent volume: %v", err)
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
		Spec: corev1.PodSpec{
			NodeName:   "n1",
			Containers: []corev1.Container{{Name: "c", Image: "nginx"}},
			Volumes: []corev1.Volume{
				{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "web-secret"}}},
				{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}},
			},
		},
	}
	if _, err := client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create pod: %v", err)
	}

	requests := map[string]request{
		"its pod's secret":          {verb: "get", resource: "secrets", namespace: "default", n: "web-secret"},
		"its pod's claim":           {verb: "get", resource: "persistentvolumeclaims", namespace: "default", n: "data"},
		"its pod's volume":          {verb: "get", resource: "persistentvolumes", n: "authz-pv"},
		"its pod's volume's secret": {verb: "get", resource: "secrets", namespace: "default", n: "csi-secret"},
		"its pod's service account": {verb: "create", resource: "serviceaccounts", sub: "token", namespace: "default", n: "default"},
		"its pod":                   {verb: "get", resource: "pods", namespace: "default", n: "web"},
	}
	expect := func(want authorizer.Decision) {
		t.Helper()
		clustertest.Poll(t, 10*time.Second, func() error {
			for name, req := range requests {
				if got, reason, _ := a.Authorize(ctx, req.attributes(t)); got != want {
					return fmt.Errorf("%s: %v (%q), want %v", name, got, reason, want)
				}
			}
			return nil
		})
	}
	expect(authorizer.DecisionAllow)
	if got, reason, _ := a.Authorize(ctx, request{user: alice, verb: "get", resource: "secrets", namespace: "default", n: "web-secret"}.attributes(t)); got != authorizer.DecisionNoOpinion || reason != "" {
		t.Errorf("a user's request: %v, %q; want no opinion", got, reason)
	}

	if err := client.CoreV1().Pods("default").Delete(ctx, "web", metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
		t.Fatalf("delete pod: %v", err)
	}
	expect(authorizer.DecisionNoOpinion)
}
