// Package pod defaults and validates v1 Pods the way kube-apiserver v1.37 does
// (SetObjectDefaults_Pod and ValidatePodCreate/ValidatePodUpdate), working on
// k8s.io/api/core/v1 types directly and returning upstream's field paths and
// error texts.
//
// It is not a registry or a strategy: it does no IO, validates no metadata
// (names, labels, annotations are checked by the generic registry), and knows
// nothing of status updates, subresources, admission or feature gates (every
// gate is fixed at its v1.37 default, see the comments where one matters).
package pod
