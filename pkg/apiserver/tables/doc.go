// Package tables is the shared library the server-side Table output that `kubectl get`
// (and `-o wide`) prints is built on; the tables themselves live with their resources, in
// table.go of each folder under pkg/apiserver/registry. It is not a client-side printer,
// does no IO, and knows nothing of storage, HTTP content negotiation or the registry
// folders that use it.
//
// kubectl asks the API server for a meta.k8s.io/v1 Table and prints the column names, cells
// and row order exactly as they arrive. kube-apiserver produces those tables from printers
// that work on internal types, which fakecluster does not have; the registry folders
// re-implement the same columns and cell rules over the versioned k8s.io/api types so that
// kubectl output against fakecluster looks like output against a real cluster.
//
// This package holds what those tables have in common: the Convertor interface (the method
// set of rest.TableConvertor, so no adapter is needed), Convertors (the cluster's clock,
// which Age cells are measured against, so tests can pin the time), NewConvertor (the
// generic row builder: type switch, list metadata, one row per item; NewNameAgeConvertor
// for the common NAME … AGE shape) and the cell helpers every resource uses (NameColumn,
// AgeColumn, Age, NoneIfEmpty, Abbreviate). A registry folder's table is built from the
// Convertors in resource.Options:
//
//	func table(t *tables.Convertors) tables.Convertor {
//		columns := []metav1.TableColumnDefinition{tables.NameColumn(), tables.AgeColumn()}
//		return tables.NewConvertor[*corev1.ConfigMapList](t, columns, func(cm *corev1.ConfigMap, now time.Time) []any {
//			return []any{cm.Name, tables.Age(cm.CreationTimestamp, now)}
//		})
//	}
//
// Every table always returns the wide (priority 1) columns, as kube-apiserver does:
// kubectl hides them unless asked for `-o wide`. Each row carries the object itself in
// row.Object; the apiserver's handler turns it into PartialObjectMetadata, the full object
// or nothing according to the includeObject query parameter.
//
// Package tablestest checks each folder's table against golden files taken from a real
// kube-apiserver.
package tables
