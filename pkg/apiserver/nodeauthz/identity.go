package nodeauthz

import (
	"strings"

	"k8s.io/apiserver/pkg/authentication/user"
)

// nodeUserPrefix starts the user name of every node's credentials.
const nodeUserPrefix = "system:node:"

// NodeIdentity is who a kubelet is: isNode when u is named
// system:node:<name> and is in group system:nodes, with name the rest of
// the user name (empty for a node credential that names no node), as
// upstream's default node identifier. The name is checked first, so a
// request from anyone else costs a prefix comparison.
func NodeIdentity(u user.Info) (name string, isNode bool) {
	if u == nil {
		return "", false
	}
	name, ok := strings.CutPrefix(u.GetName(), nodeUserPrefix)
	if !ok {
		return "", false
	}
	for _, g := range u.GetGroups() {
		if g == user.NodesGroup {
			return name, true
		}
	}
	return "", false
}
