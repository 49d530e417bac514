package envvars

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Lookup gets the ConfigMaps and Secrets a container's environment refers
// to, typically from a client-go client or informer. When the object does
// not exist it returns an error for which apierrors.IsNotFound is true.
type Lookup interface {
	ConfigMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error)
	Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error)
}

// FieldFunc resolves the env sources this package does not: fieldRef,
// resourceFieldRef and fileKeyRef. Its errors are returned by Resolve as
// they are, so they should carry upstream's texts; ErrOmit instead leaves
// the variable out.
type FieldFunc func(src *corev1.EnvVarSource) (string, error)

var (
	// ErrOmit is returned by a FieldFunc to leave the variable out of the
	// environment, as the kubelet does for an optional source that is
	// missing. Resolve never returns it.
	ErrOmit = errors.New("envvars: omit the variable")

	// ErrNoFieldFunc is returned (wrapped, with the variable's name) by
	// Resolve when an env entry needs a FieldFunc and Input.Fields is nil.
	ErrNoFieldFunc = errors.New("no FieldFunc to resolve fieldRef, resourceFieldRef or fileKeyRef")
)

// ReasonInvalidEnvironmentVariableNames is the reason of the Warning event
// the kubelet records on the pod for each InvalidKeys.
const ReasonInvalidEnvironmentVariableNames = "InvalidEnvironmentVariableNames"

// Kinds of envFrom source, as the kubelet's event message spells them.
const (
	KindConfigMap = "configMap"
	KindSecret    = "secret"
)

// InvalidKeys are the keys of one envFrom source that were skipped because,
// with the source's prefix, they are not valid environment variable names.
type InvalidKeys struct {
	Kind      string   // KindConfigMap or KindSecret
	Namespace string   // the pod's namespace
	Name      string   // the ConfigMap's or Secret's name
	Keys      []string // prefixed and sorted, as in the event
}

// Message is the kubelet's event message for k.
func (k InvalidKeys) Message() string {
	return fmt.Sprintf("Keys [%s] from the EnvFrom %s %s/%s were skipped since they are considered invalid environment variable names.",
		strings.Join(k.Keys, ", "), k.Kind, k.Namespace, k.Name)
}

// Input is what Resolve needs for one container.
type Input struct {
	// Namespace is the pod's, where ConfigMaps and Secrets are looked up.
	Namespace string
	// Container's env and envFrom are resolved; nil has neither.
	Container *corev1.Container
	// Services are the service variables, usually ServiceMap's result.
	Services []corev1.EnvVar
	// Lookup gets ConfigMaps and Secrets; without one, any reference to
	// them fails as on a kubelet without an API client.
	Lookup Lookup
	// Fields resolves fieldRef, resourceFieldRef and fileKeyRef.
	Fields FieldFunc
}

// Result is a container's environment.
type Result struct {
	// Env is the final environment: service variables, then envFrom's,
	// then env's, a name set again keeping its first position.
	Env []corev1.EnvVar
	// Invalid lists the envFrom keys skipped as invalid names, one entry
	// per source, for the caller to record as Warning events with
	// ReasonInvalidEnvironmentVariableNames.
	Invalid []InvalidKeys
}

// Resolve computes a container's environment as the kubelet's
// makeEnvironmentVariables does. EnvFrom sources are applied in order (a
// ConfigMapRef taking precedence over a SecretRef in the same entry), each
// key prefixed and kept only if validation.IsEnvVarName accepts it; a
// missing source is skipped if optional. Then each env entry is set in
// order: a non-empty value has its $(VAR) references expanded against the
// variables set so far (service variables included); otherwise valueFrom
// is resolved, an optional configMapKeyRef or secretKeyRef whose object or
// key is missing leaving the variable out.
//
// Errors carry the kubelet's texts unwrapped, since users see them as a
// CreateContainerConfigError message: a missing object is `configmap "x"
// not found` or `secret "x" not found`, a missing key `couldn't find key K
// in ConfigMap ns/name` (or Secret), and other Lookup and Fields errors are
// returned as they are. On error, Result.Invalid still holds the sources
// found invalid before it, whose events the kubelet has already recorded.
func Resolve(ctx context.Context, in Input) (Result, error) {
	r := resolver{in: in, configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{}}
	for _, v := range in.Services {
		r.env.set(v.Name, v.Value)
	}
	if in.Container == nil {
		return Result{Env: r.env.vars}, nil
	}
	for _, from := range in.Container.EnvFrom {
		if err := r.envFrom(ctx, from); err != nil {
			return Result{Invalid: r.invalid}, err
		}
	}
	for _, e := range in.Container.Env {
		value, ok, err := r.value(ctx, e)
		if err != nil {
			return Result{Invalid: r.invalid}, err
		}
		if ok {
			r.env.set(e.Name, value)
		}
	}
	return Result{Env: r.env.vars, Invalid: r.invalid}, nil
}

// resolver holds one Resolve call's state; objects are fetched once per
// call, as the kubelet caches them per container.
type resolver struct {
	in         Input
	env        envList
	invalid    []InvalidKeys
	configMaps map[string]*corev1.ConfigMap
	secrets    map[string]*corev1.Secret
}

func (r *resolver) envFrom(ctx context.Context, from corev1.EnvFromSource) error {
	var (
		kind, name string
		data       map[string]string
	)
	switch {
	case from.ConfigMapRef != nil:
		kind, name = KindConfigMap, from.ConfigMapRef.Name
		cm, err := r.configMap(ctx, name)
		if err != nil {
			if apierrors.IsNotFound(err) && isTrue(from.ConfigMapRef.Optional) {
				return nil
			}
			return err
		}
		data = cm.Data
	case from.SecretRef != nil:
		kind, name = KindSecret, from.SecretRef.Name
		s, err := r.secret(ctx, name)
		if err != nil {
			if apierrors.IsNotFound(err) && isTrue(from.SecretRef.Optional) {
				return nil
			}
			return err
		}
		data = make(map[string]string, len(s.Data))
		for k, v := range s.Data {
			data[k] = string(v)
		}
	default:
		return nil
	}

	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var invalid []string // sorted, as keys are and prefixing keeps order
	for _, k := range keys {
		varName := from.Prefix + k
		if len(validation.IsEnvVarName(varName)) != 0 {
			invalid = append(invalid, varName)
			continue
		}
		r.env.set(varName, data[k])
	}
	if len(invalid) > 0 {
		r.invalid = append(r.invalid, InvalidKeys{Kind: kind, Namespace: r.in.Namespace, Name: name, Keys: invalid})
	}
	return nil
}

// value returns e's value, or ok false if e is to be left out.
func (r *resolver) value(ctx context.Context, e corev1.EnvVar) (value string, ok bool, err error) {
	if e.Value != "" {
		return Expand(e.Value, r.env.lookup), true, nil
	}
	src := e.ValueFrom
	switch {
	case src == nil:
		return "", true, nil
	case src.ConfigMapKeyRef != nil:
		ref := src.ConfigMapKeyRef
		optional := isTrue(ref.Optional)
		cm, err := r.configMap(ctx, ref.Name)
		if err != nil {
			if apierrors.IsNotFound(err) && optional {
				return "", false, nil
			}
			return "", false, err
		}
		v, found := cm.Data[ref.Key]
		if !found {
			if optional {
				return "", false, nil
			}
			return "", false, fmt.Errorf("couldn't find key %v in ConfigMap %v/%v", ref.Key, r.in.Namespace, ref.Name)
		}
		return v, true, nil
	case src.SecretKeyRef != nil:
		ref := src.SecretKeyRef
		optional := isTrue(ref.Optional)
		s, err := r.secret(ctx, ref.Name)
		if err != nil {
			if apierrors.IsNotFound(err) && optional {
				return "", false, nil
			}
			return "", false, err
		}
		v, found := s.Data[ref.Key]
		if !found {
			if optional {
				return "", false, nil
			}
			return "", false, fmt.Errorf("couldn't find key %v in Secret %v/%v", ref.Key, r.in.Namespace, ref.Name)
		}
		return string(v), true, nil
	case src.FieldRef != nil, src.ResourceFieldRef != nil, src.FileKeyRef != nil:
		if r.in.Fields == nil {
			return "", false, fmt.Errorf("env %s: %w", e.Name, ErrNoFieldFunc)
		}
		v, err := r.in.Fields(src)
		if errors.Is(err, ErrOmit) {
			return "", false, nil
		}
		if err != nil {
			return "", false, err
		}
		return v, true, nil
	default:
		return "", true, nil
	}
}

// configMap returns the named ConfigMap of the pod's namespace. A missing
// one is reported with the kubelet's text (its watch-based manager names
// the resource "configmap"), whatever the Lookup said.
func (r *resolver) configMap(ctx context.Context, name string) (*corev1.ConfigMap, error) {
	if cm, ok := r.configMaps[name]; ok {
		return cm, nil
	}
	if r.in.Lookup == nil {
		return nil, fmt.Errorf("couldn't get configMap %v/%v, no kubeClient defined", r.in.Namespace, name)
	}
	cm, err := r.in.Lookup.ConfigMap(ctx, r.in.Namespace, name)
	if (err == nil && cm == nil) || apierrors.IsNotFound(err) {
		return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "configmap"}, name)
	}
	if err != nil {
		return nil, err
	}
	r.configMaps[name] = cm
	return cm, nil
}

// secret is configMap for Secrets.
func (r *resolver) secret(ctx context.Context, name string) (*corev1.Secret, error) {
	if s, ok := r.secrets[name]; ok {
		return s, nil
	}
	if r.in.Lookup == nil {
		return nil, fmt.Errorf("couldn't get secret %v/%v, no kubeClient defined", r.in.Namespace, name)
	}
	s, err := r.in.Lookup.Secret(ctx, r.in.Namespace, name)
	if (err == nil && s == nil) || apierrors.IsNotFound(err) {
		return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "secret"}, name)
	}
	if err != nil {
		return nil, err
	}
	r.secrets[name] = s
	return s, nil
}

func isTrue(b *bool) bool { return b != nil && *b }
