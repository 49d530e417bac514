// Package volumes writes a pod's configMap, secret, downwardAPI, projected and
// emptyDir volumes into the pod's folder exactly as the kubelet lays them out
// (volumes/kubernetes.io~<plugin>/<name>, with the atomic writer's ..data
// symlink and timestamped payload directory), so what a container would see
// can be read on disk. It fetches nothing itself: a Source hands it the
// objects, and it mounts nothing (no tmpfs, no fsGroup ownership).
package volumes
