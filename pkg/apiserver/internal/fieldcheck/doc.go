// Package fieldcheck holds the field checks that more than one resource's
// validation uses, so pods and services word the same mistake the same way.
//
// Resource-specific rules stay in their registry packages.
package fieldcheck
