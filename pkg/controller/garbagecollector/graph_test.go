package garbagecollector

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func ref(uid, name string, block *bool) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: name, UID: types.UID(uid), BlockOwnerDeletion: block}
}

func TestReferencesDiffs(t *testing.T) {
	t.Parallel()
	yes, no := new(true), new(false)
	for _, tt := range []struct {
		name                 string
		old, new             []metav1.OwnerReference
		added, removed       []metav1.OwnerReference
		changedOld, changedN []metav1.OwnerReference
	}{
		{name: "none"},
		{name: "same", old: []metav1.OwnerReference{ref("a", "a", nil)}, new: []metav1.OwnerReference{ref("a", "a", nil)}},
		{name: "added", new: []metav1.OwnerReference{ref("a", "a", nil)}, added: []metav1.OwnerReference{ref("a", "a", nil)}},
		{name: "removed", old: []metav1.OwnerReference{ref("a", "a", nil), ref("b", "b", nil)}, new: []metav1.OwnerReference{ref("b", "b", nil)},
			removed: []metav1.OwnerReference{ref("a", "a", nil)}},
		{name: "unblocked", old: []metav1.OwnerReference{ref("a", "a", yes)}, new: []metav1.OwnerReference{ref("a", "a", no)},
			changedOld: []metav1.OwnerReference{ref("a", "a", yes)}, changedN: []metav1.OwnerReference{ref("a", "a", no)}},
		{name: "all at once", old: []metav1.OwnerReference{ref("a", "a", nil), ref("b", "b", nil)}, new: []metav1.OwnerReference{ref("b", "renamed", nil), ref("c", "c", nil)},
			added: []metav1.OwnerReference{ref("c", "c", nil)}, removed: []metav1.OwnerReference{ref("a", "a", nil)},
			changedOld: []metav1.OwnerReference{ref("b", "b", nil)}, changedN: []metav1.OwnerReference{ref("b", "renamed", nil)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			added, removed, changed := referencesDiffs(tt.old, tt.new)
			if diff := cmp.Diff(tt.added, added); diff != "" {
				t.Errorf("added (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.removed, removed); diff != "" {
				t.Errorf("removed (-want +got):\n%s", diff)
			}
			var changedOld, changedNew []metav1.OwnerReference
			for _, c := range changed {
				changedOld, changedNew = append(changedOld, c.old), append(changedNew, c.new)
			}
			if diff := cmp.Diff(tt.changedOld, changedOld); diff != "" {
				t.Errorf("changed, old (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.changedN, changedNew); diff != "" {
				t.Errorf("changed, new (-want +got):\n%s", diff)
			}
		})
	}
}

func dependent(namespace, name string, owners ...metav1.OwnerReference) *node {
	return newNode(objectReference{APIVersion: "v1", Kind: "Secret", Namespace: namespace, Name: name, UID: types.UID(name)}, owners)
}

func names(nodes []*node) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.identity.Name)
	}
	return out
}

func TestPartitionDependents(t *testing.T) {
	t.Parallel()
	owner := objectReference{APIVersion: "v1", Kind: "ConfigMap", Namespace: "ns", Name: "owner", UID: "u"}
	clusterOwner := objectReference{APIVersion: "v1", Kind: "Node", Name: "owner", UID: "u"}
	nodeRef := metav1.OwnerReference{APIVersion: "v1", Kind: "Node", Name: "owner", UID: "u"}
	for _, tt := range []struct {
		name               string
		owner              objectReference
		deps               []*node
		matching, mismatch []string
	}{
		{name: "match", owner: owner, deps: []*node{dependent("ns", "d", ref("u", "owner", nil))}, matching: []string{"d"}},
		{name: "other name", owner: owner, deps: []*node{dependent("ns", "d", ref("u", "other", nil))}, mismatch: []string{"d"}},
		{name: "other namespace", owner: owner, deps: []*node{dependent("elsewhere", "d", ref("u", "owner", nil))}, mismatch: []string{"d"}},
		{name: "both references", owner: owner, deps: []*node{dependent("ns", "d", ref("u", "owner", nil), ref("u", "other", nil))},
			matching: []string{"d"}, mismatch: []string{"d"}},
		{name: "reference to another uid only", owner: owner, deps: []*node{dependent("ns", "d", ref("x", "owner", nil))}},
		{name: "cluster-scoped owner from any namespace", owner: clusterOwner,
			deps: []*node{dependent("a", "d1", nodeRef), dependent("b", "d2", nodeRef)}, matching: []string{"d1", "d2"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			matching, mismatch := partitionDependents(tt.deps, tt.owner)
			if diff := cmp.Diff(tt.matching, names(matching)); diff != "" {
				t.Errorf("matching (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.mismatch, names(mismatch)); diff != "" {
				t.Errorf("mismatched (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAlternateOwnerIdentity(t *testing.T) {
	t.Parallel()
	absent := objectReference{APIVersion: "v1", Kind: "ConfigMap", Namespace: "ns", Name: "b", UID: "u"}
	for _, tt := range []struct {
		name string
		deps []*node
		want *objectReference
	}{
		{name: "none", deps: []*node{dependent("ns", "d", ref("u", "b", nil))}},
		{name: "the next after the absent one", deps: []*node{dependent("ns", "d", ref("u", "a", nil), ref("u", "c", nil), ref("u", "d", nil))},
			want: &objectReference{APIVersion: "v1", Kind: "ConfigMap", Namespace: "ns", Name: "c", UID: "u"}},
		{name: "wraps around to the first", deps: []*node{dependent("ns", "d", ref("u", "a", nil))},
			want: &objectReference{APIVersion: "v1", Kind: "ConfigMap", Namespace: "ns", Name: "a", UID: "u"}},
		{name: "same name in another namespace", deps: []*node{dependent("other", "d", ref("u", "b", nil))},
			want: &objectReference{APIVersion: "v1", Kind: "ConfigMap", Namespace: "other", Name: "b", UID: "u"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, alternateOwnerIdentity(tt.deps, absent)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestBlockingDependents(t *testing.T) {
	t.Parallel()
	owner := newNode(objectReference{APIVersion: "v1", Kind: "ConfigMap", Namespace: "ns", Name: "owner", UID: "u"}, nil)
	for _, d := range []*node{
		dependent("ns", "blocking", ref("u", "owner", new(true))),
		dependent("ns", "not-blocking", ref("u", "owner", new(false))),
		dependent("ns", "unset", ref("u", "owner", nil)),
		dependent("ns", "blocks-another", ref("u", "owner", nil), ref("x", "other", new(true))),
	} {
		owner.addDependent(d)
	}
	if diff := cmp.Diff([]string{"blocking"}, names(owner.blockingDependents())); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDeletionStartsWithFinalizer(t *testing.T) {
	t.Parallel()
	now := metav1.Now()
	obj := func(deleting bool, finalizers ...string) *metav1.PartialObjectMetadata {
		m := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Finalizers: finalizers}}
		if deleting {
			m.DeletionTimestamp = &now
		}
		return m
	}
	const f = metav1.FinalizerDeleteDependents
	for _, tt := range []struct {
		name     string
		old, new *metav1.PartialObjectMetadata
		want     bool
	}{
		{name: "first seen being deleted", new: obj(true, f), want: true},
		{name: "first seen, not being deleted", new: obj(false, f)},
		{name: "first seen being deleted without the finalizer", new: obj(true, metav1.FinalizerOrphanDependents)},
		{name: "deletion starts", old: obj(false, "other"), new: obj(true, "other", f), want: true},
		{name: "finalizer added while being deleted", old: obj(true, "other"), new: obj(true, "other", f), want: true},
		{name: "already started", old: obj(true, f), new: obj(true, f)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := deletionStartsWithFinalizer(tt.old, tt.new, f); got != tt.want {
				t.Errorf("got %t, want %t", got, tt.want)
			}
		})
	}
}

func TestPatches(t *testing.T) {
	t.Parallel()
	unblock := newNode(objectReference{UID: "dep"}, []metav1.OwnerReference{ref("a", "a", new(true)), ref("b", "b", nil)})
	for _, tt := range []struct {
		name  string
		patch func() ([]byte, error)
		want  string
	}{
		{
			name:  "delete owner references, strategic",
			patch: func() ([]byte, error) { return deleteOwnerRefStrategicMergePatch("dep", "a", "b") },
			want:  `{"metadata":{"ownerReferences":[{"$patch":"delete","uid":"a"},{"$patch":"delete","uid":"b"}],"uid":"dep"}}`,
		},
		{
			name:  "unblock owner references, strategic",
			patch: func() ([]byte, error) { return unblockOwnerReferencesStrategicMergePatch(unblock) },
			want:  `{"metadata":{"ownerReferences":[{"apiVersion":"v1","blockOwnerDeletion":false,"kind":"ConfigMap","name":"a","uid":"a"}],"uid":"dep"}}`,
		},
		{
			name:  "finalizers, merge",
			patch: func() ([]byte, error) { return finalizersPatch("7", nil) },
			want:  `{"metadata":{"finalizers":[],"resourceVersion":"7"}}`,
		},
		{
			name:  "owner references, merge",
			patch: func() ([]byte, error) { return ownerReferencesPatch("7", []metav1.OwnerReference{ref("b", "b", nil)}) },
			want:  `{"metadata":{"ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"b","uid":"b"}],"resourceVersion":"7"}}`,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.patch()
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatalf("patch is not JSON: %v: %s", err, got)
			}
			if err := json.Unmarshal([]byte(tt.want), &w); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(w, g); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
