// Package endpoints is the v1 Endpoints controller: for every Service with a
// selector it writes an Endpoints object of the same name listing the
// matching pods' addresses of the Service's primary IP family, ready and not
// ready apart, as kube-controller-manager's endpoint controller does. It
// does not touch the Endpoints of selectorless Services (their owners write
// them) and writes no EndpointSlices (package endpointslice does).
package endpoints
