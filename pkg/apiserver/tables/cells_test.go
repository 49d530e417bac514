package tables

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestAge(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		ts   metav1.Time
		want string
	}{
		{name: "not set", want: "<unknown>"},
		{name: "seconds", ts: ago(5 * time.Second), want: "5s"},
		{name: "days and hours", ts: ago(51 * time.Hour), want: "2d3h"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Age(tt.ts, now); got != tt.want {
				t.Errorf("Age() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNoneIfEmpty(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, in, want string }{
		{name: "empty", in: "", want: "<none>"},
		{name: "set", in: "node-1", want: "node-1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := NoneIfEmpty(tt.in); got != tt.want {
				t.Errorf("NoneIfEmpty(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestAbbreviate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		items []string
		want  string
	}{
		{name: "none", want: ""},
		{name: "one", items: []string{"a"}, want: "a"},
		{name: "exactly three", items: []string{"a", "b", "c"}, want: "a,b,c"},
		{name: "more than three", items: []string{"a", "b", "c", "d", "e"}, want: "a,b,c + 2 more..."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Abbreviate(tt.items); got != tt.want {
				t.Errorf("Abbreviate(%q) = %q, want %q", tt.items, got, tt.want)
			}
		})
	}
}
