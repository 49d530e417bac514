package endpoint

//lint:file-ignore SA1019 fakecluster serves core/v1 Endpoints, which upstream deprecates but still serves.

import (
	"net"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of endpoints: NAME ENDPOINTS AGE.
func table(t *tables.Convertors) tables.Convertor {
	return tables.NewNameAgeConvertor[*corev1.EndpointsList](t, []metav1.TableColumnDefinition{
		{Name: "Endpoints", Type: "string", Description: "The first few ip:port pairs behind the service."},
	}, func(ep *corev1.Endpoints) []any { return []any{endpointsAddresses(ep.Subsets)} })
}

// endpointsAddresses lists ip:port for every port of every subset (just the IP when a
// subset has no ports, as for a headless service without ports). It is "<none>" without
// subsets, but empty when the subsets hold no ready addresses.
func endpointsAddresses(subsets []corev1.EndpointSubset) string {
	if len(subsets) == 0 {
		return "<none>"
	}
	var addrs []string
	for _, ss := range subsets {
		if len(ss.Ports) == 0 {
			for _, a := range ss.Addresses {
				addrs = append(addrs, a.IP)
			}
			continue
		}
		for _, p := range ss.Ports {
			for _, a := range ss.Addresses {
				addrs = append(addrs, net.JoinHostPort(a.IP, strconv.Itoa(int(p.Port))))
			}
		}
	}
	return tables.Abbreviate(addrs)
}
