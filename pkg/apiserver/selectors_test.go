package apiserver_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

func TestFieldSelectors(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartControlPlane(t, cluster.Options{Controllers: withoutPodGC}))
	ctx := t.Context()
	pods := client.CoreV1().Pods("default")

	// a and b are bound to worker0, c to worker1, d to no node; b and c run.
	for _, p := range []struct{ name, node, phase string }{
		{"a", "worker0", ""}, {"b", "worker0", "Running"}, {"c", "worker1", "Running"}, {"d", "", ""},
	} {
		pod := newPod(p.name, "default")
		pod.Spec.NodeName = p.node
		created, err := pods.Create(ctx, pod, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if p.phase != "" {
			created.Status.Phase = corev1.PodPhase(p.phase)
			if _, err := pods.UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := client.CoreV1().Pods("kube-system").Create(ctx, newPod("e", "kube-system"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	events := client.CoreV1().Events("default")
	for _, e := range []struct{ name, involved, reason string }{
		{"a.1", "a", "Scheduled"}, {"a.2", "a", "Pulled"}, {"b.1", "b", "Scheduled"},
	} {
		_, err := events.Create(ctx, &corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Name: e.name},
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "default", Name: e.involved},
			Reason:         e.reason,
			Type:           corev1.EventTypeNormal,
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name     string
		resource string
		// namespace "" lists across namespaces.
		namespace string
		selector  string
		want      []string
	}{
		{name: "pods on a node", resource: "pods", namespace: "default", selector: "spec.nodeName=worker0", want: []string{"a", "b"}},
		{name: "unscheduled pods", resource: "pods", namespace: "default", selector: "spec.nodeName=", want: []string{"d"}},
		{name: "pods not on a node", resource: "pods", namespace: "default", selector: "spec.nodeName!=worker0", want: []string{"c", "d"}},
		{name: "running pods", resource: "pods", namespace: "default", selector: "status.phase=Running", want: []string{"b", "c"}},
		{name: "pending pods everywhere", resource: "pods", selector: "status.phase=Pending", want: []string{"a", "d", "e"}},
		{name: "two fields", resource: "pods", namespace: "default", selector: "spec.nodeName=worker0,status.phase=Running", want: []string{"b"}},
		{name: "by name", resource: "pods", selector: "metadata.name=c", want: []string{"c"}},
		{name: "by namespace", resource: "pods", selector: "metadata.namespace=kube-system", want: []string{"e"}},
		{name: "events of a pod", resource: "events", namespace: "default", selector: "involvedObject.name=a", want: []string{"a.1", "a.2"}},
		{name: "events by kind and reason", resource: "events", namespace: "default", selector: "involvedObject.kind=Pod,reason=Scheduled", want: []string{"a.1", "b.1"}},
		{name: "nothing matches", resource: "pods", namespace: "default", selector: "spec.nodeName=worker9", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := metav1.ListOptions{FieldSelector: tt.selector}
			var got []string
			switch tt.resource {
			case "pods":
				list, err := client.CoreV1().Pods(tt.namespace).List(ctx, opts)
				if err != nil {
					t.Fatal(err)
				}
				got = names(t, list)
			case "events":
				list, err := client.CoreV1().Events(tt.namespace).List(ctx, opts)
				if err != nil {
					t.Fatal(err)
				}
				got = names(t, list)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("list %s --field-selector %s (-want +got):\n%s", tt.resource, tt.selector, diff)
			}
		})
	}

	t.Run("unsupported field", func(t *testing.T) {
		t.Parallel()
		_, err := pods.List(ctx, metav1.ListOptions{FieldSelector: "spec.dnsPolicy=Default"})
		if !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), `field label not supported: spec.dnsPolicy`) {
			t.Errorf("list pods --field-selector spec.dnsPolicy=Default: err = %v, want BadRequest: field label not supported", err)
		}
	})
}

func TestLabelSelectors(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartControlPlane(t, cluster.Options{}))
	ctx := t.Context()
	cms := client.CoreV1().ConfigMaps("default")
	for name, labels := range map[string]map[string]string{
		"web-prod":  {"app": "web", "env": "prod"},
		"web-dev":   {"app": "web", "env": "dev"},
		"db-prod":   {"app": "db", "env": "prod", "critical": "true"},
		"unlabeled": nil,
	} {
		if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		selector string
		want     []string
	}{
		{selector: "app=web", want: []string{"web-dev", "web-prod"}},
		{selector: "app==web,env=prod", want: []string{"web-prod"}},
		{selector: "env!=prod", want: []string{"unlabeled", "web-dev"}},
		{selector: "env in (dev,prod),app notin (web)", want: []string{"db-prod"}},
		{selector: "critical", want: []string{"db-prod"}},
		{selector: "!app", want: []string{"unlabeled"}},
		{selector: "app=cache", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.selector, func(t *testing.T) {
			t.Parallel()
			list, err := cms.List(ctx, metav1.ListOptions{LabelSelector: tt.selector})
			if err != nil {
				t.Fatal(err)
			}
			// Only the test's own configmaps: controllers may publish
			// others (kube-root-ca.crt) into every namespace.
			var got []string
			for _, name := range names(t, list) {
				if name != "kube-root-ca.crt" {
					got = append(got, name)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("list configmaps -l %q (-want +got):\n%s", tt.selector, diff)
			}
		})
	}
	t.Run("malformed", func(t *testing.T) {
		t.Parallel()
		if _, err := cms.List(ctx, metav1.ListOptions{LabelSelector: "app in web"}); !apierrors.IsBadRequest(err) {
			t.Errorf("list -l 'app in web': err = %v, want BadRequest", err)
		}
	})
}

// withoutPodGC runs every controller but the pod garbage collector, for
// tests whose pods are bound to nodes that do not exist: on a loaded
// machine the collector's 40 s quarantine can end before such a test does.
var withoutPodGC = []string{"*", "-pod-garbage-collector-controller"}
