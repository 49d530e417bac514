package shell

import (
	"strings"
	"testing"

	"mvdan.cc/sh/v3/syntax"
)

func TestQuoteValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d        Dialect
		in, want string
	}{
		{Ash, "plain", "'plain'"},
		{Ash, "it's", `'it'"'"'s'`},
		{Dash, "", "''"},
		{Bash, "10.244.1.4,a00:100::4", "10.244.1.4,a00:100::4"},
		{Bash, "a b", "'a b'"},
		{Bash, "~home", "'~home'"},
		{Bash, "x~y", "x~y"},
		{Bash, "tab\there", `$'tab\there'`},
		{Bash, "", "''"},
	}
	for _, tt := range tests {
		s := &shell{d: tt.d}
		if got := s.quoteValue(tt.in); got != tt.want {
			t.Errorf("dialect %d quoteValue(%q) = %s, want %s", tt.d, tt.in, got, tt.want)
		}
	}
}

func TestMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    Dialect
		want string
	}{
		{Ash, "sh: x: not found"},
		{Dash, "sh: 3: x: not found"},
		{Bash, "sh: line 3: x: command not found"},
	}
	for _, tt := range tests {
		s := &shell{d: tt.d, arg0: "sh"}
		s.line.Store(3)
		if got := s.notFound("x"); got != tt.want {
			t.Errorf("dialect %d: %q, want %q", tt.d, got, tt.want)
		}
	}
	_, err := syntax.NewParser().Parse(strings.NewReader("echo 'x"), "")
	s := &shell{d: Dash, arg0: "sh"}
	if got := s.syntaxError(err); got != "sh: 1: Syntax error: Unterminated quoted string" {
		t.Errorf("dash syntax error: %q", got)
	}
}

func FuzzRewrite(f *testing.F) {
	for _, src := range []string{"echo $$ ${0} $PPID", "cat <(ls)", "a=${#$}; echo ${0:-x}"} {
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src string) {
		file, err := syntax.NewParser().Parse(strings.NewReader(src), "")
		if err != nil {
			return
		}
		s := &shell{d: Bash, arg0: "sh"}
		_ = s.rewrite(file)
		syntax.Walk(file, func(n syntax.Node) bool {
			if pe, ok := n.(*syntax.ParamExp); ok && pe.Param != nil && (pe.Param.Value == "$" || pe.Param.Value == "PPID" || pe.Param.Value == "0") {
				t.Errorf("%q: $%s left for the interpreter", src, pe.Param.Value)
			}
			return true
		})
	})
}
