package registry

import (
	"net/http"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/kubeletclient"
	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/resource"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/accessreview"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/authnreview"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/clusterrole"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/clusterrolebinding"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/configmap"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/controllerrevision"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/cronjob"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/daemonset"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/deployment"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/endpoint"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/endpointslice"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/event"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/ingressclass"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/ipaddress"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/job"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/lease"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/limitrange"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/mutatingadmissionpolicy"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/mutatingadmissionpolicybinding"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/mutatingwebhookconfiguration"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/namespace"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/node"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/persistentvolume"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/persistentvolumeclaim"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/pod"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/priorityclass"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/rbac"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/replicaset"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/resourcequota"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/role"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/rolebinding"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/secret"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/service"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/serviceaccount"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/servicecidr"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/statefulset"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/storageclass"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/validatingadmissionpolicy"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/validatingadmissionpolicybinding"
	"github.com/fakecluster/fakecluster/pkg/apiserver/registry/validatingwebhookconfiguration"
	satoken "github.com/fakecluster/fakecluster/pkg/apiserver/serviceaccount"
)

// Config is what the stores are built from besides one another.
type Config struct {
	// Options are every store's: its storage, the scheme as typer, the
	// table convertors.
	resource.Options
	// Kubelet is how pod logs, exec, attach, port-forward and nodes/proxy
	// reach a node's kubelet.
	Kubelet kubeletclient.Connection
	// PodTransport dials pod IPs, for pods/proxy and services/proxy.
	PodTransport http.RoundTripper
	// Tokens signs the tokens of serviceaccounts/token, which is not
	// served if it is nil.
	Tokens *satoken.Issuer
	// Services allocates Services' cluster IPs and node ports; nil: none
	// are.
	Services service.Allocator
	// Authorizer is the API server's: access reviews ask it, and so do the
	// RBAC stores, whether a requester may escalate a role or bind one.
	Authorizer authorizer.Authorizer
	// Authenticator is the API server's request authenticator, which
	// TokenReviews ask about a token (nil: none is authenticated), for the
	// API audiences APIAudiences.
	Authenticator authenticator.Request
	APIAudiences  authenticator.Audiences
	// RuleResolver lists what a user may do, for SelfSubjectRulesReviews;
	// nil means the Authorizer's own, if it has one.
	RuleResolver authorizer.RuleResolver
}

// NewStorage builds the storage of every served resource, one line each:
// a store that reaches others is built after them and gets them as
// arguments, so the order below is checked by the compiler, not by
// convention.
func NewStorage(c Config) ([]*resource.Storage, error) {
	o := c.Options
	var b builder

	// core/v1 (/api/v1)
	b.add(namespace.NewStorage(o))
	b.add(configmap.NewStorage(o))
	secrets := b.add(secret.NewStorage(o))
	endpoints := b.add(endpoint.NewStorage(o))
	b.add(event.NewStorage(o))
	b.add(limitrange.NewStorage(o))
	b.add(resourcequota.NewStorage(o))
	b.add(persistentvolume.NewStorage(o))
	b.add(persistentvolumeclaim.NewStorage(o))
	nodes := b.add(node.NewStorage(o, c.Kubelet))
	pods := b.add(pod.NewStorage(o, nodes, c.Kubelet, c.PodTransport))
	b.add(serviceaccount.NewStorage(o, c.Tokens, pods, secrets, nodes))
	b.add(service.NewStorage(o, c.Services, endpoints, c.PodTransport))

	// Named groups (/apis).
	b.add(endpointslice.NewStorage(o))
	b.add(event.NewEventsV1Storage(o))
	b.add(lease.NewStorage(o))
	b.add(servicecidr.NewStorage(o))
	b.add(ipaddress.NewStorage(o))
	b.add(ingressclass.NewStorage(o))
	b.add(deployment.NewStorage(o))
	b.add(replicaset.NewStorage(o))
	b.add(statefulset.NewStorage(o))
	b.add(daemonset.NewStorage(o))
	b.add(controllerrevision.NewStorage(o))
	b.add(job.NewStorage(o))
	b.add(cronjob.NewStorage(o))
	b.add(storageclass.NewStorage(o))
	b.add(priorityclass.NewStorage(o))
	// admissionregistration.k8s.io: the objects only; the admission
	// plugins read them.
	b.add(validatingwebhookconfiguration.NewStorage(o))
	b.add(mutatingwebhookconfiguration.NewStorage(o))
	b.add(validatingadmissionpolicy.NewStorage(o))
	b.add(validatingadmissionpolicybinding.NewStorage(o))
	b.add(mutatingadmissionpolicy.NewStorage(o))
	b.add(mutatingadmissionpolicybinding.NewStorage(o))
	// Reviews, answered by the authorizer and authenticator, never stored.
	b.keep(accessreview.NewStorage(c.Authorizer, c.RuleResolver))
	b.keep(authnreview.NewStorage(c.Authenticator, c.APIAudiences))
	// rbac.authorization.k8s.io: each store's escalation check reads all
	// four, so the guard gets them once they are built.
	guard := rbac.NewGuard(c.Authorizer)
	roles := b.add(role.NewStorage(o, guard))
	clusterRoles := b.add(clusterrole.NewStorage(o, guard))
	roleBindings := b.add(rolebinding.NewStorage(o, guard))
	clusterRoleBindings := b.add(clusterrolebinding.NewStorage(o, guard))
	if b.err == nil {
		b.err = guard.Read(roles, clusterRoles, roleBindings, clusterRoleBindings)
	}

	if b.err != nil {
		return nil, b.err
	}
	return b.all, nil
}

// builder collects the stores NewStorage builds and the first error.
type builder struct {
	all []*resource.Storage
	err error
}

// keep keeps s, which has no store for others to reach (the reviews).
func (b *builder) keep(s *resource.Storage) { b.all = append(b.all, s) }

// add keeps s and returns its store, for the stores that reach it. After
// an error the rest are still built, each from what it is given (nil for
// the failed store, which none uses while being built), and NewStorage
// returns only the error.
func (b *builder) add(s *resource.Storage, err error) rest.Getter {
	if err != nil {
		if b.err == nil {
			b.err = err
		}
		return nil
	}
	b.all = append(b.all, s)
	return s.REST.Store
}
