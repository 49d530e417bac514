package envvars

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

const ns = "app"

func configMap(name string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: data}
}

func secret(name string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

// objects is the namespace's ConfigMaps and Secrets, plus one elsewhere.
func objects() *fakeLookup {
	f := &fakeLookup{configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{}}
	for _, cm := range []*corev1.ConfigMap{
		configMap("settings", map[string]string{"LOG_LEVEL": "debug", "ZONE": "a", "KUBERNETES_SERVICE_HOST": "from-configmap"}),
		configMap("messy", map[string]string{"ok": "1", "1starts-with-digit": "2", "has space": "3", "dots.and-dashes": "4", "..": "5", "x=y": "6"}),
		configMap("empty", nil),
	} {
		f.configMaps[ns+"/"+cm.Name] = cm
	}
	f.configMaps["other/settings"] = configMap("settings", map[string]string{"LOG_LEVEL": "wrong namespace"})
	f.configMaps["other/only-elsewhere"] = configMap("only-elsewhere", map[string]string{"LOG_LEVEL": "wrong namespace"})
	for _, s := range []*corev1.Secret{
		secret("creds", map[string]string{"USER": "admin", "PASSWORD": "s3cr$(ZONE)t", "bad key": "x"}),
		secret("tls", map[string]string{"tls.crt": "CERT"}),
	} {
		f.secrets[ns+"/"+s.Name] = s
	}
	return f
}

func cmRef(name string, optional bool) *corev1.ConfigMapEnvSource {
	return &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Optional: opt(optional)}
}

func secretRef(name string, optional bool) *corev1.SecretEnvSource {
	return &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Optional: opt(optional)}
}

func cmKey(varName, name, key string, optional bool) corev1.EnvVar {
	return corev1.EnvVar{Name: varName, ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key, Optional: opt(optional)}}}
}

func secretKey(varName, name, key string, optional bool) corev1.EnvVar {
	return corev1.EnvVar{Name: varName, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key, Optional: opt(optional)}}}
}

func fieldRef(varName, path string) corev1.EnvVar {
	return corev1.EnvVar{Name: varName, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}}
}

// opt is nil for false, as a defaulted pod leaves Optional unset.
func opt(b bool) *bool {
	if !b {
		return nil
	}
	return ptr.To(true)
}

// fields resolves a few field paths the way package downwardapi would.
func fields(src *corev1.EnvVarSource) (string, error) {
	switch {
	case src.FieldRef != nil:
		switch src.FieldRef.FieldPath {
		case "metadata.name":
			return "web-0", nil
		case "status.podIPs":
			return "10.244.1.4,fd00:10:244:1::4", nil
		case "metadata.omitted":
			return "", ErrOmit
		}
		return "", fmt.Errorf("unsupported fieldPath: %s", src.FieldRef.FieldPath)
	case src.ResourceFieldRef != nil:
		return "1", nil
	case src.FileKeyRef != nil:
		return "", ErrOmit
	}
	return "", errors.New("fields called for a source it does not own")
}

func TestResolve(t *testing.T) {
	t.Parallel()
	services := ServiceMap(ns, true, cluster(), "default")
	tests := []struct {
		name      string
		container *corev1.Container
		noLookup  bool
		noFields  bool
		lookupErr error
		services  []corev1.EnvVar // nil: services
	}{
		{
			name: "order-and-precedence",
			container: &corev1.Container{
				EnvFrom: []corev1.EnvFromSource{
					{ConfigMapRef: cmRef("settings", false)},
					{Prefix: "DB_", SecretRef: secretRef("creds", false)},
					{Prefix: "AGAIN_", ConfigMapRef: cmRef("settings", false)},
				},
				Env: []corev1.EnvVar{
					{Name: "ZETA_SERVICE_HOST", Value: "override"},
					{Name: "URL", Value: "http://$(ZETA_SERVICE_HOST):$(ZETA_SERVICE_PORT)/$(LOG_LEVEL)"},
					{Name: "ALPHA", Value: "[$(ALPHA_API_PORT)]"},
					{Name: "ZONE", Value: "$(ZONE)-2"},
					{Name: "SELF_BEFORE", Value: "$(LATER) $(UNSET) $$(ZONE) $(DB_PASSWORD)"},
					{Name: "LATER", Value: "late"},
					{Name: "EMPTY"},
					{Name: "LOG_LEVEL", Value: "info"},
					{Name: "SEES_NEW", Value: "$(LOG_LEVEL)"},
				},
			},
		},
		{
			name: "invalid-keys",
			container: &corev1.Container{EnvFrom: []corev1.EnvFromSource{
				{ConfigMapRef: cmRef("messy", false)},
				{Prefix: "P_", ConfigMapRef: cmRef("messy", false)},
				{SecretRef: secretRef("creds", false)},
				{SecretRef: secretRef("tls", false)},
				{Prefix: "1", ConfigMapRef: cmRef("empty", false)},
			}},
		},
		{
			name: "configmap-wins-within-one-source",
			container: &corev1.Container{EnvFrom: []corev1.EnvFromSource{
				{ConfigMapRef: cmRef("settings", false), SecretRef: secretRef("missing", false)},
			}},
			services: []corev1.EnvVar{},
		},
		{
			name: "optional-sources-missing",
			container: &corev1.Container{
				EnvFrom: []corev1.EnvFromSource{
					{ConfigMapRef: cmRef("missing", true)},
					{SecretRef: secretRef("missing", true)},
				},
				Env: []corev1.EnvVar{
					cmKey("KUBERNETES_SERVICE_HOST", "missing", "k", true),
					cmKey("ZONE", "settings", "no-such-key", true),
					secretKey("USER", "missing", "USER", true),
					secretKey("PASSWORD", "creds", "no-such-key", true),
					cmKey("FOUND", "settings", "ZONE", true),
					secretKey("FOUND_SECRET", "creds", "USER", true),
					{Name: "AFTER", Value: "$(ZONE)$(USER)$(FOUND)"},
				},
			},
		},
		{
			name: "key-refs",
			container: &corev1.Container{Env: []corev1.EnvVar{
				cmKey("LEVEL", "settings", "LOG_LEVEL", false),
				secretKey("PASS", "creds", "PASSWORD", false),
				secretKey("CERT", "tls", "tls.crt", false),
				{Name: "NOT_REEXPANDED", Value: "$(PASS)"},
			}},
			services: []corev1.EnvVar{},
		},
		{
			name: "missing-configmap",
			container: &corev1.Container{EnvFrom: []corev1.EnvFromSource{
				{ConfigMapRef: cmRef("messy", false)},
				{ConfigMapRef: cmRef("nope", false)},
			}},
		},
		{
			name: "missing-secret",
			container: &corev1.Container{Env: []corev1.EnvVar{
				{Name: "A", Value: "1"},
				secretKey("B", "nope", "k", false),
			}},
		},
		{
			name:      "missing-configmap-key",
			container: &corev1.Container{Env: []corev1.EnvVar{cmKey("A", "settings", "absent", false)}},
		},
		{
			name:      "missing-secret-key",
			container: &corev1.Container{Env: []corev1.EnvVar{secretKey("A", "creds", "absent", false)}},
		},
		{
			name:      "configmap-of-other-namespace-not-seen",
			container: &corev1.Container{Env: []corev1.EnvVar{cmKey("A", "only-elsewhere", "LOG_LEVEL", false)}},
		},
		{
			name:      "lookup-error-not-swallowed-by-optional",
			container: &corev1.Container{EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: cmRef("settings", true)}}},
			lookupErr: apierrors.NewForbidden(corev1.Resource("configmaps"), "settings", errors.New("no RBAC")),
		},
		{
			name: "no-lookup",
			container: &corev1.Container{Env: []corev1.EnvVar{
				{Name: "A", Value: "1"},
				secretKey("B", "creds", "USER", true),
			}},
			noLookup: true,
		},
		{
			name:      "no-lookup-configmap",
			container: &corev1.Container{EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: cmRef("settings", true)}}},
			noLookup:  true,
		},
		{
			name: "field-refs",
			container: &corev1.Container{Env: []corev1.EnvVar{
				fieldRef("POD_NAME", "metadata.name"),
				fieldRef("POD_IPS", "status.podIPs"),
				fieldRef("OMITTED", "metadata.omitted"),
				{Name: "CPU", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.cpu"}}},
				{Name: "FROM_FILE", ValueFrom: &corev1.EnvVarSource{FileKeyRef: &corev1.FileKeySelector{VolumeName: "v", Path: "p", Key: "k"}}},
				{Name: "VALUE_WINS", Value: "literal", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
				{Name: "EMPTY_SOURCE", ValueFrom: &corev1.EnvVarSource{}},
				{Name: "GREETING", Value: "hello $(POD_NAME) at $(POD_IPS), $(OMITTED)"},
			}},
			services: []corev1.EnvVar{},
		},
		{
			name: "field-error",
			container: &corev1.Container{Env: []corev1.EnvVar{
				fieldRef("POD_NAME", "metadata.name"),
				fieldRef("BAD", "spec.nope"),
			}},
		},
		{
			name:      "no-field-func",
			container: &corev1.Container{Env: []corev1.EnvVar{fieldRef("POD_NAME", "metadata.name")}},
			noFields:  true,
		},
		{name: "nil-container"},
		{name: "nil-container-no-services", services: []corev1.EnvVar{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lookup := objects()
			lookup.err = tt.lookupErr
			in := Input{Namespace: ns, Container: tt.container, Services: tt.services, Lookup: lookup, Fields: fields}
			if tt.services == nil {
				in.Services = services
			}
			if tt.noLookup {
				in.Lookup = nil
			}
			if tt.noFields {
				in.Fields = nil
			}
			res, err := Resolve(context.Background(), in)
			checkUnique(t, res.Env)
			if err != nil && res.Env != nil {
				t.Errorf("error %v with a non-nil environment", err)
			}
			// Found objects are fetched once per Resolve; missing ones are
			// asked for again, as the kubelet caches only what it got.
			for _, name := range []string{"settings", "messy", "empty", "creds", "tls"} {
				for _, kind := range []string{"configmap", "secret"} {
					if n := lookup.calls[kind+" "+ns+"/"+name]; n > 1 {
						t.Errorf("%s %s looked up %d times, want once per Resolve", kind, name, n)
					}
				}
			}
			checkGolden(t, "resolve-"+tt.name, render(res.Env, res.Invalid, err))
		})
	}
}

func TestResolveErrors(t *testing.T) {
	t.Parallel()
	run := func(c *corev1.Container, in Input) error {
		in.Namespace, in.Container = ns, c
		_, err := Resolve(context.Background(), in)
		return err
	}
	// The API server says "configmaps"; the kubelet's manager says "configmap".
	err := run(&corev1.Container{EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: cmRef("nope", false)}}}, Input{Lookup: objects()})
	if !apierrors.IsNotFound(err) || err.Error() != `configmap "nope" not found` {
		t.Errorf("missing configmap: got %v, want a NotFound error `configmap \"nope\" not found`", err)
	}
	err = run(&corev1.Container{Env: []corev1.EnvVar{secretKey("A", "nope", "k", false)}}, Input{Lookup: objects()})
	if !apierrors.IsNotFound(err) || err.Error() != `secret "nope" not found` {
		t.Errorf("missing secret: got %v, want a NotFound error `secret \"nope\" not found`", err)
	}
	err = run(&corev1.Container{Env: []corev1.EnvVar{fieldRef("A", "metadata.name")}}, Input{})
	if !errors.Is(err, ErrNoFieldFunc) {
		t.Errorf("no FieldFunc: got %v, want ErrNoFieldFunc", err)
	}
	forbidden := apierrors.NewForbidden(corev1.Resource("secrets"), "creds", errors.New("no"))
	err = run(&corev1.Container{Env: []corev1.EnvVar{secretKey("A", "creds", "USER", true)}}, Input{Lookup: &fakeLookup{err: forbidden}})
	if !errors.Is(err, forbidden) {
		t.Errorf("forbidden: got %v, want the Lookup's error itself", err)
	}
}

// nilLookup returns no object and no error, a broken Lookup.
type nilLookup struct{}

var _ Lookup = nilLookup{}

func (nilLookup) ConfigMap(context.Context, string, string) (*corev1.ConfigMap, error) {
	return nil, nil
}
func (nilLookup) Secret(context.Context, string, string) (*corev1.Secret, error) { return nil, nil }

func TestResolveNilObjectIsNotFound(t *testing.T) {
	t.Parallel()
	c := &corev1.Container{
		EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: cmRef("a", true)}, {SecretRef: secretRef("b", true)}},
		Env:     []corev1.EnvVar{cmKey("C", "c", "k", true), secretKey("D", "d", "k", true), {Name: "E", Value: "e"}},
	}
	res, err := Resolve(context.Background(), Input{Namespace: ns, Container: c, Lookup: nilLookup{}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]corev1.EnvVar{{Name: "E", Value: "e"}}, res.Env); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
}

func TestResolveDoesNotModifyInput(t *testing.T) {
	t.Parallel()
	services := ServiceMap(ns, true, cluster(), "")
	servicesBefore := append([]corev1.EnvVar(nil), services...)
	c := &corev1.Container{Env: []corev1.EnvVar{{Name: "ZETA_SERVICE_HOST", Value: "x"}}}
	cBefore := c.DeepCopy()
	res, err := Resolve(context.Background(), Input{Namespace: ns, Container: c, Services: services})
	if err != nil {
		t.Fatal(err)
	}
	res.Env[0].Value = "scribbled"
	if diff := cmp.Diff(servicesBefore, services); diff != "" {
		t.Errorf("Services changed (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(cBefore, c); diff != "" {
		t.Errorf("Container changed (-before +after):\n%s", diff)
	}
}

func TestInvalidKeysMessage(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		keys InvalidKeys
		want string
	}{
		{
			InvalidKeys{Kind: KindConfigMap, Namespace: "ns", Name: "cm", Keys: []string{"1a", "b c"}},
			"Keys [1a, b c] from the EnvFrom configMap ns/cm were skipped since they are considered invalid environment variable names.",
		},
		{
			InvalidKeys{Kind: KindSecret, Namespace: "ns", Name: "s", Keys: []string{"x=y"}},
			"Keys [x=y] from the EnvFrom secret ns/s were skipped since they are considered invalid environment variable names.",
		},
	} {
		if got := tt.keys.Message(); got != tt.want {
			t.Errorf("Message() = %q, want %q", got, tt.want)
		}
	}
}
