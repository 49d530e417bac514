// Package resourcequota is kube-controller-manager's
// resource-quota-controller, written over client-go from upstream's
// behaviour: it keeps every ResourceQuota's status.hard equal to its
// spec.hard and status.used equal to what the objects in its namespace use
// (pkg/api/quota's evaluators for pods, Services and claims, and object
// counts, count/<resource>.<group> and the legacy names, for any other
// namespaced resource the API serves), recalculating a quota when it is
// created or its limits change, when an object it counts is deleted or
// stops using as much (a pod that finished, a Service that stopped being a
// NodePort), and every resync period. It does not admit or refuse
// anything: the API server's ResourceQuota admission charges new objects.
package resourcequota
