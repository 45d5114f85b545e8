//go:build !linux

package server

// writePushes has nothing to do without an event loop: no client is a loop
// client, so movePushTargets never finds pushes to write.
func (*eventLoop) writePushes([]pushWrite) {}
