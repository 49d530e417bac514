package kubelet

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/api/downwardapi"
	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime"
)

// containerConfig is what the runtime is asked to run.
type containerConfig struct{ runtime.ContainerConfig }

// containerConfig builds the runtime's view of container spec of pod:
// its environment, command, the kubelet's files and volumes as mounts.
func (k *Kubelet) containerConfig(ctx context.Context, pod *corev1.Pod, spec *corev1.Container, sb *sandbox, img runtime.Image, r *containerRun) (containerConfig, error) {
	withIPs := pod.DeepCopy()
	withIPs.Status.PodIPs, withIPs.Status.HostIPs = nil, nil
	for _, ip := range sb.ips {
		withIPs.Status.PodIPs = append(withIPs.Status.PodIPs, corev1.PodIP{IP: ip.String()})
	}
	for _, ip := range k.cfg.NodeIPs {
		withIPs.Status.HostIPs = append(withIPs.Status.HostIPs, corev1.HostIP{IP: ip.String()})
	}
	if len(sb.ips) > 0 {
		withIPs.Status.PodIP = sb.ips[0].String()
	}
	withIPs.Status.HostIP = withIPs.Status.HostIPs[0].IP
	env, err := k.env(ctx, withIPs, spec)
	if err != nil {
		return containerConfig{}, err
	}
	vars := map[string]string{}
	var list []string
	for _, e := range env {
		vars[e.Name] = e.Value
		list = append(list, e.Name+"="+e.Value)
	}
	cfg := containerConfig{runtime.ContainerConfig{
		Name:       spec.Name,
		Image:      img,
		Command:    expandAll(spec.Command, vars),
		Args:       expandAll(spec.Args, vars),
		Env:        list,
		WorkingDir: spec.WorkingDir,
		Stdin:      spec.Stdin,
		StdinOnce:  spec.StdinOnce,
		TTY:        spec.TTY,
	}}
	if managesHosts(spec) {
		cfg.Mounts = append(cfg.Mounts, runtime.Mount{ContainerPath: "/etc/hosts", HostPath: filepath.Join(sb.dir, "etc-hosts")})
	}
	cfg.Mounts = append(cfg.Mounts,
		runtime.Mount{ContainerPath: "/etc/hostname", HostPath: filepath.Join(sb.dir, "etc-hostname")},
		runtime.Mount{ContainerPath: "/etc/resolv.conf", HostPath: filepath.Join(sb.dir, "resolv.conf")})
	volumes := map[string]corev1.Volume{}
	for _, v := range pod.Spec.Volumes {
		volumes[v.Name] = v
	}
	for _, m := range spec.VolumeMounts {
		v, ok := volumes[m.Name]
		if !ok || v.EmptyDir == nil || m.SubPath != "" {
			continue // only emptyDir volumes have files yet
		}
		cfg.Mounts = append(cfg.Mounts, runtime.Mount{ContainerPath: m.MountPath,
			HostPath: filepath.Join(sb.dir, "volumes", "kubernetes.io~empty-dir", v.Name), ReadOnly: m.ReadOnly})
	}
	return cfg, nil
}

// env is the container's environment in the kubelet's order: the
// service links of the kubernetes Service, then the container's own
// (envFrom, then env), each value's $(VAR) references expanded.
func (k *Kubelet) env(ctx context.Context, pod *corev1.Pod, c *corev1.Container) ([]corev1.EnvVar, error) {
	var out []corev1.EnvVar
	vars := map[string]string{}
	set := func(name, value string) {
		if _, ok := vars[name]; !ok {
			out = append(out, corev1.EnvVar{Name: name})
		}
		vars[name] = value
		for i := range out {
			if out[i].Name == name {
				out[i].Value = value
			}
		}
	}
	if k.services != nil {
		if svc, err := k.services.Services(metav1.NamespaceDefault).Get("kubernetes"); err == nil && svc.Spec.ClusterIP != "" && len(svc.Spec.Ports) > 0 {
			ip, port := svc.Spec.ClusterIP, svc.Spec.Ports[0]
			p := fmt.Sprint(port.Port)
			proto := strings.ToLower(string(port.Protocol))
			for _, kv := range [][2]string{
				{"KUBERNETES_SERVICE_HOST", ip}, {"KUBERNETES_SERVICE_PORT", p}, {"KUBERNETES_SERVICE_PORT_HTTPS", p},
				{"KUBERNETES_PORT", proto + "://" + joinHostPort(ip, p)},
				{"KUBERNETES_PORT_" + p + "_" + strings.ToUpper(proto), proto + "://" + joinHostPort(ip, p)},
				{"KUBERNETES_PORT_" + p + "_" + strings.ToUpper(proto) + "_PROTO", proto},
				{"KUBERNETES_PORT_" + p + "_" + strings.ToUpper(proto) + "_PORT", p},
				{"KUBERNETES_PORT_" + p + "_" + strings.ToUpper(proto) + "_ADDR", ip},
			} {
				set(kv[0], kv[1])
			}
		}
	}
	cms := k.cfg.Client.CoreV1()
	for _, from := range c.EnvFrom {
		var data map[string]string
		switch {
		case from.ConfigMapRef != nil:
			cm, err := cms.ConfigMaps(pod.Namespace).Get(ctx, from.ConfigMapRef.Name, metav1.GetOptions{})
			if err != nil {
				if from.ConfigMapRef.Optional != nil && *from.ConfigMapRef.Optional {
					continue
				}
				return nil, fmt.Errorf("configmap %q not found", from.ConfigMapRef.Name)
			}
			data = cm.Data
		case from.SecretRef != nil:
			s, err := cms.Secrets(pod.Namespace).Get(ctx, from.SecretRef.Name, metav1.GetOptions{})
			if err != nil {
				if from.SecretRef.Optional != nil && *from.SecretRef.Optional {
					continue
				}
				return nil, fmt.Errorf("secret %q not found", from.SecretRef.Name)
			}
			data = map[string]string{}
			for key, v := range s.Data {
				data[key] = string(v)
			}
		}
		for key, v := range data {
			set(from.Prefix+key, v)
		}
	}
	for _, e := range c.Env {
		value := expand(e.Value, vars)
		if vf := e.ValueFrom; vf != nil {
			var err error
			switch {
			case vf.FieldRef != nil:
				value, err = downwardapi.FieldRefValue(pod, vf.FieldRef)
			case vf.ResourceFieldRef != nil:
				value, err = downwardapi.ContainerResourceValue(vf.ResourceFieldRef, pod, c, allocatable(k.cfg.Capacity))
			case vf.ConfigMapKeyRef != nil:
				value, err = k.configMapKey(ctx, pod.Namespace, vf.ConfigMapKeyRef)
			case vf.SecretKeyRef != nil:
				value, err = k.secretKey(ctx, pod.Namespace, vf.SecretKeyRef)
			}
			if err != nil {
				return nil, err
			}
		}
		set(e.Name, value)
	}
	return out, nil
}

func (k *Kubelet) configMapKey(ctx context.Context, ns string, ref *corev1.ConfigMapKeySelector) (string, error) {
	optional := ref.Optional != nil && *ref.Optional
	cm, err := k.cfg.Client.CoreV1().ConfigMaps(ns).Get(ctx, ref.Name, metav1.GetOptions{})
	if err != nil {
		if optional {
			return "", nil
		}
		return "", fmt.Errorf("configmap %q not found", ref.Name)
	}
	v, ok := cm.Data[ref.Key]
	if !ok && !optional {
		return "", fmt.Errorf("couldn't find key %s in ConfigMap %s/%s", ref.Key, ns, ref.Name)
	}
	return v, nil
}

func (k *Kubelet) secretKey(ctx context.Context, ns string, ref *corev1.SecretKeySelector) (string, error) {
	optional := ref.Optional != nil && *ref.Optional
	s, err := k.cfg.Client.CoreV1().Secrets(ns).Get(ctx, ref.Name, metav1.GetOptions{})
	if err != nil {
		if optional {
			return "", nil
		}
		return "", fmt.Errorf("secret %q not found", ref.Name)
	}
	v, ok := s.Data[ref.Key]
	if !ok && !optional {
		return "", fmt.Errorf("couldn't find key %s in Secret %s/%s", ref.Key, ns, ref.Name)
	}
	return string(v), nil
}

func joinHostPort(host, port string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + port
	}
	return host + ":" + port
}

func expandAll(list []string, vars map[string]string) []string {
	if list == nil {
		return nil
	}
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = expand(s, vars)
	}
	return out
}

// expand replaces $(VAR) with vars' values, as the kubelet does: $$ is a
// literal $, an unknown or unclosed reference stays as written.
func expand(s string, vars map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			name := s[i+2 : i+2+end]
			if v, ok := vars[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+3+end])
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}
