package persistentvolume

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/fieldcheck"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/pvmodes"
)

// maxCSIDriverNameLength is the longest CSI driver name kube-apiserver
// takes.
const maxCSIDriverNameLength = 63

var (
	// reclaimPolicies and hostPathTypes are the supported values, sorted
	// as kube-apiserver lists them in its errors.
	reclaimPolicies = []corev1.PersistentVolumeReclaimPolicy{
		corev1.PersistentVolumeReclaimDelete, corev1.PersistentVolumeReclaimRecycle, corev1.PersistentVolumeReclaimRetain,
	}
	hostPathTypes = []corev1.HostPathType{
		corev1.HostPathUnset, corev1.HostPathBlockDev, corev1.HostPathCharDev, corev1.HostPathDirectory,
		corev1.HostPathDirectoryOrCreate, corev1.HostPathFile, corev1.HostPathFileOrCreate, corev1.HostPathSocket,
	}
)

// validate checks a volume as ValidatePersistentVolume does, except for
// metadata, which the resource package checks. Of the volume sources,
// hostPath, local, nfs and csi are checked in detail; the others are only
// counted, so that a volume has exactly one.
func validate(v *corev1.PersistentVolume) field.ErrorList {
	spec := &v.Spec
	fld := field.NewPath("spec")
	var errs field.ErrorList
	if len(spec.AccessModes) == 0 {
		errs = append(errs, field.Required(fld.Child("accessModes"), ""))
	}
	errs = append(errs, pvmodes.ValidateAccessModes(spec.AccessModes, fld.Child("accessModes"))...)
	errs = append(errs, validateCapacity(spec.Capacity, fld.Child("capacity"))...)
	if p := spec.PersistentVolumeReclaimPolicy; p != "" && !slices.Contains(reclaimPolicies, p) {
		errs = append(errs, field.NotSupported(fld.Child("persistentVolumeReclaimPolicy"), p, reclaimPolicies))
	}
	hasNodeAffinity := spec.NodeAffinity != nil
	if hasNodeAffinity {
		errs = append(errs, validateNodeAffinity(spec.NodeAffinity, fld.Child("nodeAffinity"))...)
	}

	sources := 0
	for _, s := range volumeSources(&spec.PersistentVolumeSource) {
		if !s.set {
			continue
		}
		// As upstream, flexVolume is counted but never the one too many.
		if sources > 0 && s.name != "flexVolume" {
			errs = append(errs, field.Forbidden(fld.Child(s.name), "may not specify more than 1 volume type"))
			continue
		}
		sources++
		errs = append(errs, validateSource(spec, s.name, fld.Child(s.name))...)
		if s.name == "local" && !hasNodeAffinity {
			errs = append(errs, field.Required(fld.Child("nodeAffinity"), "Local volume requires node affinity"))
		}
	}
	if sources == 0 {
		errs = append(errs, field.Required(fld, "must specify a volume type"))
	}
	if spec.HostPath != nil && path.Clean(spec.HostPath.Path) == "/" && spec.PersistentVolumeReclaimPolicy == corev1.PersistentVolumeReclaimRecycle {
		errs = append(errs, field.Forbidden(fld.Child("persistentVolumeReclaimPolicy"), "may not be 'recycle' for a hostPath mount of '/'"))
	}
	if name := spec.StorageClassName; name != "" {
		errs = append(errs, fieldcheck.Invalid(fld.Child("storageClassName"), name, apivalidation.NameIsDNSSubdomain(name, false))...)
	}
	errs = append(errs, pvmodes.ValidateVolumeMode(spec.VolumeMode, fld.Child("volumeMode"))...)
	if name := spec.VolumeAttributesClassName; name != nil {
		if *name == "" {
			errs = append(errs, field.Required(fld.Child("volumeAttributesClassName"), "an empty string is disallowed"))
		} else {
			errs = append(errs, fieldcheck.Invalid(fld.Child("volumeAttributesClassName"), *name, apivalidation.NameIsDNSSubdomain(*name, false))...)
		}
		if spec.CSI == nil {
			errs = append(errs, field.Required(fld.Child("csi"), "has to be specified when using volumeAttributesClassName"))
		}
	}
	return errs
}

// validateCapacity checks that the capacity is storage alone, and positive.
func validateCapacity(capacity corev1.ResourceList, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(capacity) == 0 {
		errs = append(errs, field.Required(fld, ""))
	}
	if _, ok := capacity[corev1.ResourceStorage]; !ok || len(capacity) > 1 {
		errs = append(errs, field.NotSupported(fld, capacity, []corev1.ResourceName{corev1.ResourceStorage}))
	}
	names := make([]corev1.ResourceName, 0, len(capacity))
	for name := range capacity {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		qty := capacity[name]
		if qty.Sign() < 0 {
			errs = append(errs, field.Invalid(fld.Key(string(name)), qty.String(), "must be a valid resource quantity"))
		}
		if qty.Cmp(resource.Quantity{}) <= 0 {
			errs = append(errs, field.Invalid(fld.Key(string(name)), qty.String(), "must be greater than zero"))
		}
	}
	return errs
}

// validateNodeAffinity checks that a volume's node affinity has required
// terms; the terms themselves are not checked here.
func validateNodeAffinity(a *corev1.VolumeNodeAffinity, fld *field.Path) field.ErrorList {
	if a.Required == nil {
		return field.ErrorList{field.Required(fld.Child("required"), "must specify required node constraints")}
	}
	if len(a.Required.NodeSelectorTerms) == 0 {
		return field.ErrorList{field.Required(fld.Child("required", "nodeSelectorTerms"), "must have at least one node selector term")}
	}
	return nil
}

// volumeSource is one of a volume's sources, by its JSON name.
type volumeSource struct {
	name string
	set  bool
}

// volumeSources lists the sources in the order kube-apiserver checks them,
// which decides which of several is reported as the one too many.
func volumeSources(s *corev1.PersistentVolumeSource) []volumeSource {
	return []volumeSource{
		{"hostPath", s.HostPath != nil},
		{"gcePersistentDisk", s.GCEPersistentDisk != nil},
		{"awsElasticBlockStore", s.AWSElasticBlockStore != nil},
		{"glusterfs", s.Glusterfs != nil},
		{"flocker", s.Flocker != nil},
		{"nfs", s.NFS != nil},
		{"rbd", s.RBD != nil},
		{"quobyte", s.Quobyte != nil},
		{"cephFS", s.CephFS != nil},
		{"iscsi", s.ISCSI != nil},
		{"cinder", s.Cinder != nil},
		{"fc", s.FC != nil},
		{"flexVolume", s.FlexVolume != nil},
		{"azureFile", s.AzureFile != nil},
		{"vsphereVolume", s.VsphereVolume != nil},
		{"photonPersistentDisk", s.PhotonPersistentDisk != nil},
		{"portworxVolume", s.PortworxVolume != nil},
		{"azureDisk", s.AzureDisk != nil},
		{"scaleIO", s.ScaleIO != nil},
		{"local", s.Local != nil},
		{"storageos", s.StorageOS != nil},
		{"csi", s.CSI != nil},
	}
}

// validateSource checks the source named name of spec.
func validateSource(spec *corev1.PersistentVolumeSpec, name string, fld *field.Path) field.ErrorList {
	switch name {
	case "hostPath":
		return validateHostPath(spec.HostPath, fld)
	case "local":
		if spec.Local.Path == "" {
			return field.ErrorList{field.Required(fld.Child("path"), "")}
		}
		return validateNoBacksteps(spec.Local.Path, fld.Child("path"))
	case "nfs":
		return validateNFS(spec.NFS, fld)
	case "csi":
		return validateCSI(spec.CSI, fld)
	}
	return nil
}

func validateHostPath(s *corev1.HostPathVolumeSource, fld *field.Path) field.ErrorList {
	if s.Path == "" {
		return field.ErrorList{field.Required(fld.Child("path"), "")}
	}
	errs := validateNoBacksteps(s.Path, fld.Child("path"))
	if s.Type != nil && !slices.Contains(hostPathTypes, *s.Type) {
		errs = append(errs, field.NotSupported(fld.Child("type"), *s.Type, hostPathTypes))
	}
	return errs
}

func validateNFS(s *corev1.NFSVolumeSource, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if s.Server == "" {
		errs = append(errs, field.Required(fld.Child("server"), ""))
	}
	if s.Path == "" {
		errs = append(errs, field.Required(fld.Child("path"), ""))
	}
	if !path.IsAbs(s.Path) {
		errs = append(errs, field.Invalid(fld.Child("path"), s.Path, "must be an absolute path"))
	}
	return errs
}

func validateCSI(s *corev1.CSIPersistentVolumeSource, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	driver := fld.Child("driver")
	switch {
	case s.Driver == "":
		errs = append(errs, field.Required(driver, ""))
	case len(s.Driver) > maxCSIDriverNameLength:
		errs = append(errs, field.TooLong(driver, "", maxCSIDriverNameLength))
	}
	if s.Driver != "" {
		errs = append(errs, fieldcheck.Invalid(driver, s.Driver, validation.IsDNS1123Subdomain(strings.ToLower(s.Driver)))...)
	}
	if s.VolumeHandle == "" {
		errs = append(errs, field.Required(fld.Child("volumeHandle"), ""))
	}
	return errs
}

// validateNoBacksteps rejects a path with a ".." element.
func validateNoBacksteps(p string, fld *field.Path) field.ErrorList {
	if slices.Contains(strings.Split(strings.ReplaceAll(p, `\`, "/"), "/"), "..") {
		return field.ErrorList{field.Invalid(fld, p, "must not contain '..'")}
	}
	return nil
}

// validateUpdate is ValidatePersistentVolumeUpdate: the volume source and
// mode are immutable (a CSI volume may gain a controllerExpandSecretRef),
// node affinity may be set but not changed, and volumeAttributesClassName
// may change but not be unset.
func validateUpdate(v, old *corev1.PersistentVolume) field.ErrorList {
	errs := validate(v)
	source := v.Spec.PersistentVolumeSource
	if old.Spec.CSI != nil && old.Spec.CSI.ControllerExpandSecretRef == nil && source.CSI != nil && source.CSI.ControllerExpandSecretRef != nil {
		source = *source.DeepCopy()
		source.CSI.ControllerExpandSecretRef = nil
	}
	if !apiequality.Semantic.DeepEqual(source, old.Spec.PersistentVolumeSource) {
		errs = append(errs, field.Forbidden(field.NewPath("spec", "persistentvolumesource"), fmt.Sprintf(
			"spec.persistentvolumesource is immutable after creation\n%v", cmp.Diff(old.Spec.PersistentVolumeSource, source))))
	}
	errs = append(errs, apivalidation.ValidateImmutableField(v.Spec.VolumeMode, old.Spec.VolumeMode, field.NewPath("volumeMode"))...)
	if old.Spec.NodeAffinity != nil {
		errs = append(errs, apivalidation.ValidateImmutableField(v.Spec.NodeAffinity, old.Spec.NodeAffinity, field.NewPath("nodeAffinity"))...)
	}
	if old.Spec.VolumeAttributesClassName != nil && v.Spec.VolumeAttributesClassName == nil {
		errs = append(errs, field.Forbidden(field.NewPath("spec", "volumeAttributesClassName"), "update from non-nil value to nil is forbidden"))
	}
	return errs
}
