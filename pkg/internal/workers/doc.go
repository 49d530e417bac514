// Package workers runs a controller's or a kubelet's typed workqueue: the
// Run skeleton kube-controller-manager's controllers share (a named logger,
// waiting for the informer caches, n workers each taking one item at a time
// until the context is done) and upstream's handling of a failed item, added
// back after the queue's rate-limited delay. It is not for what a controller
// does with an item, nor for setting up its informers or queue.
package workers
