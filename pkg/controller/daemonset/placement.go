package daemonset

import (
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/podcontrol"
)

// enableTaintComparisonOperators is the TaintTolerationComparisonOperators
// feature gate, off in v1.37 as in the scheduler.
const enableTaintComparisonOperators = false

// Labels upstream puts on daemon pods besides the template's.
const (
	// templateGenerationLabel is pod-template-generation, the
	// template generation a pod was made from, which marks it updated
	// alongside its revision hash.
	templateGenerationLabel = "pod-template-generation"
	hashLabel               = appsv1.DefaultDaemonSetUniqueLabelKey
)

// placement is what a node is to a DaemonSet.
type placement struct {
	// run: the DaemonSet should have a pod there.
	run bool
	// keep: a pod it has there may go on running (it fits, or it
	// tolerates the NoExecute taints that keep new pods off).
	keep bool
}

// placementOf is upstream's NodeShouldRunDaemonPod: whether ds's pod, with
// the tolerations every daemon pod gets, fits node by node name, required
// node affinity and NoSchedule/NoExecute taints.
func placementOf(node *corev1.Node, ds *appsv1.DaemonSet) placement {
	if name := ds.Spec.Template.Spec.NodeName; name != "" && name != node.Name {
		return placement{}
	}
	pod := &corev1.Pod{ObjectMeta: ds.Spec.Template.ObjectMeta, Spec: *ds.Spec.Template.Spec.DeepCopy()}
	pod.Namespace = ds.Namespace
	pod.Spec.NodeName = node.Name
	addDaemonTolerations(&pod.Spec)
	// A selector that fails to parse fits nothing, as upstream ignores
	// the error and takes the false.
	if fits, _ := nodeaffinity.GetRequiredNodeAffinity(pod).Match(node); !fits {
		return placement{}
	}
	untolerated := func(effects ...corev1.TaintEffect) bool {
		_, found := corev1helpers.FindMatchingUntoleratedTaint(klog.Background(), node.Spec.Taints, pod.Spec.Tolerations,
			func(t *corev1.Taint) bool {
				for _, e := range effects {
					if t.Effect == e {
						return true
					}
				}
				return false
			}, enableTaintComparisonOperators)
		return found
	}
	if untolerated(corev1.TaintEffectNoSchedule, corev1.TaintEffectNoExecute) {
		return placement{keep: !untolerated(corev1.TaintEffectNoExecute)}
	}
	return placement{run: true, keep: true}
}

// addDaemonTolerations adds the tolerations upstream gives every daemon
// pod, so that a node's condition taints neither evict it nor keep it
// off: not-ready and unreachable (NoExecute, forever), disk, memory and
// PID pressure and unschedulable (NoSchedule), and network-unavailable
// for pods on the host network.
func addDaemonTolerations(spec *corev1.PodSpec) {
	exists := func(key string, effect corev1.TaintEffect) corev1.Toleration {
		return corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists, Effect: effect}
	}
	for _, t := range []corev1.Toleration{
		exists(corev1.TaintNodeNotReady, corev1.TaintEffectNoExecute),
		exists(corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute),
		exists(corev1.TaintNodeDiskPressure, corev1.TaintEffectNoSchedule),
		exists(corev1.TaintNodeMemoryPressure, corev1.TaintEffectNoSchedule),
		exists(corev1.TaintNodePIDPressure, corev1.TaintEffectNoSchedule),
		exists(corev1.TaintNodeUnschedulable, corev1.TaintEffectNoSchedule),
	} {
		addToleration(spec, t)
	}
	if spec.HostNetwork {
		addToleration(spec, exists(corev1.TaintNodeNetworkUnavailable, corev1.TaintEffectNoSchedule))
	}
}

// addToleration puts t into spec's tolerations, replacing one with the
// same key, operator, value and effect, as upstream's
// AddOrUpdateTolerationInPodSpec.
func addToleration(spec *corev1.PodSpec, t corev1.Toleration) {
	for i, old := range spec.Tolerations {
		if old.MatchToleration(&t) {
			if !apiequality.Semantic.DeepEqual(old, t) {
				spec.Tolerations[i] = t
			}
			return
		}
	}
	spec.Tolerations = append(spec.Tolerations, t)
}

// pinnedTo is affinity with its required node affinity replaced by one
// metadata.name term naming node, as upstream pins a daemon pod for the
// scheduler (the node already matched the terms it replaces).
func pinnedTo(affinity *corev1.Affinity, node string) *corev1.Affinity {
	terms := []corev1.NodeSelectorTerm{{MatchFields: []corev1.NodeSelectorRequirement{{
		Key: metav1.ObjectNameField, Operator: corev1.NodeSelectorOpIn, Values: []string{node},
	}}}}
	if affinity == nil {
		affinity = &corev1.Affinity{}
	}
	if affinity.NodeAffinity == nil {
		affinity.NodeAffinity = &corev1.NodeAffinity{}
	}
	if affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = &corev1.NodeSelector{}
	}
	affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms = terms
	return affinity
}

// targetNode is the node a daemon pod is for: where it is bound, or the
// node its metadata.name affinity term pins it to before it is bound.
func targetNode(pod *corev1.Pod) (string, error) {
	if pod.Spec.NodeName != "" {
		return pod.Spec.NodeName, nil
	}
	if a := pod.Spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		for _, term := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
			for _, f := range term.MatchFields {
				if f.Key == metav1.ObjectNameField && f.Operator == corev1.NodeSelectorOpIn && len(f.Values) == 1 {
					return f.Values[0], nil
				}
			}
		}
	}
	return "", fmt.Errorf("no node name found for pod %s/%s", pod.Namespace, pod.Name)
}

// templateGeneration is the DaemonSet's template generation, which the
// API server keeps in an annotation; nil if it has none or a bad one.
func templateGeneration(ds *appsv1.DaemonSet) *int64 {
	g, err := strconv.ParseInt(ds.Annotations[appsv1.DeprecatedTemplateGeneration], 10, 64)
	if err != nil {
		return nil
	}
	return &g
}

// updated reports whether pod is of ds's current template: it carries the
// current revision's hash or template generation.
func updated(pod *corev1.Pod, hash string, generation *int64) bool {
	byGeneration := generation != nil && pod.Labels[templateGenerationLabel] == strconv.FormatInt(*generation, 10)
	byHash := hash != "" && pod.Labels[hashLabel] == hash
	return byHash || byGeneration
}

// newPod is ds's pod for node: the template with the daemon tolerations,
// the generation and hash labels, and the node affinity that pins it.
func newPod(ds *appsv1.DaemonSet, node, hash string, generation *int64) *corev1.Pod {
	t := ds.Spec.Template.DeepCopy()
	addDaemonTolerations(&t.Spec)
	if t.Labels == nil {
		t.Labels = map[string]string{}
	}
	if generation != nil {
		t.Labels[templateGenerationLabel] = strconv.FormatInt(*generation, 10)
	}
	if hash != "" {
		t.Labels[hashLabel] = hash
	}
	t.Spec.Affinity = pinnedTo(t.Spec.Affinity, node)
	return podcontrol.FromTemplate(t, ds, kind)
}
