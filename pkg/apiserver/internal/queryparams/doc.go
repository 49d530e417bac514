// Package queryparams reads the option types of subresources (pods/log,
// pods/exec, the proxies' paths…) from a URL's query, which kube-apiserver
// does with generated conversions that live outside k8s.io/api.
//
// It knows no resource: internal/resource registers it for the options of
// every connect and get-with-options subresource a store serves.
package queryparams
