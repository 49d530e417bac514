package bootstrappolicy

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"
)

//go:embed policy.json
var policyJSON []byte

// Policy is the bootstrap policy: what kube-apiserver creates, with the
// aggregated ClusterRoles (admin, edit, view) holding only their
// aggregationRule, as created, before the aggregation controller fills in
// their rules.
type Policy struct {
	ClusterRoles        []rbacv1.ClusterRole        `json:"clusterRoles"`
	ClusterRoleBindings []rbacv1.ClusterRoleBinding `json:"clusterRoleBindings"`
	Roles               []rbacv1.Role               `json:"roles"`
	RoleBindings        []rbacv1.RoleBinding        `json:"roleBindings"`
}

// Load returns a new copy of the bootstrap policy.
func Load() (*Policy, error) {
	var p Policy
	dec := json.NewDecoder(bytes.NewReader(policyJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("decode the bootstrap policy: %w", err)
	}
	return &p, nil
}
