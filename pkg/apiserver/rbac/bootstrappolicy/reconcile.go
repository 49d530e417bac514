package bootstrappolicy

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/client-go/kubernetes"
	"k8s.io/component-helpers/auth/rbac/reconciliation"
	"k8s.io/klog/v2"
)

// Reconcile brings the cluster's RBAC objects up to p through client, as
// kube-apiserver does at every start: each missing object is created, an
// existing one gets the rules, aggregation selectors and subjects it lacks
// (what else it has is kept), and one annotated autoupdate "false" is left
// as it is. It returns every failure, having tried every object.
func Reconcile(ctx context.Context, client kubernetes.Interface, p *Policy) error {
	logger := klog.FromContext(ctx)
	rbac := client.RbacV1()
	namespaces := client.CoreV1().Namespaces()
	var errs []error
	changed := map[reconciliation.ReconcileOperation]int{}
	report := func(kind, namespace, name string, op reconciliation.ReconcileOperation, protected bool, err error) {
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("reconcile %s %s: %w", kind, describe(namespace, name), err))
		case protected && op != reconciliation.ReconcileNone:
			logger.V(2).Info("Skipped reconciling a protected RBAC object", "kind", kind, "namespace", namespace, "name", name, "operation", op)
		case op != reconciliation.ReconcileNone:
			changed[op]++
			logger.V(4).Info("Reconciled RBAC object", "kind", kind, "namespace", namespace, "name", name, "operation", op)
		}
	}
	for i := range p.ClusterRoles {
		opts := reconciliation.ReconcileRoleOptions{
			Role:    reconciliation.ClusterRoleRuleOwner{ClusterRole: p.ClusterRoles[i].DeepCopy()},
			Client:  reconciliation.ClusterRoleModifier{Client: rbac.ClusterRoles()},
			Confirm: true,
		}
		res, err := opts.Run()
		op, protected := resultOf(res)
		report("ClusterRole", "", p.ClusterRoles[i].Name, op, protected, err)
	}
	for i := range p.ClusterRoleBindings {
		opts := reconciliation.ReconcileRoleBindingOptions{
			RoleBinding: reconciliation.ClusterRoleBindingAdapter{ClusterRoleBinding: p.ClusterRoleBindings[i].DeepCopy()},
			Client:      reconciliation.ClusterRoleBindingClientAdapter{Client: rbac.ClusterRoleBindings()},
			Confirm:     true,
		}
		res, err := opts.Run()
		op, protected := bindingResultOf(res)
		report("ClusterRoleBinding", "", p.ClusterRoleBindings[i].Name, op, protected, err)
	}
	for i := range p.Roles {
		opts := reconciliation.ReconcileRoleOptions{
			Role:    reconciliation.RoleRuleOwner{Role: p.Roles[i].DeepCopy()},
			Client:  reconciliation.RoleModifier{Client: rbac, NamespaceClient: namespaces},
			Confirm: true,
		}
		res, err := opts.Run()
		op, protected := resultOf(res)
		report("Role", p.Roles[i].Namespace, p.Roles[i].Name, op, protected, err)
	}
	for i := range p.RoleBindings {
		opts := reconciliation.ReconcileRoleBindingOptions{
			RoleBinding: reconciliation.RoleBindingAdapter{RoleBinding: p.RoleBindings[i].DeepCopy()},
			Client:      reconciliation.RoleBindingClientAdapter{Client: rbac, NamespaceClient: namespaces},
			Confirm:     true,
		}
		res, err := opts.Run()
		op, protected := bindingResultOf(res)
		report("RoleBinding", p.RoleBindings[i].Namespace, p.RoleBindings[i].Name, op, protected, err)
	}
	if len(changed) > 0 {
		logger.V(2).Info("Reconciled the bootstrap RBAC policy", "created", changed[reconciliation.ReconcileCreate],
			"updated", changed[reconciliation.ReconcileUpdate], "recreated", changed[reconciliation.ReconcileRecreate])
	}
	return errors.Join(errs...)
}

func resultOf(r *reconciliation.ReconcileClusterRoleResult) (reconciliation.ReconcileOperation, bool) {
	if r == nil {
		return reconciliation.ReconcileNone, false
	}
	return r.Operation, r.Protected
}

func bindingResultOf(r *reconciliation.ReconcileClusterRoleBindingResult) (reconciliation.ReconcileOperation, bool) {
	if r == nil {
		return reconciliation.ReconcileNone, false
	}
	return r.Operation, r.Protected
}

func describe(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}
