// Package server runs Tandem's network side: the listeners, the client
// connections with their limits and close reasons, the periodic cycle
// (active expiry, idle timeouts, buffer resizing), and the server-level
// commands (CLIENT, CONFIG, INFO, …) that need that state.
//
// # One lock
//
// The keyspace and the command engine are guarded by one mutex, Server.mu.
// Commands therefore form a single total order, which replication offsets,
// MULTI atomicity and snapshot instants rely on. Parsing and socket I/O
// happen outside the lock.
//
// # Two ways to serve a connection, one batch
//
// Whoever reads a client's socket runs what arrived as a batch (batch.go):
// every complete command in the read buffer, in one hold of the lock, the
// replies taken out in the same hold. There are two readers:
//
//   - The event loop (evloop_linux.go; Linux only). One goroutine waits on
//     an epoll set of raw non-blocking sockets, reads each client that is
//     ready, runs its batch, and once the round's batches have run writes
//     all their replies. It serves plain request/response traffic, which is
//     nearly all of it, with fewer system calls and wake-ups than Go's
//     poller would (the measurements are in evloop_linux.go). TLS clients
//     join it once their handshake, run on a goroutine, is done; the loop
//     then drives their tls.Conn (tlsloop_linux.go). Background
//     work such as a snapshot's walk runs in slices between its rounds
//     (looptask.go).
//   - The goroutine path (conn.go). A goroutine per connection reads, runs a
//     batch and writes its replies, and may block: on a blocked command
//     (BLPOP, WAIT), a reply sent in slices, CLIENT PAUSE, a socket slow to
//     take its replies. A loop client that needs any of these moves to this
//     path for the rest of its life. Without the event loop (other systems,
//     TANDEM_CONN_MODE=goroutine, a listener the loop cannot take) every
//     client is served here. A client that receives data it did not ask
//     for (Pub/Sub, MONITOR) also gets a writer goroutine, and a replica's
//     socket is written by replication: connMode (client.go) has the states
//     and their transitions.
//
// Both paths order the work after a round of commands the same way, in
// one function (endRound, wiring.go): once per event-loop wake-up, after
// each batch on the goroutine path, without the lock, replication sends
// the round's stream to the replicas, then the reply barriers run (the AOF
// is written, and fsynced under appendfsync always), and only then are
// the replies written.
//
// # Files
//
// server.go has the Server, its start and stop; client.go a client and its
// states; batch.go, conn.go and evloop_*.go / fdconn_linux.go the serving
// described above, tls.go and tlsloop_linux.go its TLS side, port.go the
// listeners CONFIG SET port replaces; limits.go and closereason.go the limits and why
// connections end; buffers.go and idlepurge.go memory given back; cron.go
// the periodic cycle; cmds_*.go, info.go, pubsub.go and slowlog.go the
// commands.
package server
