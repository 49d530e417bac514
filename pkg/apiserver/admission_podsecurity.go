package apiserver

import (
	"context"
	"errors"
	"fmt"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/audit"
	"k8s.io/apiserver/pkg/warning"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	psadmission "k8s.io/pod-security-admission/admission"
	psconfig "k8s.io/pod-security-admission/admission/api/load"
	psapi "k8s.io/pod-security-admission/api"
	psmetrics "k8s.io/pod-security-admission/metrics"
	pspolicy "k8s.io/pod-security-admission/policy"
)

// podSecurity is kube-apiserver's PodSecurity admission plugin, the
// k8s.io/pod-security-admission library with the API server's default
// configuration (no configuration file): every namespace is privileged
// unless its pod-security.kubernetes.io/enforce, warn or audit labels (and
// their -version labels) say otherwise, and nothing is exempt. Pods are
// refused or warned about, workload resources with a pod template
// (Deployments, Jobs, ...) are warned about, and a namespace whose enforce
// label tightens gets warnings for the pods already in it that would
// violate the new level.
type podSecurity struct {
	*admission.Handler
	delegate *psadmission.Admission
}

var _ admission.ValidationInterface = (*podSecurity)(nil)

// newPodSecurity reads namespaces and pods through f, which the caller
// starts; requests wait for the namespace cache to sync.
func newPodSecurity(client kubernetes.Interface, f informers.SharedInformerFactory) (*podSecurity, error) {
	config, err := psconfig.LoadFromReader(nil)
	if err != nil {
		return nil, fmt.Errorf("PodSecurity configuration: %w", err)
	}
	evaluator, err := pspolicy.NewEvaluator(pspolicy.DefaultChecks(), nil)
	if err != nil {
		return nil, fmt.Errorf("PodSecurity checks: %w", err)
	}
	namespaces := f.Core().V1().Namespaces()
	delegate := &psadmission.Admission{
		Configuration:    config,
		Evaluator:        evaluator,
		Metrics:          noPodSecurityMetrics{},
		PodSpecExtractor: psadmission.DefaultPodSpecExtractor{},
		NamespaceGetter:  psadmission.NamespaceGetterFromListerAndClient(namespaces.Lister(), client),
		PodLister:        psadmission.PodListerFromInformer(f.Core().V1().Pods().Lister()),
	}
	if err := delegate.CompleteConfiguration(); err != nil {
		return nil, fmt.Errorf("PodSecurity configuration: %w", err)
	}
	if err := delegate.ValidateConfiguration(); err != nil {
		return nil, fmt.Errorf("PodSecurity invalid: %w", err)
	}
	p := &podSecurity{Handler: admission.NewHandler(admission.Create, admission.Update), delegate: delegate}
	p.SetReadyFunc(namespaces.Informer().HasSynced)
	return p, nil
}

// Validate refuses what the namespace's enforce level forbids, and adds the
// warn level's warnings and the audit level's audit annotations.
func (p *podSecurity) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	gr := a.GetResource().GroupResource()
	if gr != corev1.Resource("pods") && gr != corev1.Resource("namespaces") && !p.delegate.PodSpecExtractor.HasPodSpec(gr) {
		return nil
	}
	result := p.delegate.Validate(ctx, podSecurityAttributes{a})
	for _, w := range result.Warnings {
		warning.AddWarning(ctx, "", w)
	}
	annotations := make([]string, 0, 2*len(result.AuditAnnotations))
	for k, v := range result.AuditAnnotations {
		annotations = append(annotations, psapi.AuditAnnotationPrefix+k, v)
	}
	audit.AddAuditAnnotations(ctx, annotations...)
	if result.Allowed {
		return nil
	}
	// As upstream: a generic Forbidden, with the library's message,
	// reason, details and code where it gives them.
	refused := admission.NewForbidden(a, errors.New("Not allowed by PodSecurity")) //lint:ignore ST1005 upstream's text
	var status *apierrors.StatusError
	if !errors.As(refused, &status) || result.Result == nil {
		return refused
	}
	if result.Result.Message != "" {
		status.ErrStatus.Message = result.Result.Message
	}
	if result.Result.Reason != "" {
		status.ErrStatus.Reason = result.Result.Reason
	}
	if result.Result.Details != nil {
		status.ErrStatus.Details = result.Result.Details
	}
	if result.Result.Code != 0 {
		status.ErrStatus.Code = result.Result.Code
	}
	return status
}

// podSecurityAttributes is an admission request as the library reads it.
// The objects need no conversion: fakecluster's internal types are the
// v1 ones.
type podSecurityAttributes struct{ admission.Attributes }

var _ psapi.Attributes = podSecurityAttributes{}

func (a podSecurityAttributes) GetObject() (runtime.Object, error) {
	return a.Attributes.GetObject(), nil
}

func (a podSecurityAttributes) GetOldObject() (runtime.Object, error) {
	return a.Attributes.GetOldObject(), nil
}

func (a podSecurityAttributes) GetOperation() admissionv1.Operation {
	return admissionv1.Operation(a.Attributes.GetOperation())
}

func (a podSecurityAttributes) GetUserName() string {
	if u := a.GetUserInfo(); u != nil {
		return u.GetName()
	}
	return ""
}

// noPodSecurityMetrics records nothing: fakecluster serves no metrics, and
// upstream's recorder registers in a process-wide registry.
type noPodSecurityMetrics struct{}

var _ psmetrics.Recorder = noPodSecurityMetrics{}

func (noPodSecurityMetrics) RecordEvaluation(psmetrics.Decision, psapi.LevelVersion, psmetrics.Mode, psapi.Attributes) {
}
func (noPodSecurityMetrics) RecordExemption(psapi.Attributes)   {}
func (noPodSecurityMetrics) RecordError(bool, psapi.Attributes) {}
