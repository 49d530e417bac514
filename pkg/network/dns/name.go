package dns

import "strings"

// splitName splits a fully qualified domain name in presentation format
// into its labels, lower-cased (ASCII only, as DNS compares names) and with
// their escapes kept, so that `a\.b` stays one label that no Kubernetes
// name can match. The root, ".", has no labels. It reports false for what
// could not be packed into a message: a name without its final dot (or
// whose final dot is escaped), an empty label, a label over 63 octets or a
// name over 255. CoreDNS never sees such names, as miekg/dns cannot unpack
// them; Answer can, since its callers build messages in memory.
func splitName(name string) ([]string, bool) {
	if name == "." {
		return nil, true
	}
	var labels []string
	wire := 1 // the root label's length octet
	start, octets := 0, 0
	for i := 0; i < len(name); i++ {
		switch name[i] {
		case '\\':
			switch {
			case isDDD(name[i+1:]):
				i += 3
			case i+1 < len(name):
				i++
			default:
				return nil, false
			}
			octets++
		case '.':
			if octets == 0 {
				return nil, false
			}
			labels = append(labels, lower(name[start:i]))
			wire += 1 + octets
			start, octets = i+1, 0
		default:
			octets++
		}
		if octets > 63 {
			return nil, false
		}
	}
	return labels, octets == 0 && len(labels) > 0 && wire <= 255
}

// isDDD reports whether s starts with the three digits of a \DDD escape.
func isDDD(s string) bool {
	return len(s) >= 3 && isDigit(s[0]) && isDigit(s[1]) && isDigit(s[2])
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// lower lower-cases ASCII letters only: DNS compares names that way
// (RFC 4343), and bytes above 0x7f are not letters to it.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// request is what a name in a cluster zone asks for, by the schema of the
// Kubernetes DNS specification:
// [_port._proto.|endpoint.]service.namespace.(svc|pod).zone.
type request struct {
	// kind is "svc" or "pod"; it is empty for the zone itself and for
	// "svc.zone." and "pod.zone.", which exist and hold nothing.
	kind               string
	namespace, service string
	endpoint           string
	port, protocol     string
}

// parseRequest reads the labels left of the zone as CoreDNS's kubernetes
// plugin does (plugin/kubernetes/parse.go): false means no name of this
// shape can exist (NXDOMAIN). Two labels left of the service are a port
// and a protocol, each with or without its underscore, as CoreDNS takes
// them; three or more are "too long".
func parseRequest(labels []string) (request, bool) {
	n := len(labels)
	if n == 0 || n == 1 && (labels[0] == kindSvc || labels[0] == kindPod) {
		return request{}, true
	}
	r := request{kind: labels[n-1]}
	if r.kind != kindSvc && r.kind != kindPod {
		return request{}, false
	}
	r.namespace = labels[n-2]
	if n >= 3 {
		r.service = labels[n-3]
	}
	switch n {
	case 2, 3:
	case 4:
		r.endpoint = labels[0]
	case 5:
		r.port = strings.TrimPrefix(labels[0], "_")
		r.protocol = strings.TrimPrefix(labels[1], "_")
	default:
		return request{}, false
	}
	return r, true
}

const (
	kindSvc = "svc"
	kindPod = "pod"
)
