package persistentvolume_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
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
	"github.com/fakecluster/fakecluster/pkg/controller/volume/persistentvolume"
)

func TestMain(m *testing.M) { clustertest.Main(m) }

const wait = 15 * time.Second

// start runs the API server and the binder against it.
func start(t *testing.T) kubernetes.Interface {
	t.Helper()
	client := clustertest.Client(t, clustertest.StartAPI(t, cluster.Options{}))
	factory := informers.NewSharedInformerFactory(client, 0)
	c, err := persistentvolume.New(client, factory, persistentvolume.WithResyncPeriod(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	controllertest.Run(controllertest.Context(t), t, factory, func(ctx context.Context) { c.Run(ctx, 1) })
	return client
}

func volume(name, size string, modes []corev1.PersistentVolumeAccessMode, mutate func(*corev1.PersistentVolume)) *corev1.PersistentVolume {
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PersistentVolumeSpec{
			AccessModes:            modes,
			Capacity:               corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)},
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/data/" + name}},
		},
	}
	if mutate != nil {
		mutate(pv)
	}
	return pv
}

func claim(name, size string, modes []corev1.PersistentVolumeAccessMode, mutate func(*corev1.PersistentVolumeClaim)) *corev1.PersistentVolumeClaim {
	c := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      modes,
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)}},
			StorageClassName: ptr.To(""),
		},
	}
	if mutate != nil {
		mutate(c)
	}
	return c
}

var rwo = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}

func waitClaim(t *testing.T, client kubernetes.Interface, name string, ok func(*corev1.PersistentVolumeClaim) error) *corev1.PersistentVolumeClaim {
	t.Helper()
	var got *corev1.PersistentVolumeClaim
	clustertest.Poll(t, wait, func() error {
		c, err := client.CoreV1().PersistentVolumeClaims("default").Get(t.Context(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		got = c
		return ok(c)
	})
	return got
}

func waitVolume(t *testing.T, client kubernetes.Interface, name string, ok func(*corev1.PersistentVolume) error) *corev1.PersistentVolume {
	t.Helper()
	var got *corev1.PersistentVolume
	clustertest.Poll(t, wait, func() error {
		pv, err := client.CoreV1().PersistentVolumes().Get(t.Context(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		got = pv
		return ok(pv)
	})
	return got
}

func phase[P ~string](got, want P) error {
	if got != want {
		return fmt.Errorf("phase %q, want %q", got, want)
	}
	return nil
}

// TestBindsStaticVolumes creates volumes and claims and checks each claim
// binds the volume upstream's binder picks: the smallest that fits, of the
// claim's class, access modes, selector and volume mode, or the one named
// on either side; both sides Bound with upstream's annotations.
func TestBindsStaticVolumes(t *testing.T) {
	t.Parallel()
	client := start(t)
	ctx := t.Context()
	rwx := []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}
	block := corev1.PersistentVolumeBlock
	for _, pv := range []*corev1.PersistentVolume{
		volume("small", "1Gi", rwo, nil),
		volume("medium", "5Gi", rwo, nil),
		volume("large", "10Gi", rwo, nil),
		volume("shared", "5Gi", rwx, nil),
		volume("fast", "5Gi", rwo, func(pv *corev1.PersistentVolume) { pv.Spec.StorageClassName = "fast" }),
		volume("labelled", "20Gi", rwo, func(pv *corev1.PersistentVolume) { pv.Labels = map[string]string{"tier": "gold"} }),
		volume("block", "5Gi", rwo, func(pv *corev1.PersistentVolume) { pv.Spec.VolumeMode = &block }),
		volume("reserved", "50Gi", rwo, func(pv *corev1.PersistentVolume) {
			pv.Spec.ClaimRef = &corev1.ObjectReference{Namespace: "default", Name: "wants-reserved"}
		}),
		volume("named", "50Gi", rwo, nil),
	} {
		if _, err := client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		claim *corev1.PersistentVolumeClaim
		want  string
		// byController is whether the claim gets bound-by-controller.
		byController bool
	}{
		{claim: claim("two-gigs", "2Gi", rwo, nil), want: "medium", byController: true},
		{claim: claim("shared", "1Gi", rwx, nil), want: "shared", byController: true},
		{claim: claim("fast", "1Gi", rwo, func(c *corev1.PersistentVolumeClaim) { c.Spec.StorageClassName = ptr.To("fast") }), want: "fast", byController: true},
		{claim: claim("gold", "1Gi", rwo, func(c *corev1.PersistentVolumeClaim) {
			c.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"tier": "gold"}}
		}), want: "labelled", byController: true},
		{claim: claim("raw", "1Gi", rwo, func(c *corev1.PersistentVolumeClaim) { c.Spec.VolumeMode = &block }), want: "block", byController: true},
		{claim: claim("wants-reserved", "1Gi", rwo, nil), want: "reserved", byController: true},
		{claim: claim("names-it", "1Gi", rwo, func(c *corev1.PersistentVolumeClaim) { c.Spec.VolumeName = "named" }), want: "named"},
	}
	for _, tc := range tests {
		if _, err := client.CoreV1().PersistentVolumeClaims("default").Create(ctx, tc.claim, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range tests {
		t.Run(tc.claim.Name, func(t *testing.T) {
			got := waitClaim(t, client, tc.claim.Name, func(c *corev1.PersistentVolumeClaim) error { return phase(c.Status.Phase, corev1.ClaimBound) })
			if got.Spec.VolumeName != tc.want {
				t.Errorf("bound to %q, want %q", got.Spec.VolumeName, tc.want)
			}
			if got.Annotations[storagehelpers.AnnBindCompleted] != "yes" {
				t.Errorf("annotations %v, want %s", got.Annotations, storagehelpers.AnnBindCompleted)
			}
			if _, by := got.Annotations[storagehelpers.AnnBoundByController]; by != tc.byController {
				t.Errorf("claim annotated bound-by-controller: %v, want %v", by, tc.byController)
			}
			pv := waitVolume(t, client, tc.want, func(pv *corev1.PersistentVolume) error { return phase(pv.Status.Phase, corev1.VolumeBound) })
			if ref := pv.Spec.ClaimRef; ref == nil || ref.Name != tc.claim.Name || ref.UID != got.UID {
				t.Errorf("volume claimRef %+v, want claim %s uid %s", ref, tc.claim.Name, got.UID)
			}
			if got.Status.Capacity.Storage().Cmp(*pv.Spec.Capacity.Storage()) != 0 || len(got.Status.AccessModes) == 0 {
				t.Errorf("claim status %+v, want the volume's capacity and access modes", got.Status)
			}
		})
	}
	for _, name := range []string{"small", "large"} {
		waitVolume(t, client, name, func(pv *corev1.PersistentVolume) error { return phase(pv.Status.Phase, corev1.VolumeAvailable) })
	}
}

// TestPendingAndReleased: a claim no volume fits stays Pending with
// upstream's event, and binds once a volume comes; deleting it releases
// the Retain volume, which keeps its claimRef and is not bound again.
func TestPendingAndReleased(t *testing.T) {
	t.Parallel()
	client := start(t)
	ctx := t.Context()
	if _, err := client.CoreV1().PersistentVolumeClaims("default").Create(ctx, claim("data", "3Gi", rwo, nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	clustertest.Poll(t, wait, func() error {
		evs, err := client.CoreV1().Events("default").List(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("involvedObject.name", "data").String()})
		if err != nil {
			return err
		}
		for _, e := range evs.Items {
			if e.Reason == "FailedBinding" && e.Message == "no persistent volumes available for this claim and no storage class is set" &&
				e.Source.Component == "persistentvolume-controller" {
				return nil
			}
		}
		return fmt.Errorf("no FailedBinding event in %+v", evs.Items)
	})
	if got, _ := client.CoreV1().PersistentVolumeClaims("default").Get(ctx, "data", metav1.GetOptions{}); got.Status.Phase != corev1.ClaimPending {
		t.Fatalf("claim phase %q, want Pending", got.Status.Phase)
	}
	if _, err := client.CoreV1().PersistentVolumes().Create(ctx, volume("too-small", "1Gi", rwo, nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CoreV1().PersistentVolumes().Create(ctx, volume("retained", "3Gi", rwo, nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	bound := waitClaim(t, client, "data", func(c *corev1.PersistentVolumeClaim) error { return phase(c.Status.Phase, corev1.ClaimBound) })
	if bound.Spec.VolumeName != "retained" {
		t.Fatalf("claim bound to %q, want retained", bound.Spec.VolumeName)
	}

	// The claim's protection finalizer has no controller here: remove it.
	if err := client.CoreV1().PersistentVolumeClaims("default").Delete(ctx, "data", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	cur, err := client.CoreV1().PersistentVolumeClaims("default").Get(ctx, "data", metav1.GetOptions{})
	if err == nil {
		cur.Finalizers = nil
		if _, err := client.CoreV1().PersistentVolumeClaims("default").Update(ctx, cur, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
	}
	pv := waitVolume(t, client, "retained", func(pv *corev1.PersistentVolume) error { return phase(pv.Status.Phase, corev1.VolumeReleased) })
	if pv.Spec.ClaimRef == nil || pv.Spec.ClaimRef.UID != bound.UID {
		t.Errorf("released volume's claimRef %+v, want the deleted claim's", pv.Spec.ClaimRef)
	}
	// A new claim of the same name does not get the released volume.
	if _, err := client.CoreV1().PersistentVolumeClaims("default").Create(ctx, claim("data", "1Gi", rwo, nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	again := waitClaim(t, client, "data", func(c *corev1.PersistentVolumeClaim) error { return phase(c.Status.Phase, corev1.ClaimBound) })
	if again.Spec.VolumeName != "too-small" {
		t.Errorf("new claim bound to %q, want too-small (retained is Released)", again.Spec.VolumeName)
	}
	if pv, _ := client.CoreV1().PersistentVolumes().Get(ctx, "retained", metav1.GetOptions{}); pv.Status.Phase != corev1.VolumeReleased {
		t.Errorf("retained volume is %q, want still Released", pv.Status.Phase)
	}
}

// TestDeleteWithoutProvisioner: a static volume with reclaim policy Delete
// and no provisioner to delete it goes Failed, with upstream's event.
func TestDeleteWithoutProvisioner(t *testing.T) {
	t.Parallel()
	client := start(t)
	ctx := t.Context()
	pv := volume("doomed", "1Gi", rwo, func(pv *corev1.PersistentVolume) {
		pv.Spec.PersistentVolumeReclaimPolicy = corev1.PersistentVolumeReclaimDelete
		pv.Spec.ClaimRef = &corev1.ObjectReference{Namespace: "default", Name: "gone", UID: "00000000-0000-0000-0000-000000000001"}
	})
	if _, err := client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	got := waitVolume(t, client, "doomed", func(pv *corev1.PersistentVolume) error { return phase(pv.Status.Phase, corev1.VolumeFailed) })
	if want := `error getting deleter volume plugin for volume "doomed": no deletable volume plugin matched`; got.Status.Message != want {
		t.Errorf("message %q, want %q", got.Status.Message, want)
	}
}
