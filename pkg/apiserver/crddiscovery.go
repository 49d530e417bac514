package apiserver

import (
	"sort"

	apiextensionshelpers "k8s.io/apiextensions-apiserver/pkg/apihelpers"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionslisters "k8s.io/apiextensions-apiserver/pkg/client/listers/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/apiserver/pkg/endpoints/discovery"
	"k8s.io/client-go/tools/cache"
)

// crdGroupLister keeps the unaggregated /apis of the top server listing the
// groups of established CRDs. The CRD server answers /apis/<group> and the
// aggregated /apis itself (it writes to the shared aggregated discovery
// manager), but the unaggregated group list is the top server's, and in
// kube-apiserver only the aggregator, which fakecluster does not run, adds
// CRD groups to it.
type crdGroupLister struct {
	groups discovery.GroupManager
	crds   apiextensionslisters.CustomResourceDefinitionLister
	// builtin are the groups the top server serves itself; a CRD cannot
	// take their entry.
	builtin map[string]bool
}

// watch keeps l's groups in step with the informer's CRDs.
func (l *crdGroupLister) watch(informer cache.SharedIndexInformer) error {
	sync := func(obj any) {
		if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = tombstone.Obj
		}
		if crd, ok := obj.(*apiextensionsv1.CustomResourceDefinition); ok {
			l.sync(crd.Spec.Group)
		}
	}
	_, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    sync,
		UpdateFunc: func(_, obj any) { sync(obj) },
		DeleteFunc: sync,
	})
	return err
}

// sync lists group's served versions of established CRDs, newest first by
// Kubernetes' version order with the first preferred, as the CRD server's
// /apis/<group> does, or removes the group when there are none.
func (l *crdGroupLister) sync(group string) {
	if l.builtin[group] {
		return
	}
	crds, err := l.crds.List(labels.Everything())
	if err != nil {
		return // a lister's List does not fail
	}
	seen := map[string]bool{}
	var versions []metav1.GroupVersionForDiscovery
	for _, crd := range crds {
		if crd.Spec.Group != group || !apiextensionshelpers.IsCRDConditionTrue(crd, apiextensionsv1.Established) {
			continue
		}
		for _, v := range crd.Spec.Versions {
			if v.Served && !seen[v.Name] {
				seen[v.Name] = true
				versions = append(versions, metav1.GroupVersionForDiscovery{GroupVersion: group + "/" + v.Name, Version: v.Name})
			}
		}
	}
	if len(versions) == 0 {
		l.groups.RemoveGroup(group)
		return
	}
	sort.Slice(versions, func(i, j int) bool {
		return version.CompareKubeAwareVersionStrings(versions[i].Version, versions[j].Version) > 0
	})
	l.groups.AddGroup(metav1.APIGroup{Name: group, Versions: versions, PreferredVersion: versions[0]})
}
