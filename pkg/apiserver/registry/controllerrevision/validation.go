package controllerrevision

import (
	"bytes"
	"encoding/json"

	appsv1 "k8s.io/api/apps/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validate is ValidateControllerRevision without the metadata, which the
// resource package checks: the snapshot (data) is required, and the
// revision number is not negative.
func validate(r *appsv1.ControllerRevision) field.ErrorList {
	var errs field.ErrorList
	if r.Data.Raw == nil && r.Data.Object == nil {
		errs = append(errs, field.Required(field.NewPath("data"), "data is mandatory"))
	}
	return append(errs, apivalidation.ValidateNonnegativeField(r.Revision, field.NewPath("revision"))...)
}

// validateUpdate is ValidateControllerRevisionUpdate: validate, and the
// data may not change. The revision may: a controller that rolls back to
// an old revision renumbers it as the newest.
func validateUpdate(r, old *appsv1.ControllerRevision) field.ErrorList {
	errs := validate(r)
	if !sameData(r.Data, old.Data) {
		errs = append(errs, field.Invalid(field.NewPath("data"), string(r.Data.Raw), apivalidation.FieldImmutableErrorMsg))
	}
	return errs
}

// sameData reports whether two snapshots are the same JSON, ignoring the
// layout a client wrote it with: stored data is compact, and an update
// that sends it back indented has not changed it.
func sameData(a, b runtime.RawExtension) bool {
	return bytes.Equal(compact(a.Raw), compact(b.Raw))
}

// compact is raw without insignificant space; raw itself if it is not
// JSON (protobuf-encoded data is compared byte by byte).
func compact(raw []byte) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return raw
	}
	return b.Bytes()
}
