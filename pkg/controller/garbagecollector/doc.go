// Package garbagecollector is the garbage collector controller: it follows
// metadata.ownerReferences of every deletable resource and deletes dependents
// whose owners are gone, carries out foreground deletion (dependents first)
// and orphaning, as kube-controller-manager's garbage collector does. It
// talks to the API only through client-go; it does not decide how a delete
// request is finalized, which is the API server's job (the generic registry
// adds the foregroundDeletion and orphan finalizers this controller clears).
package garbagecollector
