package kubelet

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/api/downwardapi"
	"github.com/fakecluster/fakecluster/pkg/kubelet/envvars"
	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime"
	"github.com/fakecluster/fakecluster/pkg/kubelet/volumes"
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
	vars := envvars.Mapping(env)
	list := make([]string, 0, len(env))
	for _, e := range env {
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
	for _, m := range spec.VolumeMounts {
		vol, ok := sb.volumes[m.Name]
		if !ok {
			continue // a kind of volume fakecluster does not set up
		}
		host := vol.Path
		sub := m.SubPath
		if m.SubPathExpr != "" {
			sub = envvars.Expand(m.SubPathExpr, vars)
		}
		if sub != "" {
			var err error
			if host, err = subPath(host, sub); err != nil {
				return containerConfig{}, err
			}
		}
		cfg.Mounts = append(cfg.Mounts, runtime.Mount{ContainerPath: m.MountPath, HostPath: host, ReadOnly: m.ReadOnly || vol.ReadOnly})
	}
	return cfg, nil
}

// subPath is the folder or file sub of the volume at host, created as a
// folder if missing, as the kubelet does. API validation keeps subPaths
// relative and without "..", and subPathExpr is checked here after its
// expansion; a symlink in the volume (a container may plant one) that
// leads outside it is refused, and os.Root keeps the folder's creation
// inside.
func subPath(host, sub string) (string, error) {
	if !filepath.IsLocal(sub) {
		//lint:ignore ST1005 the kubelet's own event text.
		return "", fmt.Errorf("failed to prepare subPath for volumeMount: subpath %q must be a relative path without ..", sub)
	}
	if err := volumes.CheckSubPath(host, sub); err != nil {
		return "", fmt.Errorf("failed to prepare subPath for volumeMount: %w", err)
	}
	root, err := os.OpenRoot(host)
	if err != nil {
		return "", err
	}
	defer root.Close()
	if _, err := root.Lstat(sub); errors.Is(err, fs.ErrNotExist) {
		if err := root.MkdirAll(sub, 0o750); err != nil {
			return "", err
		}
	} else if err != nil {
		return "", err
	}
	return filepath.Join(host, sub), nil
}

// env is the container's environment in the kubelet's order: the service
// links, then the container's own (envFrom, then env), each value's $(VAR)
// references expanded. envFrom keys that are not variable names are
// skipped with the kubelet's event.
func (k *Kubelet) env(ctx context.Context, pod *corev1.Pod, c *corev1.Container) ([]corev1.EnvVar, error) {
	var services []*corev1.Service
	if k.services != nil {
		services, _ = k.services.List(labels.Everything())
	}
	res, err := envvars.Resolve(ctx, envvars.Input{
		Namespace: pod.Namespace,
		Container: c,
		Services:  envvars.ServiceMap(pod.Namespace, ptr.Deref(pod.Spec.EnableServiceLinks, true), services, metav1.NamespaceDefault),
		Lookup:    apiSource{k},
		Fields: func(src *corev1.EnvVarSource) (string, error) {
			switch {
			case src.FieldRef != nil:
				return downwardapi.FieldRefValue(pod, src.FieldRef)
			case src.ResourceFieldRef != nil:
				return downwardapi.ContainerResourceValue(src.ResourceFieldRef, pod, c, allocatable(k.cfg.Capacity))
			}
			return "", errors.New("fileKeyRef is not supported by fakecluster's kubelet")
		},
	})
	for _, inv := range res.Invalid {
		k.recorder.Event(pod, corev1.EventTypeWarning, envvars.ReasonInvalidEnvironmentVariableNames, inv.Message())
	}
	return res.Env, err
}

func expandAll(list []string, vars func(string) (string, bool)) []string {
	if list == nil {
		return nil
	}
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = envvars.Expand(s, vars)
	}
	return out
}
