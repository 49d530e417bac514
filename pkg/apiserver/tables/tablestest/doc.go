// Package tablestest checks a resource's table convertor against golden files; it is for
// the table tests of the registry folders, not for production code.
//
// Each folder under pkg/apiserver/registry renders its own cases (objects and lists that
// exercise every cell rule) and compares the text with testdata/<name>.golden there. The
// golden files were checked against what a real kube-apiserver v1.37.2 serves for the same
// objects; after a deliberate change, rewrite them with
//
//	go test ./pkg/apiserver/registry/... -update
//
// The package registers that -update flag, so a test package that imports it must not
// declare its own.
package tablestest
