package e2e

// The auth scenario: who the kubeconfig's user is and what it may do, a
// ServiceAccount denied, then allowed through a RoleBinding to view, then
// denied again once the binding goes; what view, edit and admin allow
// (kubectl auth can-i --list); the two system PriorityClasses; a
// quota of two pods refusing the third; and a namespace enforcing the
// restricted Pod Security standard refusing a privileged pod.
func init() {
	scenarios = append(scenarios, scenario{
		name:  "auth",
		steps: authSteps(),
	})
}

func authSteps() []step {
	n := []string{"-n", "auth"}
	ns := func(args ...string) step { return k(append(args, n...)...) }
	asBot := func(args ...string) step { return ns(append(args, "--as=system:serviceaccount:auth:bot")...) }
	return []step{
		k("auth", "whoami"),
		k("auth", "can-i", "create", "pods"),
		k("create", "namespace", "auth"),
		ns("create", "serviceaccount", "bot"),
		asBot("auth", "can-i", "list", "pods").exits(1),
		asBot("get", "pods").exits(1),
		ns("create", "rolebinding", "bot-view", "--clusterrole=view", "--serviceaccount=auth:bot"),
		ns("get", "rolebinding", "bot-view", "-o", "wide"),
		asBot("auth", "can-i", "list", "pods"),
		asBot("auth", "can-i", "create", "pods").exits(1),
		asBot("get", "pods"),
		asBot("auth", "can-i", "--list"),
		// kubectl before v1.35 does not name the namespace.
		ns("delete", "rolebinding", "bot-view").versionSpecificOutput(),
		asBot("auth", "can-i", "list", "pods").exits(1),
		// What edit and admin add to view, as the aggregated roles hold it.
		ns("create", "rolebinding", "bot-edit", "--clusterrole=edit", "--serviceaccount=auth:bot"),
		asBot("auth", "can-i", "--list"),
		ns("delete", "rolebinding", "bot-edit").versionSpecificOutput(),
		ns("create", "rolebinding", "bot-admin", "--clusterrole=admin", "--serviceaccount=auth:bot"),
		asBot("auth", "can-i", "--list"),
		ns("delete", "rolebinding", "bot-admin").versionSpecificOutput(),
		k("get", "priorityclasses"),
		ns("create", "quota", "pods", "--hard=pods=2"),
		ns("wait", "--for=jsonpath={.status.used.pods}=0", "resourcequota/pods", "--timeout=60s"),
		ns("run", "one", "--image=nginx"),
		ns("run", "two", "--image=nginx"),
		ns("run", "three", "--image=nginx").exits(1),
		ns("describe", "quota", "pods"),
		k("create", "namespace", "restricted"),
		k("label", "namespace", "restricted", "pod-security.kubernetes.io/enforce=restricted"),
		k("run", "priv", "-n", "restricted", "--image=nginx", "--privileged").exits(1),
	}
}
