package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
)

// routes are the kubelet paths of node n.
func (s *Server) routes(n *node) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", healthz)
	mux.HandleFunc("GET /healthz/{check}", healthz)
	mux.HandleFunc("GET /pods", func(w http.ResponseWriter, r *http.Request) { writePods(w, r, n.provider.Pods()) })
	running := func(w http.ResponseWriter, r *http.Request) { writePods(w, r, runningPods(n.provider)) }
	mux.HandleFunc("GET /runningpods/{$}", running)
	mux.HandleFunc("GET /runningpods", running)
	mux.HandleFunc("GET /containerLogs/{namespace}/{pod}/{container}", func(w http.ResponseWriter, r *http.Request) {
		s.containerLogs(w, r, n.provider)
	})
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		for _, path := range []string{"/{namespace}/{pod}/{container}", "/{namespace}/{pod}/{uid}/{container}"} {
			mux.HandleFunc(method+" /exec"+path, func(w http.ResponseWriter, r *http.Request) { s.exec(w, r, n.provider) })
			mux.HandleFunc(method+" /attach"+path, func(w http.ResponseWriter, r *http.Request) { s.attach(w, r, n.provider) })
		}
		for _, path := range []string{"/{namespace}/{pod}", "/{namespace}/{pod}/{uid}"} {
			mux.HandleFunc(method+" /portForward"+path, func(w http.ResponseWriter, r *http.Request) { s.portForward(w, r, n.provider) })
		}
	}
	return mux
}

// healthChecks are the checks the kubelet's /healthz reports, in its order. The fake
// kubelet's sync loop never stalls, so all pass.
func healthChecks() []string { return []string{"ping", "log", "syncloop"} }

// healthz is the kubelet's /healthz: "ok", or each check's line with ?verbose, and
// /healthz/<check> for one check.
func healthz(w http.ResponseWriter, r *http.Request) {
	if check := r.PathValue("check"); check != "" {
		known := false
		for _, c := range healthChecks() {
			known = known || c == check
		}
		if !known {
			http.NotFound(w, r)
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if _, verbose := r.URL.Query()["verbose"]; !verbose || r.PathValue("check") != "" {
		_, _ = io.WriteString(w, "ok")
		return
	}
	for _, c := range healthChecks() {
		_, _ = fmt.Fprintf(w, "[+]%s ok\n", c)
	}
	_, _ = io.WriteString(w, "healthz check passed\n")
}

// writePods writes a v1 PodList as the kubelet's /pods does.
func writePods(w http.ResponseWriter, r *http.Request, pods []*corev1.Pod) {
	list := corev1.PodList{TypeMeta: metav1.TypeMeta{Kind: "PodList", APIVersion: "v1"}}
	for _, p := range pods {
		list.Items = append(list.Items, *p)
	}
	sort.Slice(list.Items, func(i, j int) bool {
		a, b := list.Items[i], list.Items[j]
		return a.Namespace < b.Namespace || a.Namespace == b.Namespace && a.Name < b.Name
	})
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(&list); err != nil {
		klog.FromContext(r.Context()).V(4).Info("Writing pods failed", "err", err)
	}
}

// runningPods are the pods with running containers as the runtime reports them, which
// is what /runningpods/ shows: name, namespace, UID and the running containers' names and
// images, nothing else.
func runningPods(p Provider) []*corev1.Pod {
	var out []*corev1.Pod
	for _, pod := range p.Pods() {
		images := map[string]string{}
		for _, list := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses, pod.Status.EphemeralContainerStatuses} {
			for _, st := range list {
				images[st.Name] = st.Image
			}
		}
		rp := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID}}
		for _, name := range containerNames(pod) {
			if _, ok := p.Running(pod, name); ok {
				rp.Spec.Containers = append(rp.Spec.Containers, corev1.Container{Name: name, Image: images[name]})
			}
		}
		if len(rp.Spec.Containers) > 0 {
			out = append(out, rp)
		}
	}
	return out
}

// containerNames are the names of all of pod's containers: init, regular, ephemeral.
func containerNames(pod *corev1.Pod) []string {
	var names []string
	for _, c := range pod.Spec.InitContainers {
		names = append(names, c.Name)
	}
	for _, c := range pod.Spec.Containers {
		names = append(names, c.Name)
	}
	for _, c := range pod.Spec.EphemeralContainers {
		names = append(names, c.Name)
	}
	return names
}

// containerSpec is pod's container name, of any kind, or nil.
func containerSpec(pod *corev1.Pod, name string) *corev1.Container {
	for i := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[i].Name == name {
			return &pod.Spec.InitContainers[i]
		}
	}
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			return &pod.Spec.Containers[i]
		}
	}
	for i := range pod.Spec.EphemeralContainers {
		if pod.Spec.EphemeralContainers[i].Name == name {
			c := corev1.Container(pod.Spec.EphemeralContainers[i].EphemeralContainerCommon)
			return &c
		}
	}
	return nil
}
