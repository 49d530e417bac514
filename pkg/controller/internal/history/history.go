package history

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"

	"github.com/fakecluster/fakecluster/pkg/controller/internal/ownership"
)

// HashLabel is the label upstream's controller history puts on the
// revisions it names after their data's hash (a StatefulSet's), holding
// that hash.
const HashLabel = "controller.kubernetes.io/hash"

// maxPrefix is the longest owner name a revision's name starts with: with
// "-" and a hash it stays within the 253 characters of a name.
const maxPrefix = 223

// ErrHashCollision is returned (wrapped) by Create when the revision's name
// is taken by a revision that holds other data: the owner's collision
// count must go up so that the next name differs.
var ErrHashCollision = errors.New("hash collision")

// Claim claims for owner the ControllerRevisions of its namespace that
// lister holds, as ownership.Claim does (owner's Patch is set here), and
// returns those it controls.
func Claim(ctx context.Context, client kubernetes.Interface, lister appslisters.ControllerRevisionLister, owner ownership.Owner) ([]*appsv1.ControllerRevision, error) {
	ns := owner.Object.GetNamespace()
	all, err := lister.ControllerRevisions(ns).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	owner.Patch = func(ctx context.Context, name string, patch []byte) error {
		_, err := client.AppsV1().ControllerRevisions(ns).Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
		return err
	}
	return ownership.Claim(ctx, owner, all)
}

// TemplatePatch is the data of a revision of obj (a DaemonSet or a
// StatefulSet, as the API serves it), as upstream writes it and kubectl
// rollout undo applies it: a strategic merge patch that replaces
// spec.template with obj's.
func TemplatePatch(obj any) ([]byte, error) {
	whole, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var parsed struct {
		Spec struct {
			Template map[string]any `json:"template"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(whole, &parsed); err != nil {
		return nil, err
	}
	if parsed.Spec.Template == nil {
		return nil, fmt.Errorf("no spec.template in %T", obj)
	}
	parsed.Spec.Template["$patch"] = "replace"
	return json.Marshal(map[string]any{"spec": map[string]any{"template": parsed.Spec.Template}})
}

// Hash is upstream's hash of a revision's data under collisionCount (nil:
// none yet): FNV-32 over the data and the count in decimal, in rand's safe
// alphabet. The same data gives the same name as on a real cluster.
func Hash(data []byte, collisionCount *int32) string {
	h := fnv.New32()
	h.Write(data)
	if collisionCount != nil {
		h.Write([]byte(strconv.FormatInt(int64(*collisionCount), 10)))
	}
	return rand.SafeEncodeString(fmt.Sprint(h.Sum32()))
}

// Name is the name of owner's revision of the given hash: the owner's
// name, cut to fit, a dash and the hash.
func Name(owner, hash string) string {
	if len(owner) > maxPrefix {
		owner = owner[:maxPrefix]
	}
	return owner + "-" + hash
}

// Sort orders revisions oldest first: by revision number, then creation
// time, then name.
func Sort(revisions []*appsv1.ControllerRevision) {
	slices.SortStableFunc(revisions, func(a, b *appsv1.ControllerRevision) int {
		if c := cmp.Compare(a.Revision, b.Revision); c != 0 {
			return c
		}
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			if a.CreationTimestamp.Before(&b.CreationTimestamp) {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Name, b.Name)
	})
}

// Next is the number of a revision that comes after all of revisions: one
// more than the highest, or 1 for none.
func Next(revisions []*appsv1.ControllerRevision) int64 {
	next := int64(1)
	for _, r := range revisions {
		next = max(next, r.Revision+1)
	}
	return next
}

// FindEqual returns those of revisions that hold data, in their order;
// same tells whether a revision's data is data (nil: the same bytes).
func FindEqual(revisions []*appsv1.ControllerRevision, data []byte, same func(revision *appsv1.ControllerRevision) bool) []*appsv1.ControllerRevision {
	if same == nil {
		same = func(r *appsv1.ControllerRevision) bool { return bytes.Equal(r.Data.Raw, data) }
	}
	var out []*appsv1.ControllerRevision
	for _, r := range revisions {
		if same(r) {
			out = append(out, r)
		}
	}
	return out
}

// Create creates revision. A revision of that name that holds the same
// data is returned instead; one that holds other data is a hash
// collision, returned as ErrHashCollision.
func Create(ctx context.Context, client kubernetes.Interface, revision *appsv1.ControllerRevision) (*appsv1.ControllerRevision, error) {
	revisions := client.AppsV1().ControllerRevisions(revision.Namespace)
	created, err := revisions.Create(ctx, revision, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		return created, err
	}
	existing, err := revisions.Get(ctx, revision.Name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	if bytes.Equal(existing.Data.Raw, revision.Data.Raw) {
		return existing, nil
	}
	return nil, fmt.Errorf("controller revision %s/%s holds other data: %w", revision.Namespace, revision.Name, ErrHashCollision)
}

// Renumber gives revision the number n, retrying on conflicts with the
// revision as the API server has it, and returns it as written.
func Renumber(ctx context.Context, client kubernetes.Interface, revision *appsv1.ControllerRevision, n int64) (*appsv1.ControllerRevision, error) {
	revisions := client.AppsV1().ControllerRevisions(revision.Namespace)
	r := revision.DeepCopy()
	for attempt := 0; ; attempt++ {
		if r.Revision == n {
			return r, nil
		}
		r.Revision = n
		updated, err := revisions.Update(ctx, r, metav1.UpdateOptions{})
		if err == nil {
			return updated, nil
		}
		if !apierrors.IsConflict(err) || attempt >= maxConflictRetries {
			return nil, err
		}
		if r, err = revisions.Get(ctx, r.Name, metav1.GetOptions{}); err != nil {
			return nil, err
		}
	}
}

// maxConflictRetries is how often Renumber re-reads a revision that
// changed under it before it gives up.
const maxConflictRetries = 5

// Delete deletes revisions; one already gone is no error.
func Delete(ctx context.Context, client kubernetes.Interface, revisions ...*appsv1.ControllerRevision) error {
	var errs []error
	for _, r := range revisions {
		err := client.AppsV1().ControllerRevisions(r.Namespace).Delete(ctx, r.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &r.UID}})
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Trim deletes up to excess of revisions, oldest first, skipping those
// live reports something still runs or points at.
func Trim(ctx context.Context, client kubernetes.Interface, revisions []*appsv1.ControllerRevision, excess int, live func(*appsv1.ControllerRevision) bool) error {
	if excess <= 0 {
		return nil
	}
	revisions = slices.Clone(revisions)
	Sort(revisions)
	var drop []*appsv1.ControllerRevision
	for _, r := range revisions {
		if len(drop) == excess {
			break
		}
		if !live(r) {
			drop = append(drop, r)
		}
	}
	return Delete(ctx, client, drop...)
}
