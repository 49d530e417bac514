// Package envvars computes a container's environment the way the kubelet
// does: the docker-link variables of the Services a pod sees, the $(VAR)
// expansion of env values, and the merge of envFrom, env and valueFrom
// sources into the final ordered list, with Kubernetes v1.37's texts for
// errors and for the event about skipped envFrom keys. It is pure: it does
// not talk to the API (the caller looks up ConfigMaps and Secrets through
// Lookup), does not resolve fieldRef or resourceFieldRef paths (package
// pkg/api/downwardapi does, through the caller's FieldFunc), and does not
// record events or start containers.
//
// Upstream builds the environment in Go maps, so its order is unspecified;
// here it is fixed: service variables (services sorted by name), then
// envFrom sources in order (keys of each sorted), then env in order. A name
// set again keeps its first position and takes the later value, which gives
// the same set of variables and values as the kubelet.
package envvars
