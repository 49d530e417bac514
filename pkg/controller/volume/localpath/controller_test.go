package localpath_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	storagehelpers "k8s.io/component-helpers/storage/volume"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
	"github.com/fakecluster/fakecluster/pkg/controller/internal/controllertest"
	"github.com/fakecluster/fakecluster/pkg/controller/volume/localpath"
	"github.com/fakecluster/fakecluster/pkg/controller/volume/persistentvolume"
	"github.com/fakecluster/fakecluster/pkg/controller/volume/pvcprotection"
	"github.com/fakecluster/fakecluster/pkg/controller/volume/pvprotection"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

const wait = 30 * time.Second

// start runs a one-node cluster with every wired controller (the scheduler
// among them) and the four volume controllers on it.
func start(t *testing.T) kubernetes.Interface {
	t.Helper()
	client := clustertest.Client(t, clustertest.StartWith(t, cluster.Options{}))
	factory := informers.NewSharedInformerFactory(client, 0)
	binder, err := persistentvolume.New(client, factory)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := pvcprotection.New(client, factory)
	if err != nil {
		t.Fatal(err)
	}
	volumes, err := pvprotection.New(client, factory)
	if err != nil {
		t.Fatal(err)
	}
	provisioner, err := localpath.New(client, factory)
	if err != nil {
		t.Fatal(err)
	}
	controllertest.Run(controllertest.Context(t), t, factory,
		func(ctx context.Context) { binder.Run(ctx, 1) },
		func(ctx context.Context) { claims.Run(ctx, 1) },
		func(ctx context.Context) { volumes.Run(ctx, 1) },
		func(ctx context.Context) { provisioner.Run(ctx, 1) })
	return client
}

func hasEvent(ctx context.Context, client kubernetes.Interface, name, reason, message string) error {
	evs, err := client.CoreV1().Events("default").List(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("involvedObject.name", name).String()})
	if err != nil {
		return err
	}
	var seen []string
	for _, e := range evs.Items {
		if e.Reason == reason && e.Message == message {
			return nil
		}
		seen = append(seen, e.Reason+": "+e.Message)
	}
	return fmt.Errorf("no %s event %q on %s; saw %q", reason, message, name, seen)
}

// TestProvisionsForFirstConsumer is kind's dynamic provisioning: the
// default class "standard" appears, a claim that names no class gets it
// and waits for a consumer; a pod using it is scheduled, the claim gets
// the pod's node and a hostPath volume pvc-<uid> pinned there, and the pod
// is bound; deleting pod and claim deletes the volume.
func TestProvisionsForFirstConsumer(t *testing.T) {
	t.Parallel()
	client := start(t)
	ctx := t.Context()

	var class *storagev1.StorageClass
	clustertest.Poll(t, wait, func() (err error) {
		class, err = client.StorageV1().StorageClasses().Get(ctx, "standard", metav1.GetOptions{})
		return err
	})
	if diff := cmp.Diff(localpath.StandardClass().Annotations, class.Annotations); diff != "" ||
		class.Provisioner != "rancher.io/local-path" || *class.ReclaimPolicy != corev1.PersistentVolumeReclaimDelete ||
		*class.VolumeBindingMode != storagev1.VolumeBindingWaitForFirstConsumer {
		t.Errorf("class standard = %+v, want kind's", class)
	}

	in := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "data", Namespace: "default"},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
		},
	}
	// The admission plugin's informer sees the class a moment later.
	clustertest.Poll(t, wait, func() error {
		dry, err := client.CoreV1().PersistentVolumeClaims("default").Create(ctx, in, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil {
			return err
		}
		if dry.Spec.StorageClassName == nil || *dry.Spec.StorageClassName != "standard" {
			return fmt.Errorf("claim would get class %v, want standard", dry.Spec.StorageClassName)
		}
		return nil
	})
	claim, err := client.CoreV1().PersistentVolumeClaims("default").Create(ctx, in, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	clustertest.Poll(t, wait, func() error {
		return hasEvent(ctx, client, "data", "WaitForFirstConsumer", "waiting for first consumer to be created before binding")
	})

	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "user", Namespace: "default"},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "c", Image: "nginx", VolumeMounts: []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}}},
			Volumes:    []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}}},
		},
	}
	clustertest.Poll(t, wait, func() error {
		// The default service account may not be there yet.
		_, err := client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{})
		return err
	})
	clustertest.Poll(t, wait, func() error {
		p, err := client.CoreV1().Pods("default").Get(ctx, "user", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if p.Spec.NodeName != "worker0" {
			return fmt.Errorf("pod on %q, want worker0", p.Spec.NodeName)
		}
		return nil
	})

	pvName := "pvc-" + string(claim.UID)
	bound, err := client.CoreV1().PersistentVolumeClaims("default").Get(ctx, "data", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The pod is bound only once its claim is.
	if bound.Status.Phase != corev1.ClaimBound || bound.Spec.VolumeName != pvName {
		t.Fatalf("claim %s bound to %q when its pod was bound, want Bound to %s", bound.Status.Phase, bound.Spec.VolumeName, pvName)
	}
	for k, want := range map[string]string{
		storagehelpers.AnnSelectedNode:           "worker0",
		storagehelpers.AnnStorageProvisioner:     "rancher.io/local-path",
		storagehelpers.AnnBetaStorageProvisioner: "rancher.io/local-path",
		storagehelpers.AnnBindCompleted:          "yes",
		storagehelpers.AnnBoundByController:      "yes",
	} {
		if got := bound.Annotations[k]; got != want {
			t.Errorf("claim annotation %s = %q, want %q", k, got, want)
		}
	}
	pv, err := client.CoreV1().PersistentVolumes().Get(ctx, pvName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantSource := corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{
		Path: "/var/local-path-provisioner/" + pvName + "_default_data", Type: ptr.To(corev1.HostPathDirectoryOrCreate)}}
	if diff := cmp.Diff(wantSource, pv.Spec.PersistentVolumeSource); diff != "" {
		t.Errorf("volume source (-want +got):\n%s", diff)
	}
	wantAffinity := &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
		MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "kubernetes.io/hostname", Operator: corev1.NodeSelectorOpIn, Values: []string{"worker0"}}},
	}}}}
	if diff := cmp.Diff(wantAffinity, pv.Spec.NodeAffinity); diff != "" {
		t.Errorf("volume node affinity (-want +got):\n%s", diff)
	}
	if pv.Spec.StorageClassName != "standard" || pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete ||
		pv.Annotations[storagehelpers.AnnDynamicallyProvisioned] != "rancher.io/local-path" ||
		pv.Annotations["local.path.provisioner/selected-node"] != "worker0" ||
		pv.Spec.ClaimRef == nil || pv.Spec.ClaimRef.UID != claim.UID || pv.Status.Phase != corev1.VolumeBound {
		t.Errorf("volume = %+v, want class standard, Delete, provisioned by rancher.io/local-path on worker0, Bound to the claim", pv)
	}
	if diff := cmp.Diff([]string{"kubernetes.io/pv-protection"}, pv.Finalizers); diff != "" {
		t.Errorf("volume finalizers (-want +got):\n%s", diff)
	}
	for _, e := range [][2]string{
		{"ExternalProvisioning", "Waiting for a volume to be created either by the external provisioner 'rancher.io/local-path' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered."},
		{"Provisioning", `External provisioner is provisioning volume for claim "default/data"`},
		{"ProvisioningSucceeded", "Successfully provisioned volume " + pvName},
	} {
		clustertest.Poll(t, wait, func() error { return hasEvent(ctx, client, "data", e[0], e[1]) })
	}

	// The claim stays while its pod uses it.
	if err := client.CoreV1().PersistentVolumeClaims("default").Delete(ctx, "data", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if c, err := client.CoreV1().PersistentVolumeClaims("default").Get(ctx, "data", metav1.GetOptions{}); err != nil || c.DeletionTimestamp == nil {
		t.Fatalf("claim in use after delete: %v, %v; want it kept, being deleted", c, err)
	}
	if err := client.CoreV1().Pods("default").Delete(ctx, "user", metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
		t.Fatal(err)
	}
	clustertest.Poll(t, wait, func() error {
		if _, err := client.CoreV1().PersistentVolumeClaims("default").Get(ctx, "data", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			return fmt.Errorf("claim: %v, want gone", err)
		}
		if _, err := client.CoreV1().PersistentVolumes().Get(ctx, pvName, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			return fmt.Errorf("volume: %v, want gone", err)
		}
		return nil
	})
}
