package workload

import "k8s.io/apimachinery/pkg/util/intstr"

// IntOrPercentValue is the number upstream's rolling-update checks compare
// with zero (getIntOrPercentValue): a percentage's number ("25%" is 25), a
// count, or, for any other string, what IntValue makes of it (0 unless it
// is a decimal number). Unlike IsZero, a malformed string therefore counts
// as zero, as it does upstream; nil is 0.
func IntOrPercentValue(v *intstr.IntOrString) int {
	if v == nil {
		return 0
	}
	if n, ok := Percent(*v); ok {
		return n
	}
	return v.IntValue()
}
