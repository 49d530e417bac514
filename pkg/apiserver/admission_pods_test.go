package apiserver_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

func admNamespace(t *testing.T, client kubernetes.Interface, name string) {
	t.Helper()
	if _, err := client.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func admList(pairs ...string) corev1.ResourceList {
	l := corev1.ResourceList{}
	for i := 0; i+1 < len(pairs); i += 2 {
		l[corev1.ResourceName(pairs[i])] = resource.MustParse(pairs[i+1])
	}
	return l
}

func admPod(name string, edit func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{
		AutomountServiceAccountToken: ptr.To(false),
		Containers:                   []corev1.Container{{Name: "app", Image: "nginx"}},
	}}
	if edit != nil {
		edit(p)
	}
	return p
}

// TestLimitRanger creates a LimitRange and pods through a real API server:
// the defaults are filled into a pod created right after it, a pod over
// the max is refused with upstream's text, and an invalid LimitRange is a
// 422 naming the field.
func TestLimitRanger(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartAPI(t, cluster.Options{}))
	ctx := t.Context()
	admNamespace(t, client, "limits")
	if _, err := client.CoreV1().ServiceAccounts("limits").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	lr, err := client.CoreV1().LimitRanges("limits").Create(ctx, &corev1.LimitRange{
		ObjectMeta: metav1.ObjectMeta{Name: "cpu-mem"},
		Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
			Type:           corev1.LimitTypeContainer,
			Max:            admList("cpu", "500m"),
			Default:        admList("memory", "256Mi"),
			DefaultRequest: admList("cpu", "100m"),
		}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Defaulted as kube-apiserver does: the max is the default limit.
	if diff := cmp.Diff(admList("cpu", "500m", "memory", "256Mi"), lr.Spec.Limits[0].Default); diff != "" {
		t.Errorf("LimitRange default (-want +got):\n%s", diff)
	}

	pods := client.CoreV1().Pods("limits")
	got, err := pods.Create(ctx, admPod("defaults", nil), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res := got.Spec.Containers[0].Resources
	if diff := cmp.Diff(admList("cpu", "100m", "memory", "256Mi"), res.Requests); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(admList("cpu", "500m", "memory", "256Mi"), res.Limits); diff != "" {
		t.Errorf("limits (-want +got):\n%s", diff)
	}
	if want := "LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app"; got.Annotations["kubernetes.io/limit-ranger"] != want {
		t.Errorf("annotation = %q, want %q", got.Annotations["kubernetes.io/limit-ranger"], want)
	}
	if got.Status.QOSClass != corev1.PodQOSBurstable {
		t.Errorf("qosClass = %s, want Burstable (from the defaulted resources)", got.Status.QOSClass)
	}

	_, err = pods.Create(ctx, admPod("big", func(p *corev1.Pod) {
		p.Spec.Containers[0].Resources.Limits = admList("cpu", "1")
	}), metav1.CreateOptions{})
	if want := `pods "big" is forbidden: maximum cpu usage per Container is 500m, but limit is 1`; !apierrors.IsForbidden(err) || err.Error() != want {
		t.Errorf("pod over max: %v\nwant %s", err, want)
	}

	_, err = client.CoreV1().LimitRanges("limits").Create(ctx, &corev1.LimitRange{
		ObjectMeta: metav1.ObjectMeta{Name: "bad"},
		Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
			Type: corev1.LimitTypeContainer, Min: admList("cpu", "1"), Max: admList("cpu", "500m"),
		}}},
	}, metav1.CreateOptions{})
	var status apierrors.APIStatus
	if !apierrors.IsInvalid(err) || !errors.As(err, &status) || len(status.Status().Details.Causes) == 0 ||
		status.Status().Details.Causes[0].Field != "spec.limits[0].min[cpu]" ||
		status.Status().Details.Causes[0].Message != `Invalid value: "1": min value 1 is greater than max value 500m` {
		t.Errorf("min over max: %v, want 422 on spec.limits[0].min[cpu]", err)
	}
}

// TestPriorityAdmission creates pods through a real API server: without a
// class a pod gets priority 0, with one its value and policy; a missing
// class is refused with upstream's text. Pods also get the not-ready and
// unreachable tolerations.
func TestPriorityAdmission(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartAPI(t, cluster.Options{}))
	ctx := t.Context()
	if _, err := client.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pods := client.CoreV1().Pods("default")

	plain, err := pods.Create(ctx, admPod("plain", nil), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p := plain.Spec.Priority; p == nil || *p != 0 || plain.Spec.PriorityClassName != "" || *plain.Spec.PreemptionPolicy != corev1.PreemptLowerPriority {
		t.Errorf("pod without a class: priority %v class %q policy %v, want 0, none, PreemptLowerPriority", p, plain.Spec.PriorityClassName, plain.Spec.PreemptionPolicy)
	}
	wantTolerations := []corev1.Toleration{
		{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)},
		{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)},
	}
	if diff := cmp.Diff(wantTolerations, plain.Spec.Tolerations); diff != "" {
		t.Errorf("tolerations (-want +got):\n%s", diff)
	}

	if _, err := client.SchedulingV1().PriorityClasses().Create(ctx, &schedulingv1.PriorityClass{
		ObjectMeta: metav1.ObjectMeta{Name: "batch"}, Value: 1000, PreemptionPolicy: ptr.To(corev1.PreemptNever),
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The plugin reads classes from an informer: wait for it to see the class.
	var got *corev1.Pod
	clustertest.Poll(t, 10*time.Second, func() error {
		got, err = pods.Create(ctx, admPod("batch", func(p *corev1.Pod) { p.Spec.PriorityClassName = "batch" }), metav1.CreateOptions{})
		return err
	})
	if p := got.Spec.Priority; p == nil || *p != 1000 || *got.Spec.PreemptionPolicy != corev1.PreemptNever {
		t.Errorf("pod of class batch: priority %v policy %v, want 1000 Never", p, got.Spec.PreemptionPolicy)
	}
	critical, err := pods.Create(ctx, admPod("critical", func(p *corev1.Pod) { p.Spec.PriorityClassName = "system-node-critical" }), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p := critical.Spec.Priority; p == nil || *p != 2000001000 {
		t.Errorf("system-node-critical pod: priority %v, want 2000001000", p)
	}

	_, err = pods.Create(ctx, admPod("lost", func(p *corev1.Pod) { p.Spec.PriorityClassName = "x" }), metav1.CreateOptions{})
	if want := `pods "lost" is forbidden: no PriorityClass with name x was found`; !apierrors.IsForbidden(err) || err.Error() != want {
		t.Errorf("missing class: %v\nwant %s", err, want)
	}
	_, err = pods.Create(ctx, admPod("cheat", func(p *corev1.Pod) { p.Spec.Priority = ptr.To[int32](5) }), metav1.CreateOptions{})
	if want := `pods "cheat" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 0 from the given PriorityClass name`; err == nil || err.Error() != want {
		t.Errorf("own priority: %v\nwant %s", err, want)
	}
}

// TestSystemPriorityClasses: the two system classes exist once the API
// server is up, cannot be deleted, and are there again after a restart.
func TestSystemPriorityClasses(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts a cluster; skipped with -short")
	}
	t.Parallel()
	opts := cluster.Options{DataDir: filepath.Join(t.TempDir(), "state"), Controllers: cluster.NoControllers(), Nodes: cluster.NoNodes}
	check := func(client kubernetes.Interface) {
		t.Helper()
		list, err := client.SchedulingV1().PriorityClasses().List(t.Context(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int32{}
		for _, c := range list.Items {
			got[c.Name] = c.Value
			if c.GlobalDefault || c.PreemptionPolicy == nil || *c.PreemptionPolicy != corev1.PreemptLowerPriority {
				t.Errorf("%s: globalDefault %v policy %v, want false PreemptLowerPriority", c.Name, c.GlobalDefault, c.PreemptionPolicy)
			}
		}
		if diff := cmp.Diff(map[string]int32{"system-cluster-critical": 2000000000, "system-node-critical": 2000001000}, got); diff != "" {
			t.Errorf("priority classes (-want +got):\n%s", diff)
		}
	}
	first := clustertest.StartWith(t, opts)
	client := clustertest.Client(t, first)
	check(client)
	err := client.SchedulingV1().PriorityClasses().Delete(t.Context(), "system-node-critical", metav1.DeleteOptions{})
	if want := `priorityclasses.scheduling.k8s.io "system-node-critical" is forbidden: this is a system priority class and cannot be deleted`; !apierrors.IsForbidden(err) || err.Error() != want {
		t.Errorf("delete of a system class: %v\nwant %s", err, want)
	}
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}
	check(clustertest.Client(t, clustertest.StartWith(t, opts)))
}
