package e2e

// The lifecycle scenario: pods going through their lives as kubectl shows
// them, in a namespace of its own. Serial: its pods would take the pod IPs
// the pods scenario shows.
func init() {
	scenarios = append(scenarios, scenario{
		name:   "lifecycle",
		serial: true,
		steps:  lifecycleSteps(),
	})
}

// Masks for what the lifecycle scenario's output has that varies from run
// to run beyond what normalize masks.
const (
	// podIPv4 and podIPv6 are worker0's pod IPs. Which are free depends on
	// timing: the kubelet releases a deleted pod's IPs just after its API
	// object is gone, when kubectl delete may already have returned.
	podIPv4 = `\b10\.244\.0\.\d{1,3}\b`
	podIPv6 = `\bfd00:10:244::[0-9a-f]{1,4}\b`
	// restartsAgo is the RESTARTS cell of a restarted container, e.g.
	// "2 (9s ago)", and its padding; restartsHeader the header above it,
	// whose padding follows the cell's width.
	restartsAgo    = `\((?:\d+[smh])+ ago\) +`
	restartsHeader = `RESTARTS +AGE`
	// eventSuffix is the random part of an event's name.
	eventSuffix = `\.[0-9a-f]{16}\b`
	// lastSeen is the LAST SEEN cell of kubectl get events, as wide as
	// its header.
	lastSeen = `(?m)^(?:\d+[smh])+ +`
)

// describeEvents masks the Age cells of kubectl describe's events with
// their padding: with a count ("3s (x4 over 9s)") or without, the column
// is then equally wide, whatever the timing.
func describeEvents(s step) step {
	return s.
		mask(`(?m)^(  (?:Normal|Warning) +\S+ +)<a>(?: \(x\d+ over (?:\d+[smh])+\))? +`, "${1}<a>  ").
		mask(`(?m)^(  Type +Reason +)Age +`, "${1}Age  ").
		mask(`(?m)^(  ---- +------ +)---- +`, "${1}---- ")
}

func lifecycleSteps() []step {
	return []step{
		k("create", "namespace", "lifecycle"),

		// A crash loop: the container exits 1 at once, is restarted at once,
		// then after a back-off of 10 s, then 20 s; the second restart's
		// back-off is where it waits.
		k("run", "crash", "-n", "lifecycle", "--image=busybox", "--", "sh", "-c", "echo boom; exit 1"),
		k("wait", "pod/crash", "-n", "lifecycle", "--for=jsonpath={.status.containerStatuses[0].restartCount}=2", "--timeout=60s"),
		k("wait", "pod/crash", "-n", "lifecycle", "--for=jsonpath={.status.containerStatuses[0].state.waiting.reason}=CrashLoopBackOff", "--timeout=60s"),
		k("get", "pod", "crash", "-n", "lifecycle").mask(restartsAgo, "(<age> ago)   ").mask(restartsHeader, "RESTARTS        AGE"),
		k("get", "pod", "crash", "-n", "lifecycle", "-o", `jsonpath={.status.containerStatuses[0].lastState.terminated.reason} {.status.containerStatuses[0].lastState.terminated.exitCode}{"\n"}`),
		k("logs", "crash", "-n", "lifecycle", "--previous"),
		k("get", "events", "-n", "lifecycle", "--field-selector", "involvedObject.name=crash,reason=BackOff",
			"-o", "custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message"),
		k("delete", "pod", "crash", "-n", "lifecycle").versionSpecificOutput(),

		// An init container runs to completion before the app container
		// starts. The pod is held by a scheduling gate until the watch is
		// on; the watch stops at the app container's start, 2 s before it
		// is ready.
		k("apply", "-n", "lifecycle", "-f", "lifecycle-init.yaml"),
		k("get", "pod", "init", "-n", "lifecycle", "-w").around(
			k("patch", "pod", "init", "-n", "lifecycle", "--type=json", "-p", `[{"op":"remove","path":"/spec/schedulingGates"}]`), 2, 8),
		k("wait", "pod/init", "-n", "lifecycle", "--for=condition=Ready", "--timeout=60s"),
		k("get", "pod", "init", "-n", "lifecycle"),
		k("delete", "pod", "init", "-n", "lifecycle").versionSpecificOutput(),

		// A sidecar, an init container that keeps running, counts in READY.
		k("apply", "-n", "lifecycle", "-f", "lifecycle-sidecar.yaml"),
		k("wait", "pod/sidecar", "-n", "lifecycle", "--for=condition=Ready", "--timeout=60s"),
		k("get", "pod", "sidecar", "-n", "lifecycle"),
		k("get", "pod", "sidecar", "-n", "lifecycle", "-o", `jsonpath={range .status.initContainerStatuses[*]}{.name} started={.started} ready={.ready}{"\n"}{end}`),
		k("delete", "pod", "sidecar", "-n", "lifecycle").versionSpecificOutput(),

		// A readiness probe that never passes: running, never ready.
		k("apply", "-n", "lifecycle", "-f", "lifecycle-notready.yaml"),
		// Running first: its probe failed at the container's start, so the
		// event is there by then (kubectl v1.32's --for=create gives up on
		// a selector that matches nothing yet).
		k("wait", "pod/notready", "-n", "lifecycle", "--for=jsonpath={.status.phase}=Running", "--timeout=60s"),
		k("wait", "events", "-n", "lifecycle", "--for=create", "--field-selector", "involvedObject.name=notready,reason=Unhealthy", "--timeout=60s").
			mask(eventSuffix, ".<id>"),
		k("get", "pod", "notready", "-n", "lifecycle"),
		// kubectl before v1.33 prints the token volume's ConfigMapOptional.
		describeEvents(k("describe", "pod", "notready", "-n", "lifecycle")).mask(podIPv4, "<pod-ip>").mask(podIPv6, "<pod-ipv6>").versionSpecificOutput(),
		k("delete", "pod", "notready", "-n", "lifecycle").versionSpecificOutput(),

		// A graceful delete: the kubelet stops the container with the
		// grace period the delete gave, and says so.
		k("apply", "-n", "lifecycle", "-f", "lifecycle-web.yaml"),
		k("wait", "pod/web", "-n", "lifecycle", "--for=condition=Ready", "--timeout=60s"),
		k("delete", "pod", "web", "-n", "lifecycle", "--grace-period=5").versionSpecificOutput(),
		k("get", "events", "-n", "lifecycle", "--field-selector", "involvedObject.name=web").mask(lastSeen, "<age>       "),

		// An image that cannot be pulled: its registry's name cannot resolve.
		k("run", "badimage", "-n", "lifecycle", "--image=registry.invalid/nope:1"),
		k("wait", "pod/badimage", "-n", "lifecycle", "--for=jsonpath={.status.containerStatuses[0].state.waiting.reason}=ImagePullBackOff", "--timeout=60s"),
		k("get", "pod", "badimage", "-n", "lifecycle"),
		k("get", "pod", "badimage", "-n", "lifecycle", "-o", `jsonpath={.status.containerStatuses[0].state.waiting.message}{"\n"}`),
		k("get", "events", "-n", "lifecycle", "--field-selector", "involvedObject.name=badimage",
			"-o", "custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message"),
		k("delete", "pod", "badimage", "-n", "lifecycle").versionSpecificOutput(),

		k("delete", "namespace", "lifecycle").versionSpecificOutput(),
	}
}
