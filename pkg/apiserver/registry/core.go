package registry

import (
	"context"
	"net/http"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/pod"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/service"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/service/alloc"
	"github.com/fakecluster/fakecluster/pkg/apiserver/serviceaccount"
	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// core lists the legacy group's resources (/api/v1). tokens, if not nil,
// serves serviceaccounts/token; services, if not nil, allocates Services'
// cluster IPs and node ports.
func core(t *tables.Convertors, conns Connections, tokens *serviceaccount.Issuer, services *alloc.Allocators) []Served {
	kubelet := conns.Kubelet
	gv := corev1.SchemeGroupVersion
	v := gv.String()
	nodes, pods, secrets, endpoints := &storeRef{}, &storeRef{}, &storeRef{}, &storeRef{}
	return []Served{
		{GroupVersion: gv, Definition: resource.Definition{
			Resource: schema.GroupResource{Resource: "namespaces"}, Singular: "namespace",
			New: func() runtime.Object { return &corev1.Namespace{} }, NewList: func() runtime.Object { return &corev1.NamespaceList{} },
			ShortNames: []string{"ns"}, NameFunc: validation.NameIsDNSLabel,
			Status: statusSplit(v, func(n *corev1.Namespace) *corev1.NamespaceStatus { return &n.Status },
				func(to, from *corev1.Namespace) { to.Spec = from.Spec }, true),
			PrepareForCreate: func(_ context.Context, obj runtime.Object) {
				ns := obj.(*corev1.Namespace)
				ns.Status = corev1.NamespaceStatus{Phase: corev1.NamespaceActive}
				if !hasFinalizer(ns.Spec.Finalizers, corev1.FinalizerKubernetes) {
					ns.Spec.Finalizers = append(ns.Spec.Finalizers, corev1.FinalizerKubernetes)
				}
			},
			PrepareForUpdate: func(_ context.Context, obj, old runtime.Object) {
				// Finalizers change only through the finalize subresource.
				obj.(*corev1.Namespace).Spec.Finalizers = old.(*corev1.Namespace).Spec.Finalizers
			},
			Fields: func(obj runtime.Object) fields.Set {
				return fields.Set{"status.phase": string(obj.(*corev1.Namespace).Status.Phase)}
			},
			// Like kube-apiserver's ShouldDeleteNamespaceDuringUpdate: a
			// terminating namespace stays until spec.finalizers is empty too,
			// whatever updates its status in the meantime.
			KeepDuringUpdate: func(obj runtime.Object) bool {
				return len(obj.(*corev1.Namespace).Spec.Finalizers) != 0
			},
			Delete:             deleteNamespace,
			NoDeleteCollection: true,
			Extra:              namespaceFinalize,
			Table:              t.Namespaces(),
		}, FieldLabels: []string{"status.phase"}},
		{GroupVersion: gv, Definition: resource.Definition{
			Resource: schema.GroupResource{Resource: "configmaps"}, Singular: "configmap", Namespaced: true,
			New: func() runtime.Object { return &corev1.ConfigMap{} }, NewList: func() runtime.Object { return &corev1.ConfigMapList{} },
			ShortNames: []string{"cm"}, Table: t.ConfigMaps(),
		}},
		{GroupVersion: gv, Definition: resource.Definition{
			Resource: schema.GroupResource{Resource: "secrets"}, Singular: "secret", Namespaced: true,
			New: func() runtime.Object { return &corev1.Secret{} }, NewList: func() runtime.Object { return &corev1.SecretList{} },
			Fields: func(obj runtime.Object) fields.Set { return fields.Set{"type": string(obj.(*corev1.Secret).Type)} },
			Table:  t.Secrets(),
			Extra: func(store *genericregistry.Store) map[string]rest.Storage {
				secrets.store = store // for tokens bound to a secret
				return nil
			},
		}, FieldLabels: []string{"type"}},
		{GroupVersion: gv, Definition: resource.Definition{
			Resource: schema.GroupResource{Resource: "serviceaccounts"}, Singular: "serviceaccount", Namespaced: true,
			New: func() runtime.Object { return &corev1.ServiceAccount{} }, NewList: func() runtime.Object { return &corev1.ServiceAccountList{} },
			ShortNames: []string{"sa"}, Table: t.ServiceAccounts(),
			Extra: func(store *genericregistry.Store) map[string]rest.Storage {
				if tokens == nil {
					return nil
				}
				return map[string]rest.Storage{"serviceaccounts/token": &tokenREST{
					serviceAccounts: store, pods: pods, secrets: secrets, nodes: nodes, issuer: tokens}}
			},
		}},
		{GroupVersion: gv, Definition: resource.Definition{
			Resource: schema.GroupResource{Resource: "endpoints"}, Singular: "endpoints", Namespaced: true,
			New: func() runtime.Object { return &corev1.Endpoints{} }, NewList: func() runtime.Object { return &corev1.EndpointsList{} },
			ShortNames: []string{"ep"}, CreateOnUpdate: true, Table: t.Endpoints(),
			Extra: func(store *genericregistry.Store) map[string]rest.Storage {
				endpoints.store = store // for services/proxy
				return nil
			},
		}},
		{GroupVersion: gv, Definition: resource.Definition{
			Resource: schema.GroupResource{Resource: "events"}, Singular: "event", Namespaced: true,
			New: func() runtime.Object { return &corev1.Event{} }, NewList: func() runtime.Object { return &corev1.EventList{} },
			ShortNames: []string{"ev"}, CreateOnUpdate: true, Table: t.Events(),
			Fields: coreEventFields,
		}, FieldLabels: coreEventFieldLabels},
		{GroupVersion: gv, Definition: resource.Definition{
			Resource: schema.GroupResource{Resource: "limitranges"}, Singular: "limitrange", Namespaced: true,
			New: func() runtime.Object { return &corev1.LimitRange{} }, NewList: func() runtime.Object { return &corev1.LimitRangeList{} },
			ShortNames: []string{"limits"}, Table: t.LimitRanges(),
		}},
		{GroupVersion: gv, Definition: resource.Definition{
			Resource: schema.GroupResource{Resource: "resourcequotas"}, Singular: "resourcequota", Namespaced: true,
			New: func() runtime.Object { return &corev1.ResourceQuota{} }, NewList: func() runtime.Object { return &corev1.ResourceQuotaList{} },
			ShortNames: []string{"quota"}, Table: t.ResourceQuotas(),
			Status: statusSplit(v, func(q *corev1.ResourceQuota) *corev1.ResourceQuotaStatus { return &q.Status },
				func(to, from *corev1.ResourceQuota) { to.Spec = from.Spec }, true),
		}},
		{GroupVersion: gv, Definition: resource.Definition{
			Resource: schema.GroupResource{Resource: "nodes"}, Singular: "node",
			New: func() runtime.Object { return &corev1.Node{} }, NewList: func() runtime.Object { return &corev1.NodeList{} },
			ShortNames: []string{"no"}, Table: t.Nodes(),
			// A kubelet registers its node with status filled in.
			Status: statusSplit(v, func(n *corev1.Node) *corev1.NodeStatus { return &n.Status },
				func(to, from *corev1.Node) { to.Spec = from.Spec }, false),
			Fields: func(obj runtime.Object) fields.Set {
				return fields.Set{"spec.unschedulable": strconv.FormatBool(obj.(*corev1.Node).Spec.Unschedulable)}
			},
			Validate:       validateNode,
			ValidateUpdate: validateNodeUpdate,
			Extra: func(store *genericregistry.Store) map[string]rest.Storage {
				nodes.store = store // for the pod streams' kubelet lookup
				return map[string]rest.Storage{"nodes/proxy": &nodeProxyREST{kubelet: &kubeletLocator{nodes: nodes, conn: kubelet}}}
			},
		}, FieldLabels: []string{"spec.unschedulable"}},
		{GroupVersion: gv, Definition: resource.Definition{
			Resource: schema.GroupResource{Resource: "pods"}, Singular: "pod", Namespaced: true,
			New: func() runtime.Object { return &corev1.Pod{} }, NewList: func() runtime.Object { return &corev1.PodList{} },
			ShortNames: []string{"po"}, Categories: []string{"all"}, Table: t.Pods(),
			Status: statusSplit(v, func(p *corev1.Pod) *corev1.PodStatus { return &p.Status },
				func(to, from *corev1.Pod) { to.Spec = from.Spec }, false),
			PrepareForCreate: preparePodForCreate,
			PrepareForUpdate: func(_ context.Context, obj, old runtime.Object) {
				// Generation counts spec changes, so kubelets can report
				// status.observedGeneration.
				pod, oldPod := obj.(*corev1.Pod), old.(*corev1.Pod)
				if !apiequality.Semantic.DeepEqual(pod.Spec, oldPod.Spec) {
					pod.Generation = oldPod.Generation + 1
				}
			},
			Validate: func(_ context.Context, obj runtime.Object) field.ErrorList { return pod.Validate(obj.(*corev1.Pod)) },
			ValidateUpdate: func(_ context.Context, obj, old runtime.Object) field.ErrorList {
				return pod.ValidateUpdate(obj.(*corev1.Pod), old.(*corev1.Pod))
			},
			Fields:         podFields,
			GracefulDelete: podGracefulDelete,
			Extra: func(store *genericregistry.Store) map[string]rest.Storage {
				pods.store = store // for tokens bound to a pod
				extra := podStreams(store, nodes, kubelet)
				extra["pods/binding"] = &bindingREST{pods: store}
				extra["pods/eviction"] = &evictionREST{pods: store}
				extra["pods/ephemeralcontainers"] = ephemeralContainersREST(store)
				extra["bindings"] = &bindingsREST{bindingREST{pods: store}}
				extra["pods/proxy"] = &podProxyREST{pods: store, transport: conns.Pods}
				return extra
			},
		}, FieldLabels: podFieldLabels},
		{GroupVersion: gv, Definition: servicesDefinition(t, v, services, endpoints, conns.Pods), FieldLabels: []string{"spec.clusterIP", "spec.type"}},
	}
}

func hasFinalizer(finalizers []corev1.FinalizerName, f corev1.FinalizerName) bool {
	for _, x := range finalizers {
		if x == f {
			return true
		}
	}
	return false
}

var podFieldLabels = []string{
	"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
	"spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName",
}

func podFields(obj runtime.Object) fields.Set {
	pod := obj.(*corev1.Pod)
	podIP := ""
	if len(pod.Status.PodIPs) > 0 {
		podIP = pod.Status.PodIPs[0].IP
	}
	return fields.Set{
		"spec.nodeName":            pod.Spec.NodeName,
		"spec.restartPolicy":       string(pod.Spec.RestartPolicy),
		"spec.schedulerName":       pod.Spec.SchedulerName,
		"spec.serviceAccountName":  pod.Spec.ServiceAccountName,
		"spec.hostNetwork":         strconv.FormatBool(pod.Spec.HostNetwork),
		"status.phase":             string(pod.Status.Phase),
		"status.podIP":             podIP,
		"status.podIPs":            podIP,
		"status.nominatedNodeName": pod.Status.NominatedNodeName,
	}
}

var coreEventFieldLabels = []string{
	"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
	"involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
	"reason", "reportingComponent", "source", "type",
}

func coreEventFields(obj runtime.Object) fields.Set {
	e := obj.(*corev1.Event)
	return fields.Set{
		"involvedObject.kind":            e.InvolvedObject.Kind,
		"involvedObject.namespace":       e.InvolvedObject.Namespace,
		"involvedObject.name":            e.InvolvedObject.Name,
		"involvedObject.uid":             string(e.InvolvedObject.UID),
		"involvedObject.apiVersion":      e.InvolvedObject.APIVersion,
		"involvedObject.resourceVersion": e.InvolvedObject.ResourceVersion,
		"involvedObject.fieldPath":       e.InvolvedObject.FieldPath,
		"reason":                         e.Reason,
		"reportingComponent":             e.ReportingController,
		"source":                         e.Source.Component,
		"type":                           e.Type,
	}
}

// servicesDefinition is the services resource. Its storage hooks are the
// allocators' (cluster IPs, IP families, node ports), which run before the
// strategy clears the fields a changed type no longer uses and validates.
func servicesDefinition(t *tables.Convertors, v string, services *alloc.Allocators, endpoints *storeRef, transport http.RoundTripper) resource.Definition {
	d := resource.Definition{
		Resource: schema.GroupResource{Resource: "services"}, Singular: "service", Namespaced: true,
		New: func() runtime.Object { return &corev1.Service{} }, NewList: func() runtime.Object { return &corev1.ServiceList{} },
		ShortNames: []string{"svc"}, Categories: []string{"all"}, Table: t.Services(), NameFunc: validation.NameIsDNS1035Label,
		Status: statusSplit(v, func(s *corev1.Service) *corev1.ServiceStatus { return &s.Status },
			func(to, from *corev1.Service) { to.Spec = from.Spec }, true),
		PrepareForUpdate: func(_ context.Context, obj, old runtime.Object) {
			service.DropTypeDependentFields(obj.(*corev1.Service), old.(*corev1.Service))
		},
		Validate: func(_ context.Context, obj runtime.Object) field.ErrorList {
			return service.Validate(obj.(*corev1.Service))
		},
		ValidateUpdate: func(_ context.Context, obj, old runtime.Object) field.ErrorList {
			return service.ValidateUpdate(obj.(*corev1.Service), old.(*corev1.Service))
		},
		Fields: func(obj runtime.Object) fields.Set {
			svc := obj.(*corev1.Service)
			return fields.Set{"spec.clusterIP": svc.Spec.ClusterIP, "spec.type": string(svc.Spec.Type)}
		},
		Extra: func(store *genericregistry.Store) map[string]rest.Storage {
			return map[string]rest.Storage{"services/proxy": &serviceProxyREST{services: store, endpoints: endpoints, transport: transport}}
		},
	}
	if services != nil {
		d.BeginCreate, d.BeginUpdate = services.BeginCreate, services.BeginUpdate
		d.AfterDelete, d.Decorator = services.AfterDelete, services.Decorate
	}
	return d
}
