// Package controller holds the controllers of fakecluster, each in its own
// package, talking to the API only through client-go; it is not where API
// server or storage logic lives, and controllers never reach into either.
package controller
