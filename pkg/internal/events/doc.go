// Package events gives a controller or a kubelet an event recorder that lives for one
// Run: started with the Run's context, so that the Run's logger names the
// events it logs, and stopped when the Run returns, so that a controller
// that never runs leaks no goroutine. It is not for deciding which events a
// controller records (reasons, messages and sources stay with each
// controller) nor for reading events.
package events
