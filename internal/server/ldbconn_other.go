//go:build !linux

package server

// loopTLSClient reports whether c is a TLS client on the event loop
// (there is no event loop here).
func loopTLSClient(*client) bool { return false }
