package cronjob

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	batchv1 "k8s.io/api/batch/v1"
)

// tooManyMissed is upstream's limit: a CronJob that missed more start times
// than this gets a TooManyMissedTimes warning (its clock, or the API
// server's, is likely wrong), and the missed times are not walked one by
// one.
const tooManyMissed = 100

// nextScheduleDelta is added to every wake-up, as upstream's, so that the
// controller wakes just after a start time rather than just before it.
const nextScheduleDelta = 100 * time.Millisecond

// errTooFrequent is returned for a schedule whose start times are less
// than a second apart, or that has none at all (robfig/cron then returns
// the zero time: "59 23 31 2 *" never comes).
var errTooFrequent = errors.New("time difference between two schedules is less than 1 second")

// missed is how many start times a CronJob has let pass.
type missed int

const (
	noneMissed missed = iota
	// fewMissed: between 1 and tooManyMissed.
	fewMissed
	// manyMissed: more than tooManyMissed.
	manyMissed
)

// scheduleText is the schedule to parse: spec.schedule, prefixed with
// spec.timeZone as robfig/cron's TZ= when that is a zone it can load. tz
// reports a schedule that names its zone itself (TZ= or CRON_TZ=), which
// upstream warns about and then honours.
func scheduleText(cj *batchv1.CronJob) (text string, tz bool) {
	s := cj.Spec.Schedule
	if strings.Contains(s, "TZ") {
		return s, true
	}
	if cj.Spec.TimeZone != nil {
		if _, err := time.LoadLocation(*cj.Spec.TimeZone); err == nil {
			return "TZ=" + *cj.Spec.TimeZone + " " + s, false
		}
	}
	return s, false
}

// parseSchedule parses cj's schedule in its zone, or in the local zone.
func parseSchedule(cj *batchv1.CronJob) (cron.Schedule, error) {
	text, _ := scheduleText(cj)
	return cron.ParseStandard(text)
}

// since is the time after which cj's start times count: its last schedule
// time, else its creation.
func since(cj *batchv1.CronJob) time.Time {
	if t := cj.Status.LastScheduleTime; t != nil {
		return t.Time
	}
	return cj.CreationTimestamp.Time
}

// mostRecent returns the latest start time of sched after from and not
// after now, if any, and how many such times there were. Up to
// tooManyMissed+1 times are walked exactly; beyond that the rest are
// counted from the interval between the first two and jumped over.
func mostRecent(from, now time.Time, sched cron.Schedule) (*time.Time, missed, error) {
	first := sched.Next(from)
	if first.IsZero() {
		return nil, noneMissed, errTooFrequent
	}
	if now.Before(first) {
		return nil, noneMissed, nil
	}
	second := sched.Next(first)
	if second.IsZero() || second.Sub(first).Round(time.Second) < time.Second {
		return nil, noneMissed, errTooFrequent
	}
	latest, n := first, 1
	for t := second; !t.After(now); t = sched.Next(t) {
		latest, n = t, n+1
		if n > tooManyMissed {
			break
		}
	}
	if n <= tooManyMissed {
		return &latest, fewMissed, nil
	}
	// Jump whole intervals from the first time to within two of now,
	// never before the times already walked, and walk the rest: whole
	// intervals keep the phase of an "@every" schedule. An irregular
	// schedule ("0 0 1 * *": months differ) can make the jump overshoot:
	// then walk on from where the exact walk stopped.
	interval := second.Sub(first)
	jump := first.Add(time.Duration(int64(now.Sub(first)/interval)-1) * interval)
	if jump.Before(latest) {
		jump = latest
	}
	found := false
	for t := sched.Next(jump); !t.After(now); t = sched.Next(t) {
		latest, found = t, true
	}
	if !found {
		for t := sched.Next(latest); !t.After(now); t = sched.Next(t) {
			latest = t
		}
	}
	return &latest, manyMissed, nil
}

// nextScheduleTime is the start time cj is due for at now: the latest
// one since its last schedule time (or creation) and, with
// startingDeadlineSeconds, not before now minus the deadline; nil if there
// is none. Missed start times before it are not made up for, as upstream's.
func nextScheduleTime(cj *batchv1.CronJob, now time.Time, sched cron.Schedule) (*time.Time, missed, error) {
	from := since(cj)
	if d := cj.Spec.StartingDeadlineSeconds; d != nil {
		if earliest := now.Add(-time.Duration(*d) * time.Second); earliest.After(from) {
			from = earliest
		}
	}
	return mostRecent(from, now, sched)
}

// requeueAfter is how long after now cj's next start time comes (plus
// nextScheduleDelta): the one after the latest start time already due,
// after its last schedule time or creation if none is. ok is false for a
// schedule that never comes again.
func requeueAfter(cj *batchv1.CronJob, now time.Time, sched cron.Schedule) (d time.Duration, ok bool) {
	base := since(cj)
	latest, _, err := mostRecent(base, now, sched)
	switch {
	case err != nil:
		base = now
	case latest != nil:
		base = *latest
	}
	next := sched.Next(base)
	if next.IsZero() {
		return 0, false
	}
	return next.Add(nextScheduleDelta).Sub(now), true
}

// jobName is the name of cj's Job for start time t: the CronJob's name and
// t in minutes since the epoch, so that one start time makes one Job.
func jobName(cj *batchv1.CronJob, t time.Time) string {
	return fmt.Sprintf("%s-%d", cj.Name, t.Unix()/60)
}
