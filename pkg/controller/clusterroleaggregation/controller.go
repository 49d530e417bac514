package clusterroleaggregation

import (
	"context"
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	rbacv1ac "k8s.io/client-go/applyconfigurations/rbac/v1"
	"k8s.io/client-go/informers"
	rbacinformers "k8s.io/client-go/informers/rbac/v1"
	"k8s.io/client-go/kubernetes"
	rbaclisters "k8s.io/client-go/listers/rbac/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/eventhandlers"
	"github.com/fakecluster/fakecluster/pkg/internal/workers"
)

// Name is the controller's name, as kube-controller-manager's --controllers
// takes it; FieldManager is the field manager its applies are made with.
const (
	Name         = "clusterrole-aggregation-controller"
	FieldManager = "clusterrole-aggregation-controller"
)

// Controller aggregates ClusterRoles.
type Controller struct {
	client       kubernetes.Interface
	clusterRoles rbaclisters.ClusterRoleLister
	synced       []cache.InformerSynced
	queue        workqueue.TypedRateLimitingInterface[string]
}

// New returns the controller, watching ClusterRoles through factory; the
// caller starts factory and calls Run. It fails if an event handler cannot
// be added.
func New(client kubernetes.Interface, factory informers.SharedInformerFactory) (*Controller, error) {
	roles := factory.Rbac().V1().ClusterRoles()
	c := &Controller{
		client:       client,
		clusterRoles: roles.Lister(),
		// Unnamed: a named queue would report into workqueue's
		// process-wide metrics.
		queue: workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
	}
	// Any change can change what any aggregated role selects.
	synced, err := eventhandlers.Add(eventhandlers.For("clusterrole", roles.TypedInformer(), rbacinformers.ClusterRoleHandlerFuncs{
		AddFunc:    func(*rbacv1.ClusterRole) { c.enqueueAggregated() },
		UpdateFunc: func(_, _ *rbacv1.ClusterRole) { c.enqueueAggregated() },
		DeleteFunc: func(rbacinformers.DeletedClusterRole) { c.enqueueAggregated() },
	}))
	if err != nil {
		return nil, err
	}
	c.synced = synced
	return c, nil
}

// enqueueAggregated queues every ClusterRole that has an aggregationRule.
func (c *Controller) enqueueAggregated() {
	roles, err := c.clusterRoles.List(labels.Everything())
	if err != nil {
		return
	}
	for _, r := range roles {
		if r.AggregationRule != nil {
			c.queue.Add(r.Name)
		}
	}
}

// Run aggregates with n workers until ctx is done, and returns once they
// have stopped. kube-controller-manager runs five.
func (c *Controller) Run(ctx context.Context, n int) {
	loop := workers.Loop[string]{
		Pool: workers.Pool[string]{
			Queue: c.queue, Sync: c.sync,
			ErrorMessage: "Aggregating ClusterRole; will retry", ItemKey: "clusterRole",
			Expected: workers.LostRace,
		},
		Name: Name, Title: "ClusterRole aggregation controller", Synced: c.synced,
	}
	loop.Run(ctx, n)
}

// sync gives the named ClusterRole the union of the rules of the roles its
// selectors match: selector by selector, matching roles by name, each rule
// once, in the order first seen, as upstream's controller does.
func (c *Controller) sync(ctx context.Context, name string) error {
	role, err := c.clusterRoles.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if role.AggregationRule == nil {
		return nil
	}
	rules, err := c.aggregate(role)
	if err != nil {
		return err
	}
	if apiequality.Semantic.DeepEqual(rules, role.Rules) {
		return nil
	}
	apply := rbacv1ac.ClusterRole(name)
	for _, r := range rules {
		apply.WithRules(rbacv1ac.PolicyRule().WithVerbs(r.Verbs...).WithAPIGroups(r.APIGroups...).
			WithResources(r.Resources...).WithResourceNames(r.ResourceNames...).WithNonResourceURLs(r.NonResourceURLs...))
	}
	if len(rules) == 0 {
		apply.Rules = []rbacv1ac.PolicyRuleApplyConfiguration{}
	}
	if _, err := c.client.RbacV1().ClusterRoles().Apply(ctx, apply, metav1.ApplyOptions{FieldManager: FieldManager, Force: true}); err != nil {
		return fmt.Errorf("apply the aggregated rules of ClusterRole %s: %w", name, err)
	}
	klog.FromContext(ctx).V(2).Info("Aggregated ClusterRole", "clusterRole", name, "rules", len(rules))
	return nil
}

// aggregate returns the rules role's selectors gather.
func (c *Controller) aggregate(role *rbacv1.ClusterRole) ([]rbacv1.PolicyRule, error) {
	var rules []rbacv1.PolicyRule
	for i := range role.AggregationRule.ClusterRoleSelectors {
		selector, err := metav1.LabelSelectorAsSelector(&role.AggregationRule.ClusterRoleSelectors[i])
		if err != nil {
			return nil, fmt.Errorf("ClusterRole %s: selector %d: %w", role.Name, i, err)
		}
		matched, err := c.clusterRoles.List(selector)
		if err != nil {
			return nil, err
		}
		slices.SortFunc(matched, func(a, b *rbacv1.ClusterRole) int { return strings.Compare(a.Name, b.Name) })
		for _, m := range matched {
			if m.Name == role.Name {
				continue
			}
			for _, r := range m.Rules {
				if !slices.ContainsFunc(rules, func(have rbacv1.PolicyRule) bool { return apiequality.Semantic.DeepEqual(have, r) }) {
					rules = append(rules, r)
				}
			}
		}
	}
	return rules, nil
}
