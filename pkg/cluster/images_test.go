package cluster_test

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// TestImagesNotPulled runs pods whose image the kubelet will not pull at
// all: a name that does not parse waits as InvalidImageName, and one not
// on the node under pullPolicy Never as ErrImageNeverPull, with the
// kubelet's texts.
func TestImagesNotPulled(t *testing.T) {
	t.Parallel()
	c := clustertest.Start(t)
	client := clustertest.Client(t, c)
	waitSA(t, client)
	for _, tc := range []struct {
		name, image     string
		policy          corev1.PullPolicy
		reason, message string
	}{
		{"invalid", "Nginx:UPPER", corev1.PullIfNotPresent, "InvalidImageName",
			`Failed to apply default image tag "Nginx:UPPER": couldn't parse image name "Nginx:UPPER": invalid reference format: repository name (library/Nginx) must be lowercase`},
		{"never", "nginx", corev1.PullNever, "ErrImageNeverPull", `Container image "nginx" is not present with pull policy of Never`},
	} {
		_, err := client.CoreV1().Pods("default").Create(t.Context(), &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: tc.name},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: tc.image, ImagePullPolicy: tc.policy}}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		p := waitPod(t, client, tc.name, "waiting as "+tc.reason, func(p *corev1.Pod) bool {
			return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].State.Waiting != nil &&
				p.Status.ContainerStatuses[0].State.Waiting.Reason == tc.reason
		})
		if msg := p.Status.ContainerStatuses[0].State.Waiting.Message; msg != tc.message {
			t.Errorf("%s waits with %q, want %q", tc.name, msg, tc.message)
		}
	}
}
