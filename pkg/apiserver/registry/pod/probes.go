package pod

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/fieldcheck"
)

func validateLivenessProbe(p *corev1.Probe, gracePeriod *int64, fldPath *field.Path) field.ErrorList {
	if p == nil {
		return nil
	}
	allErrs := validateProbe(p, gracePeriod, fldPath)
	if p.SuccessThreshold != 1 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("successThreshold"), p.SuccessThreshold, "must be 1"))
	}
	return allErrs
}

func validateReadinessProbe(p *corev1.Probe, gracePeriod *int64, fldPath *field.Path) field.ErrorList {
	if p == nil {
		return nil
	}
	allErrs := validateProbe(p, gracePeriod, fldPath)
	if p.TerminationGracePeriodSeconds != nil {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("terminationGracePeriodSeconds"), p.TerminationGracePeriodSeconds, "must not be set for readinessProbes"))
	}
	return allErrs
}

func validateStartupProbe(p *corev1.Probe, gracePeriod *int64, fldPath *field.Path) field.ErrorList {
	return validateLivenessProbe(p, gracePeriod, fldPath) // same rules: successThreshold must be 1
}

func validateProbe(p *corev1.Probe, gracePeriod *int64, fldPath *field.Path) field.ErrorList {
	h := p.ProbeHandler
	allErrs := validateHandler(h.Exec, h.HTTPGet, h.TCPSocket, h.GRPC, nil, gracePeriod, fldPath)
	for _, f := range []struct {
		name  string
		value int32
	}{
		{"initialDelaySeconds", p.InitialDelaySeconds}, {"timeoutSeconds", p.TimeoutSeconds},
		{"periodSeconds", p.PeriodSeconds}, {"successThreshold", p.SuccessThreshold},
		{"failureThreshold", p.FailureThreshold},
	} {
		allErrs = append(allErrs, apivalidation.ValidateNonnegativeField(int64(f.value), fldPath.Child(f.name))...)
	}
	if t := p.TerminationGracePeriodSeconds; t != nil && *t <= 0 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("terminationGracePeriodSeconds"), *t, "must be greater than 0"))
	}
	return allErrs
}

func validateLifecycle(l *corev1.Lifecycle, gracePeriod *int64, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for _, hook := range []struct {
		name string
		h    *corev1.LifecycleHandler
	}{{"postStart", l.PostStart}, {"preStop", l.PreStop}} {
		if h := hook.h; h != nil {
			allErrs = append(allErrs, validateHandler(h.Exec, h.HTTPGet, h.TCPSocket, nil, h.Sleep, gracePeriod, fldPath.Child(hook.name))...)
		}
	}
	return allErrs
}

// validateHandler: exactly one handler, each checked on its own.
func validateHandler(exec *corev1.ExecAction, httpGet *corev1.HTTPGetAction, tcp *corev1.TCPSocketAction,
	grpc *corev1.GRPCAction, sleep *corev1.SleepAction, gracePeriod *int64, fldPath *field.Path) field.ErrorList {
	u := union{path: fldPath, what: "handler type"}
	one := u.member
	one(exec != nil, "exec", func() field.ErrorList {
		if len(exec.Command) == 0 {
			return field.ErrorList{field.Required(fldPath.Child("exec").Child("command"), "")}
		}
		return nil
	})
	one(httpGet != nil, "httpGet", func() field.ErrorList { return validateHTTPGetAction(httpGet, fldPath.Child("httpGet")) })
	one(tcp != nil, "tcpSocket", func() field.ErrorList {
		return fieldcheck.PortNumOrName(tcp.Port, fldPath.Child("tcpSocket").Child("port"))
	})
	one(grpc != nil, "grpc", func() field.ErrorList {
		return fieldcheck.PortNumOrName(intstr.FromInt32(grpc.Port), fldPath.Child("grpc").Child("port"))
	})
	one(sleep != nil, "sleep", func() field.ErrorList {
		// PodLifecycleSleepActionAllowZero is on: zero seconds is fine.
		if gracePeriod != nil && (sleep.Seconds < 0 || sleep.Seconds > *gracePeriod) {
			return field.ErrorList{field.Invalid(fldPath.Child("sleep"), sleep.Seconds,
				fmt.Sprintf("must be non-negative and less than terminationGracePeriodSeconds (%d)", *gracePeriod))}
		}
		return nil
	})
	if u.set == 0 {
		u.errs = append(u.errs, field.Required(fldPath, "must specify a handler type"))
	}
	return u.errs
}

// union checks a set of fields of which at most one may be set: the first
// set member is checked, each later one is Forbidden ("may not specify
// more than 1 <what>"), as upstream words it.
type union struct {
	path *field.Path
	what string
	set  int
	errs field.ErrorList
}

func (u *union) member(set bool, name string, check func() field.ErrorList) {
	if !set {
		return
	}
	if u.set > 0 {
		u.errs = append(u.errs, field.Forbidden(u.path.Child(name), "may not specify more than 1 "+u.what))
		return
	}
	u.set++
	u.errs = append(u.errs, check()...)
}

func validateHTTPGetAction(h *corev1.HTTPGetAction, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if h.Path == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("path"), ""))
	}
	allErrs = append(allErrs, fieldcheck.PortNumOrName(h.Port, fldPath.Child("port"))...)
	if h.Scheme != corev1.URISchemeHTTP && h.Scheme != corev1.URISchemeHTTPS {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("scheme"), h.Scheme, []corev1.URIScheme{corev1.URISchemeHTTP, corev1.URISchemeHTTPS}))
	}
	for _, hdr := range h.HTTPHeaders {
		allErrs = append(allErrs, fieldcheck.Invalid(fldPath.Child("httpHeaders"), hdr.Name, validation.IsHTTPHeaderName(hdr.Name))...)
	}
	return allErrs
}
