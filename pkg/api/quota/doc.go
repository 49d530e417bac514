// Package quota holds the ResourceQuota evaluators of kube-apiserver's
// ResourceQuota admission and kube-controller-manager's
// resource-quota-controller, written from upstream's behaviour
// (k8s.io/kubernetes/pkg/quota/v1/evaluator/core, not importable): what a
// pod, a Service or a PersistentVolumeClaim uses, the quota scopes a pod
// matches, the legacy object count names (configmaps, secrets,
// resourcequotas, replicationcontrollers), the resources quota ignores and
// which updates change usage. It works on k8s.io/api objects through
// k8s.io/apiserver/pkg/quota/v1 interfaces and does no IO of its own; it is
// not the admission plugin nor the controller.
package quota
