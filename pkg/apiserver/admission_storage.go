package apiserver

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/client-go/informers"
	storagelisters "k8s.io/client-go/listers/storage/v1"
	storagehelpers "k8s.io/component-helpers/storage/volume"
	"k8s.io/klog/v2"
)

// The annotations that mark a StorageClass as the default one, the GA and
// the beta key; either counts when its value is "true", as upstream.
const (
	isDefaultClassAnnotation     = "storageclass.kubernetes.io/is-default-class"
	betaIsDefaultClassAnnotation = "storageclass.beta.kubernetes.io/is-default-class"
)

// The finalizers StorageObjectInUseProtection puts on claims and volumes,
// which the pvc-protection and pv-protection controllers remove once
// nothing uses the object.
const (
	pvcProtectionFinalizer = "kubernetes.io/pvc-protection"
	pvProtectionFinalizer  = "kubernetes.io/pv-protection"
)

// defaultStorageClass is kube-apiserver's DefaultStorageClass admission
// plugin: a PersistentVolumeClaim created without a class (neither
// spec.storageClassName nor the beta annotation) gets the default
// StorageClass, the newest if several are marked default (ties go to the
// first name), and none if no class is.
type defaultStorageClass struct {
	*admission.Handler
	classes storagelisters.StorageClassLister
}

var _ admission.MutationInterface = (*defaultStorageClass)(nil)

// newDefaultStorageClass reads StorageClasses through f, which the caller
// starts; requests wait for its cache to sync.
func newDefaultStorageClass(f informers.SharedInformerFactory) *defaultStorageClass {
	informer := f.Storage().V1().StorageClasses()
	p := &defaultStorageClass{Handler: admission.NewHandler(admission.Create), classes: informer.Lister()}
	p.SetReadyFunc(informer.Informer().HasSynced)
	return p
}

// Admit sets the class of a claim being created that names none.
func (p *defaultStorageClass) Admit(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetOperation() != admission.Create || a.GetResource().GroupResource() != corev1.Resource("persistentvolumeclaims") || a.GetSubresource() != "" {
		return nil
	}
	claim, ok := a.GetObject().(*corev1.PersistentVolumeClaim)
	if !ok || storagehelpers.PersistentVolumeClaimHasClass(claim) {
		return nil
	}
	all, err := p.classes.List(labels.Everything())
	if err != nil {
		return admission.NewForbidden(a, err)
	}
	def := defaultClass(all)
	if def == nil {
		return nil
	}
	klog.FromContext(ctx).V(4).Info("Defaulting storage class for claim", "claim", klog.KRef(a.GetNamespace(), claim.Name), "storageClass", def.Name)
	name := def.Name
	claim.Spec.StorageClassName = &name
	return nil
}

// defaultClass is upstream's GetDefaultClass: of the classes marked
// default, the newest, ties broken by name; nil if none is marked.
func defaultClass(all []*storagev1.StorageClass) *storagev1.StorageClass {
	var defaults []*storagev1.StorageClass
	for _, c := range all {
		if isDefaultClass(c) {
			defaults = append(defaults, c)
		}
	}
	if len(defaults) == 0 {
		return nil
	}
	slices.SortFunc(defaults, func(a, b *storagev1.StorageClass) int {
		if ta, tb := a.CreationTimestamp.UnixNano(), b.CreationTimestamp.UnixNano(); ta != tb {
			if ta > tb {
				return -1
			}
			return 1
		}
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return defaults[0]
}

func isDefaultClass(c *storagev1.StorageClass) bool {
	return c.Annotations[isDefaultClassAnnotation] == "true" || c.Annotations[betaIsDefaultClassAnnotation] == "true"
}

// storageObjectInUseProtection is kube-apiserver's
// StorageObjectInUseProtection admission plugin: every
// PersistentVolumeClaim is created with the kubernetes.io/pvc-protection
// finalizer and every PersistentVolume with kubernetes.io/pv-protection, so
// that neither goes while a pod uses it or a claim is bound to it.
type storageObjectInUseProtection struct {
	*admission.Handler
}

var _ admission.MutationInterface = (*storageObjectInUseProtection)(nil)

func newStorageObjectInUseProtection() *storageObjectInUseProtection {
	return &storageObjectInUseProtection{Handler: admission.NewHandler(admission.Create)}
}

// Admit adds the finalizer to a claim or volume being created, once.
func (p *storageObjectInUseProtection) Admit(_ context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetOperation() != admission.Create || a.GetSubresource() != "" {
		return nil
	}
	var (
		finalizers *[]string
		finalizer  string
	)
	switch a.GetResource().GroupResource() {
	case corev1.Resource("persistentvolumeclaims"):
		claim, ok := a.GetObject().(*corev1.PersistentVolumeClaim)
		if !ok {
			return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetObject()))
		}
		finalizers, finalizer = &claim.Finalizers, pvcProtectionFinalizer
	case corev1.Resource("persistentvolumes"):
		pv, ok := a.GetObject().(*corev1.PersistentVolume)
		if !ok {
			return admission.NewForbidden(a, fmt.Errorf("unexpected type %T", a.GetObject()))
		}
		finalizers, finalizer = &pv.Finalizers, pvProtectionFinalizer
	default:
		return nil
	}
	if !slices.Contains(*finalizers, finalizer) {
		*finalizers = append(*finalizers, finalizer)
	}
	return nil
}
