package queryparams

import (
	"fmt"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/conversion"
	"k8s.io/apimachinery/pkg/runtime"
)

// AddConversions teaches scheme to read each of the option types into from
// a URL's query: fields are filled from the parameters named by their json
// tags.
func AddConversions(scheme *runtime.Scheme, into ...runtime.Object) error {
	for _, obj := range into {
		err := scheme.AddConversionFunc((*url.Values)(nil), obj, func(a, b interface{}, _ conversion.Scope) error {
			return queryToStruct(*a.(*url.Values), b)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// queryToStruct fills the fields of the struct ptr points at from the query
// parameters named by their json tags. Absent parameters leave fields as
// they are; a malformed value is an error naming the parameter.
func queryToStruct(values url.Values, ptr interface{}) error {
	v := reflect.ValueOf(ptr).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		got, ok := values[name]
		if name == "" || name == "-" || !ok || len(got) == 0 {
			continue
		}
		if err := setField(v.Field(i), got); err != nil {
			return fmt.Errorf("query parameter %q: %w", name, err)
		}
	}
	return nil
}

func setField(f reflect.Value, values []string) error {
	last := values[len(values)-1]
	switch {
	case f.Type() == reflect.TypeOf(&metav1.Time{}):
		t, err := time.Parse(time.RFC3339, last)
		if err != nil {
			return err
		}
		f.Set(reflect.ValueOf(&metav1.Time{Time: t}))
		return nil
	case f.Kind() == reflect.Pointer:
		elem := reflect.New(f.Type().Elem())
		if err := setField(elem.Elem(), values); err != nil {
			return err
		}
		f.Set(elem)
		return nil
	case f.Kind() == reflect.Slice:
		s := reflect.MakeSlice(f.Type(), len(values), len(values))
		for i, value := range values {
			if err := setField(s.Index(i), []string{value}); err != nil {
				return err
			}
		}
		f.Set(s)
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(last)
	case reflect.Bool:
		b, err := strconv.ParseBool(last)
		if err != nil {
			return err
		}
		f.SetBool(b)
	case reflect.Int, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(last, 10, f.Type().Bits())
		if err != nil {
			return err
		}
		f.SetInt(n)
	default:
		return fmt.Errorf("unsupported field type %s", f.Type())
	}
	return nil
}
