package ingressclass

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/utils/ptr"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	params := func(edit func(*networkingv1.IngressClassParametersReference)) *networkingv1.IngressClass {
		p := &networkingv1.IngressClassParametersReference{Kind: "Config", Name: "cfg"}
		edit(p)
		c := &networkingv1.IngressClass{Spec: networkingv1.IngressClassSpec{Controller: "example.com/ingress", Parameters: p}}
		setDefaults(c)
		return c
	}
	long := "example.com/"
	for len(long) <= maxControllerLength {
		long += "x"
	}
	for _, tc := range []struct {
		name  string
		class *networkingv1.IngressClass
		want  []string // "path: text" of each error, in order
	}{
		{"parameters default to cluster scope", params(func(*networkingv1.IngressClassParametersReference) {}), nil},
		{"namespace scope with a namespace", params(func(p *networkingv1.IngressClassParametersReference) {
			p.Scope, p.Namespace = ptr.To("Namespace"), ptr.To("ingress")
		}), nil},
		{"controller not domain-prefixed", &networkingv1.IngressClass{Spec: networkingv1.IngressClassSpec{Controller: "nginx"}},
			[]string{`spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")`}},
		{"controller too long", &networkingv1.IngressClass{Spec: networkingv1.IngressClassSpec{Controller: long}},
			[]string{"spec.controller: Too long: may not be more than 250 bytes"}},
		{"kind and name required", params(func(p *networkingv1.IngressClassParametersReference) { p.Kind, p.Name = "", "" }),
			[]string{"spec.parameters.kind: Required value: kind is required", "spec.parameters.name: Required value: name is required"}},
		{"bad api group and name", params(func(p *networkingv1.IngressClassParametersReference) { p.APIGroup, p.Name = ptr.To("Bad_Group"), "a/b" }),
			[]string{
				`spec.parameters.apiGroup: Invalid value: "Bad_Group": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
				`spec.parameters.name: Invalid value: "a/b": may not contain '/'`,
			}},
		{"namespace scope without a namespace", params(func(p *networkingv1.IngressClassParametersReference) { p.Scope = ptr.To("Namespace") }),
			[]string{"spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'"}},
		{"cluster scope with a namespace", params(func(p *networkingv1.IngressClassParametersReference) { p.Namespace = ptr.To("ingress") }),
			[]string{"spec.parameters.namespace: Forbidden: `parameters.scope` is set to 'Cluster'"}},
		{"unknown scope", params(func(p *networkingv1.IngressClassParametersReference) { p.Scope = ptr.To("Global") }),
			[]string{`spec.parameters.scope: Unsupported value: "Global": supported values: "Cluster", "Namespace"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := validate(tc.class)
			if len(errs) != len(tc.want) {
				t.Fatalf("errors = %v, want %q", errs, tc.want)
			}
			for i, err := range errs {
				if err.Error() != tc.want[i] {
					t.Errorf("error %d = %q, want %q", i, err.Error(), tc.want[i])
				}
			}
		})
	}
}

func TestControllerIsImmutable(t *testing.T) {
	t.Parallel()
	old := &networkingv1.IngressClass{Spec: networkingv1.IngressClassSpec{Controller: "example.com/a"}}
	changed := &networkingv1.IngressClass{Spec: networkingv1.IngressClassSpec{Controller: "example.com/b"}}
	errs := validateUpdate(changed, old)
	if want := `spec.controller: Invalid value: "example.com/b": field is immutable`; len(errs) != 1 || errs[0].Error() != want {
		t.Errorf("errors = %v, want [%s]", errs, want)
	}
	if errs := validateUpdate(old, old); len(errs) != 0 {
		t.Errorf("unchanged update: errors = %v, want none", errs)
	}
}
