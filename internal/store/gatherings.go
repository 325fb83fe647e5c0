package store

import (
	"context"
	"errors"
	"time"
)

// Gathering errors, wrapped by the backends like the sentinels of store.go.
var (
	// ErrGatheringFull: the join would put more entries in the gathering
	// than its MaxParticipants.
	ErrGatheringFull = errors.New("gathering full")
	// ErrNotParticipant: the PID is not a participant of the gathering.
	ErrNotParticipant = errors.New("not a participant")
)

// Gathering flags the store acts on (services.md §2.4).
const (
	// GatheringMigrateOwner (0x10): when the owner leaves, the first
	// remaining participant becomes owner; without it the gathering ends.
	GatheringMigrateOwner = 0x10
)

// GatheringParticipant is one console in a gathering: its PID and the
// extra local players (guests) it brought, who have no PID of their own.
type GatheringParticipant struct {
	PID uint64
	// Extra is the number of local players beyond the console's own.
	Extra uint16
}

// Gathering is a matchmake session (services.md §2): the Gathering fields,
// the MatchmakeSession fields and the participants in join order.
type Gathering struct {
	Game string
	// ID is set by Create from a durable per-game sequence: never 0, never
	// reused.
	ID                  uint32
	Owner               uint64
	Host                uint64
	MinParticipants     uint16
	MaxParticipants     uint16
	ParticipationPolicy uint32
	PolicyArgument      uint32
	Flags               uint32
	State               uint32
	Description         string

	GameMode          uint32
	Attributes        []uint32
	OpenParticipation bool
	MatchmakeSystem   uint32
	ApplicationBuffer []byte
	ProgressScore     uint8
	SessionKey        []byte
	// Extra holds the version-dependent MatchmakeSession fields (NEX 3.5
	// and 4: option, param, passwords, codeword...) as the service encodes
	// them; the store keeps the bytes as they are.
	Extra []byte

	// Participants in join order (the order ownership migrates in).
	Participants []GatheringParticipant
	// Created is set by Create (UTC, millisecond precision).
	Created time.Time
}

// Entries is the participation count: every participant and its extra
// local players.
func (g *Gathering) Entries() int {
	n := 0
	for _, p := range g.Participants {
		n += 1 + int(p.Extra)
	}
	return n
}

// Has reports whether pid participates in g.
func (g *Gathering) Has(pid uint64) bool {
	for _, p := range g.Participants {
		if p.PID == pid {
			return true
		}
	}
	return false
}

// HasRoom reports whether n more entries fit in g (a MaxParticipants of 0
// means no limit).
func (g *Gathering) HasRoom(n int) bool {
	return g.MaxParticipants == 0 || g.Entries()+n <= int(g.MaxParticipants)
}

// MaxGatheringScan bounds how many gatherings one Search or AutoJoin reads
// before filtering, so a huge population costs bounded work per call.
const MaxGatheringScan = 1000

// GatheringQuery selects gatherings of a game, in ascending id order (the
// oldest sessions fill first).
type GatheringQuery struct {
	// Room, when positive, keeps only gatherings where Room more entries
	// fit.
	Room int
	// OpenOnly keeps only gatherings with OpenParticipation.
	OpenOnly bool
	// Exclude drops the gatherings this PID is in (0: none).
	Exclude uint64
	// Match, when set, is the remaining filter (game mode, attributes...);
	// it runs inside the backend's transaction for AutoJoin, so it must be
	// fast and must not call the store.
	Match func(*Gathering) bool
	// Offset and Limit page the result; a Limit of 0 means 100.
	Offset, Limit int
}

// LeaveResult is what a Leave changed.
type LeaveResult struct {
	// Before is the gathering before the leave, After after it (After is
	// the zero Gathering when Ended).
	Before, After Gathering
	// Ended: the gathering was removed (nobody left, or the owner left
	// without GatheringMigrateOwner).
	Ended bool
}

// Gatherings stores matchmake sessions per game. Every change of one
// gathering is atomic: concurrent joins never overfill it, and AutoJoin's
// search and join (or create) are one step, so concurrent auto-matchmakes
// fill sessions instead of all creating their own.
type Gatherings interface {
	// Create stores g with a new ID and Created and returns it. g.Game must
	// not be empty and its participants must fit its MaxParticipants
	// (ErrInvalid).
	Create(ctx context.Context, g Gathering) (Gathering, error)
	// Get returns a gathering or ErrNotFound.
	Get(ctx context.Context, game string, id uint32) (Gathering, error)
	// Join adds p after check (run on the current gathering inside the
	// change; its error is returned as is and nothing changes). It fails
	// with ErrNotFound, ErrExists (p.PID already participates) or
	// ErrGatheringFull. It returns the gathering after the join.
	Join(ctx context.Context, game string, id uint32, p GatheringParticipant, check func(*Gathering) error) (Gathering, error)
	// Leave removes pid (with its extra players). When nobody is left the
	// gathering ends; when the owner leaves, the first remaining
	// participant becomes owner if Flags has GatheringMigrateOwner, else
	// the gathering ends; when the host leaves the owner becomes host.
	// Fails with ErrNotFound or ErrNotParticipant.
	Leave(ctx context.Context, game string, id uint32, pid uint64) (LeaveResult, error)
	// Update runs fn on the current gathering and stores what it changed
	// (not Game, ID, Participants or Created). fn's error is returned as
	// is and nothing changes.
	Update(ctx context.Context, game string, id uint32, fn func(*Gathering) error) (Gathering, error)
	// Delete removes a gathering; ErrNotFound if it does not exist.
	Delete(ctx context.Context, game string, id uint32) error
	// Search returns the gatherings q selects.
	Search(ctx context.Context, game string, q GatheringQuery) ([]Gathering, error)
	// AutoJoin joins p to the first gathering q selects (q.Room should be
	// at least 1+p.Extra) or, when none does, creates create with p as its
	// only participant. It reports whether it created.
	AutoJoin(ctx context.Context, game string, q GatheringQuery, p GatheringParticipant, create Gathering) (Gathering, bool, error)
	// OfPID returns the ids of the gatherings pid participates in.
	OfPID(ctx context.Context, game string, pid uint64) ([]uint32, error)
}
