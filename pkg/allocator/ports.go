package allocator

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
)

// PortRange is an inclusive range of ports, Base to Base+Size-1, as apimachinery's
// k8s.io/apimachinery/pkg/util/net.PortRange (the --service-node-port-range value).
type PortRange struct {
	Base int
	Size int
}

// ParsePortRange parses "30000-32767", "30000+2767" (base plus offset) or "30000" (one port),
// with apimachinery's texts for errors. The empty string (after trimming spaces) is the empty
// range.
func ParsePortRange(value string) (PortRange, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return PortRange{}, nil
	}
	hyphen := strings.Index(value, "-")
	plus := strings.Index(value, "+")
	var low, high int
	var err error
	switch {
	case hyphen == -1 && plus == -1:
		if low, err = strconv.Atoi(value); err != nil {
			return PortRange{}, err
		}
		high = low
	case hyphen != -1 && plus == -1:
		if low, err = strconv.Atoi(value[:hyphen]); err != nil {
			return PortRange{}, err
		}
		if high, err = strconv.Atoi(value[hyphen+1:]); err != nil {
			return PortRange{}, err
		}
	case plus != -1 && hyphen == -1:
		var offset int
		if low, err = strconv.Atoi(value[:plus]); err != nil {
			return PortRange{}, err
		}
		if offset, err = strconv.Atoi(value[plus+1:]); err != nil {
			return PortRange{}, err
		}
		high = low + offset
	default:
		return PortRange{}, fmt.Errorf("unable to parse port range: %s", value)
	}
	if low > 65535 || high > 65535 {
		return PortRange{}, fmt.Errorf("the port range cannot be greater than 65535: %s", value)
	}
	if high < low {
		return PortRange{}, fmt.Errorf("end port cannot be less than start port: %s", value)
	}
	return PortRange{Base: low, Size: 1 + high - low}, nil
}

// Contains reports whether p is in the range.
func (pr PortRange) Contains(p int) bool {
	return p >= pr.Base && p-pr.Base < pr.Size
}

// String returns "base-last", or "" for the empty range, as apimachinery.
func (pr PortRange) String() string {
	if pr.Size == 0 {
		return ""
	}
	return fmt.Sprintf("%d-%d", pr.Base, pr.Base+pr.Size-1)
}

// PortAllocator hands out the ports of a PortRange like the apiserver's portallocator: a lower
// static band of min(max(16, size/32), 128) ports (none for 16 ports or fewer) is kept for
// user-chosen ports; AllocateNext starts at a random port of the upper band and walks forward,
// wrapping, and only then tries the lower band likewise. Safe for concurrent use.
type PortAllocator struct {
	pr     PortRange
	offset int

	mu    sync.Mutex
	rnd   *rand.Rand
	used  []bool // indexed by port - Base
	count int
	lower int // taken ports in the static band
}

// NewPortAllocator returns a PortAllocator over pr. rnd chooses where dynamic allocation
// starts (nil: a randomly seeded one); the allocator owns it from then on.
func NewPortAllocator(pr PortRange, rnd *rand.Rand) (*PortAllocator, error) {
	if pr.Size < 0 || pr.Base < 0 || pr.Base+pr.Size-1 > 65535 {
		return nil, fmt.Errorf("invalid port range %d+%d", pr.Base, pr.Size)
	}
	if rnd == nil {
		rnd = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	return &PortAllocator{
		pr:     pr,
		offset: calculatePortRangeOffset(pr.Size),
		rnd:    rnd,
		used:   make([]bool, pr.Size),
	}, nil
}

// calculatePortRangeOffset is upstream's portallocator calculateRangeOffset.
func calculatePortRangeOffset(size int) int {
	const lo, hi, step = 16, 128, 32
	if size <= lo {
		return 0
	}
	return min(max(lo, size/step), hi)
}

// Range returns the port range served.
func (a *PortAllocator) Range() PortRange { return a.pr }

// StaticBand returns how many ports, from Base, make up the static band.
func (a *PortAllocator) StaticBand() int { return a.offset }

// Allocate takes the user-chosen port. It returns *NotInRangeError if port is outside the
// range and ErrPortAllocated (which matches ErrAllocated) if it is taken.
func (a *PortAllocator) Allocate(port int) error {
	if !a.pr.Contains(port) {
		return &NotInRangeError{Port: port, Ports: a.pr}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	i := port - a.pr.Base
	if a.used[i] {
		return ErrPortAllocated
	}
	a.take(i)
	return nil
}

func (a *PortAllocator) take(i int) {
	a.used[i] = true
	a.count++
	if i < a.offset {
		a.lower++
	}
}

// AllocateNext takes and returns a free port, dynamic band first; ErrFull if none.
func (a *PortAllocator) AllocateNext() (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if upper := a.pr.Size - a.offset; a.count-a.lower < upper {
		if i, ok := a.scan(a.offset, upper); ok {
			return a.pr.Base + i, nil
		}
	}
	if a.lower < a.offset {
		if i, ok := a.scan(0, a.offset); ok {
			return a.pr.Base + i, nil
		}
	}
	return 0, ErrFull
}

// scan takes the first free index in [base, base+n) at or after a random start, wrapping.
func (a *PortAllocator) scan(base, n int) (int, bool) {
	start := a.rnd.IntN(n)
	for k := range n {
		i := base + (start+k)%n
		if !a.used[i] {
			a.take(i)
			return i, true
		}
	}
	return 0, false
}

// Release frees port; a free or out-of-range port is a no-op, as upstream.
func (a *PortAllocator) Release(port int) {
	if !a.pr.Contains(port) {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	i := port - a.pr.Base
	if !a.used[i] {
		return
	}
	a.used[i] = false
	a.count--
	if i < a.offset {
		a.lower--
	}
}

// Has reports whether port is taken.
func (a *PortAllocator) Has(port int) bool {
	if !a.pr.Contains(port) {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.used[port-a.pr.Base]
}

// Free returns how many ports are not taken.
func (a *PortAllocator) Free() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.pr.Size - a.count
}

// Used returns how many ports are taken.
func (a *PortAllocator) Used() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.count
}
