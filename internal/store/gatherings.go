package store

import (
	"cmp"
	"container/heap"
	"context"
	"errors"
	"slices"
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

// Gathering kinds: the NEX class a gathering was registered as. All kinds
// share one id space (services.md §2.1).
const (
	// KindMatchmakeSession is a MatchmakeSession (the default of Create).
	KindMatchmakeSession = "MatchmakeSession"
	// KindGathering is a plain Gathering (MatchMaking RegisterGathering).
	KindGathering = "Gathering"
	// KindPersistent is a PersistentGathering (a community): it is kept
	// when its participants disconnect and with zero participants.
	KindPersistent = "PersistentGathering"
)

// Limits of the per-user matchmaking records.
const (
	// MaxBlockList bounds one user's block list (SetBlocked beyond it
	// fails with ErrInvalid).
	MaxBlockList = 100
	// MaxNoticeText bounds a notice's text in bytes.
	MaxNoticeText = 1024
)

// Notice is a user's current notification data of one type
// (UpdateNotificationData, services.md §4).
type Notice struct {
	PID            uint64
	Type           uint32
	Param1, Param2 uint64
	Text           string
}

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
	// Kind is one of the Kind constants; Create stores "" as
	// KindMatchmakeSession. It never changes.
	Kind string
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

// MaxGatheringScan is the most results callers page through: they keep
// Offset below it and Limit at most it, so that a ranked Search, which
// keeps the best Offset+Limit matches while it reads, holds few of them.
const MaxGatheringScan = 1000

// MaxGatheringExamine bounds the stored gatherings one Search or AutoJoin
// reads, so that a huge population costs bounded work per call. The
// backends read candidates (the gatherings that pass the query's SQL
// filters) page by page in id order until the result is complete or the
// candidates run out, so a match is found however many gatherings the
// query's Match drops before it, as long as fewer than this many
// candidates come before it. The column filters (GameMode...) drop
// gatherings in the query itself: they do not count.
const MaxGatheringExamine = 50_000

// GatheringPage is how many candidates a backend reads per statement when
// it pages through them.
const GatheringPage = 500

// Span is an inclusive range of a gathering column's values: Min ≤ v ≤
// Max. Span{n, n} is one value.
type Span struct{ Min, Max uint32 }

// Has reports whether v is in the span.
func (s Span) Has(v uint32) bool { return v >= s.Min && v <= s.Max }

// GatheringQuery selects gatherings of a game, in ascending id order (the
// oldest sessions fill first).
type GatheringQuery struct {
	// Room, when positive, keeps only gatherings where Room more entries
	// fit.
	Room int
	// Kind, when set, keeps only gatherings of that kind.
	Kind string
	// OpenOnly keeps only gatherings with OpenParticipation.
	OpenOnly bool
	// Exclude drops the gatherings this PID is in (0: none).
	Exclude uint64
	// GameMode, MatchmakeSystem, MinParticipants and MaxParticipants,
	// when set, keep only gatherings whose column is in the span. Like
	// HostOnly and Owner they are evaluated by the backend's query, so
	// the gatherings they drop cost no work and do not count toward
	// MaxGatheringExamine: set them whenever Match would test the same.
	GameMode, MatchmakeSystem        *Span
	MinParticipants, MaxParticipants *Span
	// HostOnly keeps only gatherings with a host (Host ≠ 0).
	HostOnly bool
	// Owner, when not 0, keeps only gatherings owned by that PID.
	Owner uint64
	// Match, when set, is the remaining filter (attributes, friends...);
	// it runs inside the backend's transaction for AutoJoin, so it must be
	// fast and must not call the store.
	Match func(*Gathering) bool
	// Rank, when set, orders the matches (lower first, ties in id order)
	// before Offset and Limit apply; like Match it must be fast.
	Rank func(*Gathering) int64
	// Offset and Limit page the result; a Limit of 0 means 100.
	Offset, Limit int
	// Pool, for AutoJoin, names the only sessions the call can join and
	// the one it creates (e.g. one game mode): calls in different pools
	// never meet, so a backend that serialises auto-joins may run them
	// side by side. "" is every session of the game.
	Pool string
}

// ColumnsMatch reports whether g passes q's column filters (GameMode,
// MatchmakeSystem, MinParticipants, MaxParticipants, HostOnly, Owner),
// which the backends otherwise evaluate in SQL: for gatherings that are
// not stored yet.
func (q *GatheringQuery) ColumnsMatch(g *Gathering) bool {
	in := func(s *Span, v uint32) bool { return s == nil || s.Has(v) }
	return in(q.GameMode, g.GameMode) && in(q.MatchmakeSystem, g.MatchmakeSystem) &&
		in(q.MinParticipants, uint32(g.MinParticipants)) && in(q.MaxParticipants, uint32(g.MaxParticipants)) &&
		(!q.HostOnly || g.Host != 0) && (q.Owner == 0 || g.Owner == q.Owner)
}

// PageReader reads, for GatheringQuery.Collect, up to size candidates of
// a query (the gatherings that pass its SQL filters) with ids above
// after, in ascending id order, hands each to add until add reports false
// (the result is complete), and returns how many it read.
type PageReader func(after uint32, size int, add func(Gathering) bool) (int, error)

// Collect builds q's result from the candidates read reads, page by page
// (keyset pagination on id), until the result is complete, the candidates
// run out (a short page) or MaxGatheringExamine were read. It applies
// Match, then Offset and Limit (100 when unset), or keeps the best
// Offset+Limit matches by Rank (ties in id order), so its memory stays
// bounded too.
func (q *GatheringQuery) Collect(read PageReader) ([]Gathering, error) {
	offset, limit := max(q.Offset, 0), q.Limit
	if limit <= 0 {
		limit = 100
	}
	var (
		out      []Gathering // without Rank: the page, in id order
		best     rankHeap    // with Rank: the best offset+limit matches
		skip     = offset
		examined int
		after    uint32
		done     bool
	)
	add := func(g Gathering) bool {
		examined++
		after = g.ID
		switch {
		case q.Match != nil && !q.Match(&g):
		case q.Rank != nil:
			best.keep(ranked{g: g, rank: q.Rank(&g)}, offset+limit)
		case skip > 0:
			skip--
		default:
			out = append(out, g)
			done = len(out) >= limit
		}
		return !done
	}
	for !done && examined < MaxGatheringExamine {
		size := min(GatheringPage, MaxGatheringExamine-examined)
		n, err := read(after, size, add)
		if err != nil {
			return nil, err
		}
		done = done || n < size
	}
	if q.Rank == nil {
		return out, nil
	}
	all := best.sorted()
	if offset >= len(all) {
		return nil, nil
	}
	return all[offset:], nil
}

// ranked is a match and its rank.
type ranked struct {
	g    Gathering
	rank int64
}

// compareRanked orders matches by rank, then id (the order they were read
// in).
func compareRanked(a, b ranked) int {
	if c := cmp.Compare(a.rank, b.rank); c != 0 {
		return c
	}
	return cmp.Compare(a.g.ID, b.g.ID)
}

// rankHeap holds the best matches, the worst of them on top (a
// container/heap max-heap).
type rankHeap []ranked

func (h rankHeap) Len() int           { return len(h) }
func (h rankHeap) Less(i, j int) bool { return compareRanked(h[i], h[j]) > 0 }
func (h rankHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *rankHeap) Push(x any)        { *h = append(*h, x.(ranked)) }
func (h *rankHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// keep adds r if it is among the best n.
func (h *rankHeap) keep(r ranked, n int) {
	switch {
	case n <= 0:
	case h.Len() < n:
		heap.Push(h, r)
	case compareRanked(r, (*h)[0]) < 0:
		(*h)[0] = r
		heap.Fix(h, 0)
	}
}

// sorted returns the kept matches, best first.
func (h rankHeap) sorted() []Gathering {
	slices.SortFunc(h, compareRanked)
	out := make([]Gathering, len(h))
	for i := range h {
		out[i] = h[i].g
	}
	return out
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
	// the gathering ends; when the host leaves the owner becomes host. A
	// KindPersistent gathering never ends nor changes owner on a leave.
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
	// Members returns the distinct PIDs participating in any gathering of
	// game or with active notices, at most limit of them, in a fixed order
	// (for sweeping the consoles that are gone): from the first when after
	// is nil, else those following *after.
	Members(ctx context.Context, game string, after *uint64, limit int) ([]uint64, error)

	// BlockList returns the PIDs pid blocked, ascending.
	BlockList(ctx context.Context, game string, pid uint64) ([]uint64, error)
	// SetBlocked adds pids to pid's block list (or removes them when
	// blocked is false); a list that would exceed MaxBlockList fails with
	// ErrInvalid and nothing changes.
	SetBlocked(ctx context.Context, game string, pid uint64, pids []uint64, blocked bool) error
	// ClearBlockList empties pid's block list.
	ClearBlockList(ctx context.Context, game string, pid uint64) error
	// PutNotice stores n as its sender's current, active record of its
	// type, replacing the previous one (text longer than MaxNoticeText:
	// ErrInvalid).
	PutNotice(ctx context.Context, game string, n Notice) error
	// Notices returns the active records of the senders with the types,
	// by sender then type.
	Notices(ctx context.Context, game string, senders []uint64, types []uint32) ([]Notice, error)
	// EndNotices makes all of pid's records inactive (it went offline).
	EndNotices(ctx context.Context, game string, pid uint64) error

	// AddParticipation adds one to the participation count in community
	// (a persistent gathering's id) of each distinct PID of pids: a join
	// of the community or of one of its matchmake sessions (services.md
	// §2.5). A count stops at math.MaxUint32.
	AddParticipation(ctx context.Context, game string, community uint32, pids []uint64) error
	// Participation returns pid's participation counts in the
	// communities, by community id; a community pid never joined is
	// absent (a count of 0).
	Participation(ctx context.Context, game string, pid uint64, communities []uint32) (map[uint32]uint32, error)
}
