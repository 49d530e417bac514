// Package prober runs one container's liveness, readiness or startup probe
// the way the v1.37 kubelet's probe workers do (pkg/kubelet/prober and
// pkg/probe upstream): period, timeout, initial delay and thresholds with
// the API defaults, upstream's initial results, exec, httpGet and tcpSocket
// handlers, and upstream's texts for the Unhealthy and ProbeWarning events.
// It is not the kubelet: it does not decide restarts or readiness, record
// events or know pods; the caller starts one Prober per probe of a running
// container, reacts to its results and records the events it describes, and
// runs the probe attempts through a Runner (exec in the simulated runtime,
// TCP connections as the node makes them).
//
// Deliberate differences from upstream:
//   - gRPC probes are not run: each attempt errors, so a gRPC readiness
//     probe keeps its container unready and says why in an Unhealthy event.
//   - Probing starts when Start is called, not when the kubelet first sees
//     the pod, and there is no random start delay after a kubelet restart.
//   - A timed-out httpGet always reads "context deadline exceeded
//     (Client.Timeout exceeded while awaiting headers)", the usual text,
//     since the timeout runs on Config.Clock and not inside net/http.
package prober
