// Package store holds the narrow storage interfaces that nexproxy's built-in
// services use, one per domain, and the types they exchange. Services depend
// only on these interfaces; which backend serves them (embedded SQLite and
// files by default, PostgreSQL, Redis or S3 when scaling out) is decided by
// Config and wired by package stores.
//
// Every method takes a context and returns errors that wrap one of the
// sentinel errors below when the failure has a meaning for the caller, so
// callers test them with errors.Is. Other errors (I/O, a lost server) are
// wrapped with the backend's name and the operation.
//
// Adding a domain: declare its interface here with its contract, add a
// numbered migration to each SQL backend's migrations folder, implement it in
// the backends that should serve it, add a conformance function to package
// storetest, and call that function from each backend's tests.
package store

import (
	"context"
	"errors"
	"io"
	"slices"
	"time"
)

// Sentinel errors, always wrapped with context by the backends.
var (
	// ErrNotFound: the record or object does not exist (or its lease expired).
	ErrNotFound = errors.New("not found")
	// ErrExists: a record with the same unique key already exists.
	ErrExists = errors.New("already exists")
	// ErrInvalid: an argument was rejected before reaching the backend
	// (an empty name, a malformed object key, a negative size...).
	ErrInvalid = errors.New("invalid argument")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store closed")
)

// Password is a NEX password. It is kept in clear because Kerberos derives
// keys from it, so it must never reach a log: String, GoString and
// MarshalText all redact it. Use Reveal where the clear text is needed.
type Password string

// Reveal returns the clear-text password.
func (p Password) Reveal() string { return string(p) }

// String redacts the password so that fmt and loggers never print it.
func (p Password) String() string { return "[redacted]" }

// GoString redacts the password for %#v.
func (p Password) GoString() string { return `store.Password("[redacted]")` }

// MarshalText redacts the password for encoders (JSON, zap's reflection).
func (p Password) MarshalText() ([]byte, error) { return []byte("[redacted]"), nil }

// Account is a NEX account.
type Account struct {
	// PID is the principal id; 64 bits so that Switch ids fit.
	PID uint64
	// Username is unique among all accounts, compared case-insensitively
	// (after strings.ToLower, the same on every backend); stored as given.
	Username string
	// Password is the NEX password in clear (Kerberos key derivation).
	Password Password
	// Game, when not empty, limits the account to one game (the game's
	// profile name); empty means every game.
	Game string
	// Created is set by the store on Create (UTC, millisecond precision).
	Created time.Time
}

// Accounts stores NEX accounts by PID. It is not keyed by game: a PID is
// global, Account.Game only scopes where the account may log in. Every
// acknowledged write is durable.
type Accounts interface {
	// Get returns the account with that PID, or an error wrapping ErrNotFound.
	Get(ctx context.Context, pid uint64) (Account, error)
	// GetByName returns the account whose username equals name
	// case-insensitively, or an error wrapping ErrNotFound.
	GetByName(ctx context.Context, name string) (Account, error)
	// Create stores a new account; a.Created is ignored and set by the store.
	// It fails with ErrExists when the PID or the username (case-insensitive)
	// is taken, and with ErrInvalid when PID is 0 or Username is empty.
	Create(ctx context.Context, a Account) (Account, error)
	// SetPassword replaces the password of an account (ErrNotFound if absent).
	SetPassword(ctx context.Context, pid uint64, password Password) error
	// Delete removes an account (ErrNotFound if absent).
	Delete(ctx context.Context, pid uint64) error
	// List returns up to limit accounts with PID > after, ordered by PID;
	// limit <= 0 returns all of them. Pass the last PID of a page as after
	// to get the next page.
	List(ctx context.Context, after uint64, limit int) ([]Account, error)
	// Count returns the number of accounts.
	Count(ctx context.Context) (int64, error)
}

// UniqueID is a NEX unique id (Utility protocol 110) with its password
// (0 for ids acquired without one).
type UniqueID struct {
	ID       uint64
	Password uint64
}

// UniqueIDs reserves NEX unique ids and records which PID they are
// associated with, per game. Ids, their passwords and associations are
// durable; an id, once associated, keeps existing (with its password) even
// after every association is cleared, so it can be associated again.
type UniqueIDs interface {
	// Reserve atomically reserves n consecutive ids for game and returns the
	// first; the ids [first, first+n) are never returned again for game, by
	// any instance sharing the store, across restarts. Ids start at 1.
	// n must be between 1 and 1<<32 (ErrInvalid otherwise).
	Reserve(ctx context.Context, game string, n uint64) (first uint64, err error)
	// Associate adds one association of id with pid, after pid's existing
	// ones; it becomes pid's primary id if pid has none. It records id's
	// password the first time id is seen; afterwards the stored password
	// wins and a different one fails with ErrInvalid. An id associated
	// with another PID fails with ErrExists. Associating an id pid already
	// holds is a no-op.
	Associate(ctx context.Context, game string, pid uint64, id UniqueID) error
	// SetAssociations replaces all of pid's associations by ids, the first
	// becoming primary; an empty list clears them. It checks everything
	// first and changes nothing on error: an id held by another PID fails
	// with ErrExists, a known id with a different password with ErrInvalid.
	SetAssociations(ctx context.Context, game string, pid uint64, ids []UniqueID) error
	// Associations returns pid's ids, the primary first, then the most
	// recently associated first. None is an empty slice, not an error.
	Associations(ctx context.Context, game string, pid uint64) ([]UniqueID, error)
	// Lookup returns an id's password and the PID it is associated with
	// (0 when none), or ErrNotFound for an id never associated.
	Lookup(ctx context.Context, game string, id uint64) (UniqueID, uint64, error)
}

// Owner names the secure connection that registered a station entry: the
// instance that holds the connection and the connection id (RVCID) it
// assigned. Only the owner may refresh or delete the entry.
type Owner struct {
	// Instance identifies a running nexproxy (unique among those sharing
	// the store, e.g. host name + start time).
	Instance string
	// RVCID is the connection id, unique among live connections of every
	// instance sharing the store (see Stations.AllocateRVCID).
	RVCID uint32
}

// Station is the presence record of one console's secure connection.
type Station struct {
	Game  string
	PID   uint64
	Owner Owner
	// URLs are the station URLs the console registered, as strings.
	URLs []string
	// Expires is when the lease ends unless refreshed; set by the store.
	Expires time.Time
}

// Stations records which consoles are connected (presence), per game, with
// leases: an entry whose lease ran out is invisible, so an instance that dies
// leaves no ghost beyond the lease it last granted. Presence is not meant to
// survive a restart; backends may keep it durable or not.
type Stations interface {
	// Put stores s with a lease of ttl, replacing any earlier entry of the
	// same game and PID whoever owned it: a console that reconnects replaces
	// its stale session. s.Expires is ignored. ttl must be positive.
	Put(ctx context.Context, s Station, ttl time.Duration) error
	// Get returns the live entry of pid, or ErrNotFound.
	Get(ctx context.Context, game string, pid uint64) (Station, error)
	// GetByRVCID returns the live entry whose owner has that RVCID, or
	// ErrNotFound.
	GetByRVCID(ctx context.Context, game string, rvcid uint32) (Station, error)
	// Delete removes pid's entry only if owner still owns it; it reports
	// whether an entry was removed. An entry replaced by a newer connection
	// is left alone, so a late disconnect cannot remove the reconnect.
	Delete(ctx context.Context, game string, pid uint64, owner Owner) (bool, error)
	// Touch extends the lease of pid's entry to ttl from now if owner still
	// owns it and it has not expired; otherwise it fails with ErrNotFound
	// (the caller should Put again or drop the connection).
	Touch(ctx context.Context, game string, pid uint64, owner Owner, ttl time.Duration) error
	// AllocateRVCID returns a connection id, never 0, unique among the ids
	// handed out by every instance sharing the store until the 32-bit
	// space wraps (after 4,294,967,295 allocations per game).
	AllocateRVCID(ctx context.Context, game string) (uint32, error)
}

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// Objects stores blobs (DataStore objects) by key. Keys are slash-separated
// paths such as "game/slot/id" (see ValidKey). A Put is atomic: readers see
// the old object or the new one, never a partial one, and an acknowledged Put
// is durable. A key cannot be both an object and a prefix of other objects'
// keys on every backend, so layouts must not nest objects under objects.
type Objects interface {
	// Put stores exactly size bytes read from r under key, replacing any
	// object there. It fails, leaving the old object in place, when r yields
	// fewer or more than size bytes.
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	// Get opens an object for reading; the caller closes it. Seek gives
	// ranged reads (backends fetch only the range where they can). When the
	// object is replaced while open, reading goes on with the old version
	// (files) or fails (S3 checks the ETag): never a mix of both.
	Get(ctx context.Context, key string) (io.ReadSeekCloser, ObjectInfo, error)
	// Head returns an object's size and modification time, or ErrNotFound.
	Head(ctx context.Context, key string) (ObjectInfo, error)
	// Delete removes an object; deleting a missing object is not an error
	// (S3 cannot tell without a race).
	Delete(ctx context.Context, key string) error
}

// Bus fans messages out to every subscriber of a topic on every instance
// sharing the bus. Delivery is at most once and unordered across publishers
// (ordered per publisher on one connection); a subscriber that does not
// keep up loses messages rather than slowing the publisher. Nothing is
// stored: a message published while nobody listens is gone.
type Bus interface {
	// Publish sends msg to the current subscribers of topic.
	Publish(ctx context.Context, topic string, msg []byte) error
	// Subscribe starts listening to topic: every message published after it
	// returns is delivered on the channel, which is closed once ctx is done
	// (or the bus is closed). Topics are plain strings without '*'.
	Subscribe(ctx context.Context, topic string) (<-chan []byte, error)
}

// DedupeUniqueIDs drops repeated ids, keeping the first occurrence (for
// backends implementing SetAssociations).
func DedupeUniqueIDs(ids []UniqueID) []UniqueID {
	seen := make(map[uint64]bool, len(ids))
	out := make([]UniqueID, 0, len(ids))
	for _, id := range ids {
		if !seen[id.ID] {
			seen[id.ID] = true
			out = append(out, id)
		}
	}
	return out
}

// SortedIDs returns the ids' numbers in ascending order (a lock order).
func SortedIDs(ids []UniqueID) []uint64 {
	out := make([]uint64, len(ids))
	for i, id := range ids {
		out[i] = id.ID
	}
	slices.Sort(out)
	return out
}

// Rankings stores the Ranking service's scores (services.md §5) per game
// and category, and the common data blob of each score owner, and answers
// the ordered queries GetRanking needs. An entry is keyed by (game,
// category, PID, unique id); one PID may hold several entries in a category
// with different unique ids. Common data is keyed by (game, PID, unique
// id): the owner of an entry, so that every entry shows its owner's blob
// and two save slots (unique ids) of one PID keep apart (see
// RankingScore).
//
// Orders: a query takes a RankingOrder. Ascending means lower scores are
// better. Standard ranks ("1224") are 1 + the number of filtered entries
// with a strictly better score; ordinal ranks ("1234") break ties by the
// earlier update time, then the lower PID, then the lower unique id. Pages
// and windows always list entries in ordinal order. Every backend returns
// exactly the same results (the conformance suite checks it).
type Rankings interface {
	// Upload stores s (s.Updated is ignored and set by the store). With
	// keepBetter, an existing entry whose score is at least as good under
	// desc is kept and Upload reports false; otherwise the entry is
	// replaced (groups, param and update time included) and Upload
	// reports true. The first upload of a category records desc as the
	// category's order (CategoryOrder); later uploads never change it.
	Upload(ctx context.Context, s RankingScore, keepBetter, desc bool) (bool, error)
	// CategoryOrder returns the order the first upload recorded, and
	// false when the category never had an upload.
	CategoryOrder(ctx context.Context, game string, category uint32) (desc bool, known bool, err error)
	// Delete removes one entry, or fails with ErrNotFound.
	Delete(ctx context.Context, game string, category uint32, pid, uniqueID uint64) error
	// DeleteAll removes the entries of (pid, uniqueID) in every category
	// and returns how many there were.
	DeleteAll(ctx context.Context, game string, pid, uniqueID uint64) (int, error)
	// ChangeAttributes applies RankingChange to the entry of (pid,
	// uniqueID) in category, or in every category when all is set, and
	// returns how many entries changed (0 and no error when none exist).
	ChangeAttributes(ctx context.Context, game string, category uint32, all bool, pid, uniqueID uint64, ch RankingChange) (int, error)
	// Entries returns the entries of pid in category (every unique id),
	// best first under o, with their ranks under o; none is an empty
	// slice. An entry that o.Filter excludes is not returned.
	Entries(ctx context.Context, game string, category uint32, o RankingOrder, pid uint64) ([]RankedScore, error)
	// ByUniqueIDs returns the entries of category whose unique id is in
	// ids, ranked under o, best first. It scans the category.
	ByUniqueIDs(ctx context.Context, game string, category uint32, o RankingOrder, ids []uint64) ([]RankedScore, error)
	// Page returns up to limit entries from the 0-based ordinal position
	// offset under o, with their ranks.
	Page(ctx context.Context, game string, category uint32, o RankingOrder, offset uint32, limit int) ([]RankedScore, error)
	// Around returns the window of limit entries around the entry of
	// (pid, uniqueID) under o (services.md §5.3 mode 1: 0-based start =
	// the entry's ordinal rank - limit/2 - limit%2, clamped at 0), or
	// fails with ErrNotFound when that entry does not exist or o.Filter
	// excludes it.
	Around(ctx context.Context, game string, category uint32, o RankingOrder, pid, uniqueID uint64, limit int) ([]RankedScore, error)
	// ScoreRank returns the standard rank a score would get under o: 1 +
	// the number of filtered entries with a strictly better score.
	ScoreRank(ctx context.Context, game string, category uint32, o RankingOrder, score uint32) (uint32, error)
	// Stats returns the count, sum, minimum and maximum of the filtered
	// entries' scores (zeros for an empty category).
	Stats(ctx context.Context, game string, category uint32, f RankingFilter) (RankingStats, error)
	// PutCommonData stores the blob of (pid, uniqueID), replacing it.
	PutCommonData(ctx context.Context, game string, pid, uniqueID uint64, data []byte) error
	// CommonData returns the blob of (pid, uniqueID) or ErrNotFound.
	CommonData(ctx context.Context, game string, pid, uniqueID uint64) ([]byte, error)
	// DeleteCommonData removes the blob of (pid, uniqueID) or fails with
	// ErrNotFound.
	DeleteCommonData(ctx context.Context, game string, pid, uniqueID uint64) error
}
