package rbac

import (
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// checkErrors fails unless errs are exactly want, as "path: text".
func checkErrors(t *testing.T, errs field.ErrorList, want []string) {
	t.Helper()
	if len(errs) != len(want) {
		t.Fatalf("errors = %v, want %q", errs, want)
	}
	for i, err := range errs {
		if err.Error() != want[i] {
			t.Errorf("error %d = %q, want %q", i, err.Error(), want[i])
		}
	}
}

func TestValidateRules(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name       string
		rule       rbacv1.PolicyRule
		namespaced bool
		want       []string
	}{
		{"resource rule", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}, true, nil},
		{"URL rule in a ClusterRole", rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}}, false, nil},
		{"resource names with several resources", rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods", "secrets"}, ResourceNames: []string{"x"}}, true, nil},
		{"no verbs", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}}, true,
			[]string{"rules[0].verbs: Required value: verbs must contain at least one value"}},
		{"no group or resource", rbacv1.PolicyRule{Verbs: []string{"get"}}, false,
			[]string{"rules[0].apiGroups: Required value: resource rules must supply at least one api group",
				"rules[0].resources: Required value: resource rules must supply at least one resource"}},
		{"URL rule in a Role", rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}}, true,
			[]string{`rules[0].nonResourceURLs: Invalid value: ["/healthz"]: namespaced rules cannot apply to non-resource URLs`}},
		{"URLs and resources", rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}, Resources: []string{"pods"}}, false,
			[]string{`rules[0].nonResourceURLs: Invalid value: ["/healthz"]: rules cannot apply to both regular resources and non-resource URLs`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkErrors(t, ValidateRules([]rbacv1.PolicyRule{tt.rule}, tt.namespaced, field.NewPath("rules")), tt.want)
		})
	}
}

func TestValidateAggregationRule(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		rule  *rbacv1.AggregationRule
		allow bool
		want  []string
	}{
		{"none", nil, false, nil},
		{"label selector", &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{"rbac.example.com/aggregate-to-view": "true"}}}}, false, nil},
		{"no selectors", &rbacv1.AggregationRule{}, false,
			[]string{"aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil"}},
		{"bad operator", &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: "Near"}}}}}, false,
			[]string{`aggregationRule.clusterRoleSelectors[0].matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator`,
				`aggregationRule.clusterRoleSelectors[0]: Invalid value: {"matchExpressions":[{"key":"a","operator":"Near"}]}: invalid label selector.`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkErrors(t, ValidateAggregationRule(tt.rule, tt.allow), tt.want)
		})
	}
}

func TestValidateBinding(t *testing.T) {
	t.Parallel()
	ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "reader"}
	user := rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "jane"}
	roleKinds, clusterKinds := []string{"Role", "ClusterRole"}, []string{"ClusterRole"}
	for _, tt := range []struct {
		name       string
		ref        rbacv1.RoleRef
		subjects   []rbacv1.Subject
		kinds      []string
		namespaced bool
		want       []string
	}{
		{"role binding", ref, []rbacv1.Subject{user, {Kind: rbacv1.ServiceAccountKind, Name: "ci"}}, roleKinds, true, nil},
		{"system: names", rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "system:node"},
			[]rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "system:nodes"}}, clusterKinds, false, nil},
		{"other group", rbacv1.RoleRef{APIGroup: "example.com", Kind: "Role", Name: "x"}, nil, roleKinds, true,
			[]string{`roleRef.apiGroup: Unsupported value: "example.com": supported values: "rbac.authorization.k8s.io"`}},
		{"Role in a ClusterRoleBinding", ref, nil, clusterKinds, false,
			[]string{`roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"`}},
		{"no role name", rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role"}, nil, roleKinds, true,
			[]string{"roleRef.name: Required value"}},
		{"role name with a slash", rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "a/b"}, nil, roleKinds, true,
			[]string{`roleRef.name: Invalid value: "a/b": may not contain '/'`}},
		{"ServiceAccount of a ClusterRoleBinding needs a namespace", rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
			[]rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "ci"}}, clusterKinds, false,
			[]string{"subjects[0].namespace: Required value"}},
		{"ServiceAccount with an API group and a bad name", ref,
			[]rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, APIGroup: rbacv1.GroupName, Name: "CI"}}, roleKinds, true,
			[]string{`subjects[0].name: Invalid value: "CI": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
				`subjects[0].apiGroup: Unsupported value: "rbac.authorization.k8s.io": supported values: ""`}},
		{"user without the group", ref, []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: "jane"}}, roleKinds, true,
			[]string{`subjects[0].apiGroup: Unsupported value: "": supported values: "rbac.authorization.k8s.io"`}},
		{"no name, unknown kind", ref, []rbacv1.Subject{{Kind: "Robot"}}, roleKinds, true,
			[]string{"subjects[0].name: Required value",
				`subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkErrors(t, ValidateBinding(tt.ref, tt.subjects, tt.kinds, tt.namespaced), tt.want)
		})
	}
	changed := ref
	changed.Name = "writer"
	checkErrors(t, ValidateRoleRefUpdate(changed, ref),
		[]string{`roleRef: Invalid value: {"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"writer"}: cannot change roleRef`})
	checkErrors(t, ValidateRoleRefUpdate(ref, ref), nil)
}

func TestNameFunc(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]int{"system:node": 0, "system::leader-locking": 0, "Admin_1": 0, ".": 1, "..": 1, "a/b": 1, "a%b": 1} {
		if got := len(NameFunc(name, false)); got != want {
			t.Errorf("NameFunc(%q) gave %d errors, want %d", name, got, want)
		}
	}
}
