package proxy

import (
	"net/netip"
	"slices"
)

// nodeAddrs is Config.NodeIPs, called at most once per Route and only
// when the route needs a node's address: most connections (pod to pod,
// pod to cluster IP) never do.
type nodeAddrs struct {
	get    func() map[string][]netip.Addr
	m      map[string][]netip.Addr
	loaded bool
}

func (n *nodeAddrs) all() map[string][]netip.Addr {
	if !n.loaded {
		if n.get != nil {
			n.m = n.get()
		}
		n.loaded = true
	}
	return n.m
}

// owner is the node that has address ip (the first by name if several
// claim it), or "".
func (n *nodeAddrs) owner(ip netip.Addr) string {
	owner := ""
	for name, ips := range n.all() {
		if (owner == "" || name < owner) && slices.ContainsFunc(ips, func(a netip.Addr) bool { return a.Unmap() == ip }) {
			owner = name
		}
	}
	return owner
}

// has reports whether ip is one of node's addresses: what nftables'
// "fib saddr type local" asks on that node.
func (n *nodeAddrs) has(node string, ip netip.Addr) bool {
	return node != "" && slices.ContainsFunc(n.all()[node], func(a netip.Addr) bool { return a.Unmap() == ip })
}

// addr is node's first address of the family, the one a masqueraded
// connection leaves from.
func (n *nodeAddrs) addr(node string, is6 bool) (netip.Addr, bool) {
	for _, a := range n.all()[node] {
		if a = a.Unmap(); a.Is6() == is6 {
			return a, true
		}
	}
	return netip.Addr{}, false
}

// names lists, sorted, the nodes that have an address of the family.
func (n *nodeAddrs) names(is6 bool) []string {
	var out []string
	for name := range n.all() {
		if _, ok := n.addr(name, is6); ok {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
