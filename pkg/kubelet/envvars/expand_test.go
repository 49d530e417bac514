package envvars

import (
	"strings"
	"testing"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
)

// vars is the context of the expansion tests.
func vars(name string) (string, bool) {
	v, ok := map[string]string{
		"VAR_A":     "A",
		"VAR_B":     "B",
		"VAR_C":     "C",
		"VAR_REF":   "$(VAR_A)",
		"VAR_EMPTY": "",
		"":          "EMPTY_NAME",
	}[name]
	return v, ok
}

func TestExpand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{name: "whole string", in: "$(VAR_A)", want: "A"},
		{name: "in text", in: "___$(VAR_B)___", want: "___B___"},
		{name: "several", in: "$(VAR_A)-$(VAR_B)-$(VAR_C)", want: "A-B-C"},
		{name: "adjacent", in: "$(VAR_A)$(VAR_B)", want: "AB"},
		{name: "value not re-expanded", in: "$(VAR_REF)", want: "$(VAR_A)"},
		{name: "empty value", in: "x$(VAR_EMPTY)y", want: "xy"},
		{name: "empty name known", in: "$()", want: "EMPTY_NAME"},
		{name: "unknown left as written", in: "$(UNKNOWN)", want: "$(UNKNOWN)"},
		{name: "unknown beside known", in: "$(VAR_A)$(UNKNOWN)$(VAR_B)", want: "A$(UNKNOWN)B"},
		{name: "escaped reference", in: "$$(VAR_A)", want: "$(VAR_A)"},
		{name: "escape then reference", in: "$$$(VAR_A)", want: "$A"},
		{name: "double escape then reference", in: "$$$$(VAR_A)", want: "$$(VAR_A)"},
		{name: "lone escape", in: "$$", want: "$"},
		{name: "three dollars", in: "$$$", want: "$$"},
		{name: "trailing dollar", in: "foo$", want: "foo$"},
		{name: "only dollar", in: "$", want: "$"},
		{name: "dollar letter", in: "$VAR_A", want: "$VAR_A"},
		{name: "dollar letter consumes next byte", in: "$x$(VAR_A)", want: "$xA"},
		{name: "dollar then escaped dollar", in: "$x$$", want: "$x$"},
		{name: "dollar brace is not syntax", in: "${VAR_A}", want: "${VAR_A}"},
		{name: "dollar closer", in: "$)", want: "$)"},
		{name: "unterminated", in: "$(VAR_A", want: "$(VAR_A"},
		{name: "unterminated at end", in: "foo$(", want: "foo$("},
		{name: "name runs to the first closer", in: "$(VAR_A$(VAR_B)", want: "$(VAR_A$(VAR_B)"},
		{name: "unterminated then escape", in: "$($$", want: "$($"},
		{name: "unterminated then lone dollars", in: "$(x$$$y", want: "$(x$$y"},
		{name: "nested opens at first closer", in: "$(VAR_$(VAR_A))", want: "$(VAR_$(VAR_A))"},
		{name: "name with spaces", in: "$( VAR_A )", want: "$( VAR_A )"},
		{name: "no dollar", in: "plain (text)", want: "plain (text)"},
		{name: "even dollars, unknown", in: "$$$$$$(BIG_MONEY)", want: "$$$(BIG_MONEY)"},
		{name: "odd dollars, known", in: "$$$$$$$(VAR_A)", want: "$$$A"},
		{name: "many unterminated", in: "--$($($($($--", want: "--$($($($($--"},
		{name: "escapes inside a name stay", in: "$(foo$$var)", want: "$(foo$$var)"},
		{name: "shell specials pass through", in: "$?_boo_$!", want: "$?_boo_$!"},
		{name: "backslash is no escape", in: `foo\\$(VAR_C)bar`, want: `foo\\Cbar`},
		{name: "empty", in: "", want: ""},
		{name: "utf-8 around references", in: "é$(VAR_A)ü", want: "éAü"},
		{name: "utf-8 in unknown name", in: "$(naïve)", want: "$(naïve)"},
		{name: "non-ascii after lone dollar", in: "$é$(VAR_A)", want: "$éA"},
		{name: "four-byte rune after lone dollar", in: "$🙂$$", want: "$🙂$"},
		{name: "invalid byte after lone dollar", in: "$\xff(VAR_A)", want: "$\ufffd(VAR_A)"},
		{name: "truncated rune after lone dollar", in: "$\xc3", want: "$\ufffd"},
		{name: "invalid byte elsewhere kept", in: "\xff$(VAR_A)\xfe", want: "\xffA\xfe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Expand(tt.in, vars); got != tt.want {
				t.Errorf("Expand(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := slowExpand(tt.in, vars); got != tt.want {
				t.Errorf("slowExpand(%q) = %q, want %q (the reference disagrees)", tt.in, got, tt.want)
			}
		})
	}
}

func TestExpandNilMapping(t *testing.T) {
	t.Parallel()
	const in = "$(A) $$ $(B"
	if got, want := Expand(in, nil), "$(A) $ $(B"; got != want {
		t.Errorf("Expand(%q, nil) = %q, want %q", in, got, want)
	}
}

func TestMapping(t *testing.T) {
	t.Parallel()
	m := Mapping([]corev1.EnvVar{{Name: "A", Value: "1"}, {Name: "B", Value: ""}, {Name: "A", Value: "2"}})
	for _, tt := range []struct {
		name, want string
		ok         bool
	}{{"A", "2", true}, {"B", "", true}, {"C", "", false}} {
		if got, ok := m(tt.name); got != tt.want || ok != tt.ok {
			t.Errorf("mapping(%q) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
	if got, want := Expand("$(A)$(B)$(C)", m), "2$(C)"; got != want {
		t.Errorf("Expand = %q, want %q", got, want)
	}
}

// slowExpand is the obvious recursive reading of the expansion rules,
// the reference Expand is fuzzed against.
func slowExpand(s string, mapping func(string) (string, bool)) string {
	switch {
	case s == "":
		return ""
	case s[0] != '$' || len(s) == 1:
		return s[:1] + slowExpand(s[1:], mapping)
	case s[1] == '$':
		return "$" + slowExpand(s[2:], mapping)
	case s[1] == '(':
		name, rest, closed := strings.Cut(s[2:], ")")
		if !closed {
			return "$(" + slowExpand(s[2:], mapping)
		}
		if v, ok := mapping(name); ok {
			return v + slowExpand(rest, mapping)
		}
		return "$(" + name + ")" + slowExpand(rest, mapping)
	default:
		r, size := utf8.DecodeRuneInString(s[1:])
		return "$" + string(r) + slowExpand(s[1+size:], mapping)
	}
}

func FuzzExpand(f *testing.F) {
	for _, seed := range []string{
		"", "$", "$$", "$$$", "$(VAR_A)", "$$(VAR_A)", "$(VAR_A", "$(VAR_A$(VAR_B)", "$(x$$$y",
		"$x", "$é", "$\xff", "$\xc3", "$\uFFFD", "a$(UNKNOWN)b", "$()", "$(VAR_REF)$(VAR_EMPTY)", "$(($$)))",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if len(in) > 4096 {
			return // keep the recursive reference's depth small
		}
		got := Expand(in, vars)
		if want := slowExpand(in, vars); got != want {
			t.Fatalf("Expand(%q) = %q, reference says %q", in, got, want)
		}
		if !strings.Contains(in, "$") && got != in {
			t.Fatalf("Expand(%q) changed a string without $ to %q", in, got)
		}
		// Knowing no names, Expand only drops escaping dollars and
		// replaces an invalid byte after a lone $.
		none := func(string) (string, bool) { return "", false }
		if !strings.Contains(in, "$$") && utf8.ValidString(in) {
			if got := Expand(in, none); got != in {
				t.Fatalf("Expand(%q) with no names = %q, want it unchanged", in, got)
			}
		}
	})
}
