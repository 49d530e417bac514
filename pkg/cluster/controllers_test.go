package cluster

import (
	"strings"
	"testing"
)

func TestControllerEnabled(t *testing.T) {
	tests := []struct {
		name string
		list []string
		want map[string]bool
	}{
		{name: "nil is every controller", list: nil, want: map[string]bool{"namespace-controller": true, "node-ipam-controller": true}},
		{name: "empty is none", list: NoControllers(), want: map[string]bool{"namespace-controller": false, "node-ipam-controller": false}},
		{name: "star", list: []string{"*"}, want: map[string]bool{"namespace-controller": true, "node-ipam-controller": true}},
		{name: "star but one", list: []string{"*", "-node-ipam-controller"}, want: map[string]bool{"namespace-controller": true, "node-ipam-controller": false}},
		{name: "only those named", list: []string{"node-ipam-controller"}, want: map[string]bool{"namespace-controller": false, "node-ipam-controller": true}},
		{name: "a disable alone enables nothing", list: []string{"-node-ipam-controller"}, want: map[string]bool{"namespace-controller": false, "node-ipam-controller": false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, want := range tt.want {
				if got := controllerEnabled(tt.list, name); got != want {
					t.Errorf("controllerEnabled(%q, %s) = %v, want %v", tt.list, name, got, want)
				}
			}
		})
	}
}

func TestValidateControllers(t *testing.T) {
	if err := ValidateControllers(append([]string{"*"}, ControllerNames()...)); err != nil {
		t.Errorf("every known name: %v", err)
	}
	for _, name := range ControllerNames() {
		if err := ValidateControllers([]string{"-" + name}); err != nil {
			t.Errorf("-%s: %v", name, err)
		}
	}
	err := ValidateControllers([]string{"*", "-gc"})
	if err == nil || !strings.HasPrefix(err.Error(), `"-gc" is not in the list of known controllers: `) {
		t.Errorf("unknown name: err = %v", err)
	}
}
