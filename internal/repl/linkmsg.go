package repl

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tandemdb/tandem/internal/config"
)

// The events the replica side's state machine (linkMachine) takes and the
// actions it returns. Both are plain values, as raft's messages are: the
// machine never does I/O, the driver (replica.go, fullsync.go) turns
// actions into I/O and the outcome of that I/O back into events. Their
// String forms are the lines of the scripts in testdata/replica.

// eventKind names an event.
type eventKind uint8

const (
	evReplicaOf      eventKind = iota + 1 // REPLICAOF host port (host, port, text = who; flag: FAILOVER's switch, text "")
	evNoOne                               // REPLICAOF NO ONE (text = who; "" when a failover gives up)
	evShutdown                            // the server closes: the link ends for good
	evRestore                             // a start-up RDB's repl-* AUX fields (cached)
	evStart                               // the link goroutine of gen may begin
	evRetry                               // the pause before the next attempt is over
	evDialed                              // the TCP connection is up
	evDialFailed                          // the dial failed (text)
	evLine                                // a line from the master, CR LF stripped (text)
	evLineTooLong                         // a line over maxMasterLine
	evReadError                           // a read failed or timed out (text)
	evWriteError                          // a write failed (text)
	evPayload                             // payload bytes read (data), disk transfer
	evFileError                           // the temp file failed (text; flag: at open)
	evStored                              // the payload is fsynced, the file rewound
	evDelayDone                           // DEBUG REPLICA-SYNC-DELAY's stall is over
	evLoaded                              // the load succeeded (load result, trailer)
	evLoadFailed                          // the load failed (text)
	evStreamEnd                           // the stream's read failed: the link is lost
	evStreamError                         // the stream is malformed (text; flag: inline)
	evGetAck                              // REPLCONF GETACK from the master
	evTick                                // once a second, from the server's cron
	evAckDue                              // between two ticks: time for another ACK (replicaAckEvery)
	evPanic                               // the driver recovered a panic (text, stack in data)
	evDebugSyncDelay                      // DEBUG REPLICA-SYNC-DELAY (d)
	evDebugLoadPanic                      // DEBUG REPLICA-LOAD-PANIC
)

var eventNames = map[eventKind]string{
	evReplicaOf: "replicaof", evNoOne: "replicaof-no-one", evShutdown: "shutdown", evRestore: "restore",
	evStart: "start", evRetry: "retry", evDialed: "dialed", evDialFailed: "dial-failed",
	evLine: "line", evLineTooLong: "line-too-long", evReadError: "read-error", evWriteError: "write-error",
	evPayload: "payload", evFileError: "file-error", evStored: "stored", evDelayDone: "delay-done",
	evLoaded: "loaded", evLoadFailed: "load-failed", evStreamEnd: "stream-end", evStreamError: "stream-error",
	evGetAck: "getack", evTick: "tick", evAckDue: "ack-due", evPanic: "panic", evDebugSyncDelay: "debug-sync-delay",
	evDebugLoadPanic: "debug-load-panic",
}

// event is one input of the machine. gen says which link (generation) it
// comes from: events of a link replaced since are answered by winding
// that link down.
type event struct {
	kind eventKind
	gen  int64
	host string
	port int
	text string
	data []byte
	flag bool // evLoadFailed: the socket payload was cut short (at)
	d    time.Duration
	// at is where a socket payload was cut short (evLoadFailed, flag).
	at   int64
	load loadResult // evLoaded
	// cached is evRestore's history (replID, offset, db).
	cached cachedMaster
}

// loadResult is what a finished load tells the machine.
type loadResult struct {
	keys, expired int64
	redisVer      string // the RDB's redis-ver AUX field ("" if none)
	streamDB      int64  // its repl-stream-db AUX field (-1 if none)
	// trailer is what followed the RDB in a socket load: the 40 bytes
	// that must be the EOF mark (nil after a length-form payload).
	trailer    []byte
	trailerErr string // reading the trailer (or draining a length-form rest) failed
}

func (e event) String() string {
	var b strings.Builder
	b.WriteString(eventNames[e.kind])
	switch e.kind {
	case evReplicaOf:
		fmt.Fprintf(&b, " %s %d", e.host, e.port)
		if e.flag {
			b.WriteString(" failover")
		}
	case evRestore:
		fmt.Fprintf(&b, " %s %d %d", e.cached.replID, e.cached.offset, e.cached.db)
	case evLine, evDialFailed, evReadError, evWriteError, evLoadFailed, evPanic:
		if e.text != "" {
			b.WriteString(" " + e.text)
		}
	case evPayload:
		b.WriteString(" " + strconv.Quote(string(e.data)))
	case evDebugSyncDelay:
		b.WriteString(" " + e.d.String())
	}
	return b.String()
}

// actionKind names an action.
type actionKind uint8

const (
	// Under the server lock, in the same critical section as the step
	// that returned them (the dataset and the replication state change
	// together with the machine's decision).
	actLog                actionKind = iota + 1 // text at level n (logNotice, logWarning)
	actStartLink                                // a new link goroutine for gen (host, port; n = stream db)
	actStopLink                                 // gen is replaced: close its socket, wake its waits
	actKill                                     // close gen's socket (timeout, CLIENT KILL): it reconnects
	actReplicaMode                              // we follow host:port (keyspace and config say so)
	actMasterMode                               // we are a master again
	actDisconnectBlocked                        // unblock clients: master -> replica
	actDisconnectReplicas                       // drop our sub-replicas
	actPromote                                  // master bookkeeping of REPLICAOF NO ONE (selDB, backlog)
	actSetID                                    // the replication identity becomes id
	actBacklogAt                                // keep a backlog ending at n (create one if not)
	actNewBacklog                               // a fresh backlog at the identity's offset
	actDropHistory                              // sub-replicas, backlog and snapshot walk go
	actFlush                                    // empty every database (flag: and touch WATCHed keys)
	actLoadingFlag                              // the server says LOADING (flag) or stops saying it
	actAsyncLoading                             // the server loads in the background (flag) or stops
	actSwap                                     // swap the socket-loaded databases in
	actMasterSession                            // a fresh master client, in db n
	actAfterFullSync                            // the full sync's observers (AOF rewrite), dirty reset
	actMasterLost                               // the master client's MULTI and blocked state go
	actClearMulti                               // the master client's MULTI flag goes (after a panic)
	actFailoverDone                             // PSYNC FAILOVER was accepted: our FAILOVER is over
	actFailoverAbort                            // PSYNC FAILOVER was refused: our FAILOVER gives up (text = why)

	// Without the lock, in order, after the step's critical section.
	actDial        // connect to host:port within d
	actExit        // gen's goroutine returns
	actSend        // write data
	actReadLine    // read one line within d
	actReceiveFile // open the temp file for a disk transfer
	actReadPayload // read at most n payload bytes within d
	actWriteFile   // append data to the temp file
	actStore       // fsync and rewind the temp file
	actDelay       // sleep d (DEBUG REPLICA-SYNC-DELAY), woken by a stop
	actLoad        // load the RDB (flag: from the socket); text = mark, n = size (socket)
	actStream      // apply the command stream until it ends
	actAck         // REPLCONF ACK n
	actClose       // close gen's socket after a failed attempt
	actRetry       // sleep d, then evRetry
	actKeepAlive   // (flag) a newline to the master now and once a second, until (!flag) stopped
)

// Log levels of actLog.
const (
	logNotice  = 1
	logWarning = 2
)

var actionNames = map[actionKind]string{
	actLog: "log", actStartLink: "start-link", actStopLink: "stop-link", actKill: "kill",
	actReplicaMode: "replica-mode", actMasterMode: "master-mode", actDisconnectBlocked: "disconnect-blocked",
	actDisconnectReplicas: "disconnect-replicas", actPromote: "promote", actSetID: "set-id",
	actBacklogAt: "backlog-at", actNewBacklog: "new-backlog", actDropHistory: "drop-history",
	actFlush: "flush", actLoadingFlag: "loading", actAsyncLoading: "async-loading", actSwap: "swap", actMasterSession: "master-session",
	actAfterFullSync: "after-full-sync", actMasterLost: "master-lost", actClearMulti: "clear-multi",
	actFailoverDone: "failover-done", actFailoverAbort: "failover-abort",
	actExit: "exit", actDial: "dial", actSend: "send", actReadLine: "read-line",
	actReceiveFile: "receive-file", actReadPayload: "read-payload", actWriteFile: "write-file",
	actStore: "store", actDelay: "delay", actLoad: "load", actStream: "stream", actAck: "ack",
	actClose: "close", actRetry: "retry", actKeepAlive: "keep-alive",
}

// locked reports whether the action is performed inside the step's
// critical section.
func (k actionKind) locked() bool { return k < actDial }

// action is one output of the machine.
type action struct {
	kind actionKind
	gen  int64
	n    int64
	d    time.Duration
	host string
	port int
	text string
	data []byte
	flag bool
	id   Identity
}

func (a action) String() string {
	var b strings.Builder
	b.WriteString(actionNames[a.kind])
	switch a.kind {
	case actLog:
		if a.n == logWarning {
			b.WriteString(" warning ")
		} else {
			b.WriteString(" notice ")
		}
		b.WriteString(strings.ReplaceAll(a.text, "\n", `\n`))
	case actStartLink:
		fmt.Fprintf(&b, " %d %s:%d db=%d", a.gen, a.host, a.port, a.n)
	case actStopLink, actKill, actExit, actReceiveFile, actStore, actStream, actClose:
		fmt.Fprintf(&b, " %d", a.gen)
	case actReplicaMode:
		fmt.Fprintf(&b, " %s:%d", a.host, a.port)
	case actSetID:
		fmt.Fprintf(&b, " replid=%s replid2=%s second=%d offset=%d", a.id.ID, a.id.ID2, a.id.SecondOffset, a.id.Offset)
	case actFailoverAbort:
		b.WriteString(" " + a.text)
	case actBacklogAt, actMasterSession:
		fmt.Fprintf(&b, " %d", a.n)
	case actFlush:
		if !a.flag {
			b.WriteString(" untouched")
		}
	case actKeepAlive:
		fmt.Fprintf(&b, " %d", a.gen)
		if a.flag {
			b.WriteString(" on")
		} else {
			b.WriteString(" off")
		}
	case actLoadingFlag, actAsyncLoading:
		if a.flag {
			b.WriteString(" on")
		} else {
			b.WriteString(" off")
		}
	case actDial:
		fmt.Fprintf(&b, " %d %s:%d %v", a.gen, a.host, a.port, a.d)
	case actSend, actWriteFile:
		fmt.Fprintf(&b, " %d %s", a.gen, strconv.Quote(string(a.data)))
	case actReadLine, actDelay, actRetry:
		fmt.Fprintf(&b, " %d %v", a.gen, a.d)
	case actReadPayload:
		fmt.Fprintf(&b, " %d max=%d %v", a.gen, a.n, a.d)
	case actLoad:
		fmt.Fprintf(&b, " %d", a.gen)
		if a.flag {
			if a.text != "" {
				fmt.Fprintf(&b, " socket mark=%s", a.text)
			} else {
				fmt.Fprintf(&b, " socket size=%d", a.n)
			}
		} else {
			b.WriteString(" disk")
		}
		if a.host != "" {
			b.WriteString(" " + a.host) // "panic": DEBUG REPLICA-LOAD-PANIC
		}
	case actAck:
		fmt.Fprintf(&b, " %d %d", a.gen, a.n)
	}
	return b.String()
}

// linkSettings are the settings a step reads, copied from the config by
// the driver (repl-timeout at least 1 s: the config's 0 means 60).
type linkSettings struct {
	timeout      time.Duration
	auth, user   string
	port         int // announced listening port
	announceIP   string
	disklessLoad config.DisklessLoad
}

// world is what the machine may know of the rest of the server at a
// step, filled in by the driver under the server lock: the machine reads
// it and answers with actions, it never reaches out.
type world struct {
	now      time.Time
	id       Identity // this instance's replication identity
	selDB    int      // the master side's stream db (-1: none yet)
	streamDB int      // the master client's selected db
	numDBs   int
	empty    bool // every database is empty
	cfg      linkSettings
	// noDataTail: the last bytes of our stream that change no data
	// (Manager.noDataTail): a PSYNC may offer to resume before them.
	noDataTail int64
}
