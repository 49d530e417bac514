package podgc

import (
	"errors"
	"fmt"
	"time"
)

// kube-controller-manager's defaults.
const (
	// DefaultTerminatedPodGCThreshold is --terminated-pod-gc-threshold.
	DefaultTerminatedPodGCThreshold = 12500
	// DefaultGCCheckPeriod is how often upstream collects (gcCheckPeriod).
	DefaultGCCheckPeriod = 20 * time.Second
	// DefaultQuarantineTime is how long upstream waits for a missing Node
	// to show up before it deletes its pods (quarantineTime).
	DefaultQuarantineTime = 40 * time.Second
)

// Options are the collector's thresholds and intervals; a zero field means
// its default, so that tests can shorten only the periods.
type Options struct {
	// TerminatedPodGCThreshold is how many finished pods may remain before
	// the oldest are deleted. Negative disables it (upstream's 0).
	TerminatedPodGCThreshold int
	// GCCheckPeriod is how often the collector runs.
	GCCheckPeriod time.Duration
	// QuarantineTime is how long a Node must be missing from the informer
	// before its pods count as orphaned.
	QuarantineTime time.Duration
}

// complete returns o with its defaults filled in, or every problem.
func (o Options) complete() (Options, error) {
	var errs []error
	if o.TerminatedPodGCThreshold == 0 {
		o.TerminatedPodGCThreshold = DefaultTerminatedPodGCThreshold
	}
	switch {
	case o.GCCheckPeriod < 0:
		errs = append(errs, fmt.Errorf("gc check period %v must not be negative", o.GCCheckPeriod))
	case o.GCCheckPeriod == 0:
		o.GCCheckPeriod = DefaultGCCheckPeriod
	}
	switch {
	case o.QuarantineTime < 0:
		errs = append(errs, fmt.Errorf("quarantine time %v must not be negative", o.QuarantineTime))
	case o.QuarantineTime == 0:
		o.QuarantineTime = DefaultQuarantineTime
	}
	return o, errors.Join(errs...)
}
