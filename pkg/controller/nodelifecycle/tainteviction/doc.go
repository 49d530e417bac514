// Package tainteviction is kube-controller-manager's taint-eviction-controller:
// it deletes the pods bound to a Node with NoExecute taints they do not
// tolerate, at once, or once the shortest tolerationSeconds of the
// tolerations they use has run out. It does not taint Nodes (package
// nodelifecycle gives a not-ready or unreachable Node its NoExecute taint)
// nor force pods off a Node whose kubelet is gone (the deletion is
// graceful: such a pod stays Terminating until podgc or a user removes it).
//
// As upstream: a pod's eviction is scheduled when its Node gets NoExecute
// taints or the pod is bound or changes its tolerations, counted from that
// moment; one already scheduled is kept. An eviction is cancelled when the
// taints go, or the pod comes to tolerate them forever, with the event
// TaintManagerEviction "Cancelling deletion of Pod default/x". When it
// fires the pod gets the event TaintManagerEviction "Marking for deletion
// Pod default/x" (source taint-eviction-controller), the condition
// DisruptionTarget True with reason DeletionByTaintManager and message
// "Taint manager: deleting due to NoExecute taint", and is deleted.
package tainteviction
