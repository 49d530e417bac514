// Package vfs is a container's filesystem for the simulated runtime: a shared, immutable image
// tree under a per-container copy-on-write layer kept in memory, with host files and
// directories mounted at container paths and reached only through os.Root.
//
// It is not a general overlay filesystem and knows nothing of processes, shells or
// Kubernetes: callers pass absolute container paths and get fs-style errors whose Err is a
// syscall.Errno, so commands can print the libc text a real program would.
//
// Containment is the package's first job. Every host operation goes through an os.Root opened
// on the mount's host directory (or on the parent directory of a mounted file, naming only
// that file), and symbolic links met on the way are resolved here in the container's
// namespace, so neither ".." nor a link can reach a host path outside a mount. Those roots
// are opened once, by New, and held until Close, as a bind mount pins the folder it was made
// of: replacing a mounted folder on the host afterwards (with a link to elsewhere, say,
// through another mount of its parent) does not move the mount. A mounted file is opened by
// name in its held parent each time, so a file the kubelet replaces by rename shows its new
// content, as does a configMap volume whose ..data link the atomic writer swaps.
package vfs
