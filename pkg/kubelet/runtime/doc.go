// Package runtime is fakecluster's simulated container runtime, what containerd and runc
// are to a real kubelet: it pulls images from a catalog, runs each container's command as Go
// programs over a per-container virtual filesystem (the image's files, a writable layer in
// memory, the kubelet's files and volumes mounted from the host), and serves exec, attach and
// port-forward into them with containerd's behaviour and error texts.
//
// It is not the kubelet: it knows no Kubernetes API types, computes no environment from pod
// specs and writes no files of its own; the kubelet translates a corev1.Container into a
// ContainerConfig and decides restarts. It is not a network either: cluster DNS and traffic
// between pods plug in through Options.Resolver and Options.Dialer.
//
// Processes are cheap: a container whose main program waits (nginx, sleep) costs one blocked
// goroutine and a few kilobytes; nothing polls.
//
// Deliberate difference from containerd: `kubectl exec pod -- set`, which containerd refuses
// because set is a shell built-in and not a program, prints the environment in bash's `set`
// format, so the seed document's `kubectl exec -it pod01 -- set | grep MY_POD_IPS` works as
// printed. Options.StrictExec restores containerd's refusal.
package runtime
