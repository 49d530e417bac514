package cluster_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// BenchmarkDeployment1000 creates a Deployment of 1,000 replicas on 10
// nodes and reports the seconds from its create to all 1,000 Available,
// then from a new image to the rolling update (25% surge and unavailable,
// the defaults) finished, as kubectl rollout status sees it. Each
// iteration is its own Deployment, deleted with its pods before the next:
//
//	go test ./pkg/cluster -run '^$' -bench Deployment1000 -benchtime 1x -count 3
func BenchmarkDeployment1000(b *testing.B) {
	const nodes, replicas = 10, 1000
	c := startBenchCluster(b, nodes)
	client := benchClients(b, c, 1)[0]
	ctx := b.Context()
	var available, rollout, cpu time.Duration
	b.ResetTimer()
	for i := range b.N {
		name := fmt.Sprintf("web%d", i)
		start, cpu0 := time.Now(), processCPU(b)
		d, err := client.AppsV1().Deployments(benchNamespace).Create(ctx, benchDeployment(name, replicas), metav1.CreateOptions{})
		if err != nil {
			b.Fatal(err)
		}
		waitBenchRollout(b, client, d.Name)
		created := time.Now()
		available += created.Sub(start)
		patch := `{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.29"}]}}}}`
		if _, err := client.AppsV1().Deployments(benchNamespace).Patch(ctx, name, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			b.Fatal(err)
		}
		waitBenchRollout(b, client, d.Name)
		rollout += time.Since(created)
		cpu += processCPU(b) - cpu0
		b.StopTimer()
		deleteBenchDeployment(b, client, name)
		b.StartTimer()
	}
	b.ReportMetric(available.Seconds()/float64(b.N), "s-create-to-all-available")
	b.ReportMetric(rollout.Seconds()/float64(b.N), "s-rolling-update")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(2*replicas*b.N), "cpu-ms/pod")
}

// benchDeployment is a Deployment of replicas nginx pods that stop at once.
func benchDeployment(name string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					TerminationGracePeriodSeconds: ptr.To[int64](0),
					Containers:                    []corev1.Container{{Name: "web", Image: "nginx:1.27"}},
				},
			},
		},
	}
}

// waitBenchRollout waits until the Deployment's status says what kubectl
// rollout status waits for: every replica updated and available, none
// old, for its current generation.
func waitBenchRollout(b *testing.B, client kubernetes.Interface, name string) {
	b.Helper()
	clustertest.Poll(b, *benchWait, func() error {
		d, err := client.AppsV1().Deployments(benchNamespace).Get(b.Context(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		s, n := d.Status, *d.Spec.Replicas
		if s.ObservedGeneration < d.Generation || s.UpdatedReplicas != n || s.Replicas != n || s.AvailableReplicas != n {
			return fmt.Errorf("deployment %s: %d replicas, %d updated, %d available of %d (generation %d observed %d)",
				name, s.Replicas, s.UpdatedReplicas, s.AvailableReplicas, n, d.Generation, s.ObservedGeneration)
		}
		return nil
	})
}

// deleteBenchDeployment deletes the Deployment in the foreground and
// waits until it is gone, so its pods are too.
func deleteBenchDeployment(b *testing.B, client kubernetes.Interface, name string) {
	b.Helper()
	ctx := context.WithoutCancel(b.Context())
	fg := metav1.DeletePropagationForeground
	if err := client.AppsV1().Deployments(benchNamespace).Delete(ctx, name, metav1.DeleteOptions{PropagationPolicy: &fg}); err != nil {
		b.Fatal(err)
	}
	clustertest.Poll(b, *benchWait, func() error {
		pods, err := client.CoreV1().Pods(benchNamespace).List(ctx, metav1.ListOptions{LabelSelector: "app=" + name})
		if err != nil {
			return err
		}
		if len(pods.Items) > 0 {
			return fmt.Errorf("%d pods of %s left", len(pods.Items), name)
		}
		return nil
	})
}
