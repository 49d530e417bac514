package cluster_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// execIn runs cmd in the pod's first container through the API server and
// the kubelet, as kubectl exec does, and returns what it printed.
func execIn(t *testing.T, c *cluster.Cluster, pod string, cmd ...string) (stdout, stderr string, err error) {
	t.Helper()
	req := clustertest.Client(t, c).CoreV1().RESTClient().Post().Resource("pods").Namespace("default").Name(pod).
		SubResource("exec").VersionedParams(&corev1.PodExecOptions{Command: cmd, Stdout: true, Stderr: true}, scheme.ParameterCodec)
	exec, err := remotecommand.NewWebSocketExecutor(clustertest.Config(c), "GET", req.URL().String())
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	err = exec.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &out, Stderr: &errOut})
	return out.String(), errOut.String(), err
}

// netexecPod is an agnhost netexec server, which tells who answered
// (/hostname) and whom it saw (/clientip).
func netexecPod(name, node string, labels map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{
			Name: "netexec", Image: "registry.k8s.io/e2e-test-images/agnhost:2.53",
			Args:  []string{"netexec", "--http-port=8080"},
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
		}}},
	}
}

func createAll(t *testing.T, client kubernetes.Interface, objs ...any) {
	t.Helper()
	ctx := t.Context()
	for _, o := range objs {
		var err error
		switch o := o.(type) {
		case *corev1.Pod:
			_, err = client.CoreV1().Pods("default").Create(ctx, o, metav1.CreateOptions{})
		case *corev1.Service:
			_, err = client.CoreV1().Services("default").Create(ctx, o, metav1.CreateOptions{})
		default:
			t.Fatalf("cannot create %T", o)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func running(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// TestServiceNetwork is the seed's "verify access to the service through
// its IP and port", end to end: a PreferDualStack Service over two
// netexec pods on two nodes answers on both cluster IPs, its DNS name and
// its short name from a client pod, spreading requests over both pods,
// and the server sees the client's pod IP; NodePort and LoadBalancer IPs
// reach the pods, an unready pod gets no traffic, ClientIP affinity
// sticks, a Service without endpoints refuses, DNS answers as CoreDNS for
// every kind of Service, the host's dig reaches --dns-bind-address, and
// services/proxy and pods/proxy reach the pods.
func TestServiceNetwork(t *testing.T) {
	t.Parallel()
	c := clustertest.StartWith(t, cluster.Options{Nodes: 2, DNSBindAddress: "127.0.0.1:0"})
	client := clustertest.Client(t, c)
	waitSA(t, client)
	web := map[string]string{"app": "web"}
	tcp := func(port int32, target intstr.IntOrString) []corev1.ServicePort {
		return []corev1.ServicePort{{Name: "http", Port: port, TargetPort: target}}
	}
	unready := netexecPod("web-unready", "worker1", web)
	unready.Spec.Containers[0].ReadinessProbe = &corev1.Probe{PeriodSeconds: 1,
		ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"cat", "/tmp/never"}}}}
	createAll(t, client,
		netexecPod("web-0", "worker0", web), netexecPod("web-1", "worker1", web), unready,
		&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "client"}, Spec: corev1.PodSpec{NodeName: "worker0",
			Containers: []corev1.Container{{Name: "client", Image: "busybox", Command: []string{"sleep", "3600"}}}}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: corev1.ServiceSpec{Selector: web,
			IPFamilyPolicy: ptr.To(corev1.IPFamilyPolicyPreferDualStack), Ports: tcp(80, intstr.FromString("http"))}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web6"}, Spec: corev1.ServiceSpec{Selector: web,
			IPFamilies: []corev1.IPFamily{corev1.IPv6Protocol}, Ports: tcp(80, intstr.FromInt32(8080))}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "sticky"}, Spec: corev1.ServiceSpec{Selector: web,
			SessionAffinity: corev1.ServiceAffinityClientIP, Ports: tcp(80, intstr.FromInt32(8080))}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "lb"}, Spec: corev1.ServiceSpec{Selector: web, Type: corev1.ServiceTypeLoadBalancer,
			IPFamilyPolicy: ptr.To(corev1.IPFamilyPolicyRequireDualStack), Ports: tcp(80, intstr.FromInt32(8080))}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "headless"}, Spec: corev1.ServiceSpec{Selector: web, ClusterIP: corev1.ClusterIPNone,
			IPFamilyPolicy: ptr.To(corev1.IPFamilyPolicyRequireDualStack), Ports: tcp(80, intstr.FromInt32(8080))}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "nobody"}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "none"},
			Ports: tcp(80, intstr.FromInt32(8080))}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "docs"}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName,
			ExternalName: "kubernetes.io"}},
	)
	ctx := t.Context()
	for _, name := range []string{"web-0", "web-1", "client"} {
		waitPod(t, client, name, "Ready", running)
	}
	pods := map[string]*corev1.Pod{}
	for _, name := range []string{"web-0", "web-1", "web-unready", "client"} {
		p, err := client.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pods[name] = p
	}
	services := map[string]*corev1.Service{}
	clustertest.Poll(t, 30*time.Second, func() error {
		for _, name := range []string{"web", "web6", "sticky", "lb", "headless"} {
			s, err := client.CoreV1().Services("default").Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if name == "lb" && len(s.Status.LoadBalancer.Ingress) < 2 {
				return fmt.Errorf("lb has ingress %v", s.Status.LoadBalancer.Ingress)
			}
			services[name] = s
			slices, err := client.DiscoveryV1().EndpointSlices("default").List(ctx, metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=" + name})
			if err != nil {
				return err
			}
			ready := 0
			for _, sl := range slices.Items {
				for _, e := range sl.Endpoints {
					if ptr.Deref(e.Conditions.Ready, false) {
						ready++
					}
				}
			}
			if want := 2 * len(s.Spec.IPFamilies); ready != want {
				return fmt.Errorf("service %s has %d ready endpoints, want %d", name, ready, want)
			}
		}
		return nil
	})
	wget := func(url string) (string, error) {
		out, errOut, err := execIn(t, c, "client", "wget", "-qO-", "-T", "2", url)
		if err != nil {
			return out, fmt.Errorf("%v: %s", err, errOut)
		}
		return out, nil
	}
	hostnames := func(url string, n int) sets.Set[string] {
		t.Helper()
		seen := sets.New[string]()
		for range n {
			out, err := wget(url)
			if err != nil {
				t.Fatalf("wget %s: %v", url, err)
			}
			seen.Insert(strings.TrimSpace(out))
		}
		return seen
	}
	both := sets.New("web-0", "web-1")
	webSvc := services["web"]
	if len(webSvc.Spec.ClusterIPs) != 2 {
		t.Fatalf("web has cluster IPs %v, want one of each family", webSvc.Spec.ClusterIPs)
	}
	for _, url := range []string{
		"http://" + webSvc.Spec.ClusterIPs[0] + "/hostname",
		"http://[" + webSvc.Spec.ClusterIPs[1] + "]/hostname",
		"http://web.default.svc.cluster.local/hostname",
		"http://web/hostname",
	} {
		// 24 tries over two pods all landing on one: 2^-23.
		if got := hostnames(url, 24); !got.Equal(both) {
			t.Errorf("%s answered from %v, want both pods %v (never the unready one)", url, sets.List(got), sets.List(both))
		}
	}

	t.Run("client IP", func(t *testing.T) {
		out, err := wget("http://" + webSvc.Spec.ClusterIPs[0] + "/clientip")
		host, _, _ := net.SplitHostPort(strings.TrimSpace(out))
		if err != nil || host != pods["client"].Status.PodIPs[0].IP {
			t.Errorf("/clientip = %q, %v; want the client pod's IP %s (no SNAT in the cluster)", out, err, pods["client"].Status.PodIPs[0].IP)
		}
	})
	t.Run("affinity", func(t *testing.T) {
		if got := hostnames("http://sticky/hostname", 12); got.Len() != 1 {
			t.Errorf("sessionAffinity ClientIP answered from %v, want one pod", sets.List(got))
		}
	})
	t.Run("node port and load balancer", func(t *testing.T) {
		lb := services["lb"]
		node, err := client.CoreV1().Nodes().Get(ctx, "worker1", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var urls []string
		for _, a := range node.Status.Addresses {
			if a.Type == corev1.NodeInternalIP {
				urls = append(urls, "http://"+net.JoinHostPort(a.Address, fmt.Sprint(lb.Spec.Ports[0].NodePort))+"/hostname")
			}
		}
		for _, ing := range lb.Status.LoadBalancer.Ingress {
			urls = append(urls, "http://"+net.JoinHostPort(ing.IP, "80")+"/hostname")
		}
		if len(urls) != 4 {
			t.Fatalf("want two node IPs and two LB IPs, have %v", urls)
		}
		for _, url := range urls {
			if got := hostnames(url, 2); got.Len() == 0 || !both.IsSuperset(got) {
				t.Errorf("%s answered from %v", url, sets.List(got))
			}
		}
	})
	t.Run("ping", func(t *testing.T) {
		for _, ip := range pods["web-1"].Status.PodIPs {
			if out, _, err := execIn(t, c, "client", "ping", "-c", "1", "-W", "1", ip.IP); err != nil || !strings.Contains(out, " 0% packet loss") {
				t.Errorf("ping the pod IP %s: %v\n%s", ip.IP, err, out)
			}
		}
		// kube-proxy programs no ICMP for cluster IPs.
		if out, _, err := execIn(t, c, "client", "ping", "-c", "1", "-W", "1", webSvc.Spec.ClusterIP); err == nil || !strings.Contains(out, "100% packet loss") {
			t.Errorf("ping the cluster IP: %v\n%s", err, out)
		}
	})
	t.Run("refused", func(t *testing.T) {
		_, err := wget("http://nobody/")
		if err == nil || !strings.Contains(err.Error(), "Connection refused") {
			t.Errorf("a Service without endpoints: %v, want connection refused", err)
		}
	})
	t.Run("dns in pods", func(t *testing.T) {
		// busybox's nslookup asks every search domain and exits 1 for the
		// ones that do not exist, as on a real cluster.
		out, _, _ := execIn(t, c, "client", "nslookup", "web")
		if !strings.Contains(out, "Name:\tweb.default.svc.cluster.local\nAddress: "+webSvc.Spec.ClusterIPs[0]+"\n") ||
			!strings.Contains(out, "Name:\tweb.default.svc.cluster.local\nAddress: "+webSvc.Spec.ClusterIPs[1]+"\n") {
			t.Errorf("nslookup web:\n%s", out)
		}
		out, _, _ = execIn(t, c, "client", "nslookup", "web6.default.svc.cluster.local")
		if !strings.Contains(out, "Address: "+services["web6"].Spec.ClusterIP+"\n") || strings.Contains(out, "Address: 10.") {
			t.Errorf("nslookup web6, a SingleStack IPv6 Service, has no A record:\n%s", out)
		}
	})
	t.Run("dig from the host", func(t *testing.T) {
		dnsAddr := c.DNSAddr()
		if !dnsAddr.IsValid() {
			t.Fatal("no DNS address")
		}
		ask := func(name string, qt uint16) []string {
			t.Helper()
			m := new(mdns.Msg)
			m.SetQuestion(name, qt)
			r, _, err := new(mdns.Client).Exchange(m, dnsAddr.String())
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var out []string
			for _, rr := range r.Answer {
				out = append(out, strings.TrimPrefix(rr.String(), rr.Header().String()))
			}
			sort.Strings(out)
			return out
		}
		if got := ask("web.default.svc.cluster.local.", mdns.TypeAAAA); len(got) != 1 || got[0] != services["web"].Spec.ClusterIPs[1] {
			t.Errorf("AAAA web = %v, want %s", got, services["web"].Spec.ClusterIPs[1])
		}
		if got := ask("web6.default.svc.cluster.local.", mdns.TypeA); len(got) != 0 {
			t.Errorf("A web6 = %v, want none", got)
		}
		var want []string
		for _, name := range []string{"web-0", "web-1"} {
			want = append(want, pods[name].Status.PodIPs[0].IP)
		}
		sort.Strings(want)
		if got := ask("headless.default.svc.cluster.local.", mdns.TypeA); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("A headless = %v, want the ready pods' %v", got, want)
		}
		if got := ask("docs.default.svc.cluster.local.", mdns.TypeCNAME); len(got) != 1 || got[0] != "kubernetes.io." {
			t.Errorf("CNAME docs = %v", got)
		}
		ip := netip.MustParseAddr(pods["web-0"].Status.PodIPs[1].IP)
		dashed := strings.ReplaceAll(ip.StringExpanded(), ":", "-")
		if got := ask(dashed+".default.pod.cluster.local.", mdns.TypeAAAA); len(got) != 1 || netip.MustParseAddr(got[0]) != ip {
			t.Errorf("AAAA %s.default.pod = %v, want %s", dashed, got, ip)
		}
	})
	t.Run("proxies", func(t *testing.T) {
		rc := client.CoreV1().RESTClient()
		body, err := rc.Get().AbsPath("/api/v1/namespaces/default/services/web:80/proxy/hostname").DoRaw(ctx)
		if err != nil || !both.Has(strings.TrimSpace(string(body))) {
			t.Errorf("services/proxy: %q, %v", body, err)
		}
		body, err = rc.Get().AbsPath("/api/v1/namespaces/default/pods/web-1:8080/proxy/hostname").DoRaw(ctx)
		if err != nil || strings.TrimSpace(string(body)) != "web-1" {
			t.Errorf("pods/proxy: %q, %v", body, err)
		}
		// client-go reads a 503 as the generic "unable to handle the
		// request"; the Status in the body is upstream's.
		body, err = rc.Get().AbsPath("/api/v1/namespaces/default/services/nobody:80/proxy/").DoRaw(ctx)
		if !apierrors.IsServiceUnavailable(err) || !strings.Contains(string(body), `"message":"no endpoints available for service \"nobody\""`) {
			t.Errorf("services/proxy without endpoints: %v %s", err, body)
		}
	})
}
