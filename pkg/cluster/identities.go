package cluster

import (
	"crypto/rand"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/serviceaccount"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/client-go/rest"
)

// identities are the users the cluster's own components act as, each with
// a bearer token minted at start (the API server's ComponentTokens), so
// that RBAC and the Node authorizer judge them as they judge
// kube-controller-manager's controllers, kube-scheduler and kubelets on a
// real cluster, instead of letting a component do what its role does not
// allow.
type identities struct {
	tokens map[string]*user.DefaultInfo
	byName map[string]string
}

// newIdentities mints a token for every user a component of a cluster
// with opts may act as.
func newIdentities(opts Options) *identities {
	ids := &identities{tokens: map[string]*user.DefaultInfo{}, byName: map[string]string{}}
	ids.add(&user.DefaultInfo{Name: user.KubeControllerManager})
	for _, s := range controllerSpecs() {
		if s.user != nil {
			ids.add(s.user)
		}
	}
	for i := range opts.Nodes {
		ids.add(nodeUser(nodeName(i)))
	}
	return ids
}

func (ids *identities) add(u *user.DefaultInfo) {
	if _, ok := ids.byName[u.Name]; ok {
		return
	}
	token := rand.Text()
	ids.tokens[token] = u
	ids.byName[u.Name] = token
}

// config is base acting as the user named name, which newIdentities made.
// The configs share base's TLS settings, so their clients share one
// connection pool.
func (ids *identities) config(base *rest.Config, name string) *rest.Config {
	token, ok := ids.byName[name]
	if !ok {
		// A programming error: every component's user is minted up front.
		panic("cluster: no identity " + name)
	}
	cfg := rest.CopyConfig(base)
	cfg.BearerToken, cfg.BearerTokenFile = token, ""
	return cfg
}

// controllerAccount is the kube-system service account a controller acts
// as, as kube-controller-manager's --use-service-account-credentials
// gives each controller the account its bootstrap role is bound to.
func controllerAccount(name string) *user.DefaultInfo {
	return &user.DefaultInfo{
		Name:   serviceaccount.MakeUsername(metav1.NamespaceSystem, name),
		Groups: serviceaccount.MakeGroupNames(metav1.NamespaceSystem),
	}
}

// nodeUser is the kubelet of node name, as its client certificate names
// it on a real cluster.
func nodeUser(name string) *user.DefaultInfo {
	return &user.DefaultInfo{Name: "system:node:" + name, Groups: []string{user.NodesGroup}}
}
