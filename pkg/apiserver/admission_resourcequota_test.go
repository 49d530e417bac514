package apiserver_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// quotaWithStatus creates a quota whose status is hard with used, as the
// resource-quota-controller would have written it (no controller runs in
// these clusters).
func quotaWithStatus(t *testing.T, client kubernetes.Interface, ns, name string, hard, used corev1.ResourceList) {
	t.Helper()
	q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.ResourceQuotaSpec{Hard: hard}}
	created, err := client.CoreV1().ResourceQuotas(ns).Create(t.Context(), q, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create quota: %v", err)
	}
	if used == nil {
		return
	}
	created.Status = corev1.ResourceQuotaStatus{Hard: hard, Used: used}
	if _, err := client.CoreV1().ResourceQuotas(ns).UpdateStatus(t.Context(), created, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update quota status: %v", err)
	}
	waitQuotaSeen(t, client, ns, "sentinel-"+name)
}

// waitQuotaSeen waits until the admission's quota informer has seen every
// quota status written so far in ns: it writes one more, a sentinel quota
// of no secrets, and waits until a dry-run Secret is refused by it. The
// informer gets quota events in order, so it has seen the earlier status
// too; without this, a create right after the status write may meet the
// quota as created, without a status, which limits nothing.
func waitQuotaSeen(t *testing.T, client kubernetes.Interface, ns, sentinel string) {
	t.Helper()
	none := quantities("count/secrets", "0")
	q, err := client.CoreV1().ResourceQuotas(ns).Create(t.Context(), &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Name: sentinel}, Spec: corev1.ResourceQuotaSpec{Hard: none},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create sentinel quota: %v", err)
	}
	q.Status = corev1.ResourceQuotaStatus{Hard: none, Used: quantities("count/secrets", "0")}
	if _, err := client.CoreV1().ResourceQuotas(ns).UpdateStatus(t.Context(), q, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update sentinel quota status: %v", err)
	}
	clustertest.Poll(t, 30*time.Second, func() error {
		_, err := client.CoreV1().Secrets(ns).Create(t.Context(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "probe"}},
			metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if apierrors.IsForbidden(err) && strings.Contains(err.Error(), "exceeded quota: "+sentinel) {
			return nil
		}
		return fmt.Errorf("dry-run secret not refused by %s yet: %v", sentinel, err)
	})
}

func quantities(pairs ...string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for i := 0; i < len(pairs); i += 2 {
		out[corev1.ResourceName(pairs[i])] = resource.MustParse(pairs[i+1])
	}
	return out
}

func simplePod(name string, requests corev1.ResourceList) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{Containers: []corev1.Container{{
		Name: "c", Image: "busybox", Resources: corev1.ResourceRequirements{Requests: requests},
	}}}}
}

// wantForbidden fails t unless err is Forbidden with exactly msg.
func wantForbidden(t *testing.T, err error, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", msg)
	}
	if !apierrors.IsForbidden(err) {
		t.Errorf("error %v: want Forbidden", err)
	}
	if err.Error() != msg {
		t.Errorf("error:\n got %s\nwant %s", err, msg)
	}
}

// TestResourceQuotaAdmission checks kube-apiserver's ResourceQuota
// admission against quotas whose status is set by hand: a quota without
// usage yet refuses everything it limits, a quota with usage charges each
// admitted pod to status.used and refuses the pod past the limit with
// upstream's text, and cpu limits require cpu requests.
func TestResourceQuotaAdmission(t *testing.T) {
	t.Parallel()
	c := clustertest.StartAPI(t, cluster.Options{})
	client := clustertest.Client(t, c)

	t.Run("status unknown", func(t *testing.T) {
		t.Parallel()
		securityNamespace(t, client, "unknown", nil)
		// As upstream, a quota limits only once its status.hard is set.
		quotaWithStatus(t, client, "unknown", "new", quantities("pods", "0"), nil)
		if _, err := client.CoreV1().Pods("unknown").Create(t.Context(), simplePod("a", nil), metav1.CreateOptions{}); err != nil {
			t.Fatalf("create pod under a quota without status: %v", err)
		}
		// Limits in status.hard without usage refuse.
		quotaWithStatus(t, client, "unknown", "q", quantities("pods", "2"), corev1.ResourceList{})
		_, err := client.CoreV1().Pods("unknown").Create(t.Context(), simplePod("b", nil), metav1.CreateOptions{})
		wantForbidden(t, err, `pods "b" is forbidden: status unknown for quota: q, resources: pods`)
	})

	t.Run("pods", func(t *testing.T) {
		t.Parallel()
		securityNamespace(t, client, "pods", nil)
		quotaWithStatus(t, client, "pods", "q", quantities("pods", "2"), quantities("pods", "0"))
		for _, name := range []string{"a", "b"} {
			if _, err := client.CoreV1().Pods("pods").Create(t.Context(), simplePod(name, nil), metav1.CreateOptions{}); err != nil {
				t.Fatalf("create pod %s: %v", name, err)
			}
		}
		q, err := client.CoreV1().ResourceQuotas("pods").Get(t.Context(), "q", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := q.Status.Used[corev1.ResourcePods]; got.Value() != 2 {
			t.Errorf("status.used.pods = %s after two pods, want 2", got.String())
		}
		_, err = client.CoreV1().Pods("pods").Create(t.Context(), simplePod("x", nil), metav1.CreateOptions{})
		wantForbidden(t, err, `pods "x" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2`)
	})

	t.Run("compute", func(t *testing.T) {
		t.Parallel()
		securityNamespace(t, client, "compute", nil)
		quotaWithStatus(t, client, "compute", "compute", quantities("requests.cpu", "1", "limits.memory", "1Gi"),
			quantities("requests.cpu", "0", "limits.memory", "0"))
		_, err := client.CoreV1().Pods("compute").Create(t.Context(), simplePod("x", nil), metav1.CreateOptions{})
		wantForbidden(t, err, `pods "x" is forbidden: failed quota: compute: must specify limits.memory for: c; requests.cpu for: c`)
		big := simplePod("big", quantities("cpu", "1500m"))
		big.Spec.Containers[0].Resources.Limits = quantities("memory", "512Mi")
		_, err = client.CoreV1().Pods("compute").Create(t.Context(), big, metav1.CreateOptions{})
		wantForbidden(t, err, `pods "big" is forbidden: exceeded quota: compute, requested: requests.cpu=1500m, used: requests.cpu=0, limited: requests.cpu=1`)
	})

	t.Run("services and object counts", func(t *testing.T) {
		t.Parallel()
		securityNamespace(t, client, "svc", nil)
		quotaWithStatus(t, client, "svc", "q", quantities("services.nodeports", "0", "count/configmaps", "1"),
			quantities("services.nodeports", "0", "count/configmaps", "0"))
		svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "s"}, Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{{Port: 80}},
		}}
		_, err := client.CoreV1().Services("svc").Create(t.Context(), svc, metav1.CreateOptions{})
		wantForbidden(t, err, `services "s" is forbidden: exceeded quota: q, requested: services.nodeports=1, used: services.nodeports=0, limited: services.nodeports=0`)
		for i, name := range []string{"one", "two"} {
			_, err := client.CoreV1().ConfigMaps("svc").Create(t.Context(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
			if i == 0 && err != nil {
				t.Fatalf("create first configmap: %v", err)
			}
			if i == 1 {
				wantForbidden(t, err, `configmaps "two" is forbidden: exceeded quota: q, requested: count/configmaps=1, used: count/configmaps=1, limited: count/configmaps=1`)
			}
		}
	})
}
