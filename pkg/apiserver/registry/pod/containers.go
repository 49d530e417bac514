package pod

import (
	"fmt"
	"reflect"
	"unicode"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/fieldcheck"
)

// containerContext is what container validation needs from the pod spec.
type containerContext struct {
	volumes          map[string]corev1.VolumeSource // the valid volumes, by name
	podClaims        sets.Set[string]               // spec.resourceClaims names
	gracePeriod      *int64
	podRestartPolicy corev1.RestartPolicy
	hostUsers        bool
}

// containerRestartPolicies are the values a container's restartPolicy may
// take. ContainerRestartRules is beta (on) since v1.35, so regular containers
// may set one too, and init containers are not limited to Always.
var containerRestartPolicies = []corev1.ContainerRestartPolicy{
	corev1.ContainerRestartPolicyAlways, corev1.ContainerRestartPolicyOnFailure, corev1.ContainerRestartPolicyNever,
}

func validateContainerRestartPolicy(p *corev1.ContainerRestartPolicy, fldPath *field.Path) field.ErrorList {
	if p == nil {
		return nil
	}
	for _, v := range containerRestartPolicies {
		if *p == v {
			return nil
		}
	}
	return field.ErrorList{field.NotSupported(fldPath, *p, containerRestartPolicies)}
}

func validateContainers(containers []corev1.Container, ctx containerContext, fldPath *field.Path) field.ErrorList {
	if len(containers) == 0 {
		return field.ErrorList{field.Required(fldPath, "")}
	}
	var allErrs field.ErrorList
	names := sets.New[string]()
	for i := range containers {
		c := &containers[i]
		path := fldPath.Index(i)
		allErrs = append(allErrs, validateContainerCommon(c, ctx, path)...)
		// Clashes with init and ephemeral containers are reported there.
		if names.Has(c.Name) {
			allErrs = append(allErrs, field.Duplicate(path.Child("name"), c.Name))
		} else {
			names.Insert(c.Name)
		}
		if c.Lifecycle != nil {
			allErrs = append(allErrs, validateLifecycle(c.Lifecycle, ctx.gracePeriod, path.Child("lifecycle"))...)
		}
		allErrs = append(allErrs, validateLivenessProbe(c.LivenessProbe, ctx.gracePeriod, path.Child("livenessProbe"))...)
		allErrs = append(allErrs, validateReadinessProbe(c.ReadinessProbe, ctx.gracePeriod, path.Child("readinessProbe"))...)
		allErrs = append(allErrs, validateStartupProbe(c.StartupProbe, ctx.gracePeriod, path.Child("startupProbe"))...)
		allErrs = append(allErrs, validateContainerRestartPolicy(c.RestartPolicy, path.Child("restartPolicy"))...)
	}
	// Host ports may not clash across the regular containers.
	allErrs = append(allErrs, checkHostPortConflicts(containers, fldPath)...)
	return allErrs
}

func validateInitContainers(containers, regular []corev1.Container, ctx containerContext, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	names := sets.New[string]()
	for _, c := range regular {
		names.Insert(c.Name)
	}
	for i := range containers {
		c := &containers[i]
		path := fldPath.Index(i)
		allErrs = append(allErrs, validateContainerCommon(c, ctx, path)...)
		allErrs = append(allErrs, validateContainerRestartPolicy(c.RestartPolicy, path.Child("restartPolicy"))...)
		sidecar := c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
		if names.Has(c.Name) {
			allErrs = append(allErrs, field.Duplicate(path.Child("name"), c.Name))
		} else if c.Name != "" {
			names.Insert(c.Name)
		}
		// Init containers run one at a time, so only a container's own ports
		// may clash.
		allErrs = append(allErrs, checkHostPortConflicts(containers[i:i+1], fldPath)...)
		if sidecar {
			if c.Lifecycle != nil {
				allErrs = append(allErrs, validateLifecycle(c.Lifecycle, ctx.gracePeriod, path.Child("lifecycle"))...)
			}
			allErrs = append(allErrs, validateLivenessProbe(c.LivenessProbe, ctx.gracePeriod, path.Child("livenessProbe"))...)
			allErrs = append(allErrs, validateReadinessProbe(c.ReadinessProbe, ctx.gracePeriod, path.Child("readinessProbe"))...)
			allErrs = append(allErrs, validateStartupProbe(c.StartupProbe, ctx.gracePeriod, path.Child("startupProbe"))...)
			continue
		}
		const msg = "may not be set for init containers without restartPolicy=Always"
		if c.Lifecycle != nil {
			allErrs = append(allErrs, field.Forbidden(path.Child("lifecycle"), msg))
		}
		if c.LivenessProbe != nil {
			allErrs = append(allErrs, field.Forbidden(path.Child("livenessProbe"), msg))
		}
		if c.ReadinessProbe != nil {
			allErrs = append(allErrs, field.Forbidden(path.Child("readinessProbe"), msg))
		}
		if c.StartupProbe != nil {
			allErrs = append(allErrs, field.Forbidden(path.Child("startupProbe"), msg))
		}
	}
	return allErrs
}

// allowedEphemeralContainerFields lists the EphemeralContainerCommon fields an
// ephemeral container may set; any other field must stay zero.
var allowedEphemeralContainerFields = sets.New(
	"Name", "Image", "Command", "Args", "WorkingDir", "EnvFrom", "Env", "VolumeMounts", "VolumeDevices",
	"TerminationMessagePath", "TerminationMessagePolicy", "ImagePullPolicy", "SecurityContext",
	"Stdin", "StdinOnce", "TTY",
)

func validateEphemeralContainers(ephemeral []corev1.EphemeralContainer, containers, initContainers []corev1.Container, ctx containerContext, fldPath *field.Path) field.ErrorList {
	if len(ephemeral) == 0 {
		return nil
	}
	var allErrs field.ErrorList
	others, all := sets.New[string](), sets.New[string]()
	for _, c := range containers {
		others.Insert(c.Name)
		all.Insert(c.Name)
	}
	for _, c := range initContainers {
		others.Insert(c.Name)
		all.Insert(c.Name)
	}
	for i := range ephemeral {
		ec := &ephemeral[i]
		path := fldPath.Index(i)
		c := (*corev1.Container)(&ec.EphemeralContainerCommon)
		allErrs = append(allErrs, validateContainerCommon(c, ctx, path)...)
		allErrs = append(allErrs, validateImageWhitespace(c.Image, path)...)
		if all.Has(ec.Name) {
			allErrs = append(allErrs, field.Duplicate(path.Child("name"), ec.Name))
		} else {
			all.Insert(ec.Name)
		}
		if ec.TargetContainerName != "" && !others.Has(ec.TargetContainerName) {
			allErrs = append(allErrs, field.NotFound(path.Child("targetContainerName"), ec.TargetContainerName))
		}
		// Ephemeral containers may not carry probes, ports, resources and the
		// like.
		for _, name := range setFields(ec.EphemeralContainerCommon, allowedEphemeralContainerFields) {
			allErrs = append(allErrs, field.Forbidden(path.Child(name), "cannot be set for an Ephemeral Container"))
		}
		for j, vm := range ec.VolumeMounts {
			if vm.SubPath != "" {
				allErrs = append(allErrs, field.Forbidden(path.Child("volumeMounts").Index(j).Child("subPath"), "cannot be set for an Ephemeral Container"))
			}
			if vm.SubPathExpr != "" {
				allErrs = append(allErrs, field.Forbidden(path.Child("volumeMounts").Index(j).Child("subPathExpr"), "cannot be set for an Ephemeral Container"))
			}
		}
	}
	return allErrs
}

// setFields returns the fields of the struct v that are set but not allowed,
// named as upstream's validateFieldAllowList names them: the Go name with its
// first letter lower-cased (so UID would be "uID").
func setFields(v any, allowed sets.Set[string]) []string {
	var names []string
	rv := reflect.ValueOf(v)
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Type().Field(i)
		if allowed.Has(f.Name) || rv.Field(i).IsZero() {
			continue
		}
		r, n := utf8.DecodeRuneInString(f.Name)
		names = append(names, string(unicode.ToLower(r))+f.Name[n:])
	}
	return names
}

// validateContainerCommon applies to every kind of container.
func validateContainerCommon(c *corev1.Container, ctx containerContext, path *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	namePath := path.Child("name")
	if c.Name == "" {
		allErrs = append(allErrs, field.Required(namePath, ""))
	} else {
		allErrs = append(allErrs, validateDNS1123Label(c.Name, namePath)...)
	}
	if c.Image == "" {
		allErrs = append(allErrs, field.Required(path.Child("image"), ""))
	}
	switch c.TerminationMessagePolicy {
	case corev1.TerminationMessageReadFile, corev1.TerminationMessageFallbackToLogsOnError:
	case "":
		allErrs = append(allErrs, field.Required(path.Child("terminationMessagePolicy"), ""))
	default:
		allErrs = append(allErrs, field.NotSupported(path.Child("terminationMessagePolicy"), c.TerminationMessagePolicy,
			[]corev1.TerminationMessagePolicy{corev1.TerminationMessageReadFile, corev1.TerminationMessageFallbackToLogsOnError}))
	}
	mounts := make(map[string]string, len(c.VolumeMounts))
	for _, m := range c.VolumeMounts {
		mounts[m.Name] = m.MountPath
	}
	devices := make(map[string]string, len(c.VolumeDevices))
	for _, d := range c.VolumeDevices {
		devices[d.Name] = d.DevicePath
	}
	allErrs = append(allErrs, validateContainerPorts(c.Ports, path.Child("ports"))...)
	allErrs = append(allErrs, validateEnv(c.Env, path.Child("env"))...)
	allErrs = append(allErrs, validateEnvFrom(c.EnvFrom, path.Child("envFrom"))...)
	allErrs = append(allErrs, validateVolumeMounts(c.VolumeMounts, devices, ctx.volumes, c, path.Child("volumeMounts"))...)
	allErrs = append(allErrs, validateVolumeDevices(c.VolumeDevices, mounts, ctx.volumes, path.Child("volumeDevices"))...)
	allErrs = append(allErrs, validatePullPolicy(c.ImagePullPolicy, path.Child("imagePullPolicy"))...)
	allErrs = append(allErrs, validateResourceRequirements(&c.Resources, ctx.podClaims, path.Child("resources"))...)
	allErrs = append(allErrs, validateResizePolicy(c.ResizePolicy, path.Child("resizePolicy"), ctx.podRestartPolicy)...)
	allErrs = append(allErrs, validateSecurityContext(c.SecurityContext, path.Child("securityContext"), ctx.hostUsers)...)
	return allErrs
}

func validateContainerPorts(ports []corev1.ContainerPort, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	names := sets.New[string]()
	for i, p := range ports {
		idxPath := fldPath.Index(i)
		if p.Name != "" {
			if msgs := validation.IsValidPortName(p.Name); len(msgs) != 0 {
				allErrs = append(allErrs, fieldcheck.Invalid(idxPath.Child("name"), p.Name, msgs)...)
			} else if names.Has(p.Name) {
				allErrs = append(allErrs, field.Duplicate(idxPath.Child("name"), p.Name))
			} else {
				names.Insert(p.Name)
			}
		}
		if p.ContainerPort == 0 {
			allErrs = append(allErrs, field.Required(idxPath.Child("containerPort"), ""))
		} else {
			allErrs = append(allErrs, fieldcheck.Invalid(idxPath.Child("containerPort"), p.ContainerPort, validation.IsValidPortNum(int(p.ContainerPort)))...)
		}
		if p.HostPort != 0 {
			allErrs = append(allErrs, fieldcheck.Invalid(idxPath.Child("hostPort"), p.HostPort, validation.IsValidPortNum(int(p.HostPort)))...)
		}
		allErrs = append(allErrs, fieldcheck.PortProtocol(p.Protocol, idxPath.Child("protocol"))...)
	}
	return allErrs
}

// checkHostPortConflicts reports a protocol/hostIP/hostPort triple used twice.
func checkHostPortConflicts(containers []corev1.Container, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	seen := sets.New[string]()
	for ci, c := range containers {
		for pi, p := range c.Ports {
			if p.HostPort == 0 {
				continue
			}
			key := fmt.Sprintf("%s/%s/%d", p.Protocol, p.HostIP, p.HostPort)
			if seen.Has(key) {
				allErrs = append(allErrs, field.Duplicate(fldPath.Index(ci).Child("ports").Index(pi).Child("hostPort"), key))
			} else {
				seen.Insert(key)
			}
		}
	}
	return allErrs
}

func validatePullPolicy(p corev1.PullPolicy, fldPath *field.Path) field.ErrorList {
	return fieldcheck.Enum(p, fldPath, corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever)
}

func validateResizePolicy(policies []corev1.ContainerResizePolicy, fldPath *field.Path, podRestartPolicy corev1.RestartPolicy) field.ErrorList {
	var allErrs field.ErrorList
	seen := sets.New[corev1.ResourceName]()
	for i, p := range policies {
		if seen.Has(p.ResourceName) {
			allErrs = append(allErrs, field.Duplicate(fldPath.Index(i), p.ResourceName))
		}
		seen.Insert(p.ResourceName)
		switch p.ResourceName {
		case corev1.ResourceCPU, corev1.ResourceMemory:
		case "":
			allErrs = append(allErrs, field.Required(fldPath, ""))
		default:
			allErrs = append(allErrs, field.NotSupported(fldPath, p.ResourceName, []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory}))
		}
		switch p.RestartPolicy {
		case corev1.NotRequired, corev1.RestartContainer:
		case "":
			allErrs = append(allErrs, field.Required(fldPath, ""))
		default:
			allErrs = append(allErrs, field.NotSupported(fldPath, p.RestartPolicy, []corev1.ResourceResizeRestartPolicy{corev1.NotRequired, corev1.RestartContainer}))
		}
		if podRestartPolicy == corev1.RestartPolicyNever && p.RestartPolicy != corev1.NotRequired {
			allErrs = append(allErrs, field.Invalid(fldPath, p.RestartPolicy, "must be 'NotRequired' when `restartPolicy` is 'Never'"))
		}
	}
	return allErrs
}
