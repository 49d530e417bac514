package fieldcheck

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestPortNumOrName(t *testing.T) {
	t.Parallel()
	path := field.NewPath("spec", "ports").Index(0).Child("targetPort")
	tests := []struct {
		name string
		port intstr.IntOrString
		want string // joined error text; "" for valid
	}{
		{"number", intstr.FromInt32(8080), ""},
		{"name", intstr.FromString("http"), ""},
		{"zero", intstr.FromInt32(0), `spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive`},
		{"too big", intstr.FromInt32(70000), `spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive`},
		{"bad name", intstr.FromString("HTTP_1"), `[spec.ports[0].targetPort: Invalid value: "HTTP_1": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-), ` +
			`spec.ports[0].targetPort: Invalid value: "HTTP_1": must contain at least one letter (a-z)]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := PortNumOrName(tt.port, path).ToAggregate()
			switch {
			case tt.want == "" && got != nil:
				t.Errorf("valid port %v: %v", tt.port, got)
			case tt.want != "" && (got == nil || got.Error() != tt.want):
				t.Errorf("port %v: got %v, want %s", tt.port, got, tt.want)
			}
		})
	}
}

func TestEnum(t *testing.T) {
	t.Parallel()
	path := field.NewPath("spec", "restartPolicy")
	tests := []struct {
		name, value, want string
	}{
		{"supported", "Never", ""},
		{"empty", "", "spec.restartPolicy: Required value"},
		{"unsupported", "Sometimes", `spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "Never"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Enum(tt.value, path, "Always", "Never").ToAggregate()
			switch {
			case tt.want == "" && got != nil:
				t.Errorf("Enum(%q): %v", tt.value, got)
			case tt.want != "" && (got == nil || got.Error() != tt.want):
				t.Errorf("Enum(%q) = %v, want %s", tt.value, got, tt.want)
			}
		})
	}
}
