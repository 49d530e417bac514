package kubelet

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime"
	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/images"
)

// imageCache is the images present on the node: pulled once, then
// "already present" for IfNotPresent, and listed in status.images.
type imageCache struct {
	mu     sync.Mutex
	images map[string]runtime.Image // by the reference the spec used
}

func newImageCache() *imageCache { return &imageCache{images: make(map[string]runtime.Image)} }

func (c *imageCache) get(ref string) (runtime.Image, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	img, ok := c.images[ref]
	return img, ok
}

func (c *imageCache) add(ref string, img runtime.Image) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.images[ref] = img
}

// nodeImages is status.images: each image once, with its names (digest
// and tag) and size, largest first as the kubelet sorts them.
func (c *imageCache) nodeImages() []corev1.ContainerImage {
	c.mu.Lock()
	seen := map[string]corev1.ContainerImage{}
	for _, img := range c.images {
		seen[img.ID] = corev1.ContainerImage{Names: []string{img.Digest, img.Ref}, SizeBytes: img.Size}
	}
	c.mu.Unlock()
	out := make([]corev1.ContainerImage, 0, len(seen))
	for _, img := range seen {
		out = append(out, img)
	}
	slices.SortFunc(out, func(a, b corev1.ContainerImage) int {
		if a.SizeBytes != b.SizeBytes {
			return int(b.SizeBytes - a.SizeBytes)
		}
		return strings.Compare(a.Names[0], b.Names[0])
	})
	return out
}

// pull gets the container's image as its pull policy says, with the
// kubelet's events: Pulling and Pulled after a pull, Pulled "already
// present" when the node has it and the policy allows, and the two Failed
// events when the pull fails.
func (w *podWorker) pull(ctx context.Context, pod *corev1.Pod, spec *corev1.Container, r *containerRun) (runtime.Image, error) {
	k := w.k
	if _, err := images.ParseReference(spec.Image); err != nil {
		// The kubelet names the image before it asks the runtime.
		msg := fmt.Sprintf("Failed to apply default image tag %q: couldn't parse image name %q: %v", spec.Image, spec.Image, err)
		k.recorder.Event(r.ref(pod), corev1.EventTypeWarning, "InspectFailed", msg)
		return runtime.Image{}, &imageError{reason: "InvalidImageName", msg: msg}
	}
	img, present := k.images.get(spec.Image)
	policy := spec.ImagePullPolicy
	if present && policy != corev1.PullAlways {
		k.recorder.Eventf(r.ref(pod), corev1.EventTypeNormal, "Pulled", "Container image %q already present on machine", spec.Image)
		return img, nil
	}
	if !present && policy == corev1.PullNever {
		msg := fmt.Sprintf("Container image %q is not present with pull policy of Never", spec.Image)
		k.recorder.Event(r.ref(pod), corev1.EventTypeWarning, "ErrImageNeverPull", msg)
		return runtime.Image{}, &imageError{reason: "ErrImageNeverPull", msg: msg}
	}
	k.recorder.Eventf(r.ref(pod), corev1.EventTypeNormal, "Pulling", "Pulling image %q", spec.Image)
	start := k.clock.Now()
	img, err := k.cfg.Runtime.PullImage(ctx, spec.Image)
	if err != nil {
		// The kubelet hears containerd's error through CRI's gRPC, whose
		// status wraps it.
		err = fmt.Errorf("rpc error: code = Unknown desc = %w", err)
		k.recorder.Eventf(r.ref(pod), corev1.EventTypeWarning, "Failed", "Failed to pull image %q: %v", spec.Image, err)
		k.recorder.Event(r.ref(pod), corev1.EventTypeWarning, "Failed", "Error: ErrImagePull")
		return runtime.Image{}, err
	}
	took := k.clock.Since(start).Round(time.Millisecond)
	k.recorder.Eventf(r.ref(pod), corev1.EventTypeNormal, "Pulled",
		"Successfully pulled image %q in %s (%s including waiting). Image size: %d bytes.", spec.Image, took, took, img.Size)
	k.images.add(spec.Image, img)
	return img, nil
}

// imageError is an image the kubelet will not pull at all, with the reason
// the container waits with (InvalidImageName, ErrImageNeverPull) instead of
// ErrImagePull and its back-off.
type imageError struct{ reason, msg string }

func (e *imageError) Error() string { return e.msg }
