package triggers

import (
	"testing"
	"time"
)

func TestPending(t *testing.T) {
	t.Parallel()
	t1 := time.Date(2025, 1, 1, 0, 0, 1, 0, time.UTC)
	t2 := t1.Add(time.Second)
	tests := []struct {
		name          string
		pending, comp time.Time
		want          time.Time
	}{
		{name: "nothing pending", comp: t2, want: t2},
		{name: "pending earlier wins", pending: t1, comp: t2, want: t1},
		{name: "computed earlier wins", pending: t2, comp: t1, want: t1},
		{name: "pending kept when nothing changed since", pending: t1, want: t1},
		{name: "neither", want: time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var p Pending
			p.Keep("ns/svc", tt.pending)
			if got := p.Take("ns/svc", tt.comp); !got.Equal(tt.want) {
				t.Errorf("Take = %v, want %v", got, tt.want)
			}
			if got := p.Take("ns/svc", time.Time{}); !got.IsZero() {
				t.Errorf("second Take = %v, want nothing pending", got)
			}
		})
	}
}
