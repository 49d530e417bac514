// Package tables builds the server-side Table output that `kubectl get` (and `-o wide`)
// prints for each served resource; it is not a client-side printer, does no IO, and knows
// nothing of storage or HTTP content negotiation.
//
// kubectl asks the API server for a meta.k8s.io/v1 Table and prints the column names, cells
// and row order exactly as they arrive. kube-apiserver produces those tables from printers
// that work on internal types, which fakecluster does not have; this package re-implements
// the same columns and cell rules over the versioned k8s.io/api types so that kubectl output
// against fakecluster looks like output against a real cluster.
//
// Every convertor always returns the wide (priority 1) columns, as kube-apiserver does:
// kubectl hides them unless asked for `-o wide`. Each row carries the object itself in
// row.Object; the apiserver's handler turns it into PartialObjectMetadata, the full object
// or nothing according to the includeObject query parameter.
//
// A registry plugs a convertor into its store (Convertor has the method set of
// rest.TableConvertor, so no adapter is needed):
//
//	t := tables.New(clock.RealClock{})
//	store := &genericregistry.Store{
//		// ...
//		TableConvertor: t.Pods(),
//	}
//
// Age cells are relative to the injected clock, so tests can pin the time.
package tables
