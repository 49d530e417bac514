package nodelifecycle

import (
	"errors"
	"fmt"
	"time"
)

// kube-controller-manager's defaults for the node lifecycle flags.
const (
	// DefaultNodeMonitorPeriod is --node-monitor-period.
	DefaultNodeMonitorPeriod = 5 * time.Second
	// DefaultNodeMonitorGracePeriod is --node-monitor-grace-period (50s
	// since Kubernetes 1.32, longer than the kubelet's HTTP/2 health check).
	DefaultNodeMonitorGracePeriod = 50 * time.Second
	// DefaultNodeStartupGracePeriod is --node-startup-grace-period.
	DefaultNodeStartupGracePeriod = 60 * time.Second
	// DefaultNodeEvictionRate is --node-eviction-rate, in Nodes a second.
	DefaultNodeEvictionRate = 0.1
	// DefaultSecondaryNodeEvictionRate is --secondary-node-eviction-rate.
	DefaultSecondaryNodeEvictionRate = 0.01
	// DefaultLargeClusterSizeThreshold is --large-cluster-size-threshold.
	DefaultLargeClusterSizeThreshold = 50
	// DefaultUnhealthyZoneThreshold is --unhealthy-zone-threshold.
	DefaultUnhealthyZoneThreshold = 0.55
)

// Options are the controller's intervals and thresholds, named after
// kube-controller-manager's flags. A zero field means its default; tests
// use short periods so that a Node goes Unknown in a second.
type Options struct {
	// NodeMonitorPeriod is how often every Node's health is checked.
	NodeMonitorPeriod time.Duration
	// NodeMonitorGracePeriod is how long a Node that has posted a Ready
	// condition may go without a Lease renewal or status heartbeat before
	// it is marked Unknown.
	NodeMonitorGracePeriod time.Duration
	// NodeStartupGracePeriod is the same for a Node that has never posted
	// a Ready condition, counted from its creation.
	NodeStartupGracePeriod time.Duration
	// NodeEvictionRate is how many Nodes a second a zone's NoExecute
	// taints are added to while the zone is healthy.
	NodeEvictionRate float32
	// SecondaryNodeEvictionRate is that rate in a partially disrupted zone
	// of more than LargeClusterSizeThreshold Nodes.
	SecondaryNodeEvictionRate float32
	// LargeClusterSizeThreshold is the zone size above which a partially
	// disrupted zone is still tainted, at the secondary rate.
	LargeClusterSizeThreshold int32
	// UnhealthyZoneThreshold is the fraction of not-ready Nodes (with more
	// than two not ready) that makes a zone partially disrupted.
	UnhealthyZoneThreshold float32
}

// complete returns o with its defaults filled in, or every problem with
// the fields that were set.
func (o Options) complete() (Options, error) {
	var errs []error
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"node monitor period", &o.NodeMonitorPeriod, DefaultNodeMonitorPeriod},
		{"node monitor grace period", &o.NodeMonitorGracePeriod, DefaultNodeMonitorGracePeriod},
		{"node startup grace period", &o.NodeStartupGracePeriod, DefaultNodeStartupGracePeriod},
	} {
		switch {
		case *d.v < 0:
			errs = append(errs, fmt.Errorf("%s %v must not be negative", d.name, *d.v))
		case *d.v == 0:
			*d.v = d.def
		}
	}
	for _, r := range []struct {
		name string
		v    *float32
		def  float32
	}{
		{"node eviction rate", &o.NodeEvictionRate, DefaultNodeEvictionRate},
		{"secondary node eviction rate", &o.SecondaryNodeEvictionRate, DefaultSecondaryNodeEvictionRate},
		{"unhealthy zone threshold", &o.UnhealthyZoneThreshold, DefaultUnhealthyZoneThreshold},
	} {
		switch {
		case *r.v < 0:
			errs = append(errs, fmt.Errorf("%s %v must not be negative", r.name, *r.v))
		case *r.v == 0:
			*r.v = r.def
		}
	}
	if o.UnhealthyZoneThreshold > 1 {
		errs = append(errs, fmt.Errorf("unhealthy zone threshold %v must not be above 1", o.UnhealthyZoneThreshold))
	}
	switch {
	case o.LargeClusterSizeThreshold < 0:
		errs = append(errs, fmt.Errorf("large cluster size threshold %d must not be negative", o.LargeClusterSizeThreshold))
	case o.LargeClusterSizeThreshold == 0:
		o.LargeClusterSizeThreshold = DefaultLargeClusterSizeThreshold
	}
	return o, errors.Join(errs...)
}
