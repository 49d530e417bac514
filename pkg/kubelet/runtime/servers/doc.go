// Package servers holds the long-running programs that catalog images start by default —
// nginx, httpd, redis-server, postgres, pause, Kubernetes' e2e test server agnhost,
// hashicorp/http-echo, the entrypoint scripts in front of them and a placeholder for unknown
// images — as Go functions that log what the real ones log, listen on their ports through the
// pod's simulated network, answer the protocol far enough for a port-forward or a curl to see
// the real thing, and handle signals as the real ones do.
//
// It is not the catalog that says which image runs what (package images) nor the process
// model (package proc).
package servers
