package deployment_test

import (
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// TestRolloutFinishesAfterRestart stops the cluster in the middle of a
// rolling update (minReadySeconds holds each step back, so both
// ReplicaSets have pods when it stops) and starts it again on the same
// data dir: the Deployment finishes rolling out, to revision 2, with the
// old ReplicaSet scaled to zero.
func TestRolloutFinishesAfterRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts a cluster")
	}
	t.Parallel()
	dir := t.TempDir()
	first := clustertest.StartWith(t, cluster.Options{DataDir: dir})
	client := clustertest.Client(t, first)
	ctx := t.Context()
	clustertest.Poll(t, timeout, func() error {
		_, err := client.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		return err
	})
	d := deployment("restart", 4)
	if _, err := client.AppsV1().Deployments("default").Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitRolledOut(t, client, d.Name)

	d, err := client.AppsV1().Deployments("default").Get(ctx, d.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.Spec.MinReadySeconds = 3
	d.Spec.Template.Spec.Containers[0].Image = "nginx:1.29"
	if _, err := client.AppsV1().Deployments("default").Update(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	clustertest.Poll(t, timeout, func() error {
		rss := replicaSets(t, client, d.Name)
		if rss["2"] == nil || rss["2"].Status.Replicas == 0 || rss["1"] == nil || rss["1"].Status.Replicas == 0 {
			return fmt.Errorf("not mid-rollout: %d ReplicaSets", len(rss))
		}
		return nil
	})
	if err := first.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}

	second := clustertest.StartWith(t, cluster.Options{DataDir: dir})
	client = clustertest.Client(t, second)
	done := waitRolledOut(t, client, d.Name)
	if rev := done.Annotations["deployment.kubernetes.io/revision"]; rev != "2" {
		t.Errorf("revision %q, want 2", rev)
	}
	rss := replicaSets(t, client, d.Name)
	if old := rss["1"]; old == nil || *old.Spec.Replicas != 0 {
		t.Errorf("revision 1's ReplicaSet %v, want it kept at 0 replicas", old)
	}
	if cur := rss["2"]; cur == nil || *cur.Spec.Replicas != 4 || cur.Spec.Template.Spec.Containers[0].Image != "nginx:1.29" {
		t.Errorf("revision 2's ReplicaSet %v, want 4 replicas of nginx:1.29", cur)
	}
}
