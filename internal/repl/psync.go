// Package repl implements master–replica replication compatible with
// Redis 7.0 (PSYNC2): replication IDs and offsets, the shared backlog, the
// PSYNC decision, the master side (full and partial syncs, ACKs, WAIT,
// min-replicas) and the replica side (the link state machine that connects,
// authenticates, syncs and applies the stream). The decisions are plain
// functions over small structs; the network code around them stays thin.
package repl

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
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
