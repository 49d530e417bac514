package e2e

// The deployments scenario: a tutorial's first Deployment, rolled out,
// updated, rolled back and scaled, with kubectl's rollout commands, in a
// namespace of its own. Pod names end in five random characters; the
// ReplicaSets' pod-template-hash is the template's, the same every run.
func init() {
	scenarios = append(scenarios, scenario{
		name:  "deployments",
		steps: deploymentSteps(),
	})
}

const (
	// podSuffix is the random end of a ReplicaSet's pod's name.
	podSuffix = `(web-[a-z0-9]{8,10})-[a-z0-9]{5}\b`
	// waitingLines are rollout status's progress lines, as many as the
	// rollout takes polls: only its last line is the same every run.
	waitingLines = `(?m)^Waiting for deployment .*\n`
)

func deploymentSteps() []step {
	n := []string{"-n", "deployments"}
	ns := func(args ...string) step { return k(append(args, n...)...) }
	status := func() step { return ns("rollout", "status", "deployment/web").mask(waitingLines, "") }
	return []step{
		k("create", "namespace", "deployments"),
		ns("create", "deployment", "web", "--image=nginx", "--replicas=3"),
		status(),
		ns("get", "deployments,replicasets", "-o", "wide"),
		ns("get", "pods", "-l", "app=web").mask(podSuffix, "$1-xxxxx"),
		ns("set", "image", "deployment/web", "nginx=nginx:1.27"),
		status(),
		ns("annotate", "deployment/web", "kubernetes.io/change-cause=nginx 1.27"),
		ns("rollout", "history", "deployment/web"),
		ns("get", "replicasets"),
		ns("rollout", "undo", "deployment/web"),
		status(),
		ns("rollout", "history", "deployment/web"),
		ns("scale", "deployment/web", "--replicas=5"),
		status(),
		ns("get", "deployment", "web", "-o", "jsonpath={.status.replicas} {.status.readyReplicas} {.metadata.annotations.deployment\\.kubernetes\\.io/revision}{\"\\n\"}"),
		ns("get", "deployment", "web", "-o", `jsonpath={.status.conditions[?(@.type=="Available")].reason}{"\n"}`),
		ns("get", "deployment", "web", "-o", `jsonpath={.status.conditions[?(@.type=="Progressing")].message}{"\n"}`),
		ns("create", "deployment", "bad", "--image=nginx", "--replicas=-1").exits(1),
		// kubectl before v1.35 does not name the namespace.
		ns("delete", "deployment", "web", "--cascade=foreground").versionSpecificOutput(),
		ns("get", "replicasets"),
	}
}
