// Package volumes sets up a pod's volumes on the fake node as the kubelet
// does: configMap, secret, downwardAPI, projected and emptyDir volumes are
// written into the pod's folder exactly as the kubelet lays them out
// (volumes/kubernetes.io~<plugin>/<name>, with the atomic writer's ..data
// symlink and timestamped payload directory); hostPath volumes, and the
// hostPath and local PersistentVolumes that persistentVolumeClaim volumes
// are bound to, are checked (and created) in the node's host folder, which
// stands for the node's root filesystem, never reaching outside it. So what
// a container would see can be read on disk. It fetches nothing itself: a
// Source hands it the objects, and it mounts nothing (no tmpfs, no fsGroup
// ownership, no bind mounts: the runtime is given the paths).
package volumes
