package tables

import (
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
)

// shownItems is how many items Abbreviate lists before " + N more...", as kube-apiserver's
// printers do.
const shownItems = 3

// NameColumn is the NAME column most resources start with. It has the "name" format, which
// kubectl uses to find the name in a row (and to prefix it with the kind).
func NameColumn() metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: "Name", Type: "string", Format: "name", Description: "Name of the object, unique within its namespace (or the cluster)."}
}

// AgeColumn is the AGE column most resources show, rendered by Age.
func AgeColumn() metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: "Age", Type: "string", Description: "Time since the object was created."}
}

// Age renders the time since ts the way kubectl users expect ("5s", "3m2s", "2d3h");
// "<unknown>" when ts is not set.
func Age(ts metav1.Time, now time.Time) string {
	if ts.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(ts.Time))
}

// NoneIfEmpty returns "<none>" for an empty cell, the placeholder kubectl users know.
func NoneIfEmpty(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// Abbreviate joins the first few items with commas and says how many were left out
// ("a,b,c + 2 more..."), the way kube-apiserver shortens the address and port lists of
// endpoints and endpoint slices.
func Abbreviate(items []string) string {
	shown := items[:min(shownItems, len(items))]
	s := strings.Join(shown, ",")
	if len(items) > len(shown) {
		s += fmt.Sprintf(" + %d more...", len(items)-len(shown))
	}
	return s
}
