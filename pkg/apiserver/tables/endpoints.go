package tables

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// shownAddresses is how many addresses an endpoints cell lists before " + N more...".
const shownAddresses = 3

// Endpoints returns the convertor for core/v1 Endpoints: NAME ENDPOINTS AGE.
func (c *Convertors) Endpoints() Convertor {
	columns := []metav1.TableColumnDefinition{
		nameColumn(),
		{Name: "Endpoints", Type: "string", Description: "The first few ip:port pairs behind the service."},
		ageColumn(),
	}
	return convertor(c.clock, columns, endpointsRow, func(l *corev1.EndpointsList) []*corev1.Endpoints { return pointers(l.Items) })
}

func endpointsRow(ep *corev1.Endpoints, now time.Time) []any {
	return []any{ep.Name, endpointsAddresses(ep.Subsets), age(ep.CreationTimestamp, now)}
}

// endpointsAddresses lists ip:port for every port of every subset (just the IP when a
// subset has no ports, as for a headless service without ports). It is "<none>" without
// subsets, but empty when the subsets hold no ready addresses.
func endpointsAddresses(subsets []corev1.EndpointSubset) string {
	if len(subsets) == 0 {
		return "<none>"
	}
	var shown []string
	total := 0
	add := func(s string) {
		total++
		if len(shown) < shownAddresses {
			shown = append(shown, s)
		}
	}
	for _, ss := range subsets {
		if len(ss.Ports) == 0 {
			for _, a := range ss.Addresses {
				add(a.IP)
			}
			continue
		}
		for _, p := range ss.Ports {
			for _, a := range ss.Addresses {
				add(net.JoinHostPort(a.IP, strconv.Itoa(int(p.Port))))
			}
		}
	}
	return withMore(shown, total)
}

// EndpointSlices returns the convertor for discovery/v1 EndpointSlices:
// NAME ADDRESSTYPE PORTS ENDPOINTS AGE.
func (c *Convertors) EndpointSlices() Convertor {
	columns := []metav1.TableColumnDefinition{
		nameColumn(),
		{Name: "AddressType", Type: "string", Description: "The address family of the slice: IPv4, IPv6 or FQDN."},
		{Name: "Ports", Type: "string", Description: "The first few ports of the slice."},
		{Name: "Endpoints", Type: "string", Description: "The first few endpoint addresses of the slice."},
		ageColumn(),
	}
	return convertor(c.clock, columns, endpointSliceRow, func(l *discoveryv1.EndpointSliceList) []*discoveryv1.EndpointSlice {
		return pointers(l.Items)
	})
}

func endpointSliceRow(s *discoveryv1.EndpointSlice, now time.Time) []any {
	var ports []string
	for _, p := range s.Ports {
		switch {
		case p.Port != nil:
			ports = append(ports, strconv.Itoa(int(*p.Port)))
		case p.Name != nil:
			ports = append(ports, *p.Name)
		default:
			ports = append(ports, "*")
		}
	}
	var addrs []string
	for _, ep := range s.Endpoints {
		addrs = append(addrs, ep.Addresses...)
	}
	return []any{
		s.Name,
		string(s.AddressType),
		unsetIfEmpty(withMore(first(ports, shownAddresses), len(ports))),
		unsetIfEmpty(withMore(first(addrs, shownAddresses), len(addrs))),
		age(s.CreationTimestamp, now),
	}
}

// withMore joins the shown items and says how many of total were left out.
func withMore(shown []string, total int) string {
	s := strings.Join(shown, ",")
	if total > len(shown) {
		s += fmt.Sprintf(" + %d more...", total-len(shown))
	}
	return s
}

func first(items []string, n int) []string {
	return items[:min(n, len(items))]
}

func unsetIfEmpty(s string) string {
	if s == "" {
		return "<unset>"
	}
	return s
}
