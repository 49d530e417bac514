package apiserver

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"
	storagelisters "k8s.io/client-go/listers/storage/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
)

// class is a StorageClass created at second sec, marked default when
// def is the annotation's value ("" for no annotation).
func class(name string, sec int64, key, def string) *storagev1.StorageClass {
	c := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(time.Unix(sec, 0))}, Provisioner: "p"}
	if def != "" {
		c.Annotations = map[string]string{key: def}
	}
	return c
}

func classLister(t *testing.T, classes ...*storagev1.StorageClass) storagelisters.StorageClassLister {
	t.Helper()
	idx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	for _, c := range classes {
		if err := idx.Add(c); err != nil {
			t.Fatal(err)
		}
	}
	return storagelisters.NewStorageClassLister(idx)
}

func attrs(obj runtime.Object, resource, subresource string, op admission.Operation) admission.Attributes {
	return admission.NewAttributesRecord(obj, nil, corev1.SchemeGroupVersion.WithKind("x"), "default", "x",
		corev1.Resource(resource).WithVersion("v1"), subresource, op, nil, false, &user.DefaultInfo{})
}

// TestDefaultStorageClass runs the plugin on claims against sets of
// classes: only a claim that names no class gets one, the newest default.
func TestDefaultStorageClass(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		classes     []*storagev1.StorageClass
		claim       *corev1.PersistentVolumeClaim
		op          admission.Operation
		subresource string
		want        *string
	}{
		{name: "no classes", want: nil},
		{name: "no default", classes: []*storagev1.StorageClass{class("a", 1, isDefaultClassAnnotation, "")}, want: nil},
		{name: "default", classes: []*storagev1.StorageClass{class("a", 1, "", ""), class("std", 1, isDefaultClassAnnotation, "true")}, want: ptr.To("std")},
		{name: "beta annotation", classes: []*storagev1.StorageClass{class("beta", 1, betaIsDefaultClassAnnotation, "true")}, want: ptr.To("beta")},
		{name: "annotation not true", classes: []*storagev1.StorageClass{class("a", 1, isDefaultClassAnnotation, "yes")}, want: nil},
		{
			name: "newest default wins",
			classes: []*storagev1.StorageClass{class("old", 1, isDefaultClassAnnotation, "true"), class("new", 5, isDefaultClassAnnotation, "true"),
				class("newer-not-default", 9, isDefaultClassAnnotation, "false")},
			want: ptr.To("new"),
		},
		{
			name:    "same age: first name",
			classes: []*storagev1.StorageClass{class("b", 3, isDefaultClassAnnotation, "true"), class("a", 3, isDefaultClassAnnotation, "true")},
			want:    ptr.To("a"),
		},
		{
			name:    "claim names a class",
			classes: []*storagev1.StorageClass{class("std", 1, isDefaultClassAnnotation, "true")},
			claim:   &corev1.PersistentVolumeClaim{Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: ptr.To("fast")}},
			want:    ptr.To("fast"),
		},
		{
			name:    "claim asks for no class",
			classes: []*storagev1.StorageClass{class("std", 1, isDefaultClassAnnotation, "true")},
			claim:   &corev1.PersistentVolumeClaim{Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: ptr.To("")}},
			want:    ptr.To(""),
		},
		{
			name:    "claim names a class by the beta annotation",
			classes: []*storagev1.StorageClass{class("std", 1, isDefaultClassAnnotation, "true")},
			claim:   &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{corev1.BetaStorageClassAnnotation: "slow"}}},
			want:    nil,
		},
		{
			name:    "update is left alone",
			classes: []*storagev1.StorageClass{class("std", 1, isDefaultClassAnnotation, "true")},
			op:      admission.Update,
			want:    nil,
		},
		{
			name:        "status is left alone",
			classes:     []*storagev1.StorageClass{class("std", 1, isDefaultClassAnnotation, "true")},
			subresource: "status",
			want:        nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := &defaultStorageClass{Handler: admission.NewHandler(admission.Create), classes: classLister(t, tc.classes...)}
			claim := tc.claim
			if claim == nil {
				claim = &corev1.PersistentVolumeClaim{}
			}
			op := tc.op
			if op == "" {
				op = admission.Create
			}
			if err := p.Admit(t.Context(), attrs(claim, "persistentvolumeclaims", tc.subresource, op), nil); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, claim.Spec.StorageClassName); diff != "" {
				t.Errorf("spec.storageClassName (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStorageObjectInUseProtection runs the plugin on claims, volumes and
// another resource: the finalizer of each kind is added once, on create.
func TestStorageObjectInUseProtection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		obj      runtime.Object
		resource string
		op       admission.Operation
		want     []string
	}{
		{name: "claim", obj: &corev1.PersistentVolumeClaim{}, resource: "persistentvolumeclaims", want: []string{pvcProtectionFinalizer}},
		{name: "volume", obj: &corev1.PersistentVolume{}, resource: "persistentvolumes", want: []string{pvProtectionFinalizer}},
		{
			name:     "claim with other finalizers keeps them first",
			obj:      &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Finalizers: []string{"example.com/x"}}},
			resource: "persistentvolumeclaims",
			want:     []string{"example.com/x", pvcProtectionFinalizer},
		},
		{
			name:     "volume already protected",
			obj:      &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Finalizers: []string{pvProtectionFinalizer}}},
			resource: "persistentvolumes",
			want:     []string{pvProtectionFinalizer},
		},
		{name: "claim update", obj: &corev1.PersistentVolumeClaim{}, resource: "persistentvolumeclaims", op: admission.Update, want: nil},
		{name: "a pod", obj: &corev1.Pod{}, resource: "pods", want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			op := tc.op
			if op == "" {
				op = admission.Create
			}
			if err := newStorageObjectInUseProtection().Admit(t.Context(), attrs(tc.obj, tc.resource, "", op), nil); err != nil {
				t.Fatal(err)
			}
			meta, err := metaOf(tc.obj)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, meta.Finalizers); diff != "" {
				t.Errorf("finalizers (-want +got):\n%s", diff)
			}
		})
	}
}

func metaOf(obj runtime.Object) (*metav1.ObjectMeta, error) {
	switch o := obj.(type) {
	case *corev1.PersistentVolumeClaim:
		return &o.ObjectMeta, nil
	case *corev1.PersistentVolume:
		return &o.ObjectMeta, nil
	case *corev1.Pod:
		return &o.ObjectMeta, nil
	}
	return nil, nil
}
