package serviceaccount_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/controllertest"
	"github.com/fakecluster/fakecluster/pkg/controller/serviceaccount"
)

// ownController names the controller(s) a test here runs itself: the
// cluster runs every other one, so that the two do not race.
var ownController = []string{"serviceaccount-controller", "root-ca-certificate-publisher-controller"}

// start runs a cluster with both controllers of this package, started by
// the test itself so that it does not depend on how pkg/cluster wires
// them (should it run them too, the two instances agree). It returns a
// client and the cluster CA.
func start(t *testing.T) (kubernetes.Interface, []byte) {
	t.Helper()
	c := controllertest.StartWithout(t, ownController...)
	client := clustertest.Client(t, c)
	run(t, c, client)
	return client, clustertest.Config(c).CAData
}

func run(t *testing.T, c *cluster.Cluster, client kubernetes.Interface) {
	t.Helper()
	factory := informers.NewSharedInformerFactory(client, 0)
	accounts, err := serviceaccount.New(client, factory)
	if err != nil {
		t.Fatalf("serviceaccount.New: %v", err)
	}
	publisher, err := serviceaccount.NewRootCAPublisher(client, factory, clustertest.Config(c).CAData)
	if err != nil {
		t.Fatalf("serviceaccount.NewRootCAPublisher: %v", err)
	}
	controllertest.Run(context.Background(), t, factory,
		func(ctx context.Context) { accounts.Run(ctx, 1) },
		func(ctx context.Context) { publisher.Run(ctx, 1) })
}

func createNamespace(t *testing.T, client kubernetes.Interface, name string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := client.CoreV1().Namespaces().Create(t.Context(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace: %v", err)
	}
}

func TestDefaultServiceAccount(t *testing.T) {
	t.Parallel()
	client, _ := start(t)
	ctx := t.Context()
	createNamespace(t, client, "team")

	// Every namespace, the system ones included, gets one.
	var first *corev1.ServiceAccount
	for _, ns := range []string{"team", "default", "kube-system", "kube-public", "kube-node-lease"} {
		clustertest.Poll(t, 10*time.Second, func() error {
			sa, err := client.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
			if ns == "team" {
				first = sa
			}
			return err
		})
	}
	if err := client.CoreV1().ServiceAccounts("team").Delete(ctx, "default", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete service account: %v", err)
	}
	clustertest.Poll(t, 10*time.Second, func() error {
		sa, err := client.CoreV1().ServiceAccounts("team").Get(ctx, "default", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if sa.UID == first.UID {
			return fmt.Errorf("service account not deleted yet (uid %s)", sa.UID)
		}
		return nil
	})
}

// TestTerminatingNamespace checks that neither controller fights the
// namespace controller: a namespace being deleted does not get its
// objects back, and goes.
func TestTerminatingNamespace(t *testing.T) {
	t.Parallel()
	client, _ := start(t)
	ctx := t.Context()
	createNamespace(t, client, "doomed")
	clustertest.Poll(t, 10*time.Second, func() error {
		if _, err := client.CoreV1().ServiceAccounts("doomed").Get(ctx, "default", metav1.GetOptions{}); err != nil {
			return err
		}
		_, err := client.CoreV1().ConfigMaps("doomed").Get(ctx, serviceaccount.RootCACertConfigMapName, metav1.GetOptions{})
		return err
	})
	if err := client.CoreV1().Namespaces().Delete(ctx, "doomed", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete namespace: %v", err)
	}
	clustertest.Poll(t, 30*time.Second, func() error {
		_, err := client.CoreV1().Namespaces().Get(ctx, "doomed", metav1.GetOptions{})
		if err == nil {
			return fmt.Errorf("namespace doomed still there")
		}
		return nil
	})
}

func TestRootCAPublisher(t *testing.T) {
	t.Parallel()
	client, ca := start(t)
	ctx := t.Context()
	createNamespace(t, client, "team")
	configMaps := client.CoreV1().ConfigMaps("team")

	// published checks the ConfigMap is there as upstream publishes it, and
	// returns it.
	published := func() (*corev1.ConfigMap, error) {
		cm, err := configMaps.Get(ctx, serviceaccount.RootCACertConfigMapName, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		if got := cm.Data["ca.crt"]; got != string(ca) {
			return cm, fmt.Errorf("ca.crt = %q, want the cluster CA %q", got, ca)
		}
		if len(cm.Data) != 1 {
			return cm, fmt.Errorf("data has keys %v, want only ca.crt", cm.Data)
		}
		if got := cm.Annotations["kubernetes.io/description"]; got != serviceaccount.Description {
			return cm, fmt.Errorf("description = %q", got)
		}
		return cm, nil
	}
	var cm *corev1.ConfigMap
	clustertest.Poll(t, 10*time.Second, func() (err error) { cm, err = published(); return err })
	if want := "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as " +
		"the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."; serviceaccount.Description != want {
		t.Errorf("Description = %q, want upstream's %q", serviceaccount.Description, want)
	}

	// Changed data and a removed description are put back.
	cm.Data = map[string]string{"ca.crt": "tampered", "extra": "x"}
	delete(cm.Annotations, "kubernetes.io/description")
	if _, err := configMaps.Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update configmap: %v", err)
	}
	clustertest.Poll(t, 10*time.Second, func() error { _, err := published(); return err })

	// A deleted one comes back.
	if err := configMaps.Delete(ctx, serviceaccount.RootCACertConfigMapName, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete configmap: %v", err)
	}
	clustertest.Poll(t, 10*time.Second, func() error {
		got, err := published()
		if err == nil && got.UID == cm.UID {
			return fmt.Errorf("configmap not deleted yet")
		}
		return err
	})
	// Every system namespace has it too.
	for _, ns := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
		clustertest.Poll(t, 10*time.Second, func() error {
			_, err := client.CoreV1().ConfigMaps(ns).Get(ctx, serviceaccount.RootCACertConfigMapName, metav1.GetOptions{})
			return err
		})
	}
}
