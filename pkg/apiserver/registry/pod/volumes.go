package pod

import (
	"fmt"
	"net"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/fakecluster/fakecluster/pkg/api/downwardapi"
	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/fieldcheck"
)

// validateVolumes checks spec.volumes and returns the volumes that are valid,
// by name, for the mounts to refer to: a mount of an invalid volume is
// reported as not found, as upstream does.
func validateVolumes(volumes []corev1.Volume, podName string, fldPath *field.Path) (map[string]corev1.VolumeSource, field.ErrorList) {
	var allErrs field.ErrorList
	names := sets.New[string]()
	// The PVCs this pod's ephemeral volumes will create.
	created := sets.New[string]()
	if podName != "" {
		for _, v := range volumes {
			if v.Ephemeral != nil {
				created.Insert(podName + "-" + v.Name)
			}
		}
	}
	valid := make(map[string]corev1.VolumeSource)
	for i, v := range volumes {
		idxPath := fldPath.Index(i)
		namePath := idxPath.Child("name")
		el := validateVolumeSource(&v.VolumeSource, idxPath, v.Name, podName)
		if v.Name == "" {
			el = append(el, field.Required(namePath, ""))
		} else {
			el = append(el, validateDNS1123Label(v.Name, namePath)...)
		}
		if names.Has(v.Name) {
			el = append(el, field.Duplicate(namePath, v.Name))
		}
		if len(el) == 0 {
			names.Insert(v.Name)
			valid[v.Name] = v.VolumeSource
		} else {
			allErrs = append(allErrs, el...)
		}
		if v.PersistentVolumeClaim != nil && created.Has(v.PersistentVolumeClaim.ClaimName) {
			allErrs = append(allErrs, field.Invalid(idxPath.Child("persistentVolumeClaim").Child("claimName"), v.PersistentVolumeClaim.ClaimName,
				"must not reference a PVC that gets created for an ephemeral volume"))
		}
	}
	return valid, allErrs
}

// validateVolumeSource: exactly one source, checked on its own. The
// "more than 1" errors name the later sources, in upstream's order and
// spelling ("downwarAPI" included).
func validateVolumeSource(src *corev1.VolumeSource, fldPath *field.Path, volName, podName string) field.ErrorList {
	u := union{path: fldPath, what: "volume type"}
	one := u.member
	one(src.EmptyDir != nil, "emptyDir", func() field.ErrorList {
		if l := src.EmptyDir.SizeLimit; l != nil && l.Cmp(resource.Quantity{}) < 0 {
			return field.ErrorList{field.Forbidden(fldPath.Child("emptyDir").Child("sizeLimit"), "SizeLimit field must be a valid resource quantity")}
		}
		return nil
	})
	one(src.HostPath != nil, "hostPath", func() field.ErrorList { return validateHostPath(src.HostPath, fldPath.Child("hostPath")) })
	one(src.GitRepo != nil, "gitRepo", func() field.ErrorList {
		p := fldPath.Child("gitRepo")
		var errs field.ErrorList
		if src.GitRepo.Repository == "" {
			errs = append(errs, field.Required(p.Child("repository"), ""))
		}
		return append(errs, validateLocalDescendingPath(src.GitRepo.Directory, p.Child("directory"))...)
	})
	one(src.GCEPersistentDisk != nil, "gcePersistentDisk", func() field.ErrorList {
		p := fldPath.Child("persistentDisk") // sic
		return append(required(src.GCEPersistentDisk.PDName, p.Child("pdName")), validatePartition(src.GCEPersistentDisk.Partition, p)...)
	})
	one(src.AWSElasticBlockStore != nil, "awsElasticBlockStore", func() field.ErrorList {
		p := fldPath.Child("awsElasticBlockStore")
		return append(required(src.AWSElasticBlockStore.VolumeID, p.Child("volumeID")), validatePartition(src.AWSElasticBlockStore.Partition, p)...)
	})
	one(src.Secret != nil, "secret", func() field.ErrorList {
		s, p := src.Secret, fldPath.Child("secret")
		return validateKeysVolume(s.SecretName, p.Child("secretName"), s.DefaultMode, s.Items, p)
	})
	one(src.NFS != nil, "nfs", func() field.ErrorList {
		p := fldPath.Child("nfs")
		errs := append(required(src.NFS.Server, p.Child("server")), required(src.NFS.Path, p.Child("path"))...)
		if !path.IsAbs(src.NFS.Path) {
			errs = append(errs, field.Invalid(p.Child("path"), src.NFS.Path, "must be an absolute path"))
		}
		return errs
	})
	if src.ISCSI != nil {
		one(true, "iscsi", func() field.ErrorList { return validateISCSI(src.ISCSI, fldPath.Child("iscsi")) })
		if src.ISCSI.InitiatorName != nil && len(volName+":"+src.ISCSI.TargetPortal) > 64 {
			u.errs = append(u.errs, field.Invalid(fldPath.Child("name"), volName,
				"Total length of <volume name>:<iscsi.targetPortal> must be under 64 characters if iscsi.initiatorName is specified."))
		}
	}
	one(src.Glusterfs != nil, "glusterfs", func() field.ErrorList {
		p := fldPath.Child("glusterfs")
		return append(required(src.Glusterfs.EndpointsName, p.Child("endpoints")), required(src.Glusterfs.Path, p.Child("path"))...)
	})
	one(src.Flocker != nil, "flocker", func() field.ErrorList {
		f, p := src.Flocker, fldPath.Child("flocker")
		var errs field.ErrorList
		if f.DatasetName == "" && f.DatasetUUID == "" {
			errs = append(errs, field.Required(p, "one of datasetName and datasetUUID is required"))
		}
		if f.DatasetName != "" && f.DatasetUUID != "" {
			errs = append(errs, field.Invalid(p, "resource", "datasetName and datasetUUID can not be specified simultaneously"))
		}
		if strings.Contains(f.DatasetName, "/") {
			errs = append(errs, field.Invalid(p.Child("datasetName"), f.DatasetName, "must not contain '/'"))
		}
		return errs
	})
	one(src.PersistentVolumeClaim != nil, "persistentVolumeClaim", func() field.ErrorList {
		return required(src.PersistentVolumeClaim.ClaimName, fldPath.Child("persistentVolumeClaim").Child("claimName"))
	})
	one(src.RBD != nil, "rbd", func() field.ErrorList {
		p := fldPath.Child("rbd")
		var errs field.ErrorList
		if len(src.RBD.CephMonitors) == 0 {
			errs = append(errs, field.Required(p.Child("monitors"), ""))
		}
		return append(errs, required(src.RBD.RBDImage, p.Child("image"))...)
	})
	one(src.Cinder != nil, "cinder", func() field.ErrorList {
		p := fldPath.Child("cinder")
		errs := required(src.Cinder.VolumeID, p.Child("volumeID"))
		if src.Cinder.SecretRef != nil {
			errs = append(errs, required(src.Cinder.SecretRef.Name, p.Child("secretRef", "name"))...)
		}
		return errs
	})
	one(src.CephFS != nil, "cephFS", func() field.ErrorList {
		if len(src.CephFS.Monitors) == 0 {
			return field.ErrorList{field.Required(fldPath.Child("cephfs").Child("monitors"), "")}
		}
		return nil
	})
	one(src.Quobyte != nil, "quobyte", func() field.ErrorList { return validateQuobyte(src.Quobyte, fldPath.Child("quobyte")) })
	one(src.DownwardAPI != nil, "downwarAPI", func() field.ErrorList {
		d, p := src.DownwardAPI, fldPath.Child("downwardAPI")
		errs := validateFileMode(d.DefaultMode, p.Child("defaultMode"))
		for i := range d.Items {
			errs = append(errs, validateDownwardAPIVolumeFile(&d.Items[i], p)...) // upstream omits the index
		}
		return errs
	})
	one(src.FC != nil, "fc", func() field.ErrorList { return validateFC(src.FC, fldPath.Child("fc")) })
	one(src.FlexVolume != nil, "flexVolume", func() field.ErrorList { return validateFlexVolume(src.FlexVolume, fldPath.Child("flexVolume")) })
	one(src.ConfigMap != nil, "configMap", func() field.ErrorList {
		c, p := src.ConfigMap, fldPath.Child("configMap")
		return validateKeysVolume(c.Name, p.Child("name"), c.DefaultMode, c.Items, p)
	})
	one(src.AzureFile != nil, "azureFile", func() field.ErrorList {
		p := fldPath.Child("azureFile")
		return append(required(src.AzureFile.SecretName, p.Child("secretName")), required(src.AzureFile.ShareName, p.Child("shareName"))...)
	})
	one(src.VsphereVolume != nil, "vsphereVolume", func() field.ErrorList {
		return required(src.VsphereVolume.VolumePath, fldPath.Child("vsphereVolume").Child("volumePath"))
	})
	one(src.PhotonPersistentDisk != nil, "photonPersistentDisk", func() field.ErrorList {
		return required(src.PhotonPersistentDisk.PdID, fldPath.Child("photonPersistentDisk").Child("pdID"))
	})
	one(src.PortworxVolume != nil, "portworxVolume", func() field.ErrorList {
		return required(src.PortworxVolume.VolumeID, fldPath.Child("portworxVolume").Child("volumeID"))
	})
	one(src.AzureDisk != nil, "azureDisk", func() field.ErrorList { return validateAzureDisk(src.AzureDisk, fldPath.Child("azureDisk")) })
	one(src.StorageOS != nil, "storageos", func() field.ErrorList {
		s, p := src.StorageOS, fldPath.Child("storageos")
		var errs field.ErrorList
		if s.VolumeName == "" {
			errs = append(errs, field.Required(p.Child("volumeName"), ""))
		} else {
			errs = append(errs, validateDNS1123Label(s.VolumeName, p.Child("volumeName"))...)
		}
		if s.VolumeNamespace != "" {
			errs = append(errs, validateDNS1123Label(s.VolumeNamespace, p.Child("volumeNamespace"))...)
		}
		if s.SecretRef != nil {
			errs = append(errs, required(s.SecretRef.Name, p.Child("secretRef", "name"))...)
		}
		return errs
	})
	one(src.Projected != nil, "projected", func() field.ErrorList { return validateProjected(src.Projected, fldPath.Child("projected")) })
	one(src.ScaleIO != nil, "scaleIO", func() field.ErrorList {
		s, p := src.ScaleIO, fldPath.Child("scaleIO")
		return append(append(required(s.Gateway, p.Child("gateway")), required(s.System, p.Child("system"))...), required(s.VolumeName, p.Child("volumeName"))...)
	})
	one(src.CSI != nil, "csi", func() field.ErrorList { return validateCSI(src.CSI, fldPath.Child("csi")) })
	one(src.Ephemeral != nil, "ephemeral", func() field.ErrorList {
		errs := validateEphemeralVolume(src.Ephemeral, fldPath.Child("ephemeral"))
		if podName != "" && volName != "" {
			pvcName := podName + "-" + volName
			for _, msg := range apivalidation.NameIsDNSSubdomain(pvcName, false) {
				errs = append(errs, field.Invalid(fldPath.Child("name"), volName, fmt.Sprintf("PVC name %q: %v", pvcName, msg)))
			}
		}
		return errs
	})
	one(src.Image != nil, "image", func() field.ErrorList {
		p := fldPath.Child("image")
		return append(required(src.Image.Reference, p.Child("reference")), validatePullPolicy(src.Image.PullPolicy, p.Child("pullPolicy"))...)
	})
	if u.set == 0 {
		u.errs = append(u.errs, field.Required(fldPath, "must specify a volume type"))
	}
	return u.errs
}

func required(value string, fldPath *field.Path) field.ErrorList {
	if value == "" {
		return field.ErrorList{field.Required(fldPath, "")}
	}
	return nil
}

func validatePartition(p int32, fldPath *field.Path) field.ErrorList {
	if p < 0 || p > 255 {
		return field.ErrorList{field.Invalid(fldPath.Child("partition"), p, validation.InclusiveRangeError(1, 255))}
	}
	return nil
}

func validateFileMode(mode *int32, fldPath *field.Path) field.ErrorList {
	if mode != nil && (*mode > 0777 || *mode < 0) {
		return field.ErrorList{field.Invalid(fldPath, *mode, fileModeErrorMsg)}
	}
	return nil
}

var supportedHostPathTypes = sets.New(
	corev1.HostPathUnset, corev1.HostPathDirectoryOrCreate, corev1.HostPathDirectory, corev1.HostPathFileOrCreate,
	corev1.HostPathFile, corev1.HostPathSocket, corev1.HostPathCharDev, corev1.HostPathBlockDev,
)

func validateHostPath(hp *corev1.HostPathVolumeSource, fldPath *field.Path) field.ErrorList {
	if hp.Path == "" {
		return field.ErrorList{field.Required(fldPath.Child("path"), "")}
	}
	allErrs := validatePathNoBacksteps(hp.Path, fldPath.Child("path"))
	if hp.Type != nil && !supportedHostPathTypes.Has(*hp.Type) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("type"), hp.Type, sets.List(supportedHostPathTypes)))
	}
	return allErrs
}

// validateKeysVolume checks a secret or config map volume at fldPath: the
// name of the object it mounts (at namePath, whose field the two name
// differently), its default mode and the keys it projects.
func validateKeysVolume(name string, namePath *field.Path, mode *int32, items []corev1.KeyToPath, fldPath *field.Path) field.ErrorList {
	allErrs := required(name, namePath)
	allErrs = append(allErrs, validateFileMode(mode, fldPath.Child("defaultMode"))...)
	return append(allErrs, validateKeyToPaths(items, fldPath.Child("items"))...)
}

func validateKeyToPaths(items []corev1.KeyToPath, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i := range items {
		allErrs = append(allErrs, validateKeyToPath(&items[i], fldPath.Index(i))...)
	}
	return allErrs
}

func validateKeyToPath(kp *corev1.KeyToPath, fldPath *field.Path) field.ErrorList {
	allErrs := required(kp.Key, fldPath.Child("key"))
	allErrs = append(allErrs, required(kp.Path, fldPath.Child("path"))...)
	allErrs = append(allErrs, validateLocalNonReservedPath(kp.Path, fldPath.Child("path"))...)
	return append(allErrs, validateFileMode(kp.Mode, fldPath.Child("mode"))...)
}

func validateDownwardAPIVolumeFile(f *corev1.DownwardAPIVolumeFile, fldPath *field.Path) field.ErrorList {
	allErrs := required(f.Path, fldPath.Child("path"))
	allErrs = append(allErrs, validateLocalNonReservedPath(f.Path, fldPath.Child("path"))...)
	switch {
	case f.FieldRef != nil:
		allErrs = append(allErrs, validateObjectFieldSelector(f.FieldRef, downwardapi.VolumeFieldPaths(), fldPath.Child("fieldRef"))...)
		if f.ResourceFieldRef != nil {
			allErrs = append(allErrs, field.Invalid(fldPath, "resource", "fieldRef and resourceFieldRef can not be specified simultaneously"))
		}
	case f.ResourceFieldRef != nil:
		allErrs = append(allErrs, validateResourceFieldSelector(f.ResourceFieldRef, fldPath.Child("resourceFieldRef"), true)...)
	default:
		allErrs = append(allErrs, field.Required(fldPath, "one of fieldRef and resourceFieldRef is required"))
	}
	return append(allErrs, validateFileMode(f.Mode, fldPath.Child("mode"))...)
}

// validateProjected checks a projected volume; every source projects at most
// one kind of object, and no two items may write the same path.
func validateProjected(p *corev1.ProjectedVolumeSource, fldPath *field.Path) field.ErrorList {
	allErrs := validateFileMode(p.DefaultMode, fldPath.Child("defaultMode"))
	paths := sets.New[string]()
	dup := func(name, curPath string) {
		if curPath == "" {
			return
		}
		if paths.Has(curPath) {
			allErrs = append(allErrs, field.Invalid(fldPath, name, "conflicting duplicate paths"))
		}
		paths.Insert(curPath)
	}
	// Secret and config map sources name an object and project its keys.
	keys := func(name string, items []corev1.KeyToPath, srcPath *field.Path) {
		allErrs = append(allErrs, required(name, srcPath.Child("name"))...)
		for j := range items {
			allErrs = append(allErrs, validateKeyToPath(&items[j], srcPath.Child("items").Index(j))...)
			dup(name, items[j].Path)
		}
	}
	for i, s := range p.Sources {
		n := 0
		srcPath := fldPath.Child("sources").Index(i)
		if s.Secret != nil {
			n++
			keys(s.Secret.Name, s.Secret.Items, srcPath.Child("secret"))
		}
		if s.ConfigMap != nil {
			n++
			keys(s.ConfigMap.Name, s.ConfigMap.Items, srcPath.Child("configMap"))
		}
		if s.DownwardAPI != nil {
			n++
			for j := range s.DownwardAPI.Items {
				f := &s.DownwardAPI.Items[j]
				allErrs = append(allErrs, validateDownwardAPIVolumeFile(f, srcPath.Child("downwardAPI"))...)
				dup(f.Path, f.Path)
			}
		}
		if t := s.ServiceAccountToken; t != nil {
			n++
			tp := srcPath.Child("serviceAccountToken")
			if t.ExpirationSeconds != nil {
				if *t.ExpirationSeconds < 10*60 {
					allErrs = append(allErrs, field.Invalid(tp.Child("expirationSeconds"), *t.ExpirationSeconds, "may not specify a duration less than 10 minutes"))
				}
				if *t.ExpirationSeconds > 1<<32 {
					allErrs = append(allErrs, field.Invalid(tp.Child("expirationSeconds"), *t.ExpirationSeconds, "may not specify a duration larger than 2^32 seconds"))
				}
			}
			if t.Path == "" {
				allErrs = append(allErrs, field.Required(fldPath.Child("path"), ""))
			} else {
				allErrs = append(allErrs, validateLocalNonReservedPath(t.Path, fldPath.Child("path"))...)
			}
		}
		if n > 1 {
			allErrs = append(allErrs, field.Forbidden(srcPath, "may not specify more than 1 volume type per source"))
		}
	}
	return allErrs
}

var (
	iscsiIQNRegexp = regexp.MustCompile(`iqn\.\d{4}-\d{2}\.([[:alnum:]-.]+)(:[^,;*&$|\s]+)$`)
	iscsiEUIRegexp = regexp.MustCompile(`^eui.[[:alnum:]]{16}$`)
	iscsiNAARegexp = regexp.MustCompile(`^naa.[[:alnum:]]{32}$`)
)

func validateISCSIName(name string, fldPath *field.Path, prefixErr string) field.ErrorList {
	switch {
	case !strings.HasPrefix(name, "iqn") && !strings.HasPrefix(name, "eui") && !strings.HasPrefix(name, "naa"):
		return field.ErrorList{field.Invalid(fldPath, name, prefixErr)}
	case strings.HasPrefix(name, "iqn") && !iscsiIQNRegexp.MatchString(name),
		strings.HasPrefix(name, "eui") && !iscsiEUIRegexp.MatchString(name),
		strings.HasPrefix(name, "naa") && !iscsiNAARegexp.MatchString(name):
		return field.ErrorList{field.Invalid(fldPath, name, "must be valid format")}
	}
	return nil
}

func validateISCSI(s *corev1.ISCSIVolumeSource, fldPath *field.Path) field.ErrorList {
	allErrs := required(s.TargetPortal, fldPath.Child("targetPortal"))
	if s.IQN == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("iqn"), ""))
	} else {
		allErrs = append(allErrs, validateISCSIName(s.IQN, fldPath.Child("iqn"), "must be valid format starting with iqn, eui, or naa")...)
	}
	if s.Lun < 0 || s.Lun > 255 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("lun"), s.Lun, validation.InclusiveRangeError(0, 255)))
	}
	if (s.DiscoveryCHAPAuth || s.SessionCHAPAuth) && s.SecretRef == nil {
		allErrs = append(allErrs, field.Required(fldPath.Child("secretRef"), ""))
	}
	if s.InitiatorName != nil {
		allErrs = append(allErrs, validateISCSIName(*s.InitiatorName, fldPath.Child("initiatorname"), "must be valid format starting with iqn, eui, or naa")...)
	}
	return allErrs
}

func validateQuobyte(q *corev1.QuobyteVolumeSource, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	const hostPortMsg = "must be a host:port pair or multiple pairs separated by commas"
	switch {
	case q.Registry == "":
		allErrs = append(allErrs, field.Required(fldPath.Child("registry"), hostPortMsg))
	case len(q.Tenant) >= 65:
		allErrs = append(allErrs, field.Required(fldPath.Child("tenant"), "must be a UUID and may not exceed a length of 64 characters"))
	default:
		for _, hp := range strings.Split(q.Registry, ",") {
			if _, _, err := net.SplitHostPort(hp); err != nil {
				allErrs = append(allErrs, field.Invalid(fldPath.Child("registry"), q.Registry, hostPortMsg))
			}
		}
	}
	return append(allErrs, required(q.Volume, fldPath.Child("volume"))...)
}

func validateFC(fc *corev1.FCVolumeSource, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(fc.TargetWWNs) < 1 && len(fc.WWIDs) < 1 {
		allErrs = append(allErrs, field.Required(fldPath.Child("targetWWNs"), "must specify either targetWWNs or wwids, but not both"))
	}
	if len(fc.TargetWWNs) != 0 && len(fc.WWIDs) != 0 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("targetWWNs"), fc.TargetWWNs, "targetWWNs and wwids can not be specified simultaneously"))
	}
	if len(fc.TargetWWNs) != 0 {
		if fc.Lun == nil {
			allErrs = append(allErrs, field.Required(fldPath.Child("lun"), "lun is required if targetWWNs is specified"))
		} else if *fc.Lun < 0 || *fc.Lun > 255 {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("lun"), fc.Lun, validation.InclusiveRangeError(0, 255)))
		}
	}
	return allErrs
}

func validateFlexVolume(fv *corev1.FlexVolumeSource, fldPath *field.Path) field.ErrorList {
	allErrs := required(fv.Driver, fldPath.Child("driver"))
	for _, k := range sets.List(sets.KeySet(fv.Options)) {
		ns := k
		if before, _, ok := strings.Cut(k, "/"); ok {
			ns = before
		}
		n := "." + strings.ToLower(ns)
		if strings.HasSuffix(n, ".kubernetes.io") || strings.HasSuffix(n, ".k8s.io") {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("options").Key(k), k, "kubernetes.io and k8s.io namespaces are reserved"))
		}
	}
	return allErrs
}

func validateAzureDisk(a *corev1.AzureDiskVolumeSource, fldPath *field.Path) field.ErrorList {
	allErrs := required(a.DiskName, fldPath.Child("diskName"))
	allErrs = append(allErrs, required(a.DataDiskURI, fldPath.Child("diskURI"))...)
	cachingModes := []corev1.AzureDataDiskCachingMode{corev1.AzureDataDiskCachingNone, corev1.AzureDataDiskCachingReadOnly, corev1.AzureDataDiskCachingReadWrite}
	if a.CachingMode != nil && !sets.New(cachingModes...).Has(*a.CachingMode) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("cachingMode"), *a.CachingMode, cachingModes))
	}
	kinds := []corev1.AzureDataDiskKind{corev1.AzureDedicatedBlobDisk, corev1.AzureManagedDisk, corev1.AzureSharedBlobDisk}
	if a.Kind != nil && !sets.New(kinds...).Has(*a.Kind) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("kind"), *a.Kind, kinds))
	}
	if a.Kind != nil && *a.Kind == corev1.AzureManagedDisk && !strings.HasPrefix(a.DataDiskURI, "/subscriptions/") {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("diskURI"), a.DataDiskURI,
			[]string{"/subscriptions/{sub-id}/resourcegroups/{group-name}/providers/microsoft.compute/disks/{disk-id}"}))
	}
	if a.Kind != nil && *a.Kind != corev1.AzureManagedDisk && !strings.HasPrefix(a.DataDiskURI, "https://") {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("diskURI"), a.DataDiskURI,
			[]string{"https://{account-name}.blob.core.windows.net/{container-name}/{disk-name}.vhd"}))
	}
	return allErrs
}

func validateCSI(c *corev1.CSIVolumeSource, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	driverPath := fldPath.Child("driver")
	if c.Driver == "" {
		allErrs = append(allErrs, field.Required(driverPath, ""))
	}
	if len(c.Driver) > 63 {
		allErrs = append(allErrs, field.TooLong(driverPath, "", 63))
	}
	allErrs = append(allErrs, fieldcheck.Invalid(driverPath, c.Driver, validation.IsDNS1123Subdomain(strings.ToLower(c.Driver)))...)
	if ref := c.NodePublishSecretRef; ref != nil {
		if ref.Name == "" {
			allErrs = append(allErrs, field.Required(fldPath.Child("nodePublishSecretRef", "name"), ""))
		} else {
			allErrs = append(allErrs, fieldcheck.Invalid(fldPath.Child("name"), ref.Name, apivalidation.NameIsDNSSubdomain(ref.Name, false))...)
		}
	}
	return allErrs
}

// allowedTemplateMetaFields are the only metadata a claim template may carry.
var allowedTemplateMetaFields = sets.New("Labels", "Annotations")

var supportedAccessModes = []corev1.PersistentVolumeAccessMode{
	corev1.ReadOnlyMany, corev1.ReadWriteMany, corev1.ReadWriteOnce, corev1.ReadWriteOncePod,
}

// validateEphemeralVolume checks a generic ephemeral volume's claim template:
// labels and annotations only in its metadata, and the claim spec basics
// (access modes, a positive storage request, volume mode).
func validateEphemeralVolume(e *corev1.EphemeralVolumeSource, fldPath *field.Path) field.ErrorList {
	tmpl := e.VolumeClaimTemplate
	tp := fldPath.Child("volumeClaimTemplate")
	if tmpl == nil {
		return field.ErrorList{field.Required(tp, "")}
	}
	mp := tp.Child("metadata")
	allErrs := apivalidation.ValidateAnnotations(tmpl.Annotations, mp.Child("annotations"))
	allErrs = append(allErrs, metav1validation.ValidateLabels(tmpl.Labels, mp.Child("labels"))...)
	for _, name := range setFields(tmpl.ObjectMeta, allowedTemplateMetaFields) {
		allErrs = append(allErrs, field.Forbidden(mp.Child(name), "cannot be set"))
	}
	sp := tp.Child("spec")
	spec := &tmpl.Spec
	if len(spec.AccessModes) == 0 {
		allErrs = append(allErrs, field.Required(sp.Child("accessModes"), "at least 1 access mode is required"))
	}
	if spec.Selector != nil {
		allErrs = append(allErrs, metav1validation.ValidateLabelSelector(spec.Selector, metav1validation.LabelSelectorValidationOptions{}, sp.Child("selector"))...)
	}
	rwop, other := false, false
	for _, m := range spec.AccessModes {
		if !sets.New(supportedAccessModes...).Has(m) {
			allErrs = append(allErrs, field.NotSupported(sp.Child("accessModes"), m, supportedAccessModes))
		} else if m == corev1.ReadWriteOncePod {
			rwop = true
		} else {
			other = true
		}
	}
	if rwop && other {
		allErrs = append(allErrs, field.Forbidden(sp.Child("accessModes"), "may not use ReadWriteOncePod with other access modes"))
	}
	storagePath := sp.Child("resources").Key(string(corev1.ResourceStorage))
	if q, ok := spec.Resources.Requests[corev1.ResourceStorage]; !ok {
		allErrs = append(allErrs, field.Required(storagePath, ""))
	} else if q.Cmp(resource.Quantity{}) <= 0 {
		allErrs = append(allErrs, field.Invalid(storagePath, q.String(), isNotPositiveErrorMsg))
	}
	if spec.StorageClassName != nil && *spec.StorageClassName != "" {
		allErrs = append(allErrs, fieldcheck.Invalid(sp.Child("storageClassName"), *spec.StorageClassName, apivalidation.NameIsDNSSubdomain(*spec.StorageClassName, false))...)
	}
	if m := spec.VolumeMode; m != nil && *m != corev1.PersistentVolumeBlock && *m != corev1.PersistentVolumeFilesystem {
		allErrs = append(allErrs, field.NotSupported(sp.Child("volumeMode"), *m,
			[]corev1.PersistentVolumeMode{corev1.PersistentVolumeBlock, corev1.PersistentVolumeFilesystem}))
	}
	return allErrs
}

// validateLocalDescendingPath: relative, and no ".." element.
func validateLocalDescendingPath(p string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if path.IsAbs(p) {
		allErrs = append(allErrs, field.Invalid(fldPath, p, "must be a relative path"))
	}
	return append(allErrs, validatePathNoBacksteps(p, fldPath)...)
}

func hasBacksteps(p string) bool {
	for _, item := range strings.Split(filepath.ToSlash(p), "/") {
		if item == ".." {
			return true
		}
	}
	return false
}

func validatePathNoBacksteps(p string, fldPath *field.Path) field.ErrorList {
	if hasBacksteps(p) {
		return field.ErrorList{field.Invalid(fldPath, p, "must not contain '..'")}
	}
	return nil
}

// validateLocalNonReservedPath: a local descending path that does not start
// with "..".
func validateLocalNonReservedPath(p string, fldPath *field.Path) field.ErrorList {
	allErrs := validateLocalDescendingPath(p, fldPath)
	if strings.HasPrefix(p, "..") && !strings.HasPrefix(p, "../") {
		allErrs = append(allErrs, field.Invalid(fldPath, p, "must not start with '..'"))
	}
	return allErrs
}
