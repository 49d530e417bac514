package clusterroleaggregation_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
	"github.com/fakecluster/fakecluster/pkg/controller/clusterroleaggregation"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/controllertest"
)

// referenceFile is the ClusterRoles a real v1.37.2 control plane serves,
// its aggregation controller having run (see that folder's README).
const referenceFile = "../../apiserver/rbac/bootstrappolicy/testdata/clusterroles.json"

// start runs an API server (which creates the bootstrap policy) and this
// controller.
func start(t *testing.T) kubernetes.Interface {
	t.Helper()
	c := clustertest.StartAPI(t, cluster.Options{})
	client := clustertest.Client(t, c)
	factory := informers.NewSharedInformerFactory(client, 0)
	ctrl, err := clusterroleaggregation.New(client, factory)
	if err != nil {
		t.Fatal(err)
	}
	controllertest.Run(context.Background(), t, factory, func(ctx context.Context) { ctrl.Run(ctx, 5) })
	return client
}

// TestBootstrapAggregation checks that admin, edit and view end with the
// very rules, in the same order, that a real cluster's have.
func TestBootstrapAggregation(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(referenceFile)
	if err != nil {
		t.Fatal(err)
	}
	var ref rbacv1.ClusterRoleList
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	want := map[string][]rbacv1.PolicyRule{}
	for _, r := range ref.Items {
		if r.AggregationRule != nil {
			want[r.Name] = r.Rules
		}
	}
	if len(want) != 3 {
		t.Fatalf("reference has %d aggregated roles, want admin, edit, view", len(want))
	}
	client := start(t)
	for name, rules := range want {
		clustertest.Poll(t, 20*time.Second, func() error {
			got, err := client.RbacV1().ClusterRoles().Get(t.Context(), name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if diff := cmp.Diff(rules, got.Rules); diff != "" {
				return fmt.Errorf("ClusterRole %s rules (-want +got):\n%s", name, diff)
			}
			return nil
		})
	}
}

// TestAggregationFollowsLabels checks that a role labelled to aggregate
// into view reaches view, edit and admin, and leaves them when unlabelled.
func TestAggregationFollowsLabels(t *testing.T) {
	t.Parallel()
	client := start(t)
	ctx := t.Context()
	rule := rbacv1.PolicyRule{APIGroups: []string{"example.com"}, Resources: []string{"widgets"}, Verbs: []string{"get", "list", "watch"}}
	widget := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "widget-viewer", Labels: map[string]string{"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
		Rules:      []rbacv1.PolicyRule{rule},
	}
	if _, err := client.RbacV1().ClusterRoles().Create(ctx, widget, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	has := func(name string, want bool) func() error {
		return func() error {
			got, err := client.RbacV1().ClusterRoles().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			found := false
			for _, r := range got.Rules {
				found = found || apiequality.Semantic.DeepEqual(r, rule)
			}
			if found != want {
				return fmt.Errorf("ClusterRole %s has the widget rule: %v, want %v", name, found, want)
			}
			if got.ManagedFields == nil {
				return fmt.Errorf("ClusterRole %s has no managed fields", name)
			}
			return nil
		}
	}
	for _, name := range []string{"view", "edit", "admin"} {
		clustertest.Poll(t, 20*time.Second, has(name, true))
	}
	got, err := client.RbacV1().ClusterRoles().Get(ctx, "widget-viewer", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got.Labels = nil
	if _, err := client.RbacV1().ClusterRoles().Update(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"view", "edit", "admin"} {
		clustertest.Poll(t, 20*time.Second, has(name, false))
	}
}
