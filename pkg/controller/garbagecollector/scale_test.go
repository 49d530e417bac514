package garbagecollector_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/controllertest"
)

// ownController names the controller(s) a test here runs itself: the
// cluster runs every other one, so that the two do not race.
var ownController = []string{"garbage-collector-controller"}

// TestCollectThousandDependents logs how long collecting (or orphaning)
// 1,000 dependents of one owner takes, for each propagation policy.
func TestCollectThousandDependents(t *testing.T) {
	if testing.Short() {
		t.Skip("scale test")
	}
	c := controllertest.StartWithout(t, ownController...)
	client := clustertest.Client(t, c)
	startGC(t, clustertest.Config(c))
	const n = 1000

	for _, p := range []metav1.DeletionPropagation{metav1.DeletePropagationBackground, metav1.DeletePropagationForeground, metav1.DeletePropagationOrphan} {
		t.Run(string(p), func(t *testing.T) {
			ns := "scale-" + lower(string(p))
			create(t, client, namespaces, "", ns, nil)
			owner := create(t, client, configMaps, ns, "owner", nil)
			createDependents(t, client, ns, owner.ref(true), n)
			// Let the graph take in the dependents before timing.
			time.Sleep(time.Second)

			start := time.Now()
			del(t, client, owner, &p)
			clustertest.Poll(t, 2*time.Minute, func() error {
				list, err := client.CoreV1().ConfigMaps(ns).List(t.Context(), metav1.ListOptions{LabelSelector: "dependent=true"})
				if err != nil {
					return err
				}
				left := 0
				for _, cm := range list.Items {
					// Orphaned dependents stay, without the reference.
					if p != metav1.DeletePropagationOrphan || len(cm.OwnerReferences) != 0 {
						left++
					}
				}
				if left != 0 {
					return fmt.Errorf("%d dependents left", left)
				}
				if p == metav1.DeletePropagationOrphan && len(list.Items) != n {
					return fmt.Errorf("%d of %d orphaned dependents deleted", n-len(list.Items), n)
				}
				return nil
			})
			done := time.Since(start)
			clustertest.Poll(t, 2*time.Minute, gone(t, client, owner))
			t.Logf("%s: %d dependents done in %v (%.0f/s); owner gone after %v", p, n, done.Round(time.Millisecond), n/done.Seconds(), time.Since(start).Round(time.Millisecond))
		})
	}
}

// createDependents creates n ConfigMaps in ns owned through ref, in
// parallel.
func createDependents(t *testing.T, client kubernetes.Interface, ns string, ref metav1.OwnerReference, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	next := make(chan int)
	for range 16 {
		wg.Go(func() {
			for i := range next {
				cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
					Name: fmt.Sprintf("dep-%04d", i), Namespace: ns,
					Labels:          map[string]string{"dependent": "true"},
					OwnerReferences: []metav1.OwnerReference{ref},
				}}
				if _, err := client.CoreV1().ConfigMaps(ns).Create(context.Background(), cm, metav1.CreateOptions{}); err != nil {
					errs <- err
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("create dependent: %v", err)
	}
}
