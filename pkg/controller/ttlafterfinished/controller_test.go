package ttlafterfinished_test

import (
	"errors"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

const timeout = 60 * time.Second

var errStillThere = errors.New("still there")

func job(name string, ttl int32) *batchv1.Job {
	return &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: batchv1.JobSpec{
			TTLSecondsAfterFinished: ptr.To(ttl),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy:                 corev1.RestartPolicyNever,
				TerminationGracePeriodSeconds: ptr.To[int64](1),
				Containers:                    []corev1.Container{{Name: "main", Image: "busybox", Command: []string{"true"}}},
			}},
		},
	}
}

// TestFinishedJobDeleted: in a whole cluster, a Job with a time to live
// of one second is deleted with its pod once it has completed; one with
// an hour's is kept, completed.
func TestFinishedJobDeleted(t *testing.T) {
	c := clustertest.Start(t)
	client := clustertest.Client(t, c)
	ctx := t.Context()
	clustertest.Poll(t, timeout, func() error {
		_, err := client.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		return err
	})
	for _, j := range []*batchv1.Job{job("short", 1), job("long", 3600)} {
		if _, err := client.BatchV1().Jobs("default").Create(ctx, j, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	began := time.Now()
	clustertest.Poll(t, timeout, func() error {
		_, err := client.BatchV1().Jobs("default").Get(ctx, "short", metav1.GetOptions{})
		if err == nil {
			return errStillThere
		}
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	})
	t.Logf("job with ttlSecondsAfterFinished 1 gone after %v", time.Since(began).Round(time.Millisecond))
	clustertest.Poll(t, timeout, func() error {
		pods, err := client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "job-name=short"})
		if err != nil || len(pods.Items) == 0 {
			return err
		}
		return errStillThere
	})
	long, err := client.BatchV1().Jobs("default").Get(ctx, "long", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the Job with an hour to live: %v", err)
	}
	complete := false
	for _, c := range long.Status.Conditions {
		complete = complete || c.Type == batchv1.JobComplete && c.Status == corev1.ConditionTrue
	}
	if !complete || long.DeletionTimestamp != nil {
		t.Errorf("the Job with an hour to live: conditions %+v, deletionTimestamp %v; want Complete and kept", long.Status.Conditions, long.DeletionTimestamp)
	}
}
