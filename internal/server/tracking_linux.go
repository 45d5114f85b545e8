package server

// writePushes writes loop clients' pushed output as the loop writes
// replies (finish): what a socket does not take at once sends its client
// to the goroutine path with the rest (loop goroutine, srv.mu not held).
func (l *eventLoop) writePushes(ws []pushWrite) {
	for _, w := range ws {
		l.finish(&readyClient{c: w.c, out: w.out})
	}
}
