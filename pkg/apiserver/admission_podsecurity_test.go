package apiserver_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// The violations of a pod with one privileged container "c" and no
// security context otherwise, as kube-apiserver v1.37 words them for the
// restricted level.
const privilegedRestrictedViolations = `privileged (container "c" must not set securityContext.privileged=true), ` +
	`allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), ` +
	`unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), ` +
	`runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), ` +
	`seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`

// warnings collects the warnings a client is sent.
type warnings struct {
	mu   sync.Mutex
	list []string
}

func (w *warnings) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, text)
}

// take returns the warnings so far and forgets them.
func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.list
	w.list = nil
	return out
}

// warningClient is a client for c whose warnings land in the returned
// collector.
func warningClient(t *testing.T, c *cluster.Cluster) (kubernetes.Interface, *warnings) {
	t.Helper()
	w := &warnings{}
	cfg := clustertest.Config(c)
	cfg.WarningHandler = w
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return client, w
}

// securityNamespace creates a namespace with labels and its default
// ServiceAccount (no controller makes it in these clusters).
func securityNamespace(t *testing.T, client kubernetes.Interface, name string, labels map[string]string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	if _, err := client.CoreV1().Namespaces().Create(t.Context(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace %s: %v", name, err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}
	if _, err := client.CoreV1().ServiceAccounts(name).Create(t.Context(), sa, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create service account in %s: %v", name, err)
	}
}

func privilegedPodSpec() corev1.PodSpec {
	return corev1.PodSpec{Containers: []corev1.Container{{
		Name: "c", Image: "busybox",
		SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)},
	}}}
}

func privilegedPod(name string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: privilegedPodSpec()}
}

// restrictedPod satisfies the restricted level.
func restrictedPod(name string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot:   ptr.To(true),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Containers: []corev1.Container{{
			Name: "c", Image: "busybox",
			SecurityContext: &corev1.SecurityContext{
				AllowPrivilegeEscalation: ptr.To(false),
				Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			},
		}},
	}}
}

// TestPodSecurity creates pods in namespaces labelled for each Pod
// Security level and mode and checks what kube-apiserver's PodSecurity
// admission does: refuse with upstream's message, warn with upstream's
// warning, or let the pod in silently.
func TestPodSecurity(t *testing.T) {
	t.Parallel()
	c := clustertest.StartAPI(t, cluster.Options{})
	client, warned := warningClient(t, c)
	tests := []struct {
		name   string
		labels map[string]string
		pod    *corev1.Pod
		// wantErr is the whole error message, empty for an admitted pod.
		wantErr      string
		wantWarnings []string
	}{
		{
			name:    "enforce restricted refuses a privileged pod",
			labels:  map[string]string{"pod-security.kubernetes.io/enforce": "restricted"},
			pod:     privilegedPod("x"),
			wantErr: `pods "x" is forbidden: violates PodSecurity "restricted:latest": ` + privilegedRestrictedViolations,
		},
		{
			name:    "enforce baseline at a version refuses a privileged pod",
			labels:  map[string]string{"pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/enforce-version": "v1.30"},
			pod:     privilegedPod("x"),
			wantErr: `pods "x" is forbidden: violates PodSecurity "baseline:v1.30": privileged (container "c" must not set securityContext.privileged=true)`,
		},
		{
			name:         "warn restricted admits with a warning",
			labels:       map[string]string{"pod-security.kubernetes.io/warn": "restricted"},
			pod:          privilegedPod("x"),
			wantWarnings: []string{`would violate PodSecurity "restricted:latest": ` + privilegedRestrictedViolations},
		},
		{
			name:   "enforce restricted admits a restricted pod",
			labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"},
			pod:    restrictedPod("x"),
		},
		{
			name:   "enforce privileged admits a privileged pod",
			labels: map[string]string{"pod-security.kubernetes.io/enforce": "privileged"},
			pod:    privilegedPod("x"),
		},
		{
			name: "no labels is privileged",
			pod:  privilegedPod("x"),
		},
		{
			name:   "audit alone neither refuses nor warns",
			labels: map[string]string{"pod-security.kubernetes.io/audit": "restricted"},
			pod:    privilegedPod("x"),
		},
	}
	for i, tc := range tests {
		ns := fmt.Sprintf("psa-%d", i)
		securityNamespace(t, client, ns, tc.labels)
		warned.take()
		_, err := client.CoreV1().Pods(ns).Create(t.Context(), tc.pod, metav1.CreateOptions{})
		got := warned.take()
		t.Run(tc.name, func(t *testing.T) {
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("create pod: %v", err)
			case tc.wantErr != "" && err == nil:
				t.Fatalf("create pod: no error, want %q", tc.wantErr)
			case tc.wantErr != "":
				if !apierrors.IsForbidden(err) {
					t.Errorf("error %v: want Forbidden", err)
				}
				if err.Error() != tc.wantErr {
					t.Errorf("error:\n got %s\nwant %s", err, tc.wantErr)
				}
			}
			if diff := cmp.Diff(tc.wantWarnings, got); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPodSecurityWorkloads checks that a workload resource with a pod
// template that would violate the namespace's enforce level is admitted
// with a warning, as upstream: its pods are the ones refused.
func TestPodSecurityWorkloads(t *testing.T) {
	t.Parallel()
	c := clustertest.StartAPI(t, cluster.Options{})
	client, warned := warningClient(t, c)
	securityNamespace(t, client, "locked", map[string]string{"pod-security.kubernetes.io/enforce": "restricted"})
	labels := map[string]string{"app": "web"}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: privilegedPodSpec()},
		},
	}
	warned.take()
	if _, err := client.AppsV1().Deployments("locked").Create(t.Context(), d, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create deployment: %v", err)
	}
	want := []string{`would violate PodSecurity "restricted:latest": ` + privilegedRestrictedViolations}
	if diff := cmp.Diff(want, warned.take()); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// TestPodSecurityNamespaceLabels checks the namespace side: a tighter
// enforce label is accepted with warnings naming the pods already there
// that violate it, and a label value that is no level is refused.
func TestPodSecurityNamespaceLabels(t *testing.T) {
	t.Parallel()
	c := clustertest.StartAPI(t, cluster.Options{})
	client, warned := warningClient(t, c)
	securityNamespace(t, client, "open", nil)
	if _, err := client.CoreV1().Pods("open").Create(t.Context(), privilegedPod("x"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("create pod: %v", err)
	}
	want := []string{
		`existing pods in namespace "open" violate the new PodSecurity enforce level "restricted:latest"`,
		`x: privileged, allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile`,
	}
	// The API server sees existing pods through its informer, which may
	// not have the new pod yet: label and unlabel until it has.
	clustertest.Poll(t, 10*time.Second, func() error {
		setEnforce(t, client, "open", "")
		warned.take()
		setEnforce(t, client, "open", "restricted")
		got := warned.take()
		if !slices.Equal(got, want) {
			return fmt.Errorf("warnings:\n got %q\nwant %q", got, want)
		}
		return nil
	})

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "bogus", Labels: map[string]string{"pod-security.kubernetes.io/enforce": "strict"}}}
	_, err := client.CoreV1().Namespaces().Create(t.Context(), ns, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("create namespace with enforce=strict: %v, want Invalid", err)
	}
	const wantErr = `Namespace "bogus" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted`
	if err.Error() != wantErr {
		t.Errorf("error:\n got %s\nwant %s", err, wantErr)
	}
}

// setEnforce sets (or, for "", removes) a namespace's enforce label.
func setEnforce(t *testing.T, client kubernetes.Interface, name, level string) {
	t.Helper()
	for {
		ns, err := client.CoreV1().Namespaces().Get(t.Context(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get namespace: %v", err)
		}
		if ns.Labels == nil {
			ns.Labels = map[string]string{}
		}
		if level == "" {
			delete(ns.Labels, "pod-security.kubernetes.io/enforce")
		} else {
			ns.Labels["pod-security.kubernetes.io/enforce"] = level
		}
		_, err = client.CoreV1().Namespaces().Update(t.Context(), ns, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			continue
		}
		if err != nil {
			t.Fatalf("update namespace: %v", err)
		}
		return
	}
}
