// Package deployment is kube-controller-manager's deployment-controller,
// written over client-go from upstream's behaviour: each Deployment owns
// one ReplicaSet per pod template it has had, named after the template's
// pod-template-hash and numbered by the deployment.kubernetes.io/revision
// annotation. A RollingUpdate moves replicas from the old ReplicaSets to
// the new one within maxSurge and maxUnavailable (upstream's rounding:
// surge up, unavailable down); Recreate scales the old ones to zero and
// waits for their pods before scaling the new one up. Scaling a Deployment
// mid-rollout spreads the change over its ReplicaSets in proportion. The
// status counts and the Available and Progressing conditions (with
// ProgressDeadlineExceeded, paused and resumed) are upstream's, so that
// kubectl rollout status, history, undo, pause, resume and restart work as
// against a real cluster. Old ReplicaSets beyond revisionHistoryLimit are
// deleted once scaled down.
package deployment
