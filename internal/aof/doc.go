// Package aof is Tandem's append-only file, laid out and written as Redis
// 7.0 does, so that redis-check-aof accepts our directory, a real
// redis-server started on it loads the same data, and we load theirs.
//
// # On-disk format
//
// Directory <dir>/<appenddirname> (default appendonlydir) holds:
//
//	<appendfilename>.manifest              the list of files (below)
//	<appendfilename>.<n>.base.rdb          the base: an RDB with AUX aof-base=1
//	<appendfilename>.<n>.base.aof          … or RESP commands (aof-use-rdb-preamble no)
//	<appendfilename>.<n>.incr.aof          RESP commands appended since that base
//	temp-…                                 transient, never listed, removed at start
//
// The manifest has one LF-terminated line per file, base first, then
// history, then incr files in order:
//
//	file appendonly.aof.2.base.rdb seq 2 type b
//	file appendonly.aof.2.incr.aof seq 2 type i
//
// parsed with Redis's rules (ParseManifest) and written atomically: temp
// file, fsync, rename, fsync of the directory. Base and incr sequence
// numbers are independent counters.
//
// A RESP file is a sequence of records: a command as a multibulk
// (*<argc>\r\n then $<len>\r\n<bytes>\r\n per argument) or an annotation
// line starting with '#', which Redis's loader and redis-check-aof skip.
// Two annotations are written: "#TS:<unix>" (aof-timestamp-enabled) and
// "#tandem-repl:<replid> <offset> <db>" (replication state, below).
//
// # What is written
//
// The Manager is one of the engine's propagation sinks: it receives every
// write in execution order and in the deterministic form replicas get
// (SELECT when the database changes, PEXPIREAT and SET … PXAT for relative
// expiries, effects of non-deterministic commands, DEL for expired keys,
// MULTI/EXEC around multi-op units), and encodes it into a buffer. PUBLISH,
// and the PING/REPLCONF of the replication stream, are not written. Commands
// applied from our master are written too: a replica's AOF follows its
// dataset.
//
// # Write path and fsync policies
//
// Propagate encodes into a buffer under the server lock. Before a batch's
// replies are written to its socket, the connection passes the server's
// ReplyBarrier (without the server lock): the AOF returns once everything
// propagated so far — the batch's writes and anything they may have
// observed — is written to the file. Whoever gets there first writes all
// that is pending with one write(2) for everyone waiting (group write), so
// the AOF is written before replies leave, as Redis's beforeSleep does,
// while other clients keep running commands. Then, per appendfsync:
//
//   - always: the barrier also waits for an fdatasync covering those
//     bytes; concurrent waiters share one (group commit), so N clients cost
//     one fsync, as one event-loop turn does in Redis. A failed write or
//     fsync ends the process, as in Redis: the acknowledged-writes contract
//     cannot be kept otherwise.
//   - everysec: a background goroutine fdatasyncs at most once a second
//     (also after an idle second). Redis's rule when an fsync is slow: while
//     one runs, writes are postponed — replies still go out — for up to two
//     seconds, then written anyway (aof_delayed_fsync counts that).
//   - no: the OS decides.
//
// no-appendfsync-on-rewrite yes skips those fsyncs while a snapshot
// streams. A failed write under everysec/no is rolled back with ftruncate
// and retried; meanwhile writes (and PING) are refused with -MISCONF, as
// Redis does. Writes that happen outside client batches (active expiry,
// the replication stream on a replica) are written, and under always
// fsynced, by the server cron within one tick.
//
// # Rewrite
//
// BGREWRITEAOF, automatic rewrites (auto-aof-rewrite-percentage/min-size)
// and turning the AOF on all use the fork-less snapshot of the keyspace
// (persist.Stream for an RDB base, streamCommands for a RESP one). Only one
// snapshot runs at a time; when another one (BGSAVE, a full sync) holds
// it, the rewrite is scheduled and starts when it is free. At the snapshot
// instant — in the same hold of the server lock — the buffer is written to
// the current incr file and writes switch to a new incr file, already
// listed in a persisted manifest. The snapshot streams into a temp file,
// fsynced; then the temp file is renamed to the next base, the old base and
// every incr file but the current one become history, the manifest is
// persisted, and only then the history files are removed. A crash at any
// point leaves a manifest describing one consistent history. A snapshot
// aborted by someone else is detected (fewer keys than at the instant) and
// the rewrite fails rather than install a partial base.
//
// Turning the AOF on at run time (CONFIG SET appendonly yes), and a
// replica's full sync with appendonly yes, rewrite first: writes after the
// instant go to temp-<appendfilename>.incr, which joins the AOF only when
// the new base is in place. Until then the manifest on disk is untouched,
// so a replica that crashes mid-way restarts from its old, consistent files.
//
// # Loading
//
// With appendonly yes the AOF is loaded at start-up and dump.rdb is ignored.
// A base starting with "REDIS" is loaded as an RDB (expired keys kept) and
// any RESP after its checksum executed; then every incr file in order.
// Commands run through the engine in a session flagged like a master link,
// with the keyspace in replica mode for the duration of the load, which is
// Redis's loading semantics: keys whose time passed stay until the load
// ends. An end of file inside the last command of the last file (or inside
// MULTI) is a truncated tail: with aof-load-truncated yes the file is cut
// at the last complete command and the offset logged; otherwise, and for
// any malformed record anywhere, start-up stops with a message naming the
// file and the offset. An old single-file AOF (<dir>/<appendfilename>) is
// moved into the directory as the base, as Redis 7.0 upgrades it.
//
// # Replication state across restarts
//
// Redis writes no repl-* AUX fields into an AOF base and so loses a
// replica's replication ID and offset when it restarts from its AOF; a full
// sync follows. We keep them, without making the files unreadable to Redis:
//
//   - An RDB base carries AUX repl-id, repl-offset and repl-stream-db as
//     of the snapshot instant (Redis's AOF loader passes no rdbSaveInfo and
//     ignores them; redis-check-aof accepts any AUX). A RESP base starts
//     with the same state as a "#tandem-repl:" annotation.
//   - Each incr file gets a "#tandem-repl:<replid> <offset> <db>" line
//     whenever the state changed, written between commands only (server
//     cron, rewrite instant, SHUTDOWN, CONFIG SET appendonly no), where the
//     dataset and the offset describe the same point of the stream: a
//     replica's offset counts applied commands, and a transaction of the
//     master is applied (and propagated to us) whole at its EXEC.
//   - At load the state follows the base, then every mark. A command found
//     after the last mark means the offset it corresponds to was never
//     recorded (a crash between the write and the next mark): nothing is
//     restored and the replica does a full sync, never a wrong partial one.
//     After a clean SHUTDOWN, or a crash once the cron wrote its mark
//     (within ~100 ms of the last write), the state is exact and the
//     restarted replica continues with PSYNC <replid> <offset+1>.
//
// # File-system layer
//
// Every file operation goes through FS (OSFS in production). CrashFS keeps
// files in memory and simulates a crash: only fsynced bytes and entries
// made durable by a directory fsync survive, which the tests use to check
// the promises above.
package aof
