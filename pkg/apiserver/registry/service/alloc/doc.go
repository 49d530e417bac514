// Package alloc takes and gives back what a Service holds outside its own
// object, as kube-apiserver's service storage does: cluster IPs, recorded as
// networking.k8s.io/v1 IPAddress objects within the "kubernetes"
// ServiceCIDR, and node ports, kept in memory and rebuilt from the stored
// Services on start. Its Allocators provide the services resource's storage
// hooks (BeginCreate, BeginUpdate, AfterDelete, Decorate) and the start-up
// repair.
//
// It is not where Services are defaulted or validated (package service, whose
// pure functions it calls in upstream's order), nor an allocator of its own:
// pkg/allocator picks addresses and ports; creating an IPAddress object, which
// fails if the address already has one, is what takes an address, so two
// Services never share one, across restarts too.
//
// Two differences from kube-apiserver v1.37, whose allocator follows every
// Ready ServiceCIDR and every IPAddress through informers: only the
// "kubernetes" ServiceCIDR read at Start is allocated from, and an address
// whose IPAddress a user deletes stays taken until the next Start.
package alloc
