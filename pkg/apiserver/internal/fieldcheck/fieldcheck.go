package fieldcheck

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Invalid turns the messages of an apimachinery validator (IsValidPortNum,
// IsQualifiedName, …) into Invalid errors for value at fldPath.
func Invalid(fldPath *field.Path, value any, msgs []string) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range msgs {
		errs = append(errs, field.Invalid(fldPath, value, msg))
	}
	return errs
}

// PortNumOrName checks a port given by number or by IANA service name, as a
// container probe's port or a Service's targetPort is.
func PortNumOrName(port intstr.IntOrString, fldPath *field.Path) field.ErrorList {
	switch port.Type {
	case intstr.Int:
		return Invalid(fldPath, port.IntValue(), validation.IsValidPortNum(port.IntValue()))
	case intstr.String:
		return Invalid(fldPath, port.StrVal, validation.IsValidPortName(port.StrVal))
	}
	return field.ErrorList{field.InternalError(fldPath, fmt.Errorf("unknown type: %v", port.Type))}
}

// Enum checks a required value that must be one of supported: Required when
// empty, NotSupported listing supported (in the caller's order, which is
// upstream's) otherwise.
func Enum[T ~string](value T, fldPath *field.Path, supported ...T) field.ErrorList {
	if value == "" {
		return field.ErrorList{field.Required(fldPath, "")}
	}
	if !slices.Contains(supported, value) {
		return field.ErrorList{field.NotSupported(fldPath, value, supported)}
	}
	return nil
}

// PortProtocol checks a container or Service port's protocol.
func PortProtocol(p corev1.Protocol, fldPath *field.Path) field.ErrorList {
	return Enum(p, fldPath, corev1.ProtocolSCTP, corev1.ProtocolTCP, corev1.ProtocolUDP)
}
