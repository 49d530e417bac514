package resourcequota_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	quotav1 "k8s.io/apiserver/pkg/quota/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/controllertest"
	"github.com/fakecluster/fakecluster/pkg/controller/resourcequota"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

// start runs the controller against a control plane (which does not run
// one itself) and returns a client of it.
func start(t *testing.T) kubernetes.Interface {
	t.Helper()
	c := controllertest.StartWithout(t)
	cfg := clustertest.Config(c)
	client := clustertest.Client(t, c)
	meta, err := metadata.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	rq, err := resourcequota.New(client, meta, disc, factory, resourcequota.Options{})
	if err != nil {
		t.Fatal(err)
	}
	controllertest.Run(controllertest.Context(t), t, factory, func(ctx context.Context) { rq.Run(ctx, 5) })
	return client
}

func list(pairs ...string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for i := 0; i < len(pairs); i += 2 {
		out[corev1.ResourceName(pairs[i])] = resource.MustParse(pairs[i+1])
	}
	return out
}

// waitStatus polls until quota ns/name's status has hard and used.
func waitStatus(t *testing.T, client kubernetes.Interface, ns, name string, hard, used corev1.ResourceList) {
	t.Helper()
	clustertest.Poll(t, 20*time.Second, func() error {
		q, err := client.CoreV1().ResourceQuotas(ns).Get(t.Context(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if !quotav1.Equals(hard, q.Status.Hard) || !quotav1.Equals(used, q.Status.Used) {
			return fmt.Errorf("quota %s/%s status: hard %v used %v; want hard %v used %v", ns, name, q.Status.Hard, q.Status.Used, hard, used)
		}
		return nil
	})
}

// namespace creates ns and waits for its default ServiceAccount, which
// pods need, and its kube-root-ca.crt ConfigMap.
func namespace(t *testing.T, client kubernetes.Interface, ns string) {
	t.Helper()
	if _, err := client.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	clustertest.Poll(t, 20*time.Second, func() error {
		if _, err := client.CoreV1().ServiceAccounts(ns).Get(t.Context(), "default", metav1.GetOptions{}); err != nil {
			return err
		}
		_, err := client.CoreV1().ConfigMaps(ns).Get(t.Context(), "kube-root-ca.crt", metav1.GetOptions{})
		return err
	})
}

func pod(name, cpu string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
	if cpu != "" {
		p.Spec.Containers[0].Resources.Requests = list("cpu", cpu)
	}
	return p
}

// TestPodQuota is the quota page's example: a quota of pods=2 refuses the
// third pod with upstream's text once the controller has computed its
// usage, and a deleted pod gives its share back.
func TestPodQuota(t *testing.T) {
	t.Parallel()
	client := start(t)
	namespace(t, client, "team")
	// A pod from before the quota is counted when the quota comes.
	if _, err := client.CoreV1().Pods("team").Create(t.Context(), pod("early", "100m"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "q"}, Spec: corev1.ResourceQuotaSpec{Hard: list("pods", "2", "requests.cpu", "1")}}
	if _, err := client.CoreV1().ResourceQuotas("team").Create(t.Context(), q, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, client, "team", "q", list("pods", "2", "requests.cpu", "1"), list("pods", "1", "requests.cpu", "100m"))
	// Admission charges only quotas whose status it has seen (through the
	// API server's informer, which may be behind the status just read):
	// wait until it refuses a dry-run pod over the cpu limit.
	clustertest.Poll(t, 10*time.Second, func() error {
		_, err := client.CoreV1().Pods("team").Create(t.Context(), pod("probe", "2"), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if !apierrors.IsForbidden(err) {
			return fmt.Errorf("dry-run pod over the quota: %v, want Forbidden", err)
		}
		return nil
	})

	if _, err := client.CoreV1().Pods("team").Create(t.Context(), pod("a", "200m"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("second pod: %v", err)
	}
	// Admission charged it at once.
	waitStatus(t, client, "team", "q", list("pods", "2", "requests.cpu", "1"), list("pods", "2", "requests.cpu", "300m"))
	_, err := client.CoreV1().Pods("team").Create(t.Context(), pod("x", "100m"), metav1.CreateOptions{})
	const want = `pods "x" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2`
	if !apierrors.IsForbidden(err) || err.Error() != want {
		t.Fatalf("third pod: %v\nwant Forbidden: %s", err, want)
	}

	// The controller gives back what a deleted pod used. (Evicted, as
	// kubectl drain deletes: the informer sees the same deletion.)
	evict := &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: "early"}, DeleteOptions: &metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}}
	if err := client.CoreV1().Pods("team").EvictV1(t.Context(), evict); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, client, "team", "q", list("pods", "2", "requests.cpu", "1"), list("pods", "1", "requests.cpu", "200m"))
	// Admission reads quotas through the API server's informer, a moment
	// behind the status just read: retry while it still sees the old one.
	clustertest.Poll(t, 5*time.Second, func() error {
		_, err := client.CoreV1().Pods("team").Create(t.Context(), pod("x", "100m"), metav1.CreateOptions{})
		if err != nil && !apierrors.IsForbidden(err) {
			t.Fatalf("pod after a deletion: %v", err)
		}
		return err
	})

	// A finished pod stops counting (count/pods still does).
	done, err := client.CoreV1().Pods("team").Get(t.Context(), "x", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	done.Status.Phase = corev1.PodSucceeded
	if _, err := client.CoreV1().Pods("team").UpdateStatus(t.Context(), done, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, client, "team", "q", list("pods", "2", "requests.cpu", "1"), list("pods", "1", "requests.cpu", "200m"))

	// New limits are recalculated.
	cur, err := client.CoreV1().ResourceQuotas("team").Get(t.Context(), "q", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cur.Spec.Hard = list("pods", "5", "count/pods", "5")
	if _, err := client.CoreV1().ResourceQuotas("team").Update(t.Context(), cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, client, "team", "q", list("pods", "5", "count/pods", "5"), list("pods", "1", "count/pods", "2"))
}

// TestObjectCountQuota counts Services (with their node ports), a legacy
// name and count/deployments.apps, a resource only the metadata informer
// the controller starts for it watches.
func TestObjectCountQuota(t *testing.T) {
	t.Parallel()
	client := start(t)
	namespace(t, client, "counts")
	hard := list("services", "3", "services.nodeports", "4", "configmaps", "10", "count/deployments.apps", "2")
	q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "objects"}, Spec: corev1.ResourceQuotaSpec{Hard: hard}}
	if _, err := client.CoreV1().ResourceQuotas("counts").Create(t.Context(), q, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// kube-root-ca.crt is the namespace's one ConfigMap.
	waitStatus(t, client, "counts", "objects", hard, list("services", "0", "services.nodeports", "0", "configmaps", "1", "count/deployments.apps", "0"))

	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: corev1.ServiceSpec{
		Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{{Name: "http", Port: 80}, {Name: "https", Port: 443}},
	}}
	if _, err := client.CoreV1().Services("counts").Create(t.Context(), svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{"app": "web"}
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: appsv1.DeploymentSpec{
		Replicas: ptr.To[int32](0),
		Selector: &metav1.LabelSelector{MatchLabels: labels},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}},
	}}
	if _, err := client.AppsV1().Deployments("counts").Create(t.Context(), d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, client, "counts", "objects", hard, list("services", "1", "services.nodeports", "2", "configmaps", "1", "count/deployments.apps", "1"))

	// A Service that stops being a NodePort gives its node ports back.
	cur, err := client.CoreV1().Services("counts").Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cur.Spec.Type = corev1.ServiceTypeClusterIP
	for i := range cur.Spec.Ports {
		cur.Spec.Ports[i].NodePort = 0
	}
	if _, err := client.CoreV1().Services("counts").Update(t.Context(), cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := client.AppsV1().Deployments("counts").Delete(t.Context(), "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, client, "counts", "objects", hard, list("services", "1", "services.nodeports", "0", "configmaps", "1", "count/deployments.apps", "0"))
}
