package envvars

import (
	"net"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// masterService is the Service whose links every pod gets, from the master
// service namespace, even with enableServiceLinks false.
const masterService = "kubernetes"

// FromServices returns the docker-link style variables for services, in the
// order given: for each service with a cluster IP (not "None" nor empty)
// and at least one port, <NAME>_SERVICE_HOST, <NAME>_SERVICE_PORT (first
// port), <NAME>_SERVICE_PORT_<PORTNAME> for each named port, <NAME>_PORT
// (first port's URL), and for each port <NAME>_PORT_<port>_<PROTO> with its
// _PROTO, _PORT and _ADDR. NAME is the service name upper-cased with '-'
// turned into '_'; an IPv6 cluster IP is bracketed in the URLs only. Nil
// services are skipped. Names are not deduplicated; see ServiceMap.
func FromServices(services []*corev1.Service) []corev1.EnvVar {
	var out []corev1.EnvVar
	for _, svc := range services {
		if svc == nil || !hasClusterIP(svc) || len(svc.Spec.Ports) == 0 {
			// Upstream would index Ports[0] here; API validation keeps
			// ClusterIP services from having no ports, so skipping is safe.
			continue
		}
		out = appendServiceVars(out, svc)
	}
	return out
}

func appendServiceVars(out []corev1.EnvVar, svc *corev1.Service) []corev1.EnvVar {
	prefix := envName(svc.Name)
	ip := svc.Spec.ClusterIP
	ports := svc.Spec.Ports
	add := func(name, value string) { out = append(out, corev1.EnvVar{Name: name, Value: value}) }

	add(prefix+"_SERVICE_HOST", ip)
	add(prefix+"_SERVICE_PORT", strconv.Itoa(int(ports[0].Port)))
	for _, p := range ports {
		if p.Name != "" {
			add(prefix+"_SERVICE_PORT_"+envName(p.Name), strconv.Itoa(int(p.Port)))
		}
	}
	for i, p := range ports {
		proto := string(p.Protocol)
		if proto == "" {
			proto = string(corev1.ProtocolTCP)
		}
		lower := strings.ToLower(proto)
		port := strconv.Itoa(int(p.Port))
		url := lower + "://" + net.JoinHostPort(ip, port)
		if i == 0 {
			add(prefix+"_PORT", url)
		}
		base := prefix + "_PORT_" + port + "_" + strings.ToUpper(proto)
		add(base, url)
		add(base+"_PROTO", lower)
		add(base+"_PORT", port)
		add(base+"_ADDR", ip)
	}
	return out
}

// envName is upstream's makeEnvVariableName: upper case, '-' to '_'.
func envName(s string) string {
	return strings.ToUpper(strings.ReplaceAll(s, "-", "_"))
}

// hasClusterIP is upstream's IsServiceIPSet.
func hasClusterIP(svc *corev1.Service) bool {
	return svc.Spec.ClusterIP != corev1.ClusterIPNone && svc.Spec.ClusterIP != ""
}

// ServiceMap returns the service variables a pod in namespace sees, as the
// kubelet's getServiceEnvVarMap picks them from all services: the
// "kubernetes" Service of masterServiceNamespace ("" means "default")
// always, and with enableServiceLinks also every service of namespace, a
// same-named one there replacing the master's. Services without a cluster
// IP are ignored. The chosen services are sorted by name and passed to
// FromServices; a variable name produced twice keeps its first position and
// the later value, as upstream's map keeps one.
func ServiceMap(namespace string, enableServiceLinks bool, services []*corev1.Service, masterServiceNamespace string) []corev1.EnvVar {
	if masterServiceNamespace == "" {
		masterServiceNamespace = metav1.NamespaceDefault
	}
	chosen := map[string]*corev1.Service{}
	for _, svc := range services {
		if svc == nil || !hasClusterIP(svc) {
			continue
		}
		switch {
		case svc.Namespace == masterServiceNamespace && svc.Name == masterService:
			if _, ok := chosen[svc.Name]; !ok {
				chosen[svc.Name] = svc
			}
		case svc.Namespace == namespace && enableServiceLinks:
			chosen[svc.Name] = svc
		}
	}
	list := make([]*corev1.Service, 0, len(chosen))
	for _, svc := range chosen {
		list = append(list, svc)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })

	var env envList
	for _, v := range FromServices(list) {
		env.set(v.Name, v.Value)
	}
	return env.vars
}

// envList is an ordered map of variables: set keeps a name's first position
// and its last value.
type envList struct {
	vars  []corev1.EnvVar
	index map[string]int
}

func (l *envList) set(name, value string) {
	if i, ok := l.index[name]; ok {
		l.vars[i].Value = value
		return
	}
	if l.index == nil {
		l.index = map[string]int{}
	}
	l.index[name] = len(l.vars)
	l.vars = append(l.vars, corev1.EnvVar{Name: name, Value: value})
}

func (l *envList) lookup(name string) (string, bool) {
	i, ok := l.index[name]
	if !ok {
		return "", false
	}
	return l.vars[i].Value, true
}
