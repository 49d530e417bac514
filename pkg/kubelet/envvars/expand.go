package envvars

import (
	"strings"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
)

// Expand replaces the $(VAR) references in input with mapping's values, as
// the kubelet expands env values, command and args:
//
//   - $(NAME) becomes mapping(NAME) if mapping knows it, else stays $(NAME);
//   - $$ is a literal $, so $$(NAME) is the text $(NAME);
//   - a name runs to the first ")", whatever it contains; a $( with no
//     ")" after it stays as written, and scanning goes on after the "("
//     (so "$(a$$" is "$(a$");
//   - a $ before any other character stays with that character, which is
//     not scanned again ("$$$" is "$$"), and a trailing $ stays.
//
// As in Kubernetes since v1.36, the character after a lone $ is read as a
// whole UTF-8 rune, and an invalid byte there becomes U+FFFD. A nil mapping
// knows no names.
func Expand(input string, mapping func(string) (string, bool)) string {
	if strings.IndexByte(input, '$') < 0 {
		return input
	}
	var b strings.Builder
	b.Grow(len(input))
	for i := 0; i < len(input); i++ {
		if input[i] != '$' || i+1 == len(input) {
			b.WriteByte(input[i])
			continue
		}
		switch next := input[i+1]; next {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(input[i+2:], ')')
			if end < 0 {
				b.WriteString("$(")
				i++
				continue
			}
			name := input[i+2 : i+2+end]
			value, ok := "", false
			if mapping != nil {
				value, ok = mapping(name)
			}
			if ok {
				b.WriteString(value)
			} else {
				b.WriteString(input[i : i+3+end])
			}
			i += 2 + end
		default:
			r, size := utf8.DecodeRuneInString(input[i+1:])
			b.WriteByte('$')
			b.WriteRune(r)
			i += size
		}
	}
	return b.String()
}

// Mapping returns a mapping for Expand that knows env's variables, a later
// entry of a name winning, as the kubelet expands a container's command and
// args against its final environment.
func Mapping(env []corev1.EnvVar) func(string) (string, bool) {
	m := make(map[string]string, len(env))
	for _, v := range env {
		m[v.Name] = v.Value
	}
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}
