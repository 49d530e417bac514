package triggers

import (
	"sync"
	"time"
)

// Pending keeps the trigger times of failed writes by key. The trigger
// time tracker has already moved past them when the retry comes, so
// without Pending the retry would report a later time or none. Safe for
// concurrent use; the zero value is ready.
type Pending struct {
	mu    sync.Mutex
	times map[string]time.Time
}

// Take returns the earlier of t and the pending time of key, forgetting
// the latter. Zero times mean none.
func (p *Pending) Take(key string, t time.Time) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pt, ok := p.times[key]; ok {
		delete(p.times, key)
		if t.IsZero() || pt.Before(t) {
			return pt
		}
	}
	return t
}

// Keep remembers t for key's next sync.
func (p *Pending) Keep(key string, t time.Time) {
	if t.IsZero() {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.times == nil {
		p.times = map[string]time.Time{}
	}
	p.times[key] = t
}
