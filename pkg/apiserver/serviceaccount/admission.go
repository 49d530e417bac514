package serviceaccount

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/storage/names"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/utils/ptr"
)

const (
	// PluginName is the admission plugin's name in kube-apiserver.
	PluginName = "ServiceAccount"
	// DefaultServiceAccountName is the service account of a pod that names
	// none.
	DefaultServiceAccountName = "default"
	// DefaultAPITokenMountPath is where containers find the token, the CA
	// and the namespace.
	DefaultAPITokenMountPath = "/var/run/secrets/kubernetes.io/serviceaccount"
	// VolumeNamePrefix starts the name of the token volume; five random
	// characters follow.
	VolumeNamePrefix = "kube-api-access-"
	// RootCACertConfigMapName is the ConfigMap in every namespace that holds
	// the cluster CA, which the token volume projects as ca.crt.
	RootCACertConfigMapName = "kube-root-ca.crt"
	// mirrorPodAnnotation marks a kubelet's mirror of a static pod.
	mirrorPodAnnotation = "kubernetes.io/config.mirror"
	// defaultLookups is how many times a missing default service account is
	// looked up before the pod is refused: the service account controller
	// creates it just after its namespace.
	defaultLookups = 10
)

// Admission is kube-apiserver's ServiceAccount admission plugin for pods.
// On create it gives a pod the namespace's default service account if it
// names none, refuses it if its service account does not exist, copies the
// service account's image pull secrets if the pod has none, and, unless
// the pod or service account opts out, adds the projected token volume and
// mounts it in every init and regular container (not in ephemeral
// containers, which upstream leaves alone too). Mirror pods are left as
// they are but may not reference service accounts or secrets.
type Admission struct {
	*admission.Handler
	client kubernetes.Interface
	lister corelisters.ServiceAccountLister
	// generateName returns a random name with the given prefix.
	generateName func(prefix string) string
	// retryInterval is how long to wait between lookups of a missing
	// default service account.
	retryInterval func() time.Duration
}

var (
	_ admission.MutationInterface   = (*Admission)(nil)
	_ admission.ValidationInterface = (*Admission)(nil)
)

// NewAdmission returns the plugin, reading service accounts through a
// lister from f (which the caller starts) and, on a cache miss, client.
func NewAdmission(client kubernetes.Interface, f informers.SharedInformerFactory) *Admission {
	informer := f.Core().V1().ServiceAccounts()
	a := &Admission{
		Handler:      admission.NewHandler(admission.Create),
		client:       client,
		lister:       informer.Lister(),
		generateName: names.SimpleNameGenerator.GenerateName,
		// Upstream's: one random interval between 100ms and 200ms.
		retryInterval: func() time.Duration { return time.Duration(100+rand.IntN(100)) * time.Millisecond },
	}
	a.SetReadyFunc(informer.Informer().HasSynced)
	return a
}

// pod is the pod a request creates, or nil if the plugin has nothing to do
// with the request.
func pod(a admission.Attributes) *corev1.Pod {
	if a.GetOperation() != admission.Create || a.GetResource().GroupResource() != corev1.Resource("pods") || a.GetSubresource() != "" {
		return nil
	}
	p, _ := a.GetObject().(*corev1.Pod)
	return p
}

// Admit mutates a pod being created.
func (s *Admission) Admit(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	p := pod(a)
	if p == nil {
		return nil
	}
	if _, mirror := p.Annotations[mirrorPodAnnotation]; mirror {
		return s.Validate(ctx, a, nil)
	}
	if p.Spec.ServiceAccountName == "" {
		p.Spec.ServiceAccountName = DefaultServiceAccountName
	}
	// Kubernetes always returns the deprecated alias equal to the name.
	p.Spec.DeprecatedServiceAccount = p.Spec.ServiceAccountName
	sa, err := s.getServiceAccount(ctx, a.GetNamespace(), p.Spec.ServiceAccountName)
	if err != nil {
		return admission.NewForbidden(a, fmt.Errorf("error looking up service account %s/%s: %w", a.GetNamespace(), p.Spec.ServiceAccountName, err))
	}
	if shouldAutomount(sa, p) {
		mountToken(p, s.generateName)
	}
	if len(p.Spec.ImagePullSecrets) == 0 && len(sa.ImagePullSecrets) > 0 {
		p.Spec.ImagePullSecrets = make([]corev1.LocalObjectReference, len(sa.ImagePullSecrets))
		for i, secret := range sa.ImagePullSecrets {
			p.Spec.ImagePullSecrets[i] = corev1.LocalObjectReference{Name: secret.Name}
		}
	}
	return nil
}

// Validate checks a pod being created once it is final: a mirror pod names
// no service account and no secret, any other pod names an existing
// service account.
func (s *Admission) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	p := pod(a)
	if p == nil {
		return nil
	}
	if _, mirror := p.Annotations[mirrorPodAnnotation]; mirror {
		if err := validateMirrorPod(p); err != nil {
			return admission.NewForbidden(a, err)
		}
		return nil
	}
	if p.Spec.ServiceAccountName == "" {
		return admission.NewForbidden(a, fmt.Errorf("no service account specified for pod %s/%s", a.GetNamespace(), p.Name))
	}
	if _, err := s.getServiceAccount(ctx, a.GetNamespace(), p.Spec.ServiceAccountName); err != nil {
		return admission.NewForbidden(a, fmt.Errorf("error looking up service account %s/%s: %w", a.GetNamespace(), p.Spec.ServiceAccountName, err))
	}
	return nil
}

// getServiceAccount reads the service account from the cache or, if it is
// not there yet, from the API: once for a named account, up to ten times
// for the default one, which the controller is about to create in a new
// namespace. It returns a NotFound error for resource "serviceaccount", as
// upstream does, if it is still missing.
func (s *Admission) getServiceAccount(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error) {
	sa, err := s.lister.ServiceAccounts(namespace).Get(name)
	if err == nil {
		return sa, nil
	}
	if !apierrors.IsNotFound(err) {
		return nil, err
	}
	attempts := 1
	if name == DefaultServiceAccountName {
		attempts = defaultLookups
	}
	interval := s.retryInterval()
	for i := range attempts {
		if i != 0 {
			t := time.NewTimer(interval)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			case <-t.C:
			}
		}
		sa, err := s.client.CoreV1().ServiceAccounts(namespace).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			return sa, nil
		}
		if !apierrors.IsNotFound(err) {
			return nil, err
		}
	}
	return nil, apierrors.NewNotFound(corev1.Resource("serviceaccount"), name)
}

// shouldAutomount is the pod's automountServiceAccountToken if set, else
// the service account's, else true.
func shouldAutomount(sa *corev1.ServiceAccount, p *corev1.Pod) bool {
	if p.Spec.AutomountServiceAccountToken != nil {
		return *p.Spec.AutomountServiceAccountToken
	}
	if sa.AutomountServiceAccountToken != nil {
		return *sa.AutomountServiceAccountToken
	}
	return true
}

// mountToken mounts the token volume read-only at DefaultAPITokenMountPath
// in every init and regular container that has nothing mounted there, and
// adds the volume if one of them needs it. A volume the pod already has
// with the kube-api-access- prefix is reused.
func mountToken(p *corev1.Pod, generateName func(string) string) {
	volumeName, haveVolume := "", false
	for _, v := range p.Spec.Volumes {
		if strings.HasPrefix(v.Name, VolumeNamePrefix) {
			volumeName, haveVolume = v.Name, true
			break
		}
	}
	if volumeName == "" {
		volumeName = generateName(VolumeNamePrefix)
	}
	mount := corev1.VolumeMount{Name: volumeName, ReadOnly: true, MountPath: DefaultAPITokenMountPath}
	needed := false
	for _, containers := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for i := range containers {
			if !mountsTokenPath(containers[i].VolumeMounts) {
				containers[i].VolumeMounts = append(containers[i].VolumeMounts, mount)
				needed = true
			}
		}
	}
	if needed && !haveVolume {
		p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{
			Name:         volumeName,
			VolumeSource: corev1.VolumeSource{Projected: TokenVolumeSource()},
		})
	}
}

func mountsTokenPath(mounts []corev1.VolumeMount) bool {
	for _, m := range mounts {
		if m.MountPath == DefaultAPITokenMountPath {
			return true
		}
	}
	return false
}

// TokenVolumeSource is the projected volume the plugin adds: a token for
// the API server's audience that the kubelet refreshes, the cluster CA
// and the pod's namespace. defaultMode is set explicitly, as upstream does.
func TokenVolumeSource() *corev1.ProjectedVolumeSource {
	return &corev1.ProjectedVolumeSource{
		DefaultMode: ptr.To(corev1.ProjectedVolumeSourceDefaultMode),
		Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{
				Path: "token", ExpirationSeconds: ptr.To[int64](WarnOnlyBoundExpirationSeconds),
			}},
			{ConfigMap: &corev1.ConfigMapProjection{
				LocalObjectReference: corev1.LocalObjectReference{Name: RootCACertConfigMapName},
				Items:                []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}},
			}},
			{DownwardAPI: &corev1.DownwardAPIProjection{
				Items: []corev1.DownwardAPIVolumeFile{{
					Path:     "namespace",
					FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"},
				}},
			}},
		},
	}
}

// validateMirrorPod refuses what a mirror pod may not reference, with
// upstream's texts.
func validateMirrorPod(p *corev1.Pod) error {
	if p.Spec.ServiceAccountName != "" {
		return errors.New("a mirror pod may not reference service accounts")
	}
	if referencesSecrets(p) {
		return errors.New("a mirror pod may not reference secrets")
	}
	for _, v := range p.Spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, src := range v.Projected.Sources {
			if src.ServiceAccountToken != nil {
				return errors.New("a mirror pod may not use ServiceAccountToken volume projections")
			}
		}
	}
	return nil
}

// referencesSecrets reports whether the pod names a Secret anywhere
// upstream's VisitPodSecretNames looks: image pull secrets, container
// environment of every kind of container, and volume sources.
func referencesSecrets(p *corev1.Pod) bool {
	if len(p.Spec.ImagePullSecrets) > 0 {
		return true
	}
	envs := func(env []corev1.EnvVar, from []corev1.EnvFromSource) bool {
		for _, e := range from {
			if e.SecretRef != nil {
				return true
			}
		}
		for _, e := range env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				return true
			}
		}
		return false
	}
	for _, c := range append(append([]corev1.Container{}, p.Spec.InitContainers...), p.Spec.Containers...) {
		if envs(c.Env, c.EnvFrom) {
			return true
		}
	}
	for _, c := range p.Spec.EphemeralContainers {
		if envs(c.Env, c.EnvFrom) {
			return true
		}
	}
	for _, v := range p.Spec.Volumes {
		src := v.VolumeSource
		switch {
		case src.Secret != nil,
			src.AzureFile != nil,
			src.CephFS != nil && src.CephFS.SecretRef != nil,
			src.Cinder != nil && src.Cinder.SecretRef != nil,
			src.FlexVolume != nil && src.FlexVolume.SecretRef != nil,
			src.RBD != nil && src.RBD.SecretRef != nil,
			src.ScaleIO != nil && src.ScaleIO.SecretRef != nil,
			src.ISCSI != nil && src.ISCSI.SecretRef != nil,
			src.StorageOS != nil && src.StorageOS.SecretRef != nil,
			src.CSI != nil && src.CSI.NodePublishSecretRef != nil:
			return true
		case src.Projected != nil:
			for _, s := range src.Projected.Sources {
				if s.Secret != nil {
					return true
				}
			}
		}
	}
	return false
}
