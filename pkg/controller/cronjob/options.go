package cronjob

import (
	"k8s.io/utils/clock"
)

// Options are what a caller may change; the zero value is
// kube-controller-manager's controller.
type Options struct {
	// Clock tells the time that schedules are worked out from and wakes
	// the controller at each next start time; nil is the real clock. A
	// test passes a fake one (k8s.io/utils/clock/testing) and steps it.
	Clock clock.WithDelayedExecution
}

// complete returns o with its defaults filled in.
func (o Options) complete() Options {
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	return o
}
