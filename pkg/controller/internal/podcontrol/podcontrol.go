// Package podcontrol creates and deletes the pods of workload controllers
// (ReplicaSets, DaemonSets, Jobs) as upstream's shared PodControl does:
// pods made from the owner's template with the owner as controller, the
// same SuccessfulCreate/FailedCreate/SuccessfulDelete/FailedDelete events
// on the owner, and creates in slow-start batches so that a template the
// API server refuses is tried once per sync, not once per missing pod.
package podcontrol

import (
	"context"
	"errors"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/ownership"
	"github.com/fakecluster/fakecluster/pkg/internal/events"
)

// Owner is a workload object that owns pods: its metadata names them and
// its events report what happened to them.
type Owner interface {
	metav1.Object
	runtime.Object
}

// Control creates and deletes pods for one controller.
type Control struct {
	Client kubernetes.Interface
	Events *events.Recorder
}

// FromTemplate is the pod a controller creates from its template: the
// template's labels, annotations, finalizers and spec, a name generated
// after the owner's, and the owner as controller.
func FromTemplate(t *corev1.PodTemplateSpec, owner metav1.Object, kind schema.GroupVersionKind) *corev1.Pod {
	t = t.DeepCopy()
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName:    owner.GetName() + "-",
			Namespace:       owner.GetNamespace(),
			Labels:          t.Labels,
			Annotations:     t.Annotations,
			Finalizers:      t.Finalizers,
			OwnerReferences: []metav1.OwnerReference{ownership.ControllerRef(owner, kind)},
		},
		Spec: t.Spec,
	}
}

// Create creates pod for owner and reports it in an event. A namespace
// being deleted refuses every create; that is no failure of the owner's,
// so it gets no event and the error is returned for the caller to tell
// apart with IsNamespaceTerminating.
func (c Control) Create(ctx context.Context, owner Owner, pod *corev1.Pod) (*corev1.Pod, error) {
	created, err := c.Client.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		if !IsNamespaceTerminating(err) {
			c.Events.Eventf(owner, corev1.EventTypeWarning, "FailedCreate", "Error creating: %v", err)
		}
		return nil, err
	}
	klog.FromContext(ctx).V(4).Info("Created pod", "owner", klog.KObj(owner), "pod", klog.KObj(created))
	c.Events.Eventf(owner, corev1.EventTypeNormal, "SuccessfulCreate", "Created pod: %v", created.Name)
	return created, nil
}

// IsNamespaceTerminating reports whether err is the refusal of a create
// in a namespace that is being deleted.
func IsNamespaceTerminating(err error) bool {
	return apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause)
}

// Delete deletes pod, the very one (its UID as precondition), and
// reports it in an event on owner. A pod already gone gets no event; its
// NotFound is returned, for the caller to stop expecting the deletion
// (its informer may have seen it go before the expectation was set).
func (c Control) Delete(ctx context.Context, owner Owner, pod *corev1.Pod) error {
	err := c.Client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &pod.UID}})
	if apierrors.IsNotFound(err) {
		return err
	}
	if err != nil {
		c.Events.Eventf(owner, corev1.EventTypeWarning, "FailedDelete", "Error deleting: %v", err)
		return err
	}
	c.Events.Eventf(owner, corev1.EventTypeNormal, "SuccessfulDelete", "Deleted pod: %v", pod.Name)
	return nil
}

// DeleteAll deletes pods at once. For each delete the owner's informer
// may never report (it failed, or the pod was gone already) it calls
// unseen with the pod's index, for the caller's expectations. It returns
// the failures; a pod already gone is none.
func (c Control) DeleteAll(ctx context.Context, owner Owner, pods []*corev1.Pod, unseen func(i int)) error {
	errs := make([]error, len(pods))
	var wg sync.WaitGroup
	for i, p := range pods {
		wg.Go(func() {
			if err := c.Delete(ctx, owner, p); err != nil {
				unseen(i)
				if !apierrors.IsNotFound(err) {
					errs[i] = err
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// CreateAll creates count pods, pod(i) for each, in slow-start batches.
// It calls unseen once for each pod the owner's informer will not report:
// a create that failed, and those never tried after a batch that failed.
// A namespace being deleted is no failure.
func (c Control) CreateAll(ctx context.Context, owner Owner, count int, pod func(i int) *corev1.Pod, unseen func()) error {
	done, err := slowStart(count, func(i int) error {
		_, err := c.Create(ctx, owner, pod(i))
		if err != nil {
			unseen()
			if IsNamespaceTerminating(err) {
				return nil
			}
		}
		return err
	})
	for range count - done {
		unseen()
	}
	return err
}

// slowStart calls fn(i) for i in [0, count), in batches of 1, 2, 4, … run
// at once, and stops after the first batch with a failure. It returns
// how many calls were made and the errors of the last batch.
func slowStart(count int, fn func(i int) error) (int, error) {
	done := 0
	for batch := 1; done < count; batch *= 2 {
		batch = min(batch, count-done)
		errs := make([]error, batch)
		var wg sync.WaitGroup
		for i := range batch {
			wg.Go(func() { errs[i] = fn(done + i) })
		}
		wg.Wait()
		done += batch
		if err := errors.Join(errs...); err != nil {
			return done, err
		}
	}
	return done, nil
}
