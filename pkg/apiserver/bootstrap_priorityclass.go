package apiserver

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/priorityclass"
)

// bootstrapPriorityClasses creates the system PriorityClasses that are
// missing, as kube-apiserver's scheduling/bootstrap-system-priority-classes
// hook does, retrying until the API server answers; existing ones are left
// alone.
func bootstrapPriorityClasses(ctx context.Context, client kubernetes.Interface) error {
	var last error
	err := wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		last = nil
		for _, class := range priorityclass.SystemClasses() {
			_, err := client.SchedulingV1().PriorityClasses().Get(ctx, class.Name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				_, err = client.SchedulingV1().PriorityClasses().Create(ctx, class, metav1.CreateOptions{})
			}
			if err != nil && !apierrors.IsAlreadyExists(err) {
				last = fmt.Errorf("create PriorityClass %s: %w", class.Name, err)
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("bootstrap system priority classes: %w (last error: %v)", err, last)
	}
	return nil
}
