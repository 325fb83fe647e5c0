package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
)

// ErrLocked: a DataStore rating is locked for this user until its lock
// expires (rating lock types 1-3).
var ErrLocked = errors.New("locked")

// DataStatus is where a DataStore object is in its life.
type DataStatus uint8

// Object states. Only published objects are visible to other users and to
// searches; pending ones wait for CompletePostObject; deleted ones are
// tombstones (their data id is never reused).
const (
	DataPending   DataStatus = 0
	DataPublished DataStatus = 1
	DataDeleted   DataStatus = 2
)

// NoPersistenceSlot is the persistence slot id meaning "none".
const NoPersistenceSlot = 65535

// DataPermission is a DataStore permission: a level (0 everyone, 1 the
// owner's friends, 2 the listed recipients, 3 the owner only, 4 recipients
// who are friends) and the recipients for levels 2 and 4.
type DataPermission struct {
	Permission uint8
	Recipients []uint64
}

// DataRating is one rating slot of an object: its settings, fixed when the
// object is posted, and its running total.
type DataRating struct {
	Slot           uint8
	Flag           uint8
	InternalFlag   uint8
	LockType       uint8
	InitialValue   int64
	RangeMin       int32
	RangeMax       int32
	PeriodHour     int8
	PeriodDuration int16
	// TotalValue starts at InitialValue; Count at 0.
	TotalValue int64
	Count      uint32
}

// DataRatingLog is the last rating one user gave one slot.
type DataRatingLog struct {
	PID   uint64
	Value int32
	// LockExpires is when the user may rate again (zero: not locked).
	LockExpires time.Time
}

// DataObject is the metadata of one DataStore object (protocol 115); its
// content, if any, is a blob in Objects.
type DataObject struct {
	Game       string
	DataID     uint64
	Owner      uint64
	Size       uint32
	Name       string
	DataType   uint16
	MetaBinary []byte
	// Permission governs reading, DeletePermission deleting and changing.
	Permission       DataPermission
	DeletePermission DataPermission
	// AccessPassword and UpdatePassword bypass the permissions (0: none).
	AccessPassword uint64
	UpdatePassword uint64
	Flag           uint32
	// Period is the lifetime in days.
	Period        uint16
	ReferDataID   uint32
	ReferredCount uint32
	ReferredTime  time.Time
	Tags          []string
	// Ratings are the object's slots in slot order.
	Ratings []DataRating
	// PersistenceSlot is the owner's slot (0-15) that points at the object
	// once published, or NoPersistenceSlot. DeleteLastObject says whether
	// publishing deletes the slot's previous object (else it is detached).
	PersistenceSlot  uint16
	DeleteLastObject bool
	ExtraData        []string
	Status           DataStatus
	// NEXStatus is the status field consoles see (0 normal, 2 pending
	// review, 5 rejected).
	NEXStatus uint8
	// Version counts content updates, from 1.
	Version uint32
	// Created, Updated and Expires are set by the caller (UTC, millisecond
	// precision once stored).
	Created time.Time
	Updated time.Time
	Expires time.Time
}

// Rating returns the object's rating slot, if it has it.
func (o *DataObject) Rating(slot uint8) (*DataRating, bool) {
	for i := range o.Ratings {
		if o.Ratings[i].Slot == slot {
			return &o.Ratings[i], true
		}
	}
	return nil, false
}

// DataOrder is a SearchObject sort column.
type DataOrder uint8

// Sort columns (result_order_column 0-6; 64+n and 96+n map to the rating
// orders with DataQuery.RatingSlot = n).
const (
	OrderDataID DataOrder = iota
	OrderSize
	OrderName
	OrderDataType
	OrderReferredCount
	OrderCreated
	OrderUpdated
	OrderRatingTotal
	OrderRatingAverage
)

// DataQuery selects published, unexpired objects of one game for a search.
// Empty lists and zero values mean "no filter"; all filters must match.
type DataQuery struct {
	Game string
	// Owners: the owner is one of them. ExcludeOwners: it is none of them.
	Owners        []uint64
	ExcludeOwners []uint64
	// Permissions: the access permission level is one of them.
	Permissions []uint8
	// Recipient: the object's access permission lists this PID.
	Recipient uint64
	// SharedWith, when set, keeps the objects shared with this PID either
	// way: owned by one of its Friends with permission 1 (friends), or
	// with permission 2 or 4 listing it as a recipient (search target 8,
	// the union of targets 6 and 7).
	SharedWith *SharedWith
	// NEXStatuses: the NEX status is one of them.
	NEXStatuses []uint8
	DataTypes   []uint16
	// Created and updated windows, inclusive; zero bounds are open.
	CreatedAfter, CreatedBefore time.Time
	UpdatedAfter, UpdatedBefore time.Time
	ReferDataID                 uint32
	// Tags: the object has every one of them.
	Tags []string
	// Now: objects that expired before it are left out.
	Now time.Time
	// Order, RatingSlot (rating orders only) and Desc sort the result;
	// ties are broken by data id in the same direction.
	Order      DataOrder
	RatingSlot uint8
	Desc       bool
	Offset     int
	// Limit bounds the page (1-1000; 0 means 20).
	Limit int
	// MinRatingCount, when positive with a rating order, leaves out the
	// objects whose RatingSlot was rated fewer times than that (an object
	// without the slot has 0 ratings): SearchParam.minimal_rating_frequency.
	MinRatingCount uint32
	// CountLimit, when positive, makes Search count the matches up to that
	// many (so a huge result set costs a bounded count). The count ignores
	// Now: objects expired but not yet swept may be counted.
	CountLimit int
}

// SharedWith is the union of search targets 6 and 7 (DataQuery.SharedWith).
type SharedWith struct {
	PID     uint64
	Friends []uint64
}

// Match reports whether o passes q's filters (not the paging): the
// reference semantics of Search, used by the conformance tests.
func (q *DataQuery) Match(o *DataObject) bool {
	if o.Game != q.Game || o.Status != DataPublished || (!q.Now.IsZero() && o.Expires.Before(q.Now)) {
		return false
	}
	if len(q.Owners) > 0 && !slices.Contains(q.Owners, o.Owner) || slices.Contains(q.ExcludeOwners, o.Owner) {
		return false
	}
	if len(q.Permissions) > 0 && !slices.Contains(q.Permissions, o.Permission.Permission) {
		return false
	}
	if q.Recipient != 0 && !slices.Contains(o.Permission.Recipients, q.Recipient) {
		return false
	}
	if sw := q.SharedWith; sw != nil {
		byFriend := o.Permission.Permission == 1 && slices.Contains(sw.Friends, o.Owner)
		toMe := (o.Permission.Permission == 2 || o.Permission.Permission == 4) && slices.Contains(o.Permission.Recipients, sw.PID)
		if !byFriend && !toMe {
			return false
		}
	}
	if len(q.NEXStatuses) > 0 && !slices.Contains(q.NEXStatuses, o.NEXStatus) {
		return false
	}
	if len(q.DataTypes) > 0 && !slices.Contains(q.DataTypes, o.DataType) {
		return false
	}
	ms := func(t time.Time) int64 { return t.UnixMilli() }
	if !q.CreatedAfter.IsZero() && ms(o.Created) < ms(q.CreatedAfter) || !q.CreatedBefore.IsZero() && ms(o.Created) > ms(q.CreatedBefore) {
		return false
	}
	if !q.UpdatedAfter.IsZero() && ms(o.Updated) < ms(q.UpdatedAfter) || !q.UpdatedBefore.IsZero() && ms(o.Updated) > ms(q.UpdatedBefore) {
		return false
	}
	if q.ReferDataID != 0 && o.ReferDataID != q.ReferDataID {
		return false
	}
	for _, t := range q.Tags {
		if !slices.Contains(o.Tags, t) {
			return false
		}
	}
	if q.MinRatingCount > 0 && (q.Order == OrderRatingTotal || q.Order == OrderRatingAverage) {
		r, ok := o.Rating(q.RatingSlot)
		if !ok || r.Count < q.MinRatingCount {
			return false
		}
	}
	return true
}

// Compare orders a before b the way Search sorts (negative: a first).
func (q *DataQuery) Compare(a, b *DataObject) int {
	key := func(o *DataObject) (float64, string, bool) {
		switch q.Order {
		case OrderSize:
			return float64(o.Size), "", true
		case OrderName:
			return 0, o.Name, true
		case OrderDataType:
			return float64(o.DataType), "", true
		case OrderReferredCount:
			return float64(o.ReferredCount), "", true
		case OrderCreated:
			return float64(o.Created.UnixMilli()), "", true
		case OrderUpdated:
			return float64(o.Updated.UnixMilli()), "", true
		case OrderRatingTotal, OrderRatingAverage:
			r, ok := o.Rating(q.RatingSlot)
			if !ok {
				return 0, "", false
			}
			if q.Order == OrderRatingTotal {
				return float64(r.TotalValue), "", true
			}
			if r.Count == 0 {
				return 0, "", false
			}
			return float64(r.TotalValue) / float64(r.Count), "", true
		}
		return float64(o.DataID), "", true
	}
	ka, sa, oka := key(a)
	kb, sb, okb := key(b)
	c := 0
	switch {
	case oka != okb:
		// Objects without the rating sort as the smallest values.
		if !oka {
			c = -1
		} else {
			c = 1
		}
	case ka < kb:
		c = -1
	case ka > kb:
		c = 1
	default:
		c = strings.Compare(sa, sb)
	}
	if c == 0 {
		switch {
		case a.DataID < b.DataID:
			c = -1
		case a.DataID > b.DataID:
			c = 1
		}
	}
	if q.Desc {
		c = -c
	}
	return c
}

// DataNotification is one new-arrival notification: an object that was
// posted for a recipient (GetNewArrivedNotifications). IDs increase per
// game across recipients.
type DataNotification struct {
	ID     uint64
	DataID uint64
}

// DataStore stores DataStore object metadata per game. Every acknowledged
// write is durable; each method is atomic.
type DataStore interface {
	// AllocateDataID returns a fresh data id for game from a durable
	// sequence starting at first (1 when 0); ids are never handed out
	// twice, across restarts and instances sharing the store.
	AllocateDataID(ctx context.Context, game string, first uint64) (uint64, error)
	// Create stores a new object (o.DataID must be set, ErrInvalid
	// otherwise; ErrExists when taken). Ratings start as given.
	Create(ctx context.Context, o DataObject) error
	// Get returns an object in any status, or ErrNotFound.
	Get(ctx context.Context, game string, id uint64) (DataObject, error)
	// GetBySlot returns the published object in owner's persistence slot,
	// or ErrNotFound.
	GetBySlot(ctx context.Context, game string, owner uint64, slot uint16) (DataObject, error)
	// Update reads the object, lets fn change it and stores the result
	// atomically (fn's error aborts and is returned). Game, DataID and
	// rating totals cannot change through Update except that a Ratings
	// list with other slots or reset totals replaces the stored one;
	// PersistenceSlot changes go through Perpetuate and Publish.
	Update(ctx context.Context, game string, id uint64, fn func(o *DataObject) error) (DataObject, error)
	// Publish marks a pending object published; when it has a persistence
	// slot, the slot's previous object is deleted (DeleteLastObject) or
	// detached, and a detached object expires its Period days after now.
	// It returns that previous object as stored now (DataID 0: none). A
	// published object fails with ErrExists, others with ErrNotFound.
	Publish(ctx context.Context, game string, id uint64, now time.Time) (DataObject, error)
	// Perpetuate points owner's slot at id (a published object of owner,
	// else ErrNotFound), deleting (deleteLast) or detaching the slot's
	// previous object as Publish does; id 0 empties the slot. It returns
	// the previous object as stored now (DataID 0: none).
	Perpetuate(ctx context.Context, game string, owner uint64, slot uint16, id uint64, deleteLast bool, now time.Time) (DataObject, error)
	// Rate adds value to slot's total for pid. With replace, a user's
	// earlier rating is taken back first (the count does not grow). A lock
	// from the user's previous rating that has not expired at now fails
	// with ErrLocked; lockUntil (zero: none) becomes the new lock. An
	// unknown object or slot fails with ErrNotFound.
	Rate(ctx context.Context, game string, id uint64, slot uint8, pid uint64, value int32, replace bool, now, lockUntil time.Time) (DataRating, error)
	// RatingLog returns pid's last rating of slot, or ErrNotFound.
	RatingLog(ctx context.Context, game string, id uint64, slot uint8, pid uint64) (DataRatingLog, error)
	// Search returns a page of the objects q selects, sorted, and the
	// number of matches up to q.CountLimit (0 when CountLimit is 0).
	Search(ctx context.Context, q DataQuery) ([]DataObject, int, error)
	// Sweep deletes up to limit objects of any game that are pending and
	// created before pendingBefore, or published and expired before now,
	// and returns them (so that their blobs can be removed).
	Sweep(ctx context.Context, pendingBefore, now time.Time, limit int) ([]DataObject, error)
	// Notify records a new-arrival notification of data id for each
	// recipient (duplicates once), with increasing ids per game.
	Notify(ctx context.Context, game string, dataID uint64, recipients []uint64) error
	// Notifications returns up to limit (1-1000) of recipient's
	// notifications with an id above after, oldest first, and whether
	// more follow.
	Notifications(ctx context.Context, game string, recipient, after uint64, limit int) ([]DataNotification, bool, error)
	// LatestNotification returns the id of recipient's newest
	// notification, or 0 when there is none.
	LatestNotification(ctx context.Context, game string, recipient uint64) (uint64, error)
	// Atomic runs fn with a DataStore whose calls all belong to one
	// transaction: fn's error, or the failure of any of its calls, undoes
	// every change fn made (all-or-nothing batches). fn must use only tx
	// and must not call the outer store (it may wait for fn).
	Atomic(ctx context.Context, fn func(ctx context.Context, tx DataStore) error) error
}
