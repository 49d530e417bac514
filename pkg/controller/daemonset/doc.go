// Package daemonset is kube-controller-manager's daemonset-controller,
// written over client-go from upstream's behaviour: a DaemonSet runs one
// pod on every node it may run on (the template's node selector and
// required node affinity match, and the node's NoSchedule and NoExecute
// taints are tolerated, with the tolerations upstream adds to every
// daemon pod). Pods are created unbound, pinned to their node by a
// metadata.name node affinity term, for the scheduler to bind. Failed and
// succeeded daemon pods are replaced (failed ones with back-off), extra
// pods on a node are deleted, and so are pods on nodes the DaemonSet no
// longer fits, unless they tolerate the node's NoExecute taints.
//
// Each pod template the DaemonSet has had is a ControllerRevision named
// after its template hash, as kubectl rollout history and undo read them;
// RollingUpdate replaces old pods within maxUnavailable, or surges new
// ones beside them within maxSurge, and OnDelete waits for the user to
// delete them. The status counts are upstream's, so kubectl rollout status
// prints what it prints against a real cluster.
package daemonset
