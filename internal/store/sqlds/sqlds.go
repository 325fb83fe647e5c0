// Package sqlds implements store.DataStore once for the SQL backends
// (SQLite and PostgreSQL): both run the same statements (written with '?'
// placeholders, renumbered for PostgreSQL) on the same tables, so the
// backends only adapt their connections and transactions.
package sqlds

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nexproxy/nexproxy/internal/store"
)

// Row is one result row (sql.Row, pgx.Row).
type Row interface{ Scan(dest ...any) error }

// Rows iterates over results.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Conn runs statements; in Write it is the transaction.
type Conn interface {
	Exec(ctx context.Context, q string, args ...any) (int64, error)
	QueryRow(ctx context.Context, q string, args ...any) Row
	Query(ctx context.Context, q string, args ...any) (Rows, error)
}

// Backend is what a SQL backend provides.
type Backend struct {
	// Name prefixes errors ("store/sqlite").
	Name string
	// Read runs fn, reads outside transactions, with a connection of the
	// read pool; the backend may run fn on a goroutine of its own.
	Read func(ctx context.Context, fn func(ctx context.Context, c Conn) error) error
	// Write runs fn in one durable transaction; fn's error rolls it back.
	Write func(ctx context.Context, fn func(ctx context.Context, c Conn) error) error
	// Dollar renumbers '?' placeholders as $1, $2... (PostgreSQL).
	Dollar bool
	// ForUpdate is appended to the SELECT of read-modify-write
	// transactions (" FOR UPDATE" on PostgreSQL; SQLite has one writer).
	ForUpdate string
	// Unique reports a unique-constraint violation; NoRows an empty
	// QueryRow.
	Unique func(error) bool
	NoRows func(error) bool
}

// Store implements store.DataStore on a Backend.
type Store struct {
	b Backend
	// Explain, when set (tests), sees every search statement.
	Explain func(q string, args []any)
}

// New returns the DataStore of b.
func New(b Backend) *Store { return &Store{b: b} }

var _ store.DataStore = (*Store)(nil)

// q renumbers placeholders for the backend.
func (s *Store) q(query string) string {
	if !s.b.Dollar {
		return query
	}
	var out strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			out.WriteByte('$')
			out.WriteString(strconv.Itoa(n))
			continue
		}
		out.WriteByte(query[i])
	}
	return out.String()
}

func (s *Store) errf(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	if s.b.NoRows(err) {
		err = fmt.Errorf("%w (%w)", store.ErrNotFound, err)
	} else if s.b.Unique(err) {
		err = fmt.Errorf("%w (%w)", store.ErrExists, err)
	}
	return fmt.Errorf("%s: datastore: %s: %w", s.b.Name, fmt.Sprintf(format, args...), err)
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func jsonText(v any) string {
	b, _ := json.Marshal(v) // lists of numbers and strings always encode
	return string(b)
}

const objectCols = `game, data_id, owner, size, name, data_type, meta_binary, permission, recipients,
	delete_permission, delete_recipients, access_password, update_password, flag, period, refer_data_id,
	referred_count, referred_ms, tags, persistence_slot, delete_last, extra_data, status, nex_status, version,
	created_ms, updated_ms, expires_ms`

func objectArgs(o *store.DataObject) []any {
	rec := o.Permission.Recipients
	if rec == nil {
		rec = []uint64{}
	}
	drec := o.DeletePermission.Recipients
	if drec == nil {
		drec = []uint64{}
	}
	tags, extra := o.Tags, o.ExtraData
	if tags == nil {
		tags = []string{}
	}
	if extra == nil {
		extra = []string{}
	}
	meta := o.MetaBinary
	if meta == nil {
		meta = []byte{}
	}
	del := 0
	if o.DeleteLastObject {
		del = 1
	}
	return []any{o.Game, int64(o.DataID), int64(o.Owner), int64(o.Size), o.Name, int64(o.DataType), meta,
		int64(o.Permission.Permission), jsonText(rec), int64(o.DeletePermission.Permission), jsonText(drec),
		int64(o.AccessPassword), int64(o.UpdatePassword), int64(o.Flag), int64(o.Period), int64(o.ReferDataID),
		int64(o.ReferredCount), ms(o.ReferredTime), jsonText(tags), int64(o.PersistenceSlot), int64(del),
		jsonText(extra), int64(o.Status), int64(o.NEXStatus), int64(o.Version),
		ms(o.Created), ms(o.Updated), ms(o.Expires)}
}

func scanObject(r Row) (store.DataObject, error) {
	var o store.DataObject
	var id, owner, size, dtype, perm, dperm, apw, upw, flag, period, refer, rcount, rms, slot, del, status, nexs, ver, cms, ums, ems int64
	var rec, drec, tags, extra string
	var meta []byte
	if err := r.Scan(&o.Game, &id, &owner, &size, &o.Name, &dtype, &meta, &perm, &rec, &dperm, &drec, &apw, &upw,
		&flag, &period, &refer, &rcount, &rms, &tags, &slot, &del, &extra, &status, &nexs, &ver, &cms, &ums, &ems); err != nil {
		return o, err
	}
	o.DataID, o.Owner, o.Size, o.DataType = uint64(id), uint64(owner), uint32(size), uint16(dtype)
	if len(meta) > 0 {
		o.MetaBinary = append([]byte{}, meta...)
	}
	o.Permission.Permission, o.DeletePermission.Permission = uint8(perm), uint8(dperm)
	o.AccessPassword, o.UpdatePassword, o.Flag, o.Period = uint64(apw), uint64(upw), uint32(flag), uint16(period)
	o.ReferDataID, o.ReferredCount, o.ReferredTime = uint32(refer), uint32(rcount), fromMS(rms)
	o.PersistenceSlot, o.DeleteLastObject = uint16(slot), del != 0
	o.Status, o.NEXStatus, o.Version = store.DataStatus(status), uint8(nexs), uint32(ver)
	o.Created, o.Updated, o.Expires = fromMS(cms), fromMS(ums), fromMS(ems)
	for _, f := range []struct {
		text string
		dst  any
	}{{rec, &o.Permission.Recipients}, {drec, &o.DeletePermission.Recipients}, {tags, &o.Tags}, {extra, &o.ExtraData}} {
		if err := json.Unmarshal([]byte(f.text), f.dst); err != nil {
			return o, fmt.Errorf("decode list column: %w", err)
		}
	}
	// Empty lists read back as nil, whatever was stored.
	if len(o.Permission.Recipients) == 0 {
		o.Permission.Recipients = nil
	}
	if len(o.DeletePermission.Recipients) == 0 {
		o.DeletePermission.Recipients = nil
	}
	if len(o.Tags) == 0 {
		o.Tags = nil
	}
	if len(o.ExtraData) == 0 {
		o.ExtraData = nil
	}
	return o, nil
}

const ratingCols = `slot, flag, internal_flag, lock_type, initial_value, range_min, range_max, period_hour, period_duration, total, count`

func scanRating(r Row) (store.DataRating, error) {
	var v [11]int64
	if err := r.Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10]); err != nil {
		return store.DataRating{}, err
	}
	return store.DataRating{Slot: uint8(v[0]), Flag: uint8(v[1]), InternalFlag: uint8(v[2]), LockType: uint8(v[3]),
		InitialValue: v[4], RangeMin: int32(v[5]), RangeMax: int32(v[6]), PeriodHour: int8(v[7]),
		PeriodDuration: int16(v[8]), TotalValue: v[9], Count: uint32(v[10])}, nil
}

// AllocateDataID implements store.DataStore.
func (s *Store) AllocateDataID(ctx context.Context, game string, first uint64) (uint64, error) {
	if first == 0 {
		first = 1
	}
	var next int64
	err := s.b.Write(ctx, func(ctx context.Context, c Conn) error {
		return c.QueryRow(ctx, s.q(`INSERT INTO datastore_counters (game, next) VALUES (?, ?)
			ON CONFLICT (game) DO UPDATE SET next = datastore_counters.next + 1 RETURNING next`), game, int64(first)).Scan(&next)
	})
	if err != nil {
		return 0, s.errf(err, "allocate data id for %q", game)
	}
	return uint64(next), nil
}

func (s *Store) insertChildren(ctx context.Context, c Conn, o *store.DataObject) error {
	for _, t := range dedupe(o.Tags) {
		if _, err := c.Exec(ctx, s.q(`INSERT INTO datastore_tags (game, tag, data_id) VALUES (?, ?, ?)`), o.Game, t, int64(o.DataID)); err != nil {
			return err
		}
	}
	for _, p := range dedupe(o.Permission.Recipients) {
		if _, err := c.Exec(ctx, s.q(`INSERT INTO datastore_recipients (game, pid, data_id) VALUES (?, ?, ?)`), o.Game, int64(p), int64(o.DataID)); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) insertRatings(ctx context.Context, c Conn, o *store.DataObject) error {
	for _, r := range o.Ratings {
		if _, err := c.Exec(ctx, s.q(`INSERT INTO datastore_ratings (game, data_id, `+ratingCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), o.Game, int64(o.DataID), int64(r.Slot), int64(r.Flag),
			int64(r.InternalFlag), int64(r.LockType), r.InitialValue, int64(r.RangeMin), int64(r.RangeMax),
			int64(r.PeriodHour), int64(r.PeriodDuration), r.TotalValue, int64(r.Count)); err != nil {
			return err
		}
	}
	return nil
}

func dedupe[T comparable](in []T) []T {
	var out []T
	for _, v := range in {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func checkRatings(o *store.DataObject) error {
	seen := map[uint8]bool{}
	for _, r := range o.Ratings {
		if seen[r.Slot] {
			return fmt.Errorf("rating slot %d twice: %w", r.Slot, store.ErrInvalid)
		}
		seen[r.Slot] = true
	}
	return nil
}

// Create implements store.DataStore.
func (s *Store) Create(ctx context.Context, o store.DataObject) error {
	if o.DataID == 0 || o.Game == "" {
		return fmt.Errorf("%s: datastore: create without game or data id: %w", s.b.Name, store.ErrInvalid)
	}
	if err := checkRatings(&o); err != nil {
		return fmt.Errorf("%s: datastore: create %d: %w", s.b.Name, o.DataID, err)
	}
	slices.SortFunc(o.Ratings, func(a, b store.DataRating) int { return int(a.Slot) - int(b.Slot) })
	err := s.b.Write(ctx, func(ctx context.Context, c Conn) error {
		if _, err := c.Exec(ctx, s.q(`INSERT INTO datastore_objects (`+objectCols+`) VALUES (`+
			strings.Repeat("?, ", 27)+`?)`), objectArgs(&o)...); err != nil {
			return err
		}
		if err := s.insertChildren(ctx, c, &o); err != nil {
			return err
		}
		return s.insertRatings(ctx, c, &o)
	})
	return s.errf(err, "create %d", o.DataID)
}

func (s *Store) ratings(ctx context.Context, c Conn, game string, ids []uint64) (map[uint64][]store.DataRating, error) {
	out := map[uint64][]store.DataRating{}
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{game}
	for _, id := range ids {
		args = append(args, int64(id))
	}
	rows, err := c.Query(ctx, s.q(`SELECT data_id, `+ratingCols+` FROM datastore_ratings WHERE game = ? AND data_id IN (`+
		placeholders(len(ids))+`) ORDER BY data_id, slot`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var v [11]int64
		if err := rows.Scan(&id, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10]); err != nil {
			return nil, err
		}
		r, _ := scanRating(fixedRow(v[:]))
		out[uint64(id)] = append(out[uint64(id)], r)
	}
	return out, rows.Err()
}

// fixedRow replays scanned values into scanRating.
type fixedRow []int64

func (f fixedRow) Scan(dest ...any) error {
	for i, d := range dest {
		*(d.(*int64)) = f[i]
	}
	return nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func (s *Store) get(ctx context.Context, c Conn, game string, id uint64, lock bool) (store.DataObject, error) {
	suffix := ""
	if lock {
		suffix = s.b.ForUpdate
	}
	o, err := scanObject(c.QueryRow(ctx, s.q(`SELECT `+objectCols+` FROM datastore_objects WHERE game = ? AND data_id = ?`+suffix), game, int64(id)))
	if err != nil {
		return o, err
	}
	rs, err := s.ratings(ctx, c, game, []uint64{id})
	o.Ratings = rs[id]
	return o, err
}

// Get implements store.DataStore.
func (s *Store) Get(ctx context.Context, game string, id uint64) (store.DataObject, error) {
	var o store.DataObject
	err := s.b.Read(ctx, func(ctx context.Context, c Conn) (err error) {
		o, err = s.get(ctx, c, game, id, false)
		return err
	})
	return o, s.errf(err, "get %d", id)
}

// GetBySlot implements store.DataStore.
func (s *Store) GetBySlot(ctx context.Context, game string, owner uint64, slot uint16) (store.DataObject, error) {
	var o store.DataObject
	err := s.b.Read(ctx, func(ctx context.Context, c Conn) error {
		var id int64
		err := c.QueryRow(ctx, s.q(`SELECT data_id FROM datastore_objects WHERE game = ? AND owner = ? AND persistence_slot = ? AND status = 1`),
			game, int64(owner), int64(slot)).Scan(&id)
		if err != nil {
			return err
		}
		o, err = s.get(ctx, c, game, uint64(id), false)
		return err
	})
	return o, s.errf(err, "get slot %d of %d", slot, owner)
}

func (s *Store) save(ctx context.Context, c Conn, old, o *store.DataObject) error {
	args := objectArgs(o)
	// game and data_id are the key: set everything else.
	cols := strings.Split(strings.Join(strings.Fields(objectCols), ""), ",")
	var set []string
	for _, col := range cols[2:] {
		set = append(set, col+" = ?")
	}
	if _, err := c.Exec(ctx, s.q(`UPDATE datastore_objects SET `+strings.Join(set, ", ")+` WHERE game = ? AND data_id = ?`),
		append(args[2:], args[0], args[1])...); err != nil {
		return err
	}
	if !slices.Equal(old.Tags, o.Tags) || !slices.Equal(old.Permission.Recipients, o.Permission.Recipients) {
		for _, t := range []string{"datastore_tags", "datastore_recipients"} {
			if _, err := c.Exec(ctx, s.q(`DELETE FROM `+t+` WHERE game = ? AND data_id = ?`), o.Game, int64(o.DataID)); err != nil {
				return err
			}
		}
		if err := s.insertChildren(ctx, c, o); err != nil {
			return err
		}
	}
	if !slices.Equal(old.Ratings, o.Ratings) {
		if _, err := c.Exec(ctx, s.q(`DELETE FROM datastore_ratings WHERE game = ? AND data_id = ?`), o.Game, int64(o.DataID)); err != nil {
			return err
		}
		if err := s.insertRatings(ctx, c, o); err != nil {
			return err
		}
	}
	return nil
}

// Update implements store.DataStore.
func (s *Store) Update(ctx context.Context, game string, id uint64, fn func(o *store.DataObject) error) (store.DataObject, error) {
	var out store.DataObject
	err := s.b.Write(ctx, func(ctx context.Context, c Conn) error {
		old, err := s.get(ctx, c, game, id, true)
		if err != nil {
			return err
		}
		o := old
		o.Tags = slices.Clone(old.Tags)
		o.Ratings = slices.Clone(old.Ratings)
		o.Permission.Recipients = slices.Clone(old.Permission.Recipients)
		o.DeletePermission.Recipients = slices.Clone(old.DeletePermission.Recipients)
		o.MetaBinary = slices.Clone(old.MetaBinary)
		o.ExtraData = slices.Clone(old.ExtraData)
		if err := fn(&o); err != nil {
			return err
		}
		o.Game, o.DataID, o.PersistenceSlot = old.Game, old.DataID, old.PersistenceSlot
		if err := checkRatings(&o); err != nil {
			return err
		}
		slices.SortFunc(o.Ratings, func(a, b store.DataRating) int { return int(a.Slot) - int(b.Slot) })
		if err := s.save(ctx, c, &old, &o); err != nil {
			return err
		}
		out = o
		return nil
	})
	return out, s.errf(err, "update %d", id)
}

// vacate frees owner's slot for id: the published object there (other
// than id) is deleted (deleteLast) or detached, and a detached object
// expires its period after now (only objects in a slot never expire). It
// returns that object as stored now (DataID 0: none).
func (s *Store) vacate(ctx context.Context, c Conn, game string, owner uint64, slot uint16, id uint64, deleteLast bool, now time.Time) (store.DataObject, error) {
	var prev, period int64
	err := c.QueryRow(ctx, s.q(`SELECT data_id, period FROM datastore_objects WHERE game = ? AND owner = ? AND persistence_slot = ? AND status = 1 AND data_id <> ?`+s.b.ForUpdate),
		game, int64(owner), int64(slot), int64(id)).Scan(&prev, &period)
	if s.b.NoRows(err) {
		return store.DataObject{}, nil
	}
	if err != nil {
		return store.DataObject{}, err
	}
	if deleteLast {
		_, err = c.Exec(ctx, s.q(`UPDATE datastore_objects SET persistence_slot = 65535, status = 2 WHERE game = ? AND data_id = ?`), game, prev)
	} else {
		expires := now.Add(time.Duration(period) * 24 * time.Hour)
		_, err = c.Exec(ctx, s.q(`UPDATE datastore_objects SET persistence_slot = 65535, expires_ms = ? WHERE game = ? AND data_id = ?`), ms(expires), game, prev)
	}
	if err != nil {
		return store.DataObject{}, err
	}
	return s.get(ctx, c, game, uint64(prev), false)
}

// Publish implements store.DataStore.
func (s *Store) Publish(ctx context.Context, game string, id uint64, now time.Time) (store.DataObject, error) {
	var prev store.DataObject
	err := s.b.Write(ctx, func(ctx context.Context, c Conn) error {
		o, err := s.get(ctx, c, game, id, true)
		if err != nil {
			return err
		}
		switch o.Status {
		case store.DataPublished:
			return store.ErrExists
		case store.DataDeleted:
			return store.ErrNotFound
		}
		prev = store.DataObject{} // a retried transaction starts over
		if o.PersistenceSlot != store.NoPersistenceSlot {
			if prev, err = s.vacate(ctx, c, game, o.Owner, o.PersistenceSlot, id, o.DeleteLastObject, now); err != nil {
				return err
			}
		}
		_, err = c.Exec(ctx, s.q(`UPDATE datastore_objects SET status = 1, updated_ms = ? WHERE game = ? AND data_id = ?`), ms(now), game, int64(id))
		return err
	})
	return prev, s.errf(err, "publish %d", id)
}

// Perpetuate implements store.DataStore.
func (s *Store) Perpetuate(ctx context.Context, game string, owner uint64, slot uint16, id uint64, deleteLast bool, now time.Time) (store.DataObject, error) {
	var prev store.DataObject
	err := s.b.Write(ctx, func(ctx context.Context, c Conn) error {
		if id != 0 {
			o, err := s.get(ctx, c, game, id, true)
			if err != nil {
				return err
			}
			if o.Owner != owner || o.Status != store.DataPublished {
				return store.ErrNotFound
			}
			if o.PersistenceSlot != store.NoPersistenceSlot && o.PersistenceSlot != slot {
				// The object leaves its old slot.
				if _, err := c.Exec(ctx, s.q(`UPDATE datastore_objects SET persistence_slot = 65535 WHERE game = ? AND data_id = ?`), game, int64(id)); err != nil {
					return err
				}
			}
		}
		p, err := s.vacate(ctx, c, game, owner, slot, id, deleteLast, now)
		if err != nil {
			return err
		}
		prev = p
		if id != 0 {
			_, err = c.Exec(ctx, s.q(`UPDATE datastore_objects SET persistence_slot = ? WHERE game = ? AND data_id = ?`), int64(slot), game, int64(id))
		}
		return err
	})
	return prev, s.errf(err, "perpetuate %d in slot %d of %d", id, slot, owner)
}

// Rate implements store.DataStore.
func (s *Store) Rate(ctx context.Context, game string, id uint64, slot uint8, pid uint64, value int32, replace bool, now, lockUntil time.Time) (store.DataRating, error) {
	var out store.DataRating
	err := s.b.Write(ctx, func(ctx context.Context, c Conn) error {
		r, err := scanRating(c.QueryRow(ctx, s.q(`SELECT `+ratingCols+` FROM datastore_ratings WHERE game = ? AND data_id = ? AND slot = ?`+s.b.ForUpdate),
			game, int64(id), int64(slot)))
		if err != nil {
			return err
		}
		var prevValue, lockMS int64
		err = c.QueryRow(ctx, s.q(`SELECT value, lock_ms FROM datastore_rating_log WHERE game = ? AND data_id = ? AND slot = ? AND pid = ?`),
			game, int64(id), int64(slot), int64(pid)).Scan(&prevValue, &lockMS)
		rated := err == nil
		if err != nil && !s.b.NoRows(err) {
			return err
		}
		if rated && lockMS != 0 && lockMS > ms(now) {
			return store.ErrLocked
		}
		if replace && rated {
			r.TotalValue += int64(value) - prevValue
		} else {
			r.TotalValue += int64(value)
			r.Count++
		}
		if _, err := c.Exec(ctx, s.q(`UPDATE datastore_ratings SET total = ?, count = ? WHERE game = ? AND data_id = ? AND slot = ?`),
			r.TotalValue, int64(r.Count), game, int64(id), int64(slot)); err != nil {
			return err
		}
		if _, err := c.Exec(ctx, s.q(`INSERT INTO datastore_rating_log (game, data_id, slot, pid, value, lock_ms) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (game, data_id, slot, pid) DO UPDATE SET value = excluded.value, lock_ms = excluded.lock_ms`),
			game, int64(id), int64(slot), int64(pid), int64(value), ms(lockUntil)); err != nil {
			return err
		}
		out = r
		return nil
	})
	return out, s.errf(err, "rate %d slot %d", id, slot)
}

// RatingLog implements store.DataStore.
func (s *Store) RatingLog(ctx context.Context, game string, id uint64, slot uint8, pid uint64) (store.DataRatingLog, error) {
	var value, lock int64
	err := s.b.Read(ctx, func(ctx context.Context, c Conn) error {
		return c.QueryRow(ctx, s.q(`SELECT value, lock_ms FROM datastore_rating_log WHERE game = ? AND data_id = ? AND slot = ? AND pid = ?`),
			game, int64(id), int64(slot), int64(pid)).Scan(&value, &lock)
	})
	if err != nil {
		return store.DataRatingLog{}, s.errf(err, "rating log of %d slot %d", id, slot)
	}
	return store.DataRatingLog{PID: pid, Value: int32(value), LockExpires: fromMS(lock)}, nil
}

// Sweep implements store.DataStore.
func (s *Store) Sweep(ctx context.Context, pendingBefore, now time.Time, limit int) ([]store.DataObject, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []store.DataObject
	err := s.b.Write(ctx, func(ctx context.Context, c Conn) error {
		out = out[:0]
		rows, err := c.Query(ctx, s.q(`SELECT `+objectCols+` FROM datastore_objects
			WHERE (status = 0 AND created_ms < ?) OR (status = 1 AND expires_ms < ?) LIMIT ?`+s.b.ForUpdate),
			ms(pendingBefore), ms(now), int64(limit))
		if err != nil {
			return err
		}
		for rows.Next() {
			o, err := scanObject(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, o := range out {
			if _, err := c.Exec(ctx, s.q(`UPDATE datastore_objects SET status = 2, persistence_slot = 65535 WHERE game = ? AND data_id = ?`), o.Game, int64(o.DataID)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, s.errf(err, "sweep")
	}
	return out, nil
}

// where builds the WHERE clause of q (over table alias o).
func where(q *store.DataQuery) (string, []any) {
	conds := []string{"o.game = ?", "o.status = 1"}
	args := []any{q.Game}
	in := func(col string, vals []int64, not bool) {
		if len(vals) == 0 {
			return
		}
		op := " IN ("
		if not {
			op = " NOT IN ("
		}
		conds = append(conds, col+op+placeholders(len(vals))+")")
		for _, v := range vals {
			args = append(args, v)
		}
	}
	i64 := func(vals any) []int64 {
		var out []int64
		switch vs := vals.(type) {
		case []uint64:
			for _, v := range vs {
				out = append(out, int64(v))
			}
		case []uint8:
			for _, v := range vs {
				out = append(out, int64(v))
			}
		case []uint16:
			for _, v := range vs {
				out = append(out, int64(v))
			}
		}
		return out
	}
	if !q.Now.IsZero() {
		// Unary plus keeps the planner off the expiry index (meant for
		// Sweep): without statistics it would prefer it to the game's.
		conds = append(conds, "+o.expires_ms >= ?")
		args = append(args, ms(q.Now))
	}
	in("o.owner", i64(q.Owners), false)
	in("o.owner", i64(q.ExcludeOwners), true)
	in("o.permission", i64(q.Permissions), false)
	in("o.nex_status", i64(q.NEXStatuses), false)
	in("o.data_type", i64(q.DataTypes), false)
	bound := func(col, op string, t time.Time) {
		if !t.IsZero() {
			conds = append(conds, col+op+"?")
			args = append(args, ms(t))
		}
	}
	bound("o.created_ms", " >= ", q.CreatedAfter)
	bound("o.created_ms", " <= ", q.CreatedBefore)
	bound("o.updated_ms", " >= ", q.UpdatedAfter)
	bound("o.updated_ms", " <= ", q.UpdatedBefore)
	if q.ReferDataID != 0 {
		conds = append(conds, "o.refer_data_id = ?")
		args = append(args, int64(q.ReferDataID))
	}
	if q.Recipient != 0 {
		conds = append(conds, "o.data_id IN (SELECT data_id FROM datastore_recipients WHERE game = ? AND pid = ?)")
		args = append(args, q.Game, int64(q.Recipient))
	}
	if sw := q.SharedWith; sw != nil {
		// Shared by a friend, or addressed to the PID (search target 8).
		cond := ""
		if len(sw.Friends) > 0 {
			cond = "(o.permission = 1 AND o.owner IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(sw.Friends)), ", ") + ")) OR "
			for _, f := range sw.Friends {
				args = append(args, int64(f))
			}
		}
		cond += "(o.permission IN (2, 4) AND o.data_id IN (SELECT data_id FROM datastore_recipients WHERE game = ? AND pid = ?))"
		args = append(args, q.Game, int64(sw.PID))
		conds = append(conds, "("+cond+")")
	}
	for _, t := range dedupe(q.Tags) {
		conds = append(conds, "o.data_id IN (SELECT data_id FROM datastore_tags WHERE game = ? AND tag = ?)")
		args = append(args, q.Game, t)
	}
	if q.MinRatingCount > 0 && (q.Order == store.OrderRatingTotal || q.Order == store.OrderRatingAverage) {
		conds = append(conds, "EXISTS (SELECT 1 FROM datastore_ratings mr WHERE mr.game = o.game AND mr.data_id = o.data_id AND mr.slot = ? AND mr.count >= ?)")
		args = append(args, int64(q.RatingSlot), int64(q.MinRatingCount))
	}
	return strings.Join(conds, " AND "), args
}

// Search implements store.DataStore.
func (s *Store) Search(ctx context.Context, q store.DataQuery) ([]store.DataObject, int, error) {
	if q.Limit == 0 {
		q.Limit = 20
	}
	if q.Limit < 0 || q.Limit > 1000 || q.Offset < 0 {
		return nil, 0, fmt.Errorf("%s: datastore: search page %d+%d: %w", s.b.Name, q.Offset, q.Limit, store.ErrInvalid)
	}
	var out []store.DataObject
	total := 0
	err := s.b.Read(ctx, func(ctx context.Context, c Conn) (err error) {
		out, total, err = s.search(ctx, c, q)
		return err
	})
	if err != nil {
		return nil, 0, s.errf(err, "search")
	}
	return out, total, nil
}

// search runs Search's statements on c, one read.
func (s *Store) search(ctx context.Context, c Conn, q store.DataQuery) ([]store.DataObject, int, error) {
	cond, args := where(&q)
	dir := " ASC"
	if q.Desc {
		dir = " DESC"
	}
	var out []store.DataObject
	var err error
	switch q.Order {
	case store.OrderRatingTotal:
		// Driven by the ratings index (total order) so that a page costs
		// about a page of lookups; objects without the slot sort as the
		// smallest, so they form a group before (ascending) or after
		// (descending) the rated ones.
		slot := int64(q.RatingSlot)
		rated := func(limit, offset int) ([]store.DataObject, error) {
			return s.page(ctx, c, "datastore_ratings r CROSS JOIN datastore_objects o",
				"r.game = ? AND r.slot = ? AND o.game = r.game AND o.data_id = r.data_id AND "+cond,
				append([]any{q.Game, slot}, args...), "r.total"+dir+", o.data_id"+dir, limit, offset)
		}
		unratedCond := cond + " AND NOT EXISTS (SELECT 1 FROM datastore_ratings r WHERE r.game = o.game AND r.data_id = o.data_id AND r.slot = ?)"
		unratedArgs := append(slices.Clone(args), slot)
		unrated := func(limit, offset int) ([]store.DataObject, error) {
			return s.page(ctx, c, "datastore_objects o", unratedCond, unratedArgs, "o.data_id"+dir, limit, offset)
		}
		countGroup := func(desc bool) (int, error) {
			if desc {
				return s.count(ctx, c, "datastore_ratings r CROSS JOIN datastore_objects o",
					"r.game = ? AND r.slot = ? AND o.game = r.game AND o.data_id = r.data_id AND "+cond, append([]any{q.Game, slot}, args...), 0)
			}
			return s.count(ctx, c, "datastore_objects o", unratedCond, unratedArgs, 0)
		}
		first, second := unrated, rated
		if q.Desc {
			first, second = rated, unrated
		}
		out, err = first(q.Limit, q.Offset)
		if err == nil && len(out) < q.Limit {
			n := 0
			if n, err = countGroup(q.Desc); err == nil {
				var more []store.DataObject
				more, err = second(q.Limit-len(out), max(0, q.Offset-n))
				out = append(out, more...)
			}
		}
	default:
		from, order := "datastore_objects o", ""
		switch q.Order {
		case store.OrderSize:
			order = "o.size"
		case store.OrderName:
			// Byte order on both backends (PostgreSQL would use the locale).
			order = "o.name"
			if s.b.Dollar {
				order = `o.name COLLATE "C"`
			}
		case store.OrderDataType:
			order = "o.data_type"
		case store.OrderReferredCount:
			order = "o.referred_count"
		case store.OrderCreated:
			order = "o.created_ms"
		case store.OrderUpdated:
			order = "o.updated_ms"
		case store.OrderRatingAverage:
			from = "datastore_objects o LEFT JOIN datastore_ratings r ON r.game = o.game AND r.data_id = o.data_id AND r.slot = " + strconv.Itoa(int(q.RatingSlot))
			// Objects without ratings sort as the smallest values. No
			// index gives this order: it sorts every match.
			order = "(COALESCE(r.count, 0) > 0)" + dir + ", CAST(r.total AS DOUBLE PRECISION) / NULLIF(r.count, 0)"
		}
		if order == "" {
			order = "o.data_id" + dir
		} else {
			order += dir + ", o.data_id" + dir
		}
		out, err = s.page(ctx, c, from, cond, args, order, q.Limit, q.Offset)
	}
	if err != nil {
		return nil, 0, err
	}
	ids := make([]uint64, len(out))
	for i := range out {
		ids[i] = out[i].DataID
	}
	rs, err := s.ratings(ctx, c, q.Game, ids)
	if err != nil {
		return nil, 0, fmt.Errorf("ratings: %w", err)
	}
	for i := range out {
		out[i].Ratings = rs[out[i].DataID]
	}
	total := 0
	if q.CountLimit > 0 {
		// The count leaves the expiry out, so that an index holding the
		// filter columns answers it alone: objects expired since the last
		// sweep (a minute at most) may be counted.
		cq := q
		cq.Now = time.Time{}
		ccond, cargs := where(&cq)
		if total, err = s.count(ctx, c, "datastore_objects o", ccond, cargs, q.CountLimit); err != nil {
			return nil, 0, fmt.Errorf("count: %w", err)
		}
	}
	return out, total, nil
}

// page reads one page of objects.
func (s *Store) page(ctx context.Context, c Conn, from, cond string, args []any, order string, limit, offset int) ([]store.DataObject, error) {
	sel := s.q(`SELECT ` + prefixed("o.", objectCols) + ` FROM ` + from + ` WHERE ` + cond + ` ORDER BY ` + order + ` LIMIT ? OFFSET ?`)
	args = append(slices.Clone(args), int64(limit), int64(offset))
	if s.Explain != nil {
		s.Explain(sel, args)
	}
	rows, err := c.Query(ctx, sel, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.DataObject
	for rows.Next() {
		o, err := scanObject(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// count counts matches, up to limit when positive.
func (s *Store) count(ctx context.Context, c Conn, from, cond string, args []any, limit int) (int, error) {
	query := `SELECT COUNT(*) FROM ` + from + ` WHERE ` + cond
	if limit > 0 {
		query = `SELECT COUNT(*) FROM (SELECT 1 FROM ` + from + ` WHERE ` + cond + ` LIMIT ?) c`
		args = append(slices.Clone(args), int64(limit))
	}
	if s.Explain != nil {
		s.Explain(s.q(query), args)
	}
	var n int64
	err := c.QueryRow(ctx, s.q(query), args...).Scan(&n)
	return int(n), err
}

func prefixed(p, cols string) string {
	fs := strings.Split(strings.Join(strings.Fields(cols), ""), ",")
	for i := range fs {
		fs[i] = p + fs[i]
	}
	return strings.Join(fs, ", ")
}

// Notify implements store.DataStore.
func (s *Store) Notify(ctx context.Context, game string, dataID uint64, recipients []uint64) error {
	recipients = dedupe(recipients)
	if len(recipients) == 0 {
		return nil
	}
	err := s.b.Write(ctx, func(ctx context.Context, c Conn) error {
		// The counter row serializes concurrent notifiers of a game, so
		// ids are unique and increase in commit order.
		var last int64
		if err := c.QueryRow(ctx, s.q(`INSERT INTO datastore_counters (game, next) VALUES (?, ?)
			ON CONFLICT (game) DO UPDATE SET next = datastore_counters.next + ? RETURNING next`),
			"notifications/"+game, int64(len(recipients)), int64(len(recipients))).Scan(&last); err != nil {
			return err
		}
		first := last - int64(len(recipients)) + 1
		for i, p := range recipients {
			if _, err := c.Exec(ctx, s.q(`INSERT INTO datastore_notifications (game, id, recipient, data_id) VALUES (?, ?, ?, ?)`),
				game, first+int64(i), int64(p), int64(dataID)); err != nil {
				return err
			}
		}
		return nil
	})
	return s.errf(err, "notify %d recipients of %d", len(recipients), dataID)
}

// Notifications implements store.DataStore.
func (s *Store) Notifications(ctx context.Context, game string, recipient, after uint64, limit int) ([]store.DataNotification, bool, error) {
	if limit <= 0 || limit > 1000 {
		return nil, false, fmt.Errorf("%s: datastore: notifications limit %d: %w", s.b.Name, limit, store.ErrInvalid)
	}
	// One row more than the page says whether more follow.
	var out []store.DataNotification
	err := s.b.Read(ctx, func(ctx context.Context, c Conn) error {
		rows, err := c.Query(ctx, s.q(`SELECT id, data_id FROM datastore_notifications WHERE game = ? AND recipient = ? AND id > ?
			ORDER BY id LIMIT ?`), game, int64(recipient), int64(after), int64(limit+1))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, data int64
			if err := rows.Scan(&id, &data); err != nil {
				return err
			}
			out = append(out, store.DataNotification{ID: uint64(id), DataID: uint64(data)})
		}
		return rows.Err()
	})
	if err != nil {
		return nil, false, s.errf(err, "notifications of %d", recipient)
	}
	if len(out) > limit {
		return out[:limit], true, nil
	}
	return out, false, nil
}

// LatestNotification implements store.DataStore.
func (s *Store) LatestNotification(ctx context.Context, game string, recipient uint64) (uint64, error) {
	var id int64
	err := s.b.Read(ctx, func(ctx context.Context, c Conn) error {
		return c.QueryRow(ctx, s.q(`SELECT COALESCE(MAX(id), 0) FROM datastore_notifications WHERE game = ? AND recipient = ?`),
			game, int64(recipient)).Scan(&id)
	})
	if err != nil {
		return 0, s.errf(err, "latest notification of %d", recipient)
	}
	return uint64(id), nil
}

// Atomic implements store.DataStore: fn's store runs every statement on
// the one transaction (reads included, so it sees its own writes).
func (s *Store) Atomic(ctx context.Context, fn func(ctx context.Context, tx store.DataStore) error) error {
	err := s.b.Write(ctx, func(ctx context.Context, c Conn) error {
		inner := &Store{b: s.b, Explain: s.Explain}
		inTx := func(ctx context.Context, f func(ctx context.Context, c Conn) error) error { return f(ctx, c) }
		inner.b.Read, inner.b.Write = inTx, inTx
		return fn(ctx, inner)
	})
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: datastore: atomic batch: %w", s.b.Name, err)
}
