package envvars

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// checkGolden compares got with testdata/name.golden, or rewrites it with -update.
func checkGolden(t testing.TB, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// render writes env as NAME=value lines, then the events and the error.
func render(env []corev1.EnvVar, invalid []InvalidKeys, err error) string {
	var b strings.Builder
	for _, v := range env {
		b.WriteString(v.Name + "=" + v.Value + "\n")
	}
	for _, k := range invalid {
		b.WriteString("# event Warning " + ReasonInvalidEnvironmentVariableNames + ": " + k.Message() + "\n")
	}
	if err != nil {
		b.WriteString("# error: " + err.Error() + "\n")
	}
	return b.String()
}

// checkUnique fails if env names a variable twice.
func checkUnique(t testing.TB, env []corev1.EnvVar) {
	t.Helper()
	seen := map[string]bool{}
	for _, v := range env {
		if seen[v.Name] {
			t.Errorf("variable %s set twice", v.Name)
		}
		seen[v.Name] = true
	}
}

func svc(ns, name, ip string, ports ...corev1.ServicePort) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       corev1.ServiceSpec{ClusterIP: ip, Ports: ports},
	}
}

func port(name string, p int32, proto corev1.Protocol) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Port: p, Protocol: proto}
}

// fakeLookup serves ConfigMaps and Secrets from maps keyed "ns/name",
// answering NotFound as the API server does, and counts its calls.
type fakeLookup struct {
	configMaps map[string]*corev1.ConfigMap
	secrets    map[string]*corev1.Secret
	err        error // returned for every call when set

	mu    sync.Mutex
	calls map[string]int // "configmap ns/name" or "secret ns/name"
}

var _ Lookup = (*fakeLookup)(nil)

func (f *fakeLookup) count(kind, ns, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[kind+" "+ns+"/"+name]++
}

func (f *fakeLookup) ConfigMap(_ context.Context, ns, name string) (*corev1.ConfigMap, error) {
	f.count("configmap", ns, name)
	if f.err != nil {
		return nil, f.err
	}
	if cm, ok := f.configMaps[ns+"/"+name]; ok {
		return cm, nil
	}
	return nil, apierrors.NewNotFound(corev1.Resource("configmaps"), name)
}

func (f *fakeLookup) Secret(_ context.Context, ns, name string) (*corev1.Secret, error) {
	f.count("secret", ns, name)
	if f.err != nil {
		return nil, f.err
	}
	if s, ok := f.secrets[ns+"/"+name]; ok {
		return s, nil
	}
	return nil, apierrors.NewNotFound(corev1.Resource("secrets"), name)
}
