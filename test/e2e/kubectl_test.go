package e2e

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Patterns of the addresses the default service ranges hand out at random
// (10.96.0.0/16 and fd00:10:96::/108), masked in the goldens.
const (
	clusterIPv4 = `\b10\.96\.\d{1,3}\.\d{1,3}\b`
	clusterIPv6 = `\bfd00:10:96::[0-9a-f:]+\b`
)

// nodeManifest is a dual-stack node with the status a kubelet reports.
const nodeManifest = `apiVersion: v1
kind: Node
metadata:
  name: worker9
  labels:
    kubernetes.io/hostname: worker9
    node-role.kubernetes.io/worker: ""
spec:
  podCIDR: 10.244.9.0/24
  podCIDRs: [10.244.9.0/24, "fd00:10:244:9::/64"]
status:
  addresses:
  - {type: InternalIP, address: 172.18.0.9}
  - {type: InternalIP, address: "fc00:f853:ccd:e793::9"}
  - {type: Hostname, address: worker9}
  capacity: {cpu: "4", memory: 8Gi, pods: "110"}
  conditions:
  - {type: Ready, status: "True", reason: KubeletReady, message: kubelet is posting ready status}
  nodeInfo:
    architecture: amd64
    bootID: ""
    containerRuntimeVersion: fake://1.0.0
    kernelVersion: 6.1.0
    kubeProxyVersion: ""
    kubeletVersion: v1.37.2
    machineID: ""
    operatingSystem: linux
    osImage: fakecluster
    systemUUID: ""
`

// seedNodeManifest is the seed's dual-stack node as its kubelet would
// register it, before it has pod CIDRs.
const seedNodeManifest = `apiVersion: v1
kind: Node
metadata:
  name: k8s-linuxpool1-34450317-0
  labels:
    kubernetes.io/hostname: k8s-linuxpool1-34450317-0
status:
  addresses:
  - {type: Hostname, address: k8s-linuxpool1-34450317-0}
  - {type: InternalIP, address: 10.240.0.5}
  - {type: InternalIP, address: "2001:1234:5678:9abc::5"}
`

// podRunning is the status a kubelet writes for a running, ready pod with
// one IP of each family.
const podRunning = `{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}],` +
	`"podIP":"10.244.5.7","podIPs":[{"ip":"10.244.5.7"},{"ip":"fd00:10:244:5::7"}]}}`

// watchedConfigMap is a ConfigMap the watch scenario selects by label.
func watchedConfigMap(name string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  labels:\n    watched: \"yes\"\ndata:\n  k: v\n"
}

// scenarios are what the tests run, each against every kubectl. Namespaced
// scenarios use the namespace named like them; those that use default keep
// to kinds of object no other scenario creates there. Listings of
// ConfigMaps name what they list or select by label: a real cluster also
// has a kube-root-ca.crt ConfigMap in every namespace, published by
// kube-controller-manager, which is not what these tests are about.
var scenarios = []scenario{{
	name: "version",
	steps: []step{
		// The skewed kubectl also warns about the skew.
		k("version").versionSpecificOutput(),
	},
}, {
	name: "api-resources",
	steps: []step{
		k("api-resources"),
		k("api-resources", "--namespaced=false", "-o", "name"),
	},
}, {
	name: "api-versions",
	steps: []step{
		k("api-versions"),
	},
}, {
	// A CustomResourceDefinition with two versions, a schema that defaults
	// and checks (pattern, bounds, a CEL rule), printer columns and the
	// status and scale subresources, then a custom resource through it. It
	// is serial because it adds a group that api-resources and api-versions
	// would list, and deleting the CRD at the end takes it away again.
	name:   "crds",
	serial: true,
	steps: []step{
		k("create", "namespace", "crds"),
		k("apply", "-f", "crontab-crd.yaml"),
		k("wait", "--for", "condition=established", "crd/crontabs.stable.example.com", "--timeout=60s"),
		k("api-resources", "--api-group=stable.example.com"),
		k("apply", "-n", "crds", "-f", "my-crontab.yaml"),
		k("get", "crontabs", "-n", "crds"),
		k("get", "ct", "my-new-cron-object", "-n", "crds", "-o", "yaml"),
		k("get", "crontabs.v1beta1.stable.example.com", "-n", "crds", "-o", "jsonpath={.items[*].apiVersion} {.items[*].spec.replicas}{\"\\n\"}"),
		k("apply", "-n", "crds", "-f", "-").withStdin("apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata:\n  name: big\n" +
			"spec:\n  cronSpec: \"every minute\"\n  image: nginx\n  replicas: 8\n").exits(1),
		// Server-side apply of a custom resource checks its fields against
		// the CRD's schema (kubectl asks for strict field validation).
		k("apply", "-n", "crds", "--server-side", "--field-manager=alice", "-f", "-").withStdin(
			"apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata:\n  name: applied\nspec:\n  cronSpec: \"0 * * * *\"\n  colour: red\n").exits(1),
		k("apply", "-n", "crds", "--server-side", "--field-manager=alice", "-f", "-").withStdin(
			"apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata:\n  name: applied\nspec:\n  cronSpec: \"0 * * * *\"\n"),
		k("get", "ct", "applied", "-n", "crds", "-o", "jsonpath={.metadata.managedFields[*].manager} {.spec}{\"\\n\"}"),
		k("scale", "crontab", "my-new-cron-object", "-n", "crds", "--replicas=3"),
		k("get", "crontabs", "-n", "crds", "-o", "wide"),
		k("explain", "crontab.spec"),
		k("delete", "crd", "crontabs.stable.example.com"),
		k("get", "crds"),
		// Its namespace goes too, so that the namespaces scenario lists
		// only its own.
		k("delete", "namespace", "crds"),
	},
}, {
	name:   "namespaces",
	serial: true,
	steps: []step{
		k("create", "namespace", "demo"),
		k("get", "namespaces"),
		k("get", "namespaces", "--show-labels"),
		k("describe", "namespace", "demo"),
		k("get", "namespace", "demo", "-o", "jsonpath={.status.phase}"),
		k("create", "namespace", "demo").exits(1),
	},
}, {
	name: "explain",
	steps: []step{
		k("explain", "pod.spec.hostAliases"),
		k("explain", "service.spec.ipFamilyPolicy"),
	},
}, {
	// From the seed (HostAliases): run a pod, look at it and at the hosts
	// file its kubelet wrote, then the seed's hostaliases pod. Serial: its
	// pods take the node's first pod IPs, as in the seed, so no other
	// scenario's pod may start first.
	name:   "pods",
	serial: true,
	steps: []step{
		k("run", "nginx", "--image", "nginx"),
		k("wait", "--for=condition=Ready", "pod/nginx", "--timeout=60s"),
		k("get", "pods", "--output=wide"),
		k("exec", "nginx", "--", "cat", "/etc/hosts"),
		k("apply", "-f", "hostaliases-pod.yaml"),
		k("wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/hostaliases-pod", "--timeout=60s"),
		k("get", "pod", "hostaliases-pod", "--output=wide"),
		k("logs", "hostaliases-pod"),
		k("delete", "pod", "hostaliases-pod").versionSpecificOutput(),
		// From the seed (dual-stack): the pod's IPs through the downward API
		// and in its hosts file.
		k("apply", "-f", "pod01.yaml"),
		k("wait", "--for=condition=Ready", "pod/pod01", "--timeout=60s"),
		k("get", "pods", "pod01", "-o", "go-template", "--template={{range .status.podIPs}}{{printf \"%s\\n\" .ip}}{{end}}"),
		k("exec", "pod01", "--", "sh", "-c", "set | grep MY_POD_IPS"),
		k("exec", "pod01", "--", "cat", "/etc/hosts"),
		k("delete", "pod", "pod01", "--grace-period=1").versionSpecificOutput(),
		k("get", "pod", "nginx", "-o", "yaml"),
		k("get", "pod", "nginx", "-o", "json"),
		k("get", "pod", "nginx", "-o", "jsonpath={.spec.containers[0].image}"),
		k("get", "pod", "nginx", "-o", `go-template={{.metadata.name}} {{.status.phase}} {{.status.qosClass}}{{"\n"}}`),
		// kubectl before v1.33 prints the token volume's ConfigMapOptional.
		k("describe", "pod", "nginx").versionSpecificOutput(),
		// A strategic merge patch merges containers by name.
		k("patch", "pod", "nginx", "--type=strategic", "-p", `{"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]}}`),
		k("get", "pod", "nginx", "-o", `jsonpath={range .spec.containers[*]}{.name}={.image}{"\n"}{end}`),
		k("delete", "pod", "nginx", "--wait").versionSpecificOutput(),
		k("run", "busybox", "--image=busybox", "--restart=Never", "--", "sleep", "3600"),
		k("delete", "pod", "busybox", "--grace-period=0", "--force").versionSpecificOutput(),
		k("get", "pods"),
	},
}, {
	// What reaches a running container through the kubelet's API: files
	// copied both ways, a pod run attached to its shell, logs with
	// kubectl's options, and the node's own healthz through nodes/proxy.
	// Serial: its pods would take the pod IPs the pods scenario shows.
	name:   "streams",
	serial: true,
	steps: []step{
		k("create", "namespace", "streams"),
		k("run", "web", "-n", "streams", "--image", "nginx"),
		k("wait", "--for=condition=Ready", "pod/web", "-n", "streams", "--timeout=60s"),
		// kubectl v1.32 logs a message of the exec stream it drops once
		// the copy has finished.
		k("cp", "hostaliases-pod.yaml", "streams/web:/tmp/manifest.yaml").versionSpecificOutput(),
		// kubectl v1.32 logs a message of the exec stream it drops once
		// the command has finished.
		k("exec", "-n", "streams", "web", "--", "head", "-n", "3", "/tmp/manifest.yaml").versionSpecificOutput(),
		// tar's warning on stderr races the end of the copy, and kubectl
		// prints it only when it comes first: left out.
		k("cp", "streams/web:/etc/hostname", "/dev/stdout").mask("(?m)^tar: Removing leading `/' from member names\n", "").versionSpecificOutput(),
		k("run", "-i", "--rm", "shell", "-n", "streams", "--image=busybox", "--restart=Never", "--", "sh").
			withStdin("echo hello from $(hostname)\nexit 3\n").exits(3).versionSpecificOutput().
			// Now and then the kubelet still answers kubectl's early log
			// request with the status before Running (left open).
			mask(`(?m)^warning: couldn't fetch pre-attach logs: .*\n`, ""),
		k("run", "counter", "-n", "streams", "--image=busybox", "--restart=Never", "--",
			"sh", "-c", "for i in 1 2 3; do echo line $i; done; echo oops >&2"),
		k("wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/counter", "-n", "streams", "--timeout=60s"),
		k("logs", "counter", "-n", "streams"),
		k("logs", "counter", "-n", "streams", "--tail=2", "--prefix"),
		k("logs", "counter", "-n", "streams", "--timestamps", "--tail=1").
			mask(`(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z`, "<timestamp>"),
		k("logs", "counter", "-n", "streams", "--previous").exits(1),
		k("logs", "counter", "-n", "streams", "-c", "nope").exits(1).versionSpecificOutput(),
		k("get", "--raw", "/api/v1/nodes/worker0/proxy/healthz"),
		k("delete", "namespace", "streams").versionSpecificOutput(),
	},
}, {
	name: "kubernetes-service",
	steps: []step{
		k("get", "service", "kubernetes", "-o", "wide"),
		k("describe", "service", "kubernetes"),
		k("get", "endpointslices", "-l", "kubernetes.io/service-name=kubernetes"),
		// Where cluster IPs come from and who holds 10.96.0.1.
		k("get", "servicecidrs"),
		k("get", "ipaddress", "10.96.0.1"),
		k("get", "ipaddress", "10.96.0.1", "-o", "yaml"),
	},
}, {
	// A node as a kubelet would register it; describe's Lease line is what
	// Kubernetes prints for a node without one.
	name:   "nodes",
	serial: true,
	steps: []step{
		k("create", "-f", "-").withStdin(nodeManifest),
		k("get", "nodes"),
		k("get", "nodes", "-o", "wide"),
		k("get", "nodes", "--show-labels"),
		// The node lifecycle controller records RegisteredNode for a new
		// node; describe runs once kubectl events has seen it, as it would
		// show it on a real cluster. kubectl before v1.33 also prints a
		// Kube-Proxy Version line.
		k("events", "--for", "node/worker9", "--watch").around(
			k("describe", "node", "worker9"), 2, 2).
			mask(`(?m)^\d+[smh]( +Normal)`, "<age>$1").versionSpecificOutput(),
		k("delete", "node", "worker9"),
		// From the seed (dual-stack): a node registered without pod CIDRs
		// gets one of each family from the node IPAM controller, the first
		// free /24 of 10.244.0.0/16 and /64 of fd00:10:244::/56.
		k("create", "-f", "-").withStdin(seedNodeManifest),
		k("wait", "node/k8s-linuxpool1-34450317-0", "--for=jsonpath={.spec.podCIDR}", "--timeout=10s"),
		k("get", "nodes", "k8s-linuxpool1-34450317-0", "-o", "go-template", `--template={{range .spec.podCIDRs}}{{printf "%s\n" .}}{{end}}`),
		k("get", "nodes", "k8s-linuxpool1-34450317-0", "-o", "go-template", `--template={{range .status.addresses}}{{printf "%s: %s\n" .type .address}}{{end}}`),
		k("delete", "node", "k8s-linuxpool1-34450317-0"),
		// Taking worker0 out of service and back, as an operator does.
		k("run", "drained", "--image", "nginx"),
		k("wait", "--for=condition=Ready", "pod/drained", "--timeout=60s"),
		k("cordon", "worker0"),
		k("get", "nodes"),
		k("drain", "worker0", "--force", "--ignore-daemonsets"),
		k("get", "pods"),
		k("uncordon", "worker0"),
		k("get", "nodes"),
	},
}, {
	// Issue 5's controllers as a user sees them. With no kubelet yet, the
	// pod's status is written as a kubelet would write it. Not serial: run
	// right after start, the orphaning delete more often finds a garbage
	// collector that has not seen the slice yet (it then deletes the slice
	// later, as a dependent of a gone owner).
	name: "controllers",
	steps: []step{
		k("create", "namespace", "controllers"),
		// One object per wait: kubectl v1.37's --for=create gives up at once
		// when every object it names is missing at its first look (the
		// NotFound errors come back aggregated, which it does not retry).
		k("wait", "--for=create", "serviceaccount/default", "-n", "controllers", "--timeout=10s"),
		k("wait", "--for=create", "configmap/kube-root-ca.crt", "-n", "controllers", "--timeout=10s"),
		k("get", "serviceaccounts", "-n", "controllers"),
		k("get", "configmap", "kube-root-ca.crt", "-n", "controllers", "-o", "jsonpath={.metadata.annotations}"),
		k("create", "token", "default", "-n", "controllers").mask(`eyJ[A-Za-z0-9_.-]+`, "<token>"),
		k("apply", "-n", "controllers", "-f", "web.yaml"),
		k("patch", "pod", "web-0", "-n", "controllers", "--subresource=status", "--type=merge", "-p", podRunning),
		k("wait", "endpointslice", "-n", "controllers", "-l", "kubernetes.io/service-name=web-v4",
			"--for=jsonpath={.endpoints[0].conditions.ready}=true", "--timeout=10s").mask(`\bweb-v4-[a-z0-9]{5}\b`, "web-v4-<random>"),
		k("get", "endpointslices", "-n", "controllers", "-l", "kubernetes.io/service-name=web", "--sort-by=.addressType").
			mask(`\bweb-[a-z0-9]{5}\b`, "web-<random>"),
		k("describe", "svc", "web-v4", "-n", "controllers").mask(clusterIPv4, "<cluster-ip>"),
		k("get", "endpoints", "web-v4", "-n", "controllers"),
		// The Service owns its slices: orphaning keeps them, a background
		// delete lets the garbage collector take them.
		k("delete", "svc", "web-v4", "-n", "controllers", "--cascade=orphan").versionSpecificOutput(),
		k("get", "endpointslices", "-n", "controllers", "-l", "kubernetes.io/service-name=web-v4",
			"-o", `jsonpath={range .items[*]}{.addressType} owners={.metadata.ownerReferences}{"\n"}{end}`),
		// Foreground: the Service goes only after its slices, which block
		// its deletion, so the wait finds none left.
		k("delete", "svc", "web", "-n", "controllers", "--cascade=foreground").versionSpecificOutput(),
		k("wait", "--for=delete", "endpointslice", "-n", "controllers", "-l", "kubernetes.io/service-name=web", "--timeout=10s"),
		k("delete", "node", "worker-ep"),
	},
}, {
	name: "configmaps",
	steps: []step{
		k("create", "namespace", "configmaps"),
		k("create", "namespace", "configmaps-2"),
		k("create", "configmap", "app", "-n", "configmaps", "--from-literal=color=blue", "--from-literal=size=small"),
		k("create", "configmap", "other", "-n", "configmaps", "--from-literal=k=v"),
		k("create", "configmap", "app", "-n", "configmaps-2", "--from-literal=color=red"),
		k("label", "configmap", "app", "-n", "configmaps", "team=configmaps"),
		k("label", "configmap", "app", "-n", "configmaps-2", "team=configmaps"),
		k("label", "configmap", "app", "-n", "configmaps", "team=other").exits(1),
		k("annotate", "configmap", "app", "-n", "configmaps", "note=hello world"),
		k("get", "configmaps", "app", "other", "-n", "configmaps"),
		k("get", "configmaps", "-n", "configmaps", "-l", "team=configmaps"),
		k("get", "configmaps", "app", "other", "-n", "configmaps", "--show-labels"),
		k("get", "configmaps", "-A", "-l", "team=configmaps"),
		k("get", "configmaps", "-n", "configmaps", "--field-selector", "metadata.name=other"),
		k("get", "configmap", "app", "-n", "configmaps", "-o", "yaml"),
		k("get", "configmap", "missing", "-n", "configmaps").exits(1),
		k("create", "configmap", "app", "-n", "configmaps", "--from-literal=color=blue").exits(1),
	},
}, {
	// Client-side apply: create, no-op, change, and a three-way merge that
	// drops the key the manifest no longer has.
	name: "apply",
	steps: []step{
		k("create", "namespace", "apply"),
		k("apply", "-n", "apply", "-f", "app-config.yaml"),
		k("apply", "-n", "apply", "-f", "app-config.yaml"),
		k("apply", "-n", "apply", "-f", "app-config-v2.yaml"),
		k("apply", "-n", "apply", "-f", "app-config-v3.yaml"),
		k("get", "configmap", "app-config", "-n", "apply", "-o", "yaml"),
	},
}, {
	name: "server-side-apply",
	steps: []step{
		k("create", "namespace", "server-side-apply"),
		k("apply", "-n", "server-side-apply", "--server-side", "--field-manager=alice", "-f", "-").withStdin(
			"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\ndata:\n  owner: alice\n"),
		k("apply", "-n", "server-side-apply", "--server-side", "--field-manager=bob", "-f", "shared-bob.yaml").exits(1),
		k("apply", "-n", "server-side-apply", "--server-side", "--field-manager=bob", "--force-conflicts", "-f", "shared-bob.yaml"),
		k("get", "configmap", "shared", "-n", "server-side-apply", "-o", "yaml", "--show-managed-fields"),
	},
}, {
	name: "patch",
	steps: []step{
		k("create", "namespace", "patch"),
		k("create", "configmap", "settings", "-n", "patch", "--from-literal=a=1", "--from-literal=b=2"),
		k("patch", "configmap", "settings", "-n", "patch", "--type=merge", "-p", `{"data":{"c":"3"}}`),
		k("patch", "configmap", "settings", "-n", "patch", "--type=json", "-p", `[{"op":"remove","path":"/data/a"}]`),
		k("patch", "configmap", "settings", "-n", "patch", "--type=strategic", "-p", `{"data":{"b":"two"}}`),
		k("patch", "configmap", "settings", "-n", "patch", "--type=merge", "-p", `{"data":{"b":"two"}}`),
		k("patch", "configmap", "settings", "-n", "patch", "--type=json", "-p", `[{"op":"remove","path":"/data/missing"}]`).exits(1),
		k("get", "configmap", "settings", "-n", "patch", "-o", "jsonpath={.data}"),
	},
}, {
	name: "diff",
	steps: []step{
		k("create", "namespace", "diff"),
		k("apply", "-n", "diff", "-f", "app-config.yaml"),
		k("diff", "-n", "diff", "-f", "app-config-v2.yaml").exits(1),
		k("diff", "-n", "diff", "-f", "app-config.yaml"),
	},
}, {
	name: "dry-run",
	steps: []step{
		k("create", "namespace", "dry-run"),
		k("create", "configmap", "dry", "-n", "dry-run", "--from-literal=x=1", "--dry-run=server", "-o", "yaml"),
		k("apply", "-n", "dry-run", "-f", "app-config.yaml", "--dry-run=server"),
		k("get", "configmaps", "dry", "app-config", "-n", "dry-run").exits(1),
	},
}, {
	name: "delete",
	steps: []step{
		k("create", "namespace", "delete"),
		k("create", "configmap", "a", "-n", "delete"),
		k("create", "configmap", "b", "-n", "delete"),
		k("delete", "configmap", "a", "-n", "delete", "--wait").versionSpecificOutput(),
		k("delete", "configmap", "b", "-n", "delete", "--grace-period=0", "--force").versionSpecificOutput(),
		k("get", "configmaps", "a", "b", "-n", "delete").exits(1),
		k("delete", "configmap", "a", "-n", "delete").exits(1),
	},
}, {
	name: "delete-namespace",
	steps: []step{
		k("create", "namespace", "doomed"),
		k("create", "configmap", "leftover", "-n", "doomed", "--from-literal=k=v"),
		k("delete", "namespace", "doomed", "--timeout=10s"),
		k("get", "namespace", "doomed").exits(1),
		k("get", "configmaps", "-n", "doomed"),
	},
}, {
	name: "watch",
	steps: []step{
		k("create", "namespace", "watch"),
		k("create", "-n", "watch", "-f", "-").withStdin(watchedConfigMap("first")),
		k("get", "configmaps", "-n", "watch", "-l", "watched", "-w").around(
			k("create", "-n", "watch", "-f", "-").withStdin(watchedConfigMap("second")), 2, 3),
		k("get", "configmaps", "-n", "watch", "-l", "watched", "-w", "--output-watch-events").around(
			k("delete", "configmap", "first", "-n", "watch", "-o", "name"), 3, 4),
	},
}, {
	// From the seed (dual-stack), its Service examples in order, on the
	// default dual-stack cluster (IPv4 first). Two of them still use
	// spec.ipFamily, removed in Kubernetes 1.20: kubectl validates strictly
	// by default, so they are refused unless --validate=warn.
	name: "seed-services",
	steps: []step{
		// kubectl before v1.33 does not say "from <namespace> namespace" when
		// it deletes.
		k("apply", "-f", "service-default-family.yaml"),
		k("get", "svc", "my-service", "-o", "yaml").mask(clusterIPv4, "<cluster-ip>"),
		k("delete", "svc", "my-service").versionSpecificOutput(),
		k("apply", "-f", "ipfamily-service.yaml").exits(1),
		k("apply", "-f", "ipfamily-service.yaml", "--validate=warn"),
		k("get", "service", "my-service", "-o", "yaml").mask(clusterIPv4, "<cluster-ip>"),
		k("delete", "svc", "my-service").versionSpecificOutput(),
		k("apply", "-f", "service-prefer-dual-stack.yaml"),
		k("describe", "svc", "-l", "app=MyApp").mask(clusterIPv4, "<cluster-ip>").mask(clusterIPv6, "<cluster-ipv6>"),
		k("delete", "svc", "my-service").versionSpecificOutput(),
		k("apply", "-f", "ipfamily-loadbalancer.yaml").exits(1),
		k("apply", "-f", "ipfamily-loadbalancer.yaml", "--validate=warn"),
		k("wait", "svc/my-service", "--for=jsonpath={.status.loadBalancer.ingress[0].ipMode}=VIP", "--timeout=10s"),
		// The CLUSTER-IP column is as wide as the random IP: masked with
		// its padding.
		k("get", "svc", "-l", "app=MyApp").mask(clusterIPv4+` +`, "<cluster-ip>   ").mask(`CLUSTER-IP +`, "CLUSTER-IP     ").
			mask(`\b3\d{4}/TCP`, "<node-port>/TCP"),
		k("delete", "svc", "my-service").versionSpecificOutput(),
	},
}}

// TestKubectl runs every scenario with each kubectl, each kubectl against a
// fakecluster of its own.
func TestKubectl(t *testing.T) {
	if testing.Short() {
		t.Skip("builds fakecluster and kubectl and runs them; skipped with -short")
	}
	for _, c := range clients(t) {
		t.Run(c.name, func(t *testing.T) {
			if *update && c.path != bin.kubectl {
				t.Skip("-update writes the goldens from the kubectl go.mod pins only")
			}
			t.Parallel()
			cl := startCluster(t)
			for _, sc := range scenarios {
				t.Run(sc.name, func(t *testing.T) {
					if !sc.serial {
						t.Parallel()
					}
					on := cl
					if sc.nodes > 0 {
						on = startCluster(t, "--nodes", strconv.Itoa(sc.nodes))
					}
					sc.run(t, newEnv(t, c, on))
				})
			}
		})
	}
}

// TestGoldenFiles checks that every golden transcript belongs to a scenario.
func TestGoldenFiles(t *testing.T) {
	names := make(map[string]bool)
	for _, sc := range scenarios {
		if names[sc.name] {
			t.Errorf("two scenarios named %q", sc.name)
		}
		names[sc.name] = true
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".golden"); !names[name] {
			t.Errorf("%s: no scenario named %q; remove the file", f, name)
		}
	}
}
