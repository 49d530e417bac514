package scheduler

import (
	"fmt"
	"sort"
	"strings"
)

// code is how a filter turned a node down, as the framework's status
// codes: whether evicting pods from it could make room.
type code int

const (
	// unschedulable: preemption may help (resources, ports).
	unschedulable code = iota + 1
	// unresolvable is UnschedulableAndUnresolvable: no eviction helps
	// (labels, taints, an unschedulable node).
	unresolvable
)

// status is why a node does not fit a pod: the code and the reasons, as
// the plugin words them. A nil status means the node fits.
type status struct {
	code    code
	reasons []string
}

func newStatus(c code, reasons ...string) *status { return &status{code: c, reasons: reasons} }

// message joins the reasons as the framework's Status.Message does.
func (s *status) message() string {
	if s == nil {
		return ""
	}
	return strings.Join(s.reasons, ", ")
}

// diagnosis is kube-scheduler's Diagnosis: why each node was turned down.
type diagnosis struct {
	// nodes holds the nodes a filter turned down, by name.
	nodes map[string]*status
	// absent is the status of every node not in nodes: those a PreFilter
	// ruled out before the filters ran.
	absent *status
	// preFilterMsg is set when a PreFilter turned the pod down for every
	// node; the per-node reasons are then not listed, as they are all it.
	preFilterMsg string
	// postFilterMsg is what the PostFilter plugins (DRA, preemption) said.
	postFilterMsg string
}

// fitErrorMessage is kube-scheduler's FitError text for a pod no node of
// numAllNodes fits: "0/N nodes are available: <reasons>.", the reasons a
// sorted histogram "<count> <reason>" over the nodes, then the PostFilter
// plugins' message.
func fitErrorMessage(numAllNodes int, d diagnosis) string {
	var b strings.Builder
	fmt.Fprintf(&b, "0/%d nodes are available:", numAllNodes)
	if d.preFilterMsg != "" {
		fmt.Fprintf(&b, " %s.", d.preFilterMsg)
	} else {
		counts := map[string]int{}
		for _, s := range d.nodes {
			for _, r := range s.reasons {
				counts[r]++
			}
		}
		if absent := numAllNodes - len(d.nodes); absent > 0 && d.absent != nil {
			for _, r := range d.absent.reasons {
				counts[r] += absent
			}
		}
		parts := make([]string, 0, len(counts))
		for r, n := range counts {
			parts = append(parts, fmt.Sprintf("%d %s", n, r))
		}
		// Sorted as strings, as upstream sorts them: "10 …" before "2 …".
		sort.Strings(parts)
		if len(parts) > 0 {
			fmt.Fprintf(&b, " %s.", strings.Join(parts, ", "))
		}
	}
	if d.postFilterMsg != "" {
		fmt.Fprintf(&b, " %s", d.postFilterMsg)
	}
	return b.String()
}

// Texts of kube-scheduler v1.37 that a user sees, each from the plugin
// that returns it (pkg/scheduler/framework/plugins/...).
const (
	// errNoNodesAvailable is schedule_one.go's ErrNoNodesAvailable.
	errNoNodesAvailable = "no nodes available to schedule pods"
	// reasonUnschedulable: nodeunschedulable.ErrReasonUnschedulable.
	reasonUnschedulable = "node(s) were unschedulable"
	// reasonTaint: tainttoleration's Filter, which since v1.35 (and
	// v1.34.2) names no taint: the message ends up in the pod's status,
	// which any reader of the pod sees (kubernetes#134740).
	reasonTaint = "node(s) had untolerated taint(s)"
	// reasonAffinity: nodeaffinity.ErrReasonPod.
	reasonAffinity = "node(s) didn't match Pod's node affinity/selector"
	// reasonAffinityConflict: nodeaffinity's errReasonConflict, when the
	// terms name node names that no node can have at once.
	reasonAffinityConflict = "pod affinity terms conflict"
	// reasonPorts: nodeports.ErrReason.
	reasonPorts = "node(s) didn't have free ports for the requested pod ports"
	// reasonTooManyPods and "Insufficient <resource>": noderesources' Fit.
	reasonTooManyPods = "Too many pods"
	// reasonNotPreFiltered is the framework's status for the nodes a
	// PreFilter result left out; %v is the plugins' names, as a list.
	reasonNotPreFiltered = "node(s) didn't satisfy plugin(s) %v"

	// msgNoClaims is the DynamicResources plugin's PostFilter answer for a
	// pod without resource claims: DRA is on by default since v1.34, and
	// its PostFilter runs before DefaultPreemption, so every
	// FailedScheduling with a preemption part carries it first.
	msgNoClaims = "no new claims to deallocate"
	// preemptionPrefix starts DefaultPreemption's PostFilter message.
	preemptionPrefix = "preemption: "
	// reasonPreemptionNotHelpful is the preemption diagnosis for a node
	// where evicting pods cannot help.
	reasonPreemptionNotHelpful = "Preemption is not helpful for scheduling"
	// reasonNoVictims: a node where the pod would fit without lower
	// priority pods, but there are none.
	reasonNoVictims = "No preemption victims found for incoming pod"
	// msgPreemptNever and msgTerminatingVictim are
	// PodEligibleToPreemptOthers' reasons for not preempting.
	msgPreemptNever      = "not eligible due to preemptionPolicy=Never."
	msgTerminatingVictim = "not eligible due to a terminating pod on the nominated node."
	// msgGated is the PodScheduled condition message of a gated pod
	// (kube-apiserver's applySchedulingGatedCondition).
	msgGated = "Scheduling is blocked due to non-empty scheduling gates"
)

// insufficient is Fit's reason for a resource the node lacks.
func insufficient(name string) string { return "Insufficient " + name }

// noteLengthLimit is the longest event note the API accepts
// (validation.NoteLengthLimit); the scheduler cuts longer messages, as
// upstream's truncateMessage.
const noteLengthLimit = 1024

func truncateMessage(msg string) string {
	if len(msg) <= noteLengthLimit {
		return msg
	}
	const suffix = " ..."
	return msg[:noteLengthLimit-len(suffix)] + suffix
}
