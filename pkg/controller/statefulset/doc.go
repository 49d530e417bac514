// Package statefulset is kube-controller-manager's statefulset-controller,
// written over client-go from upstream's (v1.37) behaviour: a StatefulSet
// runs one pod per ordinal in [spec.ordinals.start, start+replicas), named
// <set>-<ordinal>, labelled statefulset.kubernetes.io/pod-name,
// apps.kubernetes.io/pod-index and controller-revision-hash (its revision's
// name), with hostname = its name and subdomain = spec.serviceName, so
// that the set's headless Service gives it web-0.web.<ns>.svc. Each
// volumeClaimTemplate gives each pod a claim <template>-<set>-<ordinal>,
// made before the pod and mounted by it, owned by the set and/or by the pod
// as persistentVolumeClaimRetentionPolicy says (whenDeleted and whenScaled),
// so that the garbage collector deletes it with them or not.
//
// OrderedReady makes pods in ordinal order, each once the one before is
// running, ready and available (minReadySeconds), and deletes them from the
// highest ordinal down, one at a time; Parallel makes and deletes them all
// at once. Failed and succeeded pods are deleted and made again. Each pod
// template is a ControllerRevision <set>-<hash> holding a strategic merge
// patch of spec.template (as kubectl rollout history and undo read them,
// numbered in order, an old one renumbered last on a rollback). RollingUpdate
// deletes pods of an old revision from the highest ordinal down to the
// partition, within maxUnavailable (the MaxUnavailableStatefulSet gate is
// on by default, as in v1.37); OnDelete waits for the user to delete them.
// The status counts and revisions are upstream's, so kubectl rollout status
// prints what it prints against a real cluster, and so are the events.
// Pods are adopted and released through ownerReferences.
//
// It does not bind or provision volumes (the persistentvolume-binder and
// a provisioner do: kind's local-path one here), does not resize claims or apply changed claim
// templates, records no metrics, and, unlike upstream, waits for its
// informer to see the pods it made or deleted before acting again
// (expectations) and deletes a pod only if it is still the one its cache
// holds (a UID precondition). Revisions are compared by their bytes and by
// the template they restore, but without the defaulting upstream applies
// to old revisions.
package statefulset
