// Package eventhandlers adds a controller's typed informer event handlers
// (client-go's cache.TypedResourceEventHandler) in its New and returns what
// its Run waits for; it is not for what the handlers do, nor for the
// workqueue and Run loop (pkg/internal/workers has those).
package eventhandlers
