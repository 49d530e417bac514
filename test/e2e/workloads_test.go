package e2e

// The deployments scenario: a tutorial's first Deployment, rolled out,
// updated, rolled back and scaled, with kubectl's rollout commands, in a
// namespace of its own. Pod names end in five random characters; the
// ReplicaSets' pod-template-hash is the template's, the same every run.
func init() {
	scenarios = append(scenarios, scenario{
		name:  "deployments",
		steps: deploymentSteps(),
	}, scenario{
		name:  "daemonsets",
		nodes: 3,
		steps: daemonSetSteps(),
	}, scenario{
		name:  "jobs",
		steps: jobSteps(),
	}, scenario{
		name:  "cronjobs",
		steps: cronJobSteps(),
	}, scenario{
		name:  "statefulsets",
		steps: statefulSetSteps(),
	})
}

const (
	// podSuffix is the random end of a ReplicaSet's pod's name.
	podSuffix = `(web-[a-z0-9]{8,10})-[a-z0-9]{5}\b`
	// waitingLines are rollout status's progress lines, as many as the
	// rollout takes polls: only its last line is the same every run.
	waitingLines = `(?m)^Waiting for deployment .*\n`
	// daemonWaitingLines are the same for a DaemonSet's rollout.
	daemonWaitingLines = `(?m)^Waiting for daemon set .*\n`
	// statefulWaitingLines are a StatefulSet's rollout progress lines.
	statefulWaitingLines = `(?m)^Waiting for .*\n`
	// daemonPodSuffix is the random end of a DaemonSet's pod's name.
	daemonPodSuffix = `\b(fluentd)-[a-z0-9]{5}\b`
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
		// The Deployment's pods behind a Service: its endpoints are the five
		// pods (their IPs, and so the order, differ every run).
		ns("expose", "deployment", "web", "--port=80"),
		ns("wait", "endpointslice", "-l", "kubernetes.io/service-name=web", "--for=jsonpath={.endpoints[4].conditions.ready}=true", "--timeout=60s").
			mask(`\bweb-[a-z0-9]{5}\b`, "web-<random>"),
		ns("get", "endpointslices", "-l", "kubernetes.io/service-name=web", "-o",
			`jsonpath={range .items[*].ports[*]}{.port}{"\n"}{end}{range .items[*].endpoints[*]}{.targetRef.kind}/{.targetRef.name} ready={.conditions.ready}{"\n"}{end}`).
			mask(podSuffix, "$1-xxxxx"),
		ns("create", "deployment", "bad", "--image=nginx", "--replicas=-1").exits(1),
		// kubectl before v1.35 does not name the namespace.
		ns("delete", "deployment", "web", "--cascade=foreground").versionSpecificOutput(),
		ns("get", "replicasets"),
	}
}

// daemonSetSteps are the DaemonSet page's fluentd example over three
// nodes: applied, rolled out, updated, its history read from the
// ControllerRevisions, and rolled back.
func daemonSetSteps() []step {
	n := []string{"-n", "daemonsets"}
	ns := func(args ...string) step { return k(append(args, n...)...) }
	status := func() step { return ns("rollout", "status", "daemonset/fluentd").mask(daemonWaitingLines, "") }
	return []step{
		k("create", "namespace", "daemonsets"),
		ns("apply", "-f", "fluentd-daemonset.yaml"),
		status(),
		ns("get", "daemonsets", "-o", "wide"),
		ns("get", "pods", "-l", "name=fluentd", "--sort-by=.spec.nodeName", "-o", "custom-columns=NAME:.metadata.name,NODE:.spec.nodeName,HASH:.metadata.labels.controller-revision-hash,GENERATION:.metadata.labels.pod-template-generation").
			mask(daemonPodSuffix, "$1-xxxxx"),
		ns("set", "image", "daemonset/fluentd", "fluentd=quay.io/fluentd_elasticsearch/fluentd:v5.0.2"),
		status(),
		ns("rollout", "history", "daemonset/fluentd"),
		ns("rollout", "history", "daemonset/fluentd", "--revision=1"),
		ns("get", "controllerrevisions"),
		// kubectl v1.33 and later warn that undo leaves the
		// last-applied-configuration annotation as it was; v1.32 does not.
		ns("rollout", "undo", "daemonset/fluentd").versionSpecificOutput(),
		status(),
		ns("get", "daemonset", "fluentd", "-o", "jsonpath={.status.desiredNumberScheduled} {.status.updatedNumberScheduled} {.status.numberAvailable} {.spec.template.spec.containers[0].image}{\"\\n\"}"),
		ns("delete", "daemonset", "fluentd").versionSpecificOutput(),
	}
}

// jobSteps run Jobs to their end: kubectl create job's one pod completing,
// a Job failing once its backoffLimit is spent (the retry waits out the
// controller's 10 s back-off), and an Indexed Job whose pods see
// JOB_COMPLETION_INDEX.
func jobSteps() []step {
	n := []string{"-n", "jobs"}
	ns := func(args ...string) step { return k(append(args, n...)...) }
	// The AGE normalization takes DURATION, the first cell that reads as
	// an age: this puts both back under their headers.
	duration := func(s step) step { return s.mask(`\b(\d/\d +)<age> (?:\d+[smh])+\b`, "${1}<duration> <age>") }
	return []step{
		k("create", "namespace", "jobs"),
		k("create", "job", "hello", "-n", "jobs", "--image=busybox:1.36", "--", "echo", "Hello from the job"),
		ns("wait", "--for=condition=complete", "job/hello", "--timeout=60s"),
		ns("logs", "job/hello"),
		duration(ns("get", "jobs")),
		ns("get", "job", "hello", "-o", `jsonpath={.status.succeeded} {.status.conditions[*].type}{"\n"}`),
		ns("apply", "-f", "jobs.yaml"),
		ns("wait", "--for=condition=complete", "job/indexed", "--timeout=60s"),
		ns("get", "pods", "-l", "job-name=indexed", "--sort-by=.metadata.annotations.batch\\.kubernetes\\.io/job-completion-index",
			"-o", `custom-columns=INDEX:.metadata.annotations.batch\.kubernetes\.io/job-completion-index,PHASE:.status.phase`),
		ns("logs", "-l", "job-name=indexed,batch.kubernetes.io/job-completion-index=2"),
		ns("wait", "--for=condition=failed", "job/fail", "--timeout=90s"),
		ns("get", "job", "fail", "-o", `jsonpath={.status.failed} {.status.conditions[?(@.type=="Failed")].reason}: {.status.conditions[?(@.type=="Failed")].message}{"\n"}`),
		duration(ns("get", "jobs")),
		// kubectl before v1.35 does not name the namespace.
		ns("delete", "job", "hello").versionSpecificOutput(),
	}
}

// cronJobSteps: the CronJob page's hello, every minute: a Job made from
// it by hand with kubectl create job --from, then the first scheduled one,
// up to a minute later, and the CronJob's status after it.
func cronJobSteps() []step {
	n := []string{"-n", "cronjobs"}
	ns := func(args ...string) step { return k(append(args, n...)...) }
	return []step{
		k("create", "namespace", "cronjobs"),
		k("create", "cronjob", "hello", "-n", "cronjobs", "--image=busybox:1.28", "--schedule=* * * * *", "--",
			"/bin/sh", "-c", "echo Hello from the Kubernetes cluster"),
		ns("get", "cronjob", "hello"),
		ns("create", "job", "manual", "--from=cronjob/hello"),
		ns("wait", "--for=condition=complete", "job/manual", "--timeout=60s"),
		ns("logs", "job/manual"),
		ns("get", "job", "manual", "-o", `jsonpath={.metadata.annotations.cronjob\.kubernetes\.io/instantiate} {.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}{"\n"}`),
		ns("wait", "--for=jsonpath={.status.lastSuccessfulTime}", "cronjob/hello", "--timeout=120s"),
		ns("delete", "cronjob", "hello").versionSpecificOutput(),
	}
}

// statefulSetSteps follow the StatefulSet Basics tutorial: web's pods come
// up one by one, each with its claim bound to a volume the local-path
// provisioner made, stable names in DNS, and the data a pod wrote kept
// when it is replaced; then scaling, a rolling update and its history.
// The tutorial runs nginx-slim; nginx here, whose image has the curl the
// steps run.
func statefulSetSteps() []step {
	n := []string{"-n", "statefulsets"}
	ns := func(args ...string) step { return k(append(args, n...)...) }
	// exec's namespace goes before the command.
	exec := func(pod string, command ...string) step {
		return k(append([]string{"exec", "-n", "statefulsets", pod, "--"}, command...)...)
	}
	status := func() step { return ns("rollout", "status", "statefulset/web").mask(statefulWaitingLines, "") }
	return []step{
		k("create", "namespace", "statefulsets"),
		ns("apply", "-f", "statefulset-web.yaml"),
		status(),
		ns("get", "pods", "-l", "app=nginx"),
		ns("get", "pvc", "-l", "app=nginx"),
		ns("get", "statefulset", "web"),
		exec("web-0", "sh", "-c", "echo $(hostname) > /usr/share/nginx/html/index.html"),
		exec("web-1", "sh", "-c", "echo $(hostname) > /usr/share/nginx/html/index.html"),
		exec("web-0", "curl", "-s", "http://web-1.nginx"),
		exec("web-1", "getent", "hosts", "web-0.nginx.statefulsets.svc.cluster.local").
			mask(`(?m)^\S+ +web-0`, "<ip> web-0"),
		// kubectl before v1.35 does not name the namespace.
		ns("delete", "pod", "web-0").versionSpecificOutput(),
		ns("wait", "--for=condition=Ready", "pod/web-0", "--timeout=60s"),
		exec("web-0", "cat", "/usr/share/nginx/html/index.html"),
		ns("scale", "statefulset", "web", "--replicas=3"),
		status(),
		ns("get", "pvc", "-l", "app=nginx"),
		ns("scale", "statefulset", "web", "--replicas=1"),
		// Pods already gone by then print nothing.
		ns("wait", "--for=delete", "pod/web-2", "pod/web-1", "--timeout=60s").mask(`(?m)^pod/web-[12] condition met\n`, ""),
		ns("get", "pods,pvc", "-l", "app=nginx"),
		ns("set", "image", "statefulset/web", "nginx=nginx:1.29"),
		status(),
		ns("rollout", "history", "statefulset/web"),
		ns("get", "pod", "web-0", "-o", "jsonpath={.spec.containers[0].image}{\"\\n\"}"),
		k("get", "pv", "--sort-by=.spec.claimRef.name", "-o",
			"custom-columns=CLAIM:.spec.claimRef.name,STATUS:.status.phase,RECLAIM:.spec.persistentVolumeReclaimPolicy,CLASS:.spec.storageClassName,PATH:.spec.hostPath.path,NODE:.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0]").
			mask(`\bpvc-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}_`, "pvc-<uid>_"),
		ns("delete", "statefulset", "web").versionSpecificOutput(),
		ns("delete", "pvc", "-l", "app=nginx").versionSpecificOutput(),
	}
}
