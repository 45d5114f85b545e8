// Package repl implements master–replica replication compatible with
// Redis 7.0 (PSYNC2): replication IDs and offsets, the shared backlog, the
// PSYNC decision, the master side (full and partial syncs, ACKs, WAIT,
// min-replicas) and the replica side. The decisions are plain functions
// over small structs (DecidePSYNC, planSync here) and the replica's link
// is a state machine without I/O (linkMachine, linkmachine.go and
// linksync.go, driven by replica.go and fullsync.go; its scripts are in
// testdata/replica); the network code around them stays thin.
package repl

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/resp"
)

// IDLen is the length of a replication ID (40 hex characters).
const IDLen = 40

// ZeroID is the cleared secondary ID (IDLen zeros).
const ZeroID = "0000000000000000000000000000000000000000"

// NewID returns a random replication ID.
func NewID() string {
	b := make([]byte, IDLen/2)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Identity is this instance's replication history: its current ID, the
// previous one (replid2) valid up to SecondOffset (the largest PSYNC offset,
// inclusive, that may be served under it), and the stream offset.
type Identity struct {
	ID           string
	ID2          string
	SecondOffset int64 // -1 when ID2 is cleared
	Offset       int64 // master_repl_offset: bytes of stream produced or applied
}

// NewIdentity returns a fresh identity (random ID, cleared ID2, offset 0).
func NewIdentity() Identity {
	return Identity{ID: NewID(), ID2: ZeroID, SecondOffset: -1}
}

// Shift moves to a new history while keeping the old one valid for PSYNC up
// to the current offset (promotion to master).
func (id *Identity) Shift() {
	id.ID2 = id.ID
	id.SecondOffset = id.Offset + 1
	id.ID = NewID()
}

// ClearSecond forgets the previous history.
func (id *Identity) ClearSecond() {
	id.ID2 = ZeroID
	id.SecondOffset = -1
}

// Sentinel errors of the PSYNC decision: each names why a partial resync
// was refused, and the master answers with a full resync.
var (
	// ErrFullResyncRequested: the replica asked for one (PSYNC ? -1).
	ErrFullResyncRequested = errors.New("full resync requested by replica")
	// ErrReplIDMismatch: the replica's history is not ours.
	ErrReplIDMismatch = errors.New("replication ID mismatch")
	// ErrSecondIDOffset: the old ID matches but the offset is past the point
	// where our history diverged from it.
	ErrSecondIDOffset = errors.New("requested offset for second ID too large")
	// ErrNoBacklog: we keep no backlog.
	ErrNoBacklog = errors.New("no backlog")
	// ErrOffsetNotInBacklog: the requested bytes are no longer (or not yet) held.
	ErrOffsetNotInBacklog = errors.New("offset not in backlog")
)

// BacklogRange is what the backlog holds: bytes First..First+Len-1.
type BacklogRange struct {
	Active bool
	First  int64 // offset of the first byte held
	Len    int64 // histlen
}

// DecidePSYNC applies Redis 7.0's exact acceptance condition to a request
// `PSYNC replID offset` (offset = first byte the replica lacks). It returns
// nil when a partial resync can serve the request.
func DecidePSYNC(id Identity, bl BacklogRange, replID string, offset int64) error {
	if replID == "?" {
		return ErrFullResyncRequested
	}
	switch {
	case strings.EqualFold(replID, id.ID):
	case strings.EqualFold(replID, id.ID2) && id.ID2 != ZeroID:
		if offset > id.SecondOffset {
			return ErrSecondIDOffset
		}
	default:
		return ErrReplIDMismatch
	}
	if !bl.Active {
		return ErrNoBacklog
	}
	if offset < bl.First || offset > bl.First+bl.Len {
		return ErrOffsetNotInBacklog
	}
	return nil
}

// syncRequest is a SYNC or PSYNC as the master side receives it, with what
// it needs to know of the sender and of itself (§2.2 of the spec).
type syncRequest struct {
	args      [][]byte // the command's arguments, name first
	isReplica bool     // the client already is a replica (ignored)
	// failingOver: our own FAILOVER runs (no replica may sync with us
	// meanwhile: the offset must hold still).
	failingOver bool
	linkDown    bool          // we are a replica whose link is not up
	name        func() string // the replica as logs name it (asked once past the refusals)
	id          Identity
	backlog     BacklogRange
}

// syncPlan is what the master does about a SYNC or PSYNC: at most one of
// ignore, reply (an error), partial (+CONTINUE) or a full sync.
type syncPlan struct {
	ignore   bool
	reply    string   // an error answered instead of syncing
	logs     []string // notice lines, in order
	warnings []string // warning lines, after them
	partial  bool     // serve from the backlog: +CONTINUE
	from     int64    // the first byte the replica lacks (partial)
	// rewound: the replica is resumed before the offset it asked for
	// (REWIND, rewind.go): +CONTINUE names the offset.
	rewound bool
	preSync bool // the old SYNC: no +FULLRESYNC, no ACKs
	// partialErr: a PSYNC with a history we could not serve (counted
	// in sync_partial_err); a full sync is counted in sync_full.
	partialErr bool
}

// planSync applies the order of checks of Redis's syncCommand and the
// PSYNC decision (DecidePSYNC) to a request. The caller performs the plan:
// it replies, logs, counts, and attaches the replica.
func planSync(r syncRequest) syncPlan {
	var p syncPlan
	if r.isReplica {
		return syncPlan{ignore: true} // already a replica: ignored, as Redis does
	}
	isPSYNC := strings.EqualFold(string(r.args[0]), "psync")
	if r.failingOver {
		return syncPlan{reply: "NOMASTERLINK Can't SYNC while failing over"}
	}
	if r.linkDown {
		return syncPlan{reply: "NOMASTERLINK Can't SYNC while not connected with my master"}
	}
	name := r.name()
	p.logs = append(p.logs, fmt.Sprintf("Replica %s asks for synchronization", name))
	if !isPSYNC {
		p.preSync = true
		return p
	}
	// Arguments past the offset are ignored, as Redis does, but for
	// Tandem's REWIND <floor> (rewind.go).
	var floor int64
	if len(r.args) == 5 && strings.EqualFold(string(r.args[3]), rewindArg) {
		if f, ok := resp.ParseInt(r.args[4]); ok && f > 0 {
			floor = f
		}
	}
	off, ok := resp.ParseInt(r.args[2])
	if !ok {
		p.logs = append(p.logs, fmt.Sprintf("Replica %s asks for synchronization but with a wrong offset", name))
		p.reply = command.ErrNotInt
		return p
	}
	replID := string(r.args[1])
	err := DecidePSYNC(r.id, r.backlog, replID, off)
	if from := rewindTo(r.id, r.backlog, replID, floor, err); from != 0 {
		p.logs = append(p.logs, fmt.Sprintf("Replica %s asked for offset %d of my second ID, valid up to %d, and has no data past %d: resuming it at %d.", name, off, r.id.SecondOffset, floor-1, from))
		off, err, p.rewound = from, nil, true
	}
	switch {
	case err == nil:
		p.partial, p.from = true, off
		p.logs = append(p.logs, fmt.Sprintf("Partial resynchronization request from %s accepted. Sending %d bytes of backlog starting from offset %d.", name, r.id.Offset+1-off, off))
		return p
	case errors.Is(err, ErrFullResyncRequested):
		p.logs = append(p.logs, fmt.Sprintf("Full resync requested by replica %s", name))
	case errors.Is(err, ErrReplIDMismatch):
		p.logs = append(p.logs, fmt.Sprintf("Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '%s', my replication IDs are '%s' and '%s')", replID, r.id.ID, r.id.ID2))
	case errors.Is(err, ErrSecondIDOffset):
		p.logs = append(p.logs, fmt.Sprintf("Partial resynchronization not accepted: Requested offset for second ID was %d, but I can reply up to %d", off, r.id.SecondOffset))
	default:
		p.logs = append(p.logs, fmt.Sprintf("Unable to partial resync with replica %s for lack of backlog (Replica request was: %d).", name, off))
		if off > r.id.Offset {
			p.warnings = append(p.warnings, fmt.Sprintf("Warning: replica %s tried to PSYNC with an offset that is greater than the master replication offset.", name))
		}
	}
	p.partialErr = replID != "?"
	return p
}

// failoverPSYNC is what a replica does with `PSYNC <replid> <offset>
// FAILOVER`, sent by a master whose FAILOVER chose us (Redis's
// syncCommand): the sender must share our history (our replication ID;
// the offset is the ordinary PSYNC decision's, after the promotion).
type failoverPSYNC struct {
	applies bool   // the request carries FAILOVER
	reply   string // the error answered instead (nothing happens)
	promote bool   // become a master (REPLICAOF NO ONE), then serve the PSYNC
}

// planFailoverPSYNC decides on a PSYNC that may carry FAILOVER (args[3]);
// amReplica says we follow a master, myID is our replication ID. Called
// for clients that are not replicas yet (a replica's SYNC is ignored
// first).
func planFailoverPSYNC(args [][]byte, amReplica bool, myID string) failoverPSYNC {
	if len(args) <= 3 || !strings.EqualFold(string(args[0]), "psync") || !strings.EqualFold(string(args[3]), "failover") {
		return failoverPSYNC{}
	}
	p := failoverPSYNC{applies: true}
	switch {
	case !amReplica:
		p.reply = "ERR PSYNC FAILOVER can't be sent to a master."
	case !strings.EqualFold(string(args[1]), myID):
		p.reply = "ERR PSYNC FAILOVER replid must match my replid."
	default:
		p.promote = true
	}
	return p
}

// fullStart is how a full sync request is served (§2.4).
type fullStart int

const (
	fullShare       fullStart = iota // share a running disk snapshot
	fullWaitSocket                   // a socket transfer runs: wait for the next
	fullWaitCantUse                  // a snapshot runs that cannot serve it: wait
	fullDelay                        // diskless with a delay: cron starts it
	fullNow                          // start one now
)

// planFullStart decides how a replica needing a full sync gets one:
// joinable says a running snapshot can take it, running that a full
// sync's snapshot runs (socket: its target is the replicas' sockets).
func planFullStart(joinable, running, socket, diskless, capaEOF bool, delay int) fullStart {
	switch {
	case joinable:
		return fullShare
	case running && socket:
		return fullWaitSocket
	case running:
		return fullWaitCantUse
	case diskless && capaEOF && delay > 0:
		return fullDelay
	}
	return fullNow
}
