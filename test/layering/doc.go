// Package layering checks, from the go command's own import graph, the
// package boundaries of shared/DESIGN.md: the kubelet and the controllers
// reach the API only over client-go, the API server knows neither of them,
// storage and allocators know nothing above them, and only pkg/cluster
// wires the parts together. It holds no code, only that test; it is not
// for style or naming rules.
package layering
