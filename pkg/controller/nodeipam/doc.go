// Package nodeipam is the node IPAM controller: it gives every Node one pod
// CIDR per --cluster-cidr, in flag order, as kube-controller-manager's
// RangeAllocator does with --allocate-node-cidrs; it does not hand out pod
// IPs inside those CIDRs (the kubelet's job) nor validate the flags
// (cmd/fakecluster does).
//
// spec.podCIDR and spec.podCIDRs are set with the same strategic merge patch
// as upstream's PatchNodeCIDRs. On start the controller relearns the CIDRs of
// existing Nodes before it hands out any, so a restarted cluster never gives
// a CIDR out twice; a deleted Node's CIDRs are released, but the sequential
// round-robin choice reuses them only after it wraps, as upstream's cidrset.
// When a cluster CIDR is exhausted the Node stays without CIDRs and gets
// upstream's Warning event CIDRNotAvailable ("Node <name> status is now:
// CIDRNotAvailable", source cidrAllocator) and is retried with upstream's
// backoff, and at once when a Node's CIDRs are released; a patch that keeps
// failing gives CIDRAssignmentFailed. A Node whose podCIDRs do not fit the
// cluster CIDRs is reported and left alone (upstream refuses to start).
package nodeipam
