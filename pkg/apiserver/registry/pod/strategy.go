package pod

import (
	"context"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/kubectl/pkg/util/qos"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
)

// definition is the pods resource as kube-apiserver serves it.
func definition() resource.Definition {
	gv := corev1.SchemeGroupVersion
	return resource.Define[corev1.Pod, corev1.PodList](resource.Definition{
		Resource: gv.WithResource("pods"), Namespaced: true,
		ShortNames: []string{"po"}, Categories: []string{"all"}, Table: table,
		Status: resource.NewStatusSplit(gv.String(), func(p *corev1.Pod) *corev1.PodStatus { return &p.Status },
			func(to, from *corev1.Pod) { to.Spec = from.Spec }, false),
		Defaults:         func(obj runtime.Object) { SetDefaults(obj.(*corev1.Pod)) },
		PrepareForCreate: prepareForCreate,
		PrepareForUpdate: func(_ context.Context, obj, old runtime.Object) {
			// Generation counts spec changes, so kubelets can report
			// status.observedGeneration.
			pod, oldPod := obj.(*corev1.Pod), old.(*corev1.Pod)
			if !apiequality.Semantic.DeepEqual(pod.Spec, oldPod.Spec) {
				pod.Generation = oldPod.Generation + 1
			}
		},
		Validate: func(_ context.Context, obj runtime.Object) field.ErrorList { return Validate(obj.(*corev1.Pod)) },
		ValidateUpdate: func(_ context.Context, obj, old runtime.Object) field.ErrorList {
			return ValidateUpdate(obj.(*corev1.Pod), old.(*corev1.Pod))
		},
		Fields:         podFields,
		FieldLabels:    podFieldLabels,
		GracefulDelete: gracefulDelete,
	})
}

// podFieldLabels are the fields pods can be selected by, and podFields
// their values, as kube-apiserver's.
var podFieldLabels = []string{
	"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
	"spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName",
}

func podFields(obj runtime.Object) fields.Set {
	pod := obj.(*corev1.Pod)
	podIP := ""
	if len(pod.Status.PodIPs) > 0 {
		podIP = pod.Status.PodIPs[0].IP
	}
	return fields.Set{
		"spec.nodeName":            pod.Spec.NodeName,
		"spec.restartPolicy":       string(pod.Spec.RestartPolicy),
		"spec.schedulerName":       pod.Spec.SchedulerName,
		"spec.serviceAccountName":  pod.Spec.ServiceAccountName,
		"spec.hostNetwork":         strconv.FormatBool(pod.Spec.HostNetwork),
		"status.phase":             string(pod.Status.Phase),
		"status.podIP":             podIP,
		"status.podIPs":            podIP,
		"status.nominatedNodeName": pod.Status.NominatedNodeName,
	}
}

// gracefulDelete decides a pod's grace period as kube-apiserver does: the
// request's, else the pod's terminationGracePeriodSeconds; zero (delete at
// once) when no kubelet has the pod — it is unscheduled or has finished.
func gracefulDelete(_ context.Context, obj runtime.Object, options *metav1.DeleteOptions) bool {
	pod := obj.(*corev1.Pod)
	period := int64(corev1.DefaultTerminationGracePeriodSeconds)
	if options.GracePeriodSeconds != nil {
		period = *options.GracePeriodSeconds
	} else if pod.Spec.TerminationGracePeriodSeconds != nil {
		period = *pod.Spec.TerminationGracePeriodSeconds
	}
	if pod.Spec.NodeName == "" || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		period = 0
	}
	options.GracePeriodSeconds = &period
	return true
}

// prepareForCreate does what kube-apiserver's pod strategy does to every
// new pod: status starts Pending. The admission plugins, which ran before,
// have given it its service account and token volume (ServiceAccount), its
// priority (Priority) and its not-ready and unreachable tolerations
// (DefaultTolerationSeconds).
func prepareForCreate(_ context.Context, obj runtime.Object) {
	p := obj.(*corev1.Pod)
	p.Generation = 1
	p.Status = corev1.PodStatus{Phase: corev1.PodPending, QOSClass: qos.ComputePodQOS(p)}
	if p.Spec.TerminationGracePeriodSeconds != nil && *p.Spec.TerminationGracePeriodSeconds < 0 {
		p.Spec.TerminationGracePeriodSeconds = ptr.To[int64](1)
	}
}
