package controllerrevision

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func revision(data string, n int64) *appsv1.ControllerRevision {
	r := &appsv1.ControllerRevision{Revision: n}
	if data != "" {
		r.Data = runtime.RawExtension{Raw: []byte(data)}
	}
	return r
}

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		r    *appsv1.ControllerRevision
		want []string // "path: text" of each error, in order
	}{
		{"data and revision", revision(`{"spec":{}}`, 1), nil},
		{"revision 0", revision(`{}`, 0), nil},
		{"no data", revision("", 1), []string{"data: Required value: data is mandatory"}},
		{"negative revision", revision(`{}`, -1), []string{"revision: Invalid value: -1: must be greater than or equal to 0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkErrors(t, validate(tc.r), tc.want)
		})
	}
}

func TestValidateUpdate(t *testing.T) {
	t.Parallel()
	old := revision(`{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"a"}]}}}}`, 1)
	for _, tc := range []struct {
		name string
		r    *appsv1.ControllerRevision
		want []string
	}{
		{"unchanged", old, nil},
		{"renumbered, as a rollback does", revision(string(old.Data.Raw), 5), nil},
		{"same data, indented", revision("{\n  \"spec\": {\"template\": {\"spec\": {\"containers\": [{\"name\": \"a\", \"image\": \"a\"}]}}}\n}", 1), nil},
		{"data changed", revision(`{"spec":{}}`, 1), []string{`data: Invalid value: "{\"spec\":{}}": field is immutable`}},
		{"data removed", revision("", 1), []string{
			"data: Required value: data is mandatory",
			`data: Invalid value: "": field is immutable`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkErrors(t, validateUpdate(tc.r, old), tc.want)
		})
	}
}

func checkErrors(t *testing.T, errs field.ErrorList, want []string) {
	t.Helper()
	if len(errs) != len(want) {
		t.Fatalf("errors = %v, want %q", errs, want)
	}
	for i, err := range errs {
		if err.Error() != want[i] {
			t.Errorf("error %d = %q, want %q", i, err.Error(), want[i])
		}
	}
}
