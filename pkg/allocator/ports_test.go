package allocator

import (
	"errors"
	"testing"
)

func TestParsePortRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    PortRange
		wantErr string
	}{
		{name: "hyphen default", in: "30000-32767", want: PortRange{30000, 2768}},
		{name: "plus", in: "30000+2767", want: PortRange{30000, 2768}},
		{name: "single", in: "80", want: PortRange{80, 1}},
		{name: "spaces trimmed", in: "  1-2 ", want: PortRange{1, 2}},
		{name: "empty", in: "", want: PortRange{}},
		{name: "zero", in: "0-0", want: PortRange{0, 1}},
		{name: "whole", in: "0-65535", want: PortRange{0, 65536}},
		{name: "reversed", in: "100-99", wantErr: "end port cannot be less than start port: 100-99"},
		{name: "too high", in: "65000-65536", wantErr: "the port range cannot be greater than 65535: 65000-65536"},
		{name: "plus too high", in: "65000+536", wantErr: "the port range cannot be greater than 65535: 65000+536"},
		{name: "both notations", in: "1-2+3", wantErr: "unable to parse port range: 1-2+3"},
		{name: "garbage", in: "abc", wantErr: `strconv.Atoi: parsing "abc": invalid syntax`},
		{name: "negative", in: "-5", wantErr: `strconv.Atoi: parsing "": invalid syntax`},
		{name: "bad end", in: "5-x", wantErr: `strconv.Atoi: parsing "x": invalid syntax`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParsePortRange(tc.in)
			if errText(err) != tc.wantErr || got != tc.want {
				t.Fatalf("ParsePortRange(%q) = %+v, %q; want %+v, %q", tc.in, got, errText(err), tc.want, tc.wantErr)
			}
			if err == nil && tc.in != "" {
				back, err := ParsePortRange(got.String())
				if err != nil || back != got {
					t.Errorf("round trip of %q via %q = %+v, %v", tc.in, got.String(), back, err)
				}
			}
		})
	}
}

func TestPortAllocator(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		spec    string
		port    int
		taken   bool
		wantErr string
		static  int
	}{
		{name: "default ok", spec: "30000-32767", port: 30080, static: 86},
		{name: "default taken", spec: "30000-32767", port: 30080, taken: true, wantErr: "provided port is already allocated", static: 86},
		{name: "below", spec: "30000-32767", port: 80, wantErr: "provided port is not in the valid range. The range of valid ports is 30000-32767", static: 86},
		{name: "above", spec: "30000-32767", port: 32768, wantErr: "provided port is not in the valid range. The range of valid ports is 30000-32767", static: 86},
		{name: "last", spec: "30000-32767", port: 32767, static: 86},
		{name: "small no band", spec: "100-115", port: 100, static: 0},
		{name: "max band", spec: "1000-9999", port: 1000, static: 128},
		{name: "min band", spec: "100-116", port: 116, static: 16},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := newTestPorts(t, tc.spec, 1)
			if a.StaticBand() != tc.static {
				t.Errorf("StaticBand = %d, want %d", a.StaticBand(), tc.static)
			}
			if tc.taken {
				if err := a.Allocate(tc.port); err != nil {
					t.Fatal(err)
				}
			}
			err := a.Allocate(tc.port)
			if errText(err) != tc.wantErr {
				t.Fatalf("Allocate(%d) = %q, want %q", tc.port, errText(err), tc.wantErr)
			}
			switch {
			case tc.taken:
				if !errors.Is(err, ErrAllocated) || !errors.Is(err, ErrPortAllocated) {
					t.Errorf("errors.Is(%v, ErrAllocated) = false", err)
				}
			case err != nil:
				var nir *NotInRangeError
				if !errors.As(err, &nir) || nir.Port != tc.port || nir.Ports != a.Range() {
					t.Errorf("errors.As(%v) = %+v", err, nir)
				}
			default:
				if !a.Has(tc.port) {
					t.Errorf("Has(%d) = false after Allocate", tc.port)
				}
				a.Release(tc.port)
				if a.Has(tc.port) {
					t.Errorf("Has(%d) = true after Release", tc.port)
				}
			}
		})
	}
}

func TestPortAllocatorExhaustionAndBanding(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{"30000-30015", "30000-30031", "30000-32767", "7+0"} {
		t.Run(spec, func(t *testing.T) {
			t.Parallel()
			a := newTestPorts(t, spec, 5)
			pr := a.Range()
			seen := map[int]bool{}
			for i := range pr.Size {
				p, err := a.AllocateNext()
				if err != nil {
					t.Fatalf("AllocateNext %d: %v", i, err)
				}
				if !pr.Contains(p) || seen[p] {
					t.Fatalf("AllocateNext = %d: outside %v or duplicate", p, pr)
				}
				if inStatic := p-pr.Base < a.StaticBand(); inStatic != (i >= pr.Size-a.StaticBand()) {
					t.Fatalf("AllocateNext %d = %d: static band used out of turn", i, p)
				}
				seen[p] = true
			}
			if p, err := a.AllocateNext(); !errors.Is(err, ErrFull) || err.Error() != "range is full" {
				t.Fatalf("AllocateNext on full = %d, %v", p, err)
			}
		})
	}
}
