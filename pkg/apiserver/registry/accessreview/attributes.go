package accessreview

import (
	"fmt"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// specAttributes is what a SubjectAccessReview's spec asks, for the user,
// groups, UID and extra it names.
func specAttributes(spec authorizationv1.SubjectAccessReviewSpec) authorizer.AttributesRecord {
	u := &user.DefaultInfo{Name: spec.User, UID: spec.UID, Groups: spec.Groups}
	if len(spec.Extra) > 0 {
		u.Extra = make(map[string][]string, len(spec.Extra))
		for k, v := range spec.Extra {
			u.Extra[k] = v
		}
	}
	if spec.ResourceAttributes != nil {
		return resourceAttributes(u, *spec.ResourceAttributes)
	}
	return nonResourceAttributes(u, *spec.NonResourceAttributes)
}

// resourceAttributes is a resource request of u; an empty version means
// any version, as in kube-apiserver.
func resourceAttributes(u user.Info, in authorizationv1.ResourceAttributes) authorizer.AttributesRecord {
	version := in.Version
	if version == "" {
		version = "*"
	}
	attrs := authorizer.AttributesRecord{
		User:            u,
		Verb:            in.Verb,
		Namespace:       in.Namespace,
		APIGroup:        in.Group,
		APIVersion:      version,
		Resource:        in.Resource,
		Subresource:     in.Subresource,
		Name:            in.Name,
		ResourceRequest: true,
	}
	if in.FieldSelector != nil {
		attrs.FieldSelectorRequirements, attrs.FieldSelectorParsingErr = fieldRequirements(in.FieldSelector)
	}
	if in.LabelSelector != nil {
		attrs.LabelSelectorRequirements, attrs.LabelSelectorParsingErr = labelRequirements(in.LabelSelector)
	}
	return attrs
}

// nonResourceAttributes is a request of u for a path that is no resource.
func nonResourceAttributes(u user.Info, in authorizationv1.NonResourceAttributes) authorizer.AttributesRecord {
	return authorizer.AttributesRecord{User: u, Verb: in.Verb, Path: in.Path}
}

// fieldRequirements parses a review's field selector: the raw selector, or
// requirements of one value each (In as =, NotIn as !=).
func fieldRequirements(in *authorizationv1.FieldSelectorAttributes) (fields.Requirements, error) {
	if in.RawSelector != "" {
		sel, err := fields.ParseSelector(in.RawSelector)
		if err != nil {
			return nil, err
		}
		return sel.Requirements(), nil
	}
	var out fields.Requirements
	for _, r := range in.Requirements {
		if len(r.Values) != 1 {
			return out, fmt.Errorf("fieldSelectors do not yet support multiple values")
		}
		switch r.Operator {
		case metav1.FieldSelectorOpIn:
			out = append(out, fields.Requirement{Field: r.Key, Operator: selection.Equals, Value: r.Values[0]})
		case metav1.FieldSelectorOpNotIn:
			out = append(out, fields.Requirement{Field: r.Key, Operator: selection.NotEquals, Value: r.Values[0]})
		default:
			return out, fmt.Errorf("%q is not a valid field selector operator", r.Operator)
		}
	}
	return out, nil
}

// labelRequirements parses a review's label selector, raw or as
// requirements.
func labelRequirements(in *authorizationv1.LabelSelectorAttributes) (labels.Requirements, error) {
	if in.RawSelector != "" {
		sel, err := labels.Parse(in.RawSelector)
		if err != nil {
			return nil, err
		}
		reqs, _ := sel.Requirements()
		return reqs, nil
	}
	var out labels.Requirements
	for _, r := range in.Requirements {
		var op selection.Operator
		switch r.Operator {
		case metav1.LabelSelectorOpIn:
			op = selection.In
		case metav1.LabelSelectorOpNotIn:
			op = selection.NotIn
		case metav1.LabelSelectorOpExists:
			op = selection.Exists
		case metav1.LabelSelectorOpDoesNotExist:
			op = selection.DoesNotExist
		default:
			return out, fmt.Errorf("%q is not a valid label selector operator", r.Operator)
		}
		req, err := labels.NewRequirement(r.Key, op, r.Values)
		if err != nil {
			return out, err
		}
		out = append(out, *req)
	}
	return out, nil
}
