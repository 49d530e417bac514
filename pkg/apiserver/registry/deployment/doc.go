// Package deployment serves apps/v1 Deployments with their status and
// scale subresources, upstream's defaults, validation and table. The
// deployment controller (pkg/controller/deployment) does the rolling out.
package deployment
