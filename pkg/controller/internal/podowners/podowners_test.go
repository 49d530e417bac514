package podowners

import (
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/expectations"
)

func replicaSet(name string, uid types.UID, selector map[string]string) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", UID: uid},
		Spec:       appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: selector}, MinReadySeconds: 5},
	}
}

// owners over a fixed set of ReplicaSets and a real queue, which the test
// reads back.
func owners(sets ...*appsv1.ReplicaSet) (*Owners[*appsv1.ReplicaSet], workqueue.TypedRateLimitingInterface[string]) {
	queue := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	return &Owners[*appsv1.ReplicaSet]{
		Kind: appsv1.SchemeGroupVersion.WithKind("ReplicaSet"),
		Get: func(ns, name string) (*appsv1.ReplicaSet, error) {
			for _, rs := range sets {
				if rs.Namespace == ns && rs.Name == name {
					return rs, nil
				}
			}
			return nil, apierrors.NewNotFound(appsv1.Resource("replicasets"), name)
		},
		List:            func(string) ([]*appsv1.ReplicaSet, error) { return sets, nil },
		Selector:        func(rs *appsv1.ReplicaSet) *metav1.LabelSelector { return rs.Spec.Selector },
		MinReadySeconds: func(rs *appsv1.ReplicaSet) int32 { return rs.Spec.MinReadySeconds },
		Expectations:    expectations.New(),
		Queue:           func() workqueue.TypedRateLimitingInterface[string] { return queue },
	}, queue
}

func pod(labels map[string]string, owner *appsv1.ReplicaSet, uid types.UID) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", Labels: labels, ResourceVersion: "1"}}
	if owner != nil {
		p.OwnerReferences = []metav1.OwnerReference{{
			APIVersion: "apps/v1", Kind: "ReplicaSet", Name: owner.Name, UID: uid, Controller: ptr.To(true),
		}}
	}
	return p
}

// drain returns the keys queued now, sorted.
func drain(q workqueue.TypedRateLimitingInterface[string]) []string {
	var keys []string
	for q.Len() > 0 {
		k, _ := q.Get()
		keys = append(keys, k)
		q.Done(k)
	}
	slices.Sort(keys)
	return keys
}

func TestOwner(t *testing.T) {
	web := replicaSet("web", "uid-web", map[string]string{"app": "web"})
	o, _ := owners(web)
	if got, ok := o.Owner(pod(nil, web, "uid-web")); !ok || got != web {
		t.Errorf("Owner of web's pod = %v, %v", got, ok)
	}
	if _, ok := o.Owner(pod(nil, web, "uid-older")); ok {
		t.Error("a controllerRef to an older ReplicaSet of the same name resolved")
	}
	if _, ok := o.Owner(pod(nil, replicaSet("gone", "uid-gone", nil), "uid-gone")); ok {
		t.Error("a controllerRef to a ReplicaSet not in the cache resolved")
	}
}

func TestPodHandlers(t *testing.T) {
	web := replicaSet("web", "uid-web", map[string]string{"app": "web"})
	all := replicaSet("all", "uid-all", map[string]string{})
	api := replicaSet("api", "uid-api", map[string]string{"app": "api"})
	o, q := owners(web, all, api)
	h := o.PodHandlers()

	o.Expectations.ExpectCreations("ns/web", 1)
	h.AddFunc(pod(map[string]string{"app": "web"}, web, "uid-web"))
	if !o.Expectations.Satisfied("ns/web") {
		t.Error("adding web's pod did not satisfy its creation expectation")
	}
	if got := drain(q); !slices.Equal(got, []string{"ns/web"}) {
		t.Errorf("adding web's pod queued %q", got)
	}

	// An orphan syncs the ReplicaSets that select it; an empty selector
	// selects nothing.
	h.AddFunc(pod(map[string]string{"app": "api"}, nil, ""))
	if got := drain(q); !slices.Equal(got, []string{"ns/api"}) {
		t.Errorf("adding an orphan queued %q, want api's key", got)
	}

	// Released by web, adopted by nobody: web syncs, and api, which
	// selects the pod's new labels.
	old := pod(map[string]string{"app": "web"}, web, "uid-web")
	released := pod(map[string]string{"app": "api"}, nil, "")
	released.ResourceVersion = "2"
	h.UpdateFunc(old, released)
	if got := drain(q); !slices.Equal(got, []string{"ns/api", "ns/web"}) {
		t.Errorf("releasing the pod queued %q", got)
	}

	o.Expectations.ExpectDeletions("ns/web", []string{"ns/p"})
	deleting := pod(map[string]string{"app": "web"}, web, "uid-web")
	deleting.ResourceVersion, deleting.DeletionTimestamp = "3", &metav1.Time{}
	h.UpdateFunc(old, deleting)
	if !o.Expectations.Satisfied("ns/web") {
		t.Error("a pod being deleted did not satisfy web's deletion expectation")
	}
	if got := drain(q); !slices.Equal(got, []string{"ns/web"}) {
		t.Errorf("deleting web's pod queued %q", got)
	}

	// The same resourceVersion is a resync: nothing to do.
	h.UpdateFunc(old, old)
	if q.Len() != 0 {
		t.Errorf("a resync queued %q", drain(q))
	}
}
