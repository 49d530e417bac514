package ingressclass

import (
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/fieldcheck"
)

// maxControllerLength is the longest spec.controller kube-apiserver takes.
const maxControllerLength = 250

// validate checks an IngressClass as ValidateIngressClass does, except for
// metadata, which the resource package checks.
func validate(c *networkingv1.IngressClass) field.ErrorList {
	spec := field.NewPath("spec")
	var errs field.ErrorList
	if len(c.Spec.Controller) > maxControllerLength {
		errs = append(errs, field.TooLong(spec.Child("controller"), "", maxControllerLength))
	}
	errs = append(errs, validation.IsDomainPrefixedPath(spec.Child("controller"), c.Spec.Controller)...)
	return append(errs, validateParameters(c.Spec.Parameters, spec.Child("parameters"))...)
}

// validateUpdate is validate with spec.controller immutable, as
// ValidateIngressClassUpdate.
func validateUpdate(c, old *networkingv1.IngressClass) field.ErrorList {
	errs := apivalidation.ValidateImmutableField(c.Spec.Controller, old.Spec.Controller, field.NewPath("spec", "controller"))
	return append(errs, validate(c)...)
}

// validateParameters checks the reference to the class's parameters: a
// kind and a name that can be path segments, an optional API group that is
// a DNS subdomain, and a scope of Cluster (no namespace) or Namespace (with
// one).
func validateParameters(p *networkingv1.IngressClassParametersReference, fld *field.Path) field.ErrorList {
	if p == nil {
		return nil
	}
	var errs field.ErrorList
	if p.APIGroup != nil {
		errs = append(errs, fieldcheck.Invalid(fld.Child("apiGroup"), *p.APIGroup, validation.IsDNS1123Subdomain(*p.APIGroup))...)
	}
	errs = append(errs, requiredSegment(fld.Child("kind"), p.Kind, "kind is required")...)
	errs = append(errs, requiredSegment(fld.Child("name"), p.Name, "name is required")...)
	if p.Scope == nil {
		return append(errs, field.Required(fld.Child("scope"), ""))
	}
	switch *p.Scope {
	case networkingv1.IngressClassParametersReferenceScopeNamespace:
		if p.Namespace == nil {
			errs = append(errs, field.Required(fld.Child("namespace"), "`parameters.scope` is set to 'Namespace'"))
		} else {
			errs = append(errs, fieldcheck.Invalid(fld.Child("namespace"), *p.Namespace, apivalidation.ValidateNamespaceName(*p.Namespace, false))...)
		}
	case networkingv1.IngressClassParametersReferenceScopeCluster:
		if p.Namespace != nil {
			errs = append(errs, field.Forbidden(fld.Child("namespace"), "`parameters.scope` is set to 'Cluster'"))
		}
	default:
		errs = append(errs, field.NotSupported(fld.Child("scope"), *p.Scope, []string{
			networkingv1.IngressClassParametersReferenceScopeCluster, networkingv1.IngressClassParametersReferenceScopeNamespace,
		}))
	}
	return errs
}

// requiredSegment checks a required field that must be a path segment.
func requiredSegment(fld *field.Path, value, missing string) field.ErrorList {
	if value == "" {
		return field.ErrorList{field.Required(fld, missing)}
	}
	return fieldcheck.Invalid(fld, value, content.IsPathSegmentName(value))
}
