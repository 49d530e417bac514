package job

import (
	"errors"
	"fmt"
	"time"
)

// kube-controller-manager's defaults.
const (
	// DefaultPodFailureBackoff is the delay before the first replacement
	// of a failed pod (upstream's DefaultJobPodFailureBackOff).
	DefaultPodFailureBackoff = 10 * time.Second
	// DefaultMaxPodFailureBackoff is the longest a replacement waits
	// (upstream's MaxJobPodFailureBackOff).
	DefaultMaxPodFailureBackoff = 10 * time.Minute
	// DefaultSyncBatchPeriod is how long a Job's sync waits after one of
	// its pods changes, so that changes close together make one sync
	// (upstream's syncJobBatchPeriod).
	DefaultSyncBatchPeriod = time.Second
)

// Options are the controller's delays; a zero field means its default, so
// that tests can shorten only the ones they wait on.
type Options struct {
	// PodFailureBackoff is the delay before a failed pod is replaced,
	// doubled for each consecutive failure.
	PodFailureBackoff time.Duration
	// MaxPodFailureBackoff caps that delay.
	MaxPodFailureBackoff time.Duration
	// SyncBatchPeriod batches the syncs that pod changes ask for.
	SyncBatchPeriod time.Duration
}

// complete returns o with its defaults filled in, or every problem.
func (o Options) complete() (Options, error) {
	var errs []error
	for _, f := range []struct {
		name string
		d    *time.Duration
		def  time.Duration
	}{
		{"pod failure backoff", &o.PodFailureBackoff, DefaultPodFailureBackoff},
		{"max pod failure backoff", &o.MaxPodFailureBackoff, DefaultMaxPodFailureBackoff},
		{"sync batch period", &o.SyncBatchPeriod, DefaultSyncBatchPeriod},
	} {
		switch {
		case *f.d < 0:
			errs = append(errs, fmt.Errorf("%s %v must not be negative", f.name, *f.d))
		case *f.d == 0:
			*f.d = f.def
		}
	}
	if o.MaxPodFailureBackoff < o.PodFailureBackoff {
		errs = append(errs, fmt.Errorf("max pod failure backoff %v must not be below the pod failure backoff %v", o.MaxPodFailureBackoff, o.PodFailureBackoff))
	}
	return o, errors.Join(errs...)
}
